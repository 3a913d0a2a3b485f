//go:build tamago

package sched

import (
	"sync/atomic"
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/exception"
)

// Ms can outnumber cores. The runtime normally keeps one M per P, but it
// starts an extra M whenever it finds an idle P and no idle M, which
// happens while another M is between giving up its P and parking itself
// (gcstopm lets the world restart before its stopm). Go would create a
// thread; yolk multiplexes Ms over cores instead, at ticks:
//
//   - Task queues an M when no core is parked (pendingMs);
//   - a tick that interrupts a parked M — on its g0, holding no P, no
//     nextp, no runtime lock, registered in its park note (m.park.key ==
//     m) and its semaphore not posted: it sleeps in notesleep — suspends
//     it (saves its frame and FP state) and runs, on this core, a pending
//     M or a suspended M whose semaphore has since been posted;
//   - the note matters: notewakeup posts the semaphore only to an M that
//     has registered in the note, and an M woken before registering never
//     sleeps, so only a registered M may be suspended (lock_sema.go);
//   - a suspended M resumes exactly where it was interrupted.
// Nothing here blocks: when no other M can run, the parked M keeps its
// core, as before. While Ms wait, cores running parked Ms tick 10 times
// faster (100 us), which bounds how long a woken or new M waits for a core.
// The runtime makes extra Ms mostly around garbage collection and for
// goroutines that call runtime.LockOSThread.

type fpState [66]uint64 // q0-q31, fpsr, fpcr

type suspendedM struct {
	m     uintptr // 0: free slot
	frame exception.Frame
	fp    fpState
}

type pendingM struct {
	state      atomic.Uint32 // 0 free, 1 being written, 2 ready
	sp, gp, fn uintptr
}

const maxExtraMs = 32

var (
	switchLock atomic.Uint32 // guards suspended; held only in IRQ handlers
	suspended  [maxExtraMs]suspendedM
	pendingMs  [maxExtraMs]pendingM
	npending   atomic.Int32
	nsuspended atomic.Int32
	mSwitches  atomic.Uint64
)

func saveFP(p *fpState)
func restoreFP(p *fpState)

// queueM records an M for a core to pick up at a tick; false if full.
func queueM(sp, gp, fn uintptr) bool {
	for i := range pendingMs {
		p := &pendingMs[i]
		if p.state.CompareAndSwap(0, 1) {
			p.sp, p.gp, p.fn = sp, gp, fn
			p.state.Store(2)
			npending.Add(1)
			return true
		}
	}
	return false
}

// parkedM reports whether the code f interrupted is an M that can only
// be waiting to be woken (see above), and returns that M.
func parkedM(f *exception.Frame) uintptr {
	g := uintptr(f.X[28])
	if g == 0 {
		return 0
	}
	m := rt.MOf(g)
	if m == 0 || rt.G0(m) != g || rt.P(m) != 0 || rt.NextP(m) != 0 ||
		rt.Locks(m) != 0 || rt.ParkKey(m) != m || rt.Word32(rt.Sema(m)) != 0 {
		return 0
	}
	return m
}

// maybeSwitchM runs at a tick or a wake SGI: if this core runs a parked
// M and another M is ready, it switches to it and reports so.
func maybeSwitchM(f *exception.Frame) (switched bool) {
	m := parkedM(f)
	if m == 0 || !switchLock.CompareAndSwap(0, 1) {
		return false
	}
	defer switchLock.Store(0)
	free := -1
	ready := -1
	for i := range suspended {
		s := &suspended[i]
		switch {
		case s.m == 0:
			if free < 0 {
				free = i
			}
		case ready < 0 && rt.Word32(rt.Sema(s.m)) != 0:
			ready = i
		}
	}
	var next *pendingM
	if ready < 0 && npending.Load() > 0 {
		for i := range pendingMs {
			if pendingMs[i].state.Load() == 2 {
				next = &pendingMs[i]
				break
			}
		}
	}
	if (ready < 0 && next == nil) || free < 0 {
		return false
	}
	// Suspend the parked M: its FP state first, before anything here could
	// touch FP registers.
	s := &suspended[free]
	saveFP(&s.fp)
	s.m = m
	copyFrame(&s.frame, f)
	nsuspended.Add(1)
	if ready >= 0 {
		r := &suspended[ready]
		copyFrame(f, &r.frame)
		restoreFP(&r.fp)
		r.m = 0
		nsuspended.Add(-1)
	} else {
		clearFrame(f)
		f.SP, f.ELR, f.X[28] = uint64(next.sp), uint64(next.fn), uint64(next.gp)
		f.SPSR = spsrEL1tIRQsOn
		f.Kind = exception.IRQSP0
		next.state.Store(0)
		npending.Add(-1)
	}
	mSwitches.Add(1)
	return true
}

// copyFrame and clearFrame move frames word by word: a struct assignment
// compiles to 128-bit FP register moves, which would clobber the very
// registers being switched (TestHandlersUseNoFP).
func copyFrame(dst, src *exception.Frame) {
	d := (*[unsafe.Sizeof(exception.Frame{}) / 8]uint64)(unsafe.Pointer(dst))
	s := (*[unsafe.Sizeof(exception.Frame{}) / 8]uint64)(unsafe.Pointer(src))
	for i := range d {
		d[i] = s[i]
	}
}

func clearFrame(f *exception.Frame) {
	d := (*[unsafe.Sizeof(exception.Frame{}) / 8]uint64)(unsafe.Pointer(f))
	for i := range d {
		d[i] = 0
	}
}

// readyMs reports whether an M waits to run: a new M, or a suspended M
// whose semaphore has been posted since. (Read without switchLock: a
// stale answer costs a tick at most.)
//
//go:nosplit
func readyMs() bool {
	if npending.Load() > 0 {
		return true
	}
	if nsuspended.Load() == 0 {
		return false
	}
	for i := range suspended {
		if m := suspended[i].m; m != 0 && rt.Word32(rt.Sema(m)) != 0 {
			return true
		}
	}
	return false
}

// waitingMs reports whether Ms wait for a core (queued or suspended):
// then a core running a parked M ticks faster (it only spins anyway), so
// that an M the runtime wakes or starts gets a core within a fast tick.
func waitingMs() bool { return npending.Load() > 0 || nsuspended.Load() > 0 }

// spsrEL1tIRQsOn returns to EL1 on SP_EL0 with every interrupt unmasked.
const spsrEL1tIRQsOn = 0x4

// MSwitches counts how often a core switched from a parked M to another.
func MSwitches() uint64 { return mSwitches.Load() }
