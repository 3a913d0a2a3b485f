//go:build tamago

package goruntime

import (
	"unsafe"
)

// Reading the runtime's structures. These run in interrupt handlers and
// in the runtime's own hooks: nosplit, no allocation, no write barriers.

// Word is the uintptr at address a.
//
//go:nosplit
func Word(a uintptr) uintptr { return *(*uintptr)(unsafe.Pointer(a)) }

// Word32 is the uint32 at address a.
//
//go:nosplit
func Word32(a uintptr) uint32 { return *(*uint32)(unsafe.Pointer(a)) }

// GetG is the running goroutine's g (the g register, R28).
func GetG() uintptr

// MOf is g's m (0 before the runtime has one, or for a handler g).
//
//go:nosplit
func MOf(g uintptr) uintptr { return Word(g + GM) }

// Goroutine returns the m of g if g is an ordinary goroutine: one with an
// m, and not that m's g0 (the system stack). Otherwise 0: no g, a g0, an
// interrupt handler's g (which has no m).
//
//go:nosplit
func Goroutine(g uintptr) (m uintptr) {
	if g == 0 {
		return 0
	}
	m = Word(g + GM)
	if m == 0 || Word(m+MG0) == g {
		return 0
	}
	return m
}

// StackBounds is g's stack, [lo, hi).
//
//go:nosplit
func StackBounds(g uintptr) (lo, hi uintptr) { return Word(g + GStackLo), Word(g + GStackHi) }

// G0 is m's system-stack goroutine.
//
//go:nosplit
func G0(m uintptr) uintptr { return Word(m + MG0) }

// P is m's P, 0 if it holds none.
//
//go:nosplit
func P(m uintptr) uintptr { return Word(m + MP) }

// NextP is the P handed to m to acquire when it wakes, 0 if none.
//
//go:nosplit
func NextP(m uintptr) uintptr { return Word(m + MNextp) }

// Locks is how many runtime locks m holds (m.locks).
//
//go:nosplit
func Locks(m uintptr) int32 { return int32(Word32(m + MLocks)) }

// Blocked reports whether m waits on a note (notesleep, notetsleep set
// m.blocked around their semasleep).
//
//go:nosplit
func Blocked(m uintptr) bool { return *(*bool)(unsafe.Pointer(m + MBlocked)) }

// ParkKey is m.park.key: 0, locked (1), or m itself while m sleeps in
// notesleep(&m.park) (lock_sema.go).
//
//go:nosplit
func ParkKey(m uintptr) uintptr { return Word(m + MPark) }

// LockedG is the goroutine locked to m (runtime.LockOSThread), 0 if none.
//
//go:nosplit
func LockedG(m uintptr) uintptr { return Word(m + MLockedg) }

// Sema is the address of m's semaphore (m.mOS.waitsemacount): semasleep
// waits for it to be non-zero and semawakeup adds one.
//
//go:nosplit
func Sema(m uintptr) uintptr { return m + MWaitsema }

// MOfSema is the m whose semaphore is at address sema.
//
//go:nosplit
func MOfSema(sema uintptr) uintptr { return sema - MWaitsema }

// RunqEmpty reports whether P p's local run queue is empty. (p.runnext is
// never used without sysmon: runqput in proc.go.)
//
//go:nosplit
func RunqEmpty(p uintptr) bool { return Word32(p+PRunqtail) == Word32(p+PRunqhead) }

// GlobalRunqEmpty reports whether the global run queue is empty.
//
//go:nosplit
func GlobalRunqEmpty() bool { return int32(Word32(schedAddr()+SchedRunqSize)) <= 0 }

// EveryPWanted reports whether the runtime waits for every P: to stop the
// world (sched.gcwaiting) or to run a safe-point function (forEachP, the
// garbage collector's ragged barrier: sched.safePointWait).
//
//go:nosplit
func EveryPWanted() bool {
	s := schedAddr()
	return *(*uint8)(unsafe.Pointer(s + SchedGCWaiting)) != 0 || int32(Word32(s+SchedSafePointWait)) > 0
}

// Preempt asks goroutine g to yield at its next function call, as the
// runtime's preemptone does.
//
//go:nosplit
func Preempt(g uintptr) {
	*(*bool)(unsafe.Pointer(g + GPreempt)) = true
	*(*uintptr)(unsafe.Pointer(g + GStackguard0)) = StackPreempt
}

// SetSignal records a fault in g's signal fields, where the runtime's
// sigpanic finds it on Linux and yolk's (Sigpanic) does.
//
//go:nosplit
func SetSignal(g uintptr, sig uint32, code0, code1, pc uint64) {
	*(*uint32)(unsafe.Pointer(g + GSig)) = sig
	*(*uint64)(unsafe.Pointer(g + GSigcode0)) = code0
	*(*uint64)(unsafe.Pointer(g + GSigcode1)) = code1
	*(*uint64)(unsafe.Pointer(g + GSigpc)) = pc
}

// Signal reads g's signal fields (see SetSignal).
func Signal(g uintptr) (sig uint32, code0, code1, pc uint64) {
	return Word32(g + GSig), uint64(Word(g + GSigcode0)), uint64(Word(g + GSigcode1)), uint64(Word(g + GSigpc))
}

// schedAddr is the address of runtime.sched (runtime_arm64.s).
func schedAddr() uintptr
