//go:build tamago

package exception

import (
	"runtime"
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/esr"
)

// onGoroutine reports whether the exception interrupted an ordinary
// goroutine (not before the runtime, not the system stack) on its own
// stack: then a call can be injected into it.
func onGoroutine(f *Frame) bool {
	g := uintptr(f.X[28])
	if rt.Goroutine(g) == 0 {
		return false
	}
	sp := uintptr(f.SP)
	lo, hi := rt.StackBounds(g)
	return lo < sp-16 && sp <= hi
}

// Signal numbers recorded in g.sig, as Linux would report the fault; the
// runtime prints them in its "[signal ...]" line.
const (
	sigILL  = 4
	sigTRAP = 5
	sigBUS  = 7
	sigSEGV = 11
)

func signalOf(s esr.Syndrome) uint32 {
	switch s.EC() {
	case esr.ECUnknown:
		return sigILL
	case esr.ECBRK64:
		return sigTRAP
	case esr.ECPCAlignment, esr.ECSPAlignment:
		return sigBUS
	}
	if s.IsAbort() && s.IsAlignmentFault() {
		return sigBUS
	}
	return sigSEGV
}

// nilPage is the unmapped page at address 0: faults below it are NULL
// dereferences (the compiler relies on this for implicit nil checks).
const nilPage = 4096

// isNilDereference reports whether a fault is a load or store through a
// nil pointer (plus a small offset): an ordinary, recoverable Go panic.
func isNilDereference(s esr.Syndrome, far uint64) bool {
	return s.EC() == esr.ECDataAbortSame && s.IsTranslationFault() && s.FARValid() && far < nilPage
}

// inject makes the interrupted goroutine call runtime.sigpanic as if the
// faulting instruction had called it, the convention the runtime's
// unwinder expects for an injected call on a link-register machine
// (runtime/traceback.go, unwinder.next): the old LR is pushed below SP,
// LR becomes the faulting PC (unless that PC is not code: then the
// function that jumped there looks like the caller), and the function is
// recognised by its name. The fault is described in the g's signal fields,
// where the runtime's own sigpanic finds it on Linux; sigpanic takes no
// arguments, since a callee spills register arguments into its caller's
// frame, and the faulting frame has no room reserved for them.
func inject(f *Frame) {
	injectSignal(f, signalOf(esr.Syndrome(f.ESR)))
}

// sigAsync marks g.sig for an asynchronous exception (IRQ, FIQ, SError)
// that crashes the goroutine it interrupted; the low 4 bits are the
// vector entry (Kind). No Linux signal number has this bit.
const sigAsync = 0x100

// injectCrash makes the goroutine an asynchronous exception interrupted
// crash with its traceback. The exception stays masked (SPSR's A, I and
// F bits) so that it cannot be taken again on the way.
func injectCrash(f *Frame) {
	f.SPSR |= 0x1c0
	injectSignal(f, sigAsync|uint32(f.Kind))
}

func injectSignal(f *Frame, sig uint32) {
	rt.SetSignal(uintptr(f.X[28]), sig, f.ESR, f.FAR, f.ELR)

	from := f.X[30]
	if text, etext := runtime.TextRegion(); text <= f.ELR && f.ELR < etext {
		from = f.ELR
	}
	f.PushCall(uint64(rt.SigpanicPC()), from)
}

// PushCall makes the interrupted code, once the exception returns, run
// target as if called from the instruction at from: the old LR is pushed
// below SP, 16 bytes (the convention the runtime's unwinder and its
// asyncPreempt expect on a link-register machine), and LR becomes from.
func (f *Frame) PushCall(target, from uint64) {
	sp := uintptr(f.SP) - 16
	*(*uint64)(unsafe.Pointer(sp)) = f.X[30]
	f.SP = uint64(sp)
	f.X[30] = from
	f.ELR = target
}
