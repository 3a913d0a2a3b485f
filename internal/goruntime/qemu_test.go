//go:build tamago

package goruntime_test

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"

	_ "github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/internal/asmcheck"
	"github.com/yolkos/yolk/internal/goruntime"
)

// The offsets, observed in the running runtime (the host tests compare
// them with the toolchain's go_asm.h).

func TestVersion(t *testing.T) {
	if v := runtime.Version(); v != goruntime.Version {
		t.Fatalf("built with %s: the runtime internals are pinned to %s", v, goruntime.Version)
	}
}

func TestGoroutineAndM(t *testing.T) {
	g := goruntime.GetG()
	gp, pp := runtime.GetG()
	if g != uintptr(gp) {
		t.Fatalf("GetG %#x, runtime.GetG %#x", g, gp)
	}
	var local int
	here := uintptr(unsafe.Pointer(&local))
	lo, hi := goruntime.StackBounds(g)
	if !(lo < here && here < hi) {
		t.Errorf("g.stack = [%#x, %#x) does not hold a local at %#x", lo, hi, here)
	}
	if guard := goruntime.Word(g + goruntime.GStackguard0); guard < lo || guard > lo+4096 {
		t.Errorf("g.stackguard0 = %#x, not just above stack.lo %#x", guard, lo)
	}
	m := goruntime.Goroutine(g)
	if m == 0 || m != goruntime.MOf(g) {
		t.Fatalf("Goroutine(g) = %#x, g.m = %#x", m, goruntime.MOf(g))
	}
	if g0 := goruntime.G0(m); g0 == 0 || g0 == g || goruntime.Goroutine(g0) != 0 {
		t.Errorf("m.g0 = %#x (g %#x): not a distinct system goroutine", g0, g)
	}
	if p := goruntime.P(m); p != uintptr(pp) {
		t.Errorf("m.p = %#x, runtime.GetG's P %#x", p, pp)
	}
	if goruntime.LockedG(m) != 0 {
		t.Errorf("m.lockedg = %#x before LockOSThread", goruntime.LockedG(m))
	}
	runtime.LockOSThread()
	if l := goruntime.LockedG(m); l != g {
		t.Errorf("m.lockedg = %#x after LockOSThread, want g %#x", l, g)
	}
	runtime.UnlockOSThread()
	if goruntime.NextP(m) != 0 || goruntime.Locks(m) != 0 || goruntime.Blocked(m) {
		t.Errorf("a running goroutine's m: nextp %#x, locks %d, blocked %v", goruntime.NextP(m), goruntime.Locks(m), goruntime.Blocked(m))
	}
	if w := goruntime.Word32(goruntime.Sema(m)); w != 0 {
		t.Errorf("a running m's semaphore is %d", w)
	}
	if goruntime.MOfSema(goruntime.Sema(m)) != m {
		t.Error("MOfSema does not invert Sema")
	}
	if goruntime.EveryPWanted() {
		t.Error("the world is not stopping, yet EveryPWanted")
	}
}

// Goroutines made runnable on this P show up in its run queue.
func TestRunQueue(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	_, pp := runtime.GetG()
	p := uintptr(pp)
	head := goruntime.Word32(p + goruntime.PRunqhead)
	tail := goruntime.Word32(p + goruntime.PRunqtail)
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go wg.Done()
	}
	head2 := goruntime.Word32(p + goruntime.PRunqhead)
	tail2 := goruntime.Word32(p + goruntime.PRunqtail)
	// Without sysmon, runqput never uses runnext: all 5 are queued.
	if (tail2-head2)-(tail-head) != 5 || goruntime.RunqEmpty(p) {
		t.Errorf("runq grew by %d, want 5", (tail2-head2)-(tail-head))
	}
	wg.Wait()
}

// semasleep's wait loop is found in the running runtime, and is what the
// patterns say.
func TestSemasleepWaitLoop(t *testing.T) {
	ldar, cbz, ok := goruntime.SemasleepWaitLoop()
	if !ok {
		t.Fatal("runtime.semasleep has no LDAR/CBZ wait loop")
	}
	fn := runtime.FuncForPC(ldar)
	if fn == nil || fn.Name() != "runtime.semasleep" || cbz != ldar+4 {
		t.Fatalf("wait loop at %#x/%#x, in %v", ldar, cbz, fn)
	}
	l, c := asmcheck.Disassemble(*(*uint32)(unsafe.Pointer(ldar))), asmcheck.Disassemble(*(*uint32)(unsafe.Pointer(cbz)))
	t.Logf("%#x: %s; %s", ldar, l, c)
}

func TestSigpanicPC(t *testing.T) {
	if fn := runtime.FuncForPC(goruntime.SigpanicPC()); fn == nil || fn.Name() != "runtime.sigpanic" {
		t.Errorf("SigpanicPC %#x is in %v, not runtime.sigpanic", goruntime.SigpanicPC(), fn)
	}
	if fn := runtime.FuncForPC(goruntime.AsyncPreemptPC()); fn == nil || fn.Name() != "runtime.asyncPreempt" {
		t.Errorf("AsyncPreemptPC %#x is in %v", goruntime.AsyncPreemptPC(), fn)
	}
	if runtime.NumCPU() < 1 {
		t.Error("NumCPU < 1")
	}
}

// frameRecord reads its own frame record while it is live.
//
//go:noinline
func frameRecord() (savedFP, ret uintptr) {
	fp := goruntime.FramePointer()
	return goruntime.Word(fp), goruntime.Word(fp + 8)
}

// FramePointer's record: [FP+8] returns into the caller, [FP] is the
// caller's frame pointer; suspendG is found.
func TestFrameRecordsAndSpinWaiters(t *testing.T) {
	up, ret := frameRecord()
	if f := runtime.FuncForPC(ret); f == nil || f.Name() != "github.com/yolkos/yolk/internal/goruntime_test.TestFrameRecordsAndSpinWaiters" {
		t.Errorf("the frame record's return address %#x is in %v, not in the caller", ret, f)
	}
	if up != goruntime.FramePointer() {
		t.Errorf("the frame record's saved FP %#x is not the caller's %#x", up, goruntime.FramePointer())
	}
	r, ok := goruntime.SpinWaiters()
	if !ok || len(r) != 1 {
		t.Fatalf("SpinWaiters: %v, %v", r, ok)
	}
	if f := runtime.FuncForPC(r[0][0]); f == nil || f.Name() != "runtime.suspendG" || r[0][1] <= r[0][0] {
		t.Errorf("spin waiter %#x-%#x is in %v", r[0][0], r[0][1], f)
	}
}
