//go:build tamago

package exception

import (
	"runtime/goos"
	_ "unsafe" // go:linkname

	"github.com/yolkos/yolk/kernel/esr"
)

// MemoryError is the panic value of a NULL dereference. Like the runtime's
// own, it is a runtime.Error with the same message as on Linux.
type MemoryError struct {
	addr, pc uintptr
}

func (e MemoryError) Error() string {
	return "runtime error: invalid memory address or nil pointer dereference"
}

// RuntimeError marks MemoryError as a runtime.Error.
func (MemoryError) RuntimeError() {}

// Addr is the faulting address.
func (e MemoryError) Addr() uintptr { return e.addr }

// PC is the faulting instruction.
func (e MemoryError) PC() uintptr { return e.pc }

//go:linkname throw runtime.throw
func throw(s string)

// sigpanic runs on the faulting goroutine, injected by the exception
// handler. It must be named runtime.sigpanic: the runtime's unwinder
// recognises that name (funcID) and then unwinds through the faulting
// frame exactly, so tracebacks and recover work as for a Linux signal.
//
//go:linkname sigpanic runtime.sigpanic
func sigpanic(kind, syndrome, far, elr uint64) {
	if kind == kindNil {
		panic(MemoryError{addr: uintptr(far), pc: uintptr(elr)})
	}
	printInstruction(uintptr(elr))
	msg := "unexpected exception"
	if goos.Exit != nil {
		msg = esr.Syndrome(syndrome).ClassName()
	}
	throw(msg)
}
