//go:build tamago

package sched

import (
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/exception"
)

// Asynchronous preemption. A goroutine in a loop without function calls
// never reaches a stack check, so setting g.preempt alone never stops it:
// it would starve its core, and a stop-the-world would wait for it
// forever. On Linux the runtime interrupts such a goroutine with a signal
// and, if the interrupted PC is an asynchronous safe point, makes it call
// runtime.asyncPreempt there (doSigPreempt in runtime/signal_unix.go).
// The tick does the same from the timer interrupt: whenever the goroutine
// it interrupted is asked to yield (by the tick's own time slice or by
// the runtime: suspendG, preemptall), and the runtime says the PC is safe,
// the IRQ returns into asyncPreempt instead, which saves every register
// and yields (asyncPreempt2). A goroutine asked to stop is thus stopped
// within a tick, calls or not.
//
// isAsyncSafePoint reads getg().m (pcvalue's cache), so the handler g
// borrows the interrupted M for the call, as the runtime's gsignal would
// be; and it may use FP/SIMD registers, which the exception entry does not
// save, so they are saved around it.

var (
	asyncOff bool                        // yolk.preempt=call
	asyncFP  [exception.MaxCores]fpState // FP registers during the check
)

// maybeAsyncPreempt makes the goroutine g, interrupted by the IRQ whose
// frame is f on core n, call runtime.asyncPreempt if it is asked to yield
// and stopped at a safe point.
func maybeAsyncPreempt(n int, f *exception.Frame, g uintptr) {
	if asyncOff || f.Kind != exception.IRQSP0 {
		return
	}
	gp := unsafe.Pointer(g)
	if !rt.WantAsyncPreempt(gp) {
		return
	}
	saveFP(&asyncFP[n])
	exception.LendM(n, rt.MOf(g))
	ok, resume := rt.IsAsyncSafePoint(gp, uintptr(f.ELR), uintptr(f.SP), uintptr(f.X[30]))
	exception.LendM(n, 0)
	restoreFP(&asyncFP[n])
	if !ok {
		return
	}
	// As if the instruction at resume called asyncPreempt, which restores
	// LR and SP before it returns there.
	f.PushCall(uint64(rt.AsyncPreemptPC()), uint64(resume))
	cores[n].asyncPreempts.Add(1)
}
