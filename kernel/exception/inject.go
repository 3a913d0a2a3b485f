//go:build tamago

package exception

import "unsafe"

// Offsets into the runtime's g and m for tamago-go1.26.0
// (src/runtime/runtime2.go), checked under QEMU by TestRuntimeOffsets.
const (
	gStackLo = 0  // g.stack.lo
	gStackHi = 8  // g.stack.hi
	gM       = 48 // g.m
	mG0      = 0  // m.g0
)

//go:nosplit
func word(a uintptr) uintptr { return *(*uintptr)(unsafe.Pointer(a)) }

// onGoroutine reports whether the exception interrupted an ordinary
// goroutine on its own stack: then a call can be injected into it.
//
func onGoroutine(f *Frame) bool {
	g := uintptr(f.X[28])
	if g == 0 {
		return false
	}
	m := word(g + gM)
	if m == 0 || word(m+mG0) == g {
		return false // no runtime yet, or the system stack
	}
	sp := uintptr(f.SP)
	return word(g+gStackLo) < sp-16 && sp <= word(g+gStackHi)
}

// What sigpanic is asked to do.
const (
	kindNil   = 1 // NULL dereference: a recoverable runtime error
	kindFatal = 2 // anything else: disassemble, traceback, stop
)

// inject makes the interrupted goroutine call runtime.sigpanic as if the
// faulting instruction had called it, the convention the runtime's
// unwinder expects for an injected call on a link-register machine
// (runtime/traceback.go, unwinder.next): the old LR is pushed below SP,
// LR becomes the faulting PC and the function is recognised by name.
//
func inject(f *Frame, kind uint64) {
	sp := uintptr(f.SP) - 16
	*(*uint64)(unsafe.Pointer(sp)) = f.X[30]
	f.SP = uint64(sp)
	f.X[30] = f.ELR
	// sigpanic's arguments, in ABIInternal registers.
	f.X[0], f.X[1], f.X[2], f.X[3] = kind, f.ESR, f.FAR, f.ELR
	f.ELR = uint64(sigpanicPC)
}

var sigpanicFunc = sigpanic

// sigpanicPC is sigpanic's ABIInternal entry: the code pointer of its func
// value (a func value points to a word holding the entry PC).
var sigpanicPC = **(**uintptr)(unsafe.Pointer(&sigpanicFunc))
