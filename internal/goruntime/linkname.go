//go:build tamago

package goruntime

import (
	"runtime"
	"unsafe"
)

// Runtime functions yolk calls. Their signatures are checked against the
// runtime's source by TestLinknameSignatures.

// Throw is runtime.throw: a fatal error with the runtime's traceback.
//
//go:linkname Throw runtime.throw
func Throw(s string)

// WantAsyncPreempt is runtime.wantAsyncPreempt: whether goroutine gp is
// asked to stop (by the scheduler or the garbage collector).
//
//go:linkname WantAsyncPreempt runtime.wantAsyncPreempt
func WantAsyncPreempt(gp unsafe.Pointer) bool

// IsAsyncSafePoint is runtime.isAsyncSafePoint: whether gp, stopped at
// pc with sp and lr, may be preempted there, and at which PC to resume.
// It reads getg().m (pcvalue's cache).
//
//go:linkname IsAsyncSafePoint runtime.isAsyncSafePoint
func IsAsyncSafePoint(gp unsafe.Pointer, pc, sp, lr uintptr) (bool, uintptr)

// ProcPin is runtime.procPin (as sync.Pool uses it): until ProcUnpin the
// calling goroutine is not preempted, so it stays on its P; it returns
// the P's id.
//
//go:linkname ProcPin runtime.procPin
func ProcPin() int

// ProcUnpin is runtime.procUnpin.
//
//go:linkname ProcUnpin runtime.procUnpin
func ProcUnpin()

//go:linkname semasleep runtime.semasleep
func semasleep(ns int64) int

// suspendGState mirrors runtime.suspendGState. yolk never calls
// suspendG: it only locates its code.
type suspendGState struct {
	g             unsafe.Pointer
	dead, stopped bool
}

//go:linkname suspendG runtime.suspendG
func suspendG(gp unsafe.Pointer) suspendGState

// AsyncPreemptPC is runtime.asyncPreempt's address (runtime_arm64.s):
// the function that saves every register and yields, as a preemption
// signal's handler makes the goroutine call on Linux.
func AsyncPreemptPC() uintptr

// SetNumCPU sets runtime.numCPUStartup (runtime_arm64.s): what
// runtime.NumCPU reports, which also bounds lock spinning and the
// collector's parallelism; tamago's osinit fixes it at 1.
func SetNumCPU(n int32)

// Sigpanic decides what a fault becomes: yolk's exception handler makes
// the faulting goroutine call runtime.sigpanic (SigpanicPC), as Linux's
// signal handler does, with the fault recorded by SetSignal, and
// kernel/exception sets this to say what to panic with, or why to crash.
var Sigpanic func() (value any, fatal string)

// sigpanic must be named runtime.sigpanic: the runtime's unwinder
// recognises that name (funcID) and then unwinds through the faulting
// frame exactly, so tracebacks and recover work as for a Linux signal.
// It panics itself, so that the traceback goes from the runtime's frames
// straight to the faulting function, as on Linux.
//
//go:linkname sigpanic runtime.sigpanic
func sigpanic() {
	if Sigpanic == nil {
		Throw("yolk: fault before kernel/exception was initialised")
	}
	v, fatal := Sigpanic()
	if fatal != "" {
		Throw(fatal)
	}
	panic(v)
}

var sigpanicFunc = sigpanic

// SigpanicPC is runtime.sigpanic's ABIInternal entry: the code pointer of
// its func value (a func value points to a word holding the entry PC).
func SigpanicPC() uintptr { return **(**uintptr)(unsafe.Pointer(&sigpanicFunc)) }

// funcRange is the code of the Go function whose func value is fv.
func funcRange(fv unsafe.Pointer) (entry, end uintptr, name string) {
	entry = **(**uintptr)(fv)
	fn := runtime.FuncForPC(entry)
	if fn == nil {
		return 0, 0, ""
	}
	// A PC of code inlined into the function gives the inlined
	// function's Func, whose Entry is still the outer function's.
	end = entry
	for g := fn; g != nil && g.Entry() == entry; g = runtime.FuncForPC(end) {
		end += 4
	}
	return entry, end, fn.Name()
}

// SpinWaiters are the runtime functions that wait for another core by
// spinning and reading the clock, with no semaphore to watch: suspendG
// (the collector waiting for a goroutine to stop so that it can scan its
// stack).
func SpinWaiters() (ranges [][2]uintptr, ok bool) {
	f := suspendG
	lo, hi, name := funcRange(unsafe.Pointer(&f))
	if name != "runtime.suspendG" {
		return nil, false
	}
	return [][2]uintptr{{lo, hi}}, true
}

// FramePointer is the frame pointer (R29) of the function that calls it
// (runtime_arm64.s): its frame record holds that function's caller's
// frame pointer at [FP] and the return address into that caller at
// [FP+8] (Go keeps frame pointers on arm64).
func FramePointer() uintptr

// SemasleepWaitLoop returns the address of the two instructions of
// runtime.semasleep's wait loop (waitloop.go): an M whose PC is on them,
// with its semaphore at zero, is waiting for it.
func SemasleepWaitLoop() (ldar, cbz uintptr, ok bool) {
	f := semasleep
	entry, end, name := funcRange(unsafe.Pointer(&f))
	if name != "runtime.semasleep" {
		return 0, 0, false
	}
	code := unsafe.Slice((*uint32)(unsafe.Pointer(entry)), (end-entry)/4)
	i := findWaitLoop(code)
	if i < 0 {
		return 0, 0, false
	}
	ldar = entry + uintptr(i)*4
	return ldar, ldar + 4, true
}

// Wake is the hook upstream TamaGo's newer runtime calls to wake a halted
// processor (goos.Wake, beside goos.Idle, in tamago-go 1.27), given its
// ProcID. tamago-go1.26.0 has no such hook, so yolk's scheduler calls the
// function it binds here itself (its doorbells); on a runtime that calls
// goos.Wake, BindWake sets that hook instead.
var Wake func(procid uint64)

// BindWake installs the wake-up hook (see Wake).
func BindWake(f func(procid uint64)) { Wake = f }
