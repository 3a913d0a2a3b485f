//go:build tamago

package sched

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/timer"
)

// CPU sampling for profiles. The runtime's own profiler needs a SIGPROF
// per thread, and its reader blocks an M in a note that spins on tamago,
// so yolk samples from the scheduler tick instead: at most once per
// period on each busy core, the tick records the interrupted PC and the
// return addresses on the frame-pointer chain (Go keeps frame pointers on
// arm64: a frame's saved FP is at FP and its return address at FP+8) into
// a per-core ring of plain words. Symbolising and aggregating happen later
// in a goroutine (package sched/cpuprof). A core asleep in Idle takes no
// ticks and records nothing: it uses no CPU.

// MaxSampleDepth bounds the PCs recorded per sample.
const MaxSampleDepth = 48

// A sample in a ring is a header word (the number of PCs) and then the
// PCs: the interrupted PC, the link register (the caller, if the
// interrupted function has not saved it yet) and the frame-pointer chain.
type sampleRing struct {
	words      []uintptr // owned by the tick while sampling is on
	base       uintptr   // &words[0], for the tick (no pointer writes there)
	n          uintptr   // capacity in words
	next       atomic.Uintptr
	lost       atomic.Uint64
	lastSample uint64 // counter value of the last sample
}

var (
	sampling     atomic.Bool
	samplePeriod uint64 // in counter ticks
	rings        [exception.MaxCores]sampleRing
	samplingMu   sync.Mutex
)

// ErrSampling is returned by StartSampling when sampling is already on.
var ErrSampling = errors.New("sched: CPU sampling is already on")

// StartSampling starts recording a sample every periodNanos (at least a
// tick) on each busy core, into rings of ringWords words per core.
func StartSampling(periodNanos int64, ringWords int) error {
	samplingMu.Lock()
	defer samplingMu.Unlock()
	if sampling.Load() {
		return ErrSampling
	}
	if ringWords < 4*MaxSampleDepth {
		ringWords = 4 * MaxSampleDepth
	}
	samplePeriod = timer.NanosToCounts(periodNanos)
	for i := range int(ncores.Load()) {
		r := &rings[i]
		r.words = make([]uintptr, ringWords)
		r.base = uintptr(unsafe.Pointer(&r.words[0]))
		r.n = uintptr(ringWords)
		r.next.Store(0)
		r.lost.Store(0)
	}
	sampling.Store(true)
	return nil
}

// StopSampling stops recording and returns the samples, each a slice of
// PCs (leaf first), and how many were lost because a ring was full.
func StopSampling() (samples [][]uintptr, lost uint64) {
	samplingMu.Lock()
	defer samplingMu.Unlock()
	if !sampling.Load() {
		return nil, 0
	}
	sampling.Store(false)
	// A tick that saw sampling on may still be writing: every core's
	// ticks are IRQs that complete within microseconds, and the ring's
	// next index is published after its words, so reading up to next is
	// safe once that tick is over: wait two ticks.
	time.Sleep(2 * time.Duration(timer.CountsToNanos(tickCounts)))
	for i := range int(ncores.Load()) {
		r := &rings[i]
		w := r.words[:r.next.Load()]
		for len(w) > 0 {
			k := int(w[0])
			if k < 0 || k+1 > len(w) {
				break
			}
			samples = append(samples, w[1:1+k:1+k])
			w = w[1+k:]
		}
		lost += r.lost.Load()
		r.words, r.base, r.n = nil, 0, 0
	}
	return samples, lost
}

// sampleTick is called by the tick on core n, IRQs masked, with the
// interrupted context f and g (a goroutine or a g0).
//
//go:nosplit
func sampleTick(n int, f *exception.Frame, g uintptr, now uint64) {
	r := &rings[n]
	if now-r.lastSample < samplePeriod || r.base == 0 {
		return
	}
	r.lastSample = now
	at := r.next.Load()
	if at+1+MaxSampleDepth > r.n {
		r.lost.Add(1)
		return
	}
	w := func(i uintptr, v uintptr) {
		*(*uintptr)(unsafe.Pointer(r.base + (at+i)*unsafe.Sizeof(uintptr(0)))) = v
	}
	k := uintptr(0)
	// +1: the leaf is not a return address, and symbolisation subtracts
	// one from every PC to find the call instruction.
	k++
	w(k, uintptr(f.ELR)+1)
	if g != 0 && f.Kind == exception.IRQSP0 {
		k++
		w(k, uintptr(f.X[30]))
		lo, hi := rt.StackBounds(g)
		fp := uintptr(f.X[29])
		for k < MaxSampleDepth && fp >= lo && fp+16 <= hi && fp&7 == 0 {
			ret := rt.Word(fp + 8)
			if ret == 0 {
				break
			}
			k++
			w(k, ret)
			next := rt.Word(fp)
			if next <= fp { // frames grow towards higher addresses
				break
			}
			fp = next
		}
	}
	w(0, k)
	r.next.Store(at + 1 + k)
}
