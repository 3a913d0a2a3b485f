//go:build tamago

package sched

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/timer"
)

// Naps: the runtime's waits halt the core instead of spinning, and whoever
// may have ended a wait rings the doorbell. The protocol, its races and
// why only semasleep's wait loop counts are in doc.go ("Waits that give
// the host its CPU back").

const (
	napTimed   = 100_000     // ns: longest nap of a timed wait
	napMax     = 64_000_000  // ns: longest nap of an untimed wait
	pollWindow = 50_000      // ns: spin before a timed nap (no contention)
	stealLate  = 500_000     // ns: a tick this late means the host descheduled us
	stealKeep  = 200_000_000 // ns: how long a late tick counts as contention
	waitGap    = 50_000      // ns: calls further apart are two waits
)

var (
	napOff      bool                               // yolk.wait=spin
	napping     atomic.Uint64                      // bit n: core n naps
	napParked   atomic.Uint64                      // bit n: core n naps with a parked M
	napWatch    [exception.MaxCores]atomic.Uintptr // the word core n waits on
	napBackoff  [exception.MaxCores]uint64         // next untimed nap length, counts
	napReq      [exception.MaxCores]uintptr        // untimed nap to take after EOI
	napAt       [exception.MaxCores]uint64         // when the tick asked for it, counts
	napSeen     [exception.MaxCores]uintptr        // the wait the last tick saw (not napped)
	waitStart   [exception.MaxCores]uint64         // timed wait first seen, counts
	waitSeen    [exception.MaxCores]uint64         // and last seen
	lastSteal   atomic.Uint64                      // counter value of the last late tick
	naps        [exception.MaxCores]atomic.Uint64  // statistics
	napCounts   [exception.MaxCores]atomic.Uint64
	doorbells   atomic.Uint64
	napTimedC   uint64
	napMaxC     uint64
	pollWindowC uint64
	stealLateC  uint64
	stealKeepC  uint64
	waitGapC    uint64
)

// The two instructions of semasleep's untimed wait loop, for the tick to
// recognise a wait: a load-acquire of the semaphore and a branch back to
// it while zero.
var semaLoopLDAR, semaLoopCBZ uintptr

// initNaps computes the constants in counter units and finds semasleep's
// code. It runs on a goroutine.
func initNaps() {
	napTimedC = timer.NanosToCounts(napTimed)
	napMaxC = timer.NanosToCounts(napMax)
	pollWindowC = timer.NanosToCounts(pollWindow)
	stealLateC = timer.NanosToCounts(stealLate)
	stealKeepC = timer.NanosToCounts(stealKeep)
	waitGapC = timer.NanosToCounts(waitGap)
	var ok bool
	if semaLoopLDAR, semaLoopCBZ, ok = rt.SemasleepWaitLoop(); !ok {
		rt.Throw("yolk: runtime.semasleep has no LDAR/CBZ wait loop: the toolchain is not tamago-" + rt.Version)
	}
	r, ok := rt.SpinWaiters()
	if !ok || len(r) > len(spinWaiters) {
		rt.Throw("yolk: runtime.suspendG not found: the toolchain is not tamago-" + rt.Version)
	}
	copy(spinWaiters[:], r)
}

// spinWaiters are the runtime functions that spin on the clock waiting
// for another core, with nothing to watch (internal/goruntime).
var spinWaiters [1][2]uintptr

// spinWaiting reports whether the nanotime call that OnNanotime serves
// comes from a spinWaiter: it walks a few frame records up (this
// function, OnNanotime, the board's Nanotime, and nanotime1 when it is
// not inlined) and looks for a return address in one.
//
//go:nosplit
func spinWaiting() bool {
	lo, hi := rt.StackBounds(rt.GetG())
	fp := rt.FramePointer()
	for i := 0; i < 5 && fp >= lo && fp+16 <= hi && fp&7 == 0; i++ {
		ret := rt.Word(fp + 8)
		for _, r := range spinWaiters {
			if r[0] <= ret && ret < r[1] {
				return true
			}
		}
		fp = rt.Word(fp)
	}
	return false
}

// never is a word nothing posts: the watch of a nap only its timer ends.
var never uint32

// spinNap naps core n, IRQs masked, for up to napTimed on behalf of a
// spinWaiter (the collector waiting for a goroutine to stop): there is
// no doorbell, the runtime reads the clock again after it.
//
//go:nosplit
func spinNap(n int, now uint64) {
	c := &cores[n]
	wasOn := cpu.DisableIRQ()
	c.napping.Store(1)
	halt(n, uintptr(unsafe.Pointer(&never)), now, now+napTimedC)
	c.napping.Store(0)
	cpu.RestoreIRQ(wasOn)
	armTick()
}

// ringNappers wakes every napping core whose word was posted, and one
// core napping with a parked M if a suspended M has become ready (that
// core switches to it: mswitch.go).
//
//go:nosplit
func ringNappers() {
	for m := napping.Load(); m != 0; m &= m - 1 {
		n := bits.TrailingZeros64(m) & (exception.MaxCores - 1) // no bounds check: nosplit chains
		w := napWatch[n].Load()
		if w != 0 && atomic.LoadUint32((*uint32)(unsafe.Pointer(w))) != 0 && napWatch[n].CompareAndSwap(w, 0) {
			doorbells.Add(1)
			wake(n)
		}
	}
	if napParked.Load() != 0 && nsuspended.Load() > 0 && readyMs() {
		ringParkedNapper()
	}
}

// ringParkedNapper wakes one core napping with a parked M, if any: it
// will switch to an M that waits for a core.
//
//go:nosplit
func ringParkedNapper() {
	for m := napParked.Load(); m != 0; m &= m - 1 {
		n := bits.TrailingZeros64(m) & (exception.MaxCores - 1) // no bounds check: nosplit chains
		if napWatch[n].Swap(0) != 0 {
			doorbells.Add(1)
			wake(n)
			return
		}
	}
}

// semaWait returns the semaphore word of the M that the IRQ frame f
// interrupted in semasleep's wait loop with nothing posted, or 0. Only
// the loop itself counts: elsewhere in semasleep the M may already own
// what was posted, and a nap there would stop it (a nap's end is a timer
// interrupt, taken before the interrupted code runs again).
func semaWait(f *exception.Frame) uintptr {
	if napOff || f.Kind != exception.IRQSP0 || uintptr(f.ELR) != semaLoopLDAR && uintptr(f.ELR) != semaLoopCBZ {
		return 0
	}
	g := uintptr(f.X[28])
	if g == 0 {
		return 0
	}
	m := rt.MOf(g)
	if m == 0 || rt.Word32(rt.Sema(m)) != 0 {
		return 0
	}
	return rt.Sema(m)
}

// afterIRQ runs at the end of every IRQ, after the end of interrupt:
// it takes the nap the tick asked for.
//
//go:nosplit
func afterIRQ() {
	n := cpu.Index()
	w := napReq[n]
	if w == 0 {
		return
	}
	napReq[n] = 0
	if semaWait(exception.IRQFrame(n)) != w {
		return // another handler switched Ms
	}
	ringNappers()
	now := napAt[n] // the tick's reading of the counter
	parked := rt.P(rt.MOfSema(w)) == 0
	if parked {
		napParked.Or(1 << n)
	}
	halted := halt(n, w, now, now+napBackoff[n])
	if parked {
		napParked.And(^uint64(1 << n))
	}
	if !halted {
		return
	}
	if napBackoff[n] < napMaxC {
		napBackoff[n] *= 2
	}
	// Woken early (a doorbell, an interrupt): back to the tick. Else the
	// timer is pending and its tick comes at once, to nap again.
	if !timer.Pending() {
		armTick()
	}
}

// halt naps core n (IRQs masked) until the word at w is posted, an
// interrupt arrives or the counter reaches until; now is a recent reading
// of the counter. It reports whether it halted at all. Callers ring the
// other nappers first (a core about to halt may be the one that posted
// their words). It runs at the end of nosplit chains as deep as
// entersyscall -> casgstatus -> nanotime: it stays small.
//
//go:nosplit
func halt(n int, w uintptr, now, until uint64) bool {
	napWatch[n].Store(w)
	napping.Or(1 << n)
	halted := false
	if atomic.LoadUint32((*uint32)(unsafe.Pointer(w))) == 0 {
		timer.SetDeadline(until)
		cpu.WaitForInterrupt()
		naps[n].Add(1)
		napCounts[n].Add(timer.Now() - now)
		halted = true
	}
	napping.And(^uint64(1 << n))
	napWatch[n].Store(0)
	return halted
}

// timedWait is called by OnNanotime on an M blocked on a note while the
// runtime waits for every P: after the wait window it naps, up to
// napTimed, with IRQs masked. One wait is a run of such calls less than
// waitGap apart (notetsleep's own 100 us rounds included).
//
//go:nosplit
func timedWait(n int, m uintptr) {
	// The clock as last read: this runs inside nanotime, which reads it
	// next (each counter read takes QEMU's global lock).
	now := timer.Latest()
	if now-waitSeen[n] > waitGapC {
		waitStart[n] = now
	}
	waitSeen[n] = now
	if now-waitStart[n] < pollWindowC && !contended(now) {
		return
	}
	if sleepers.Load() != 0 {
		wakeSleepers(-1)
	}
	c := &cores[n]
	// OnNanotime has rung the other nappers.
	wasOn := cpu.DisableIRQ()
	c.napping.Store(1) // the core timer's interrupt is the nap's end
	halt(n, rt.Sema(m), now, now+napTimedC)
	c.napping.Store(0)
	cpu.RestoreIRQ(wasOn)
	armTick()
	waitSeen[n] = timer.Latest()
}

// contended reports whether a tick came more than stealLate late in the
// last stealKeep: the host has been descheduling guest cores, so a core
// that spins takes a host CPU from one that has work.
//
//go:nosplit
func contended(now uint64) bool {
	l := lastSteal.Load()
	return l != 0 && now-l <= stealKeepC
}

// Doorbells counts naps ended by another core's doorbell.
func Doorbells() uint64 { return doorbells.Load() }
