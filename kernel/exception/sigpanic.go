//go:build tamago

package exception

import (
	rt "github.com/yolkos/yolk/internal/goruntime"
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

func init() { rt.Sigpanic = sigpanic }

// sigpanic runs on the faulting goroutine, called by runtime.sigpanic
// (internal/goruntime), which the exception handler injected: the fault
// is in the goroutine's signal fields. A NULL dereference becomes a
// panic; anything else a fatal error, after the instruction is printed.
func sigpanic() (value any, fatal string) {
	sig, code0, far, pc := rt.Signal(rt.GetG())
	syndrome := esr.Syndrome(code0)
	if sig&sigAsync != 0 {
		printInstruction("interrupted instruction", uintptr(pc))
		return nil, "unexpected " + kindNames[sig&15]
	}
	if isNilDereference(syndrome, far) {
		return MemoryError{addr: uintptr(far), pc: uintptr(pc)}, ""
	}
	printInstruction("faulting instruction", uintptr(pc))
	return nil, faultName(syndrome)
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
