//go:build tamago

package sched

import "unsafe"

// Offsets into the runtime's structures for tamago-go1.26.0, as its
// generated go_asm.h gives them; TestRuntimeLayout checks them under QEMU.
const (
	gStackLo     = 0        // g.stack.lo
	gStackHi     = 8        // g.stack.hi
	gStackguard0 = 16       // g.stackguard0
	gM           = 48       // g.m
	gPreempt     = 177      // g.preempt (bool)
	mG0          = 0        // m.g0
	mP           = 160      // m.p
	mNextp       = 168      // m.nextp
	mPark        = 296      // m.park.key (note: 0, locked, or the sleeping m)
	mLocks       = 216      // m.locks (int32)
	mBlocked     = 229      // m.blocked (bool): waits on a note
	mWaitsema    = 1264     // m.mOS.waitsemacount (uint32)
	pRunqhead    = 400      // p.runqhead (uint32)
	pRunqtail    = 404      // p.runqtail (uint32)
	schedRunqLen = 128 + 16 // sched.runq.size (int32)
	schedGCWait  = 264      // sched.gcwaiting (atomic.Bool)
	schedSPWait  = 304      // sched.safePointWait (int32)

	// stackPreempt is the runtime's stackguard0 value that makes the next
	// function prologue call into the scheduler (runtime/stack.go).
	stackPreempt = 0xffff_ffff_ffff_fade
)

// setNumCPU sets runtime.numCPUStartup (runtime_arm64.s).
func setNumCPU(n int32)

// schedAddr is the address of runtime.sched (runtime_arm64.s).
func schedAddr() uintptr

// currentG is the running goroutine's g (the g register).
func currentG() uintptr

//go:nosplit
func load(a uintptr) uintptr { return *(*uintptr)(unsafe.Pointer(a)) }

//go:nosplit
func load32(a uintptr) uint32    { return *(*uint32)(unsafe.Pointer(a)) }
func store(a uintptr, v uintptr) { *(*uintptr)(unsafe.Pointer(a)) = v }

// goroutineP returns the P of the M running g, if g is an ordinary
// goroutine (not a g0, not a handler g); 0 otherwise.
func goroutineP(g uintptr) (p uintptr) {
	if g == 0 {
		return 0
	}
	m := load(g + gM)
	if m == 0 || load(m+mG0) == g {
		return 0
	}
	return load(m + mP)
}

// queued reports whether goroutines wait to run on P p or globally.
// (p.runnext is never used without sysmon: runqput in proc.go.)
func queued(p uintptr) bool {
	if p != 0 && load32(p+pRunqtail) != load32(p+pRunqhead) {
		return true
	}
	return int32(load32(schedAddr()+schedRunqLen)) > 0
}

// everyPWanted reports whether the runtime waits for every P: to stop the
// world (sched.gcwaiting) or to run a safe-point function (forEachP, the
// garbage collector's ragged barrier: sched.safePointWait). An M asleep in
// Idle holds its P and only notices either at the top of findRunnable.
//
//go:nosplit
func everyPWanted() bool {
	s := schedAddr()
	return *(*uint8)(unsafe.Pointer(s + schedGCWait)) != 0 || int32(load32(s+schedSPWait)) > 0
}

// preempt asks goroutine g to yield at its next function call, as the
// runtime's preemptone does.
func preempt(g uintptr) {
	*(*bool)(unsafe.Pointer(g + gPreempt)) = true
	store(g+gStackguard0, stackPreempt)
}
