//go:build tamago

package exception

import (
	"runtime"
	"unsafe"

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
func sigpanic() {
	gp, _ := runtime.GetG()
	g := uintptr(gp)
	syndrome := esr.Syndrome(*(*uint64)(unsafe.Pointer(g + gSigcode0)))
	far := *(*uint64)(unsafe.Pointer(g + gSigcode1))
	pc := *(*uint64)(unsafe.Pointer(g + gSigpc))
	if sig := *(*uint32)(unsafe.Pointer(g + gSig)); sig&sigAsync != 0 {
		printInstruction("interrupted instruction", uintptr(pc))
		throw("unexpected " + kindNames[sig&15])
	}
	if isNilDereference(syndrome, far) {
		panic(MemoryError{addr: uintptr(far), pc: uintptr(pc)})
	}
	printInstruction("faulting instruction", uintptr(pc))
	throw(faultName(syndrome))
}

// faultName is the one-line reason the runtime prints as "fatal error".
func faultName(s esr.Syndrome) string {
	switch {
	case s.EC() == esr.ECUnknown:
		return "undefined instruction"
	case s.IsAbort() && s.IsPermissionFault():
		if s.IsInstructionAbort() {
			return "execute from non-executable memory"
		}
		if s.IsWrite() {
			return "write to read-only memory"
		}
		return "read of protected memory"
	case s.IsAbort() && s.IsTranslationFault():
		return "unexpected fault address (not mapped)"
	}
	return "unexpected exception: " + s.ClassName()
}
