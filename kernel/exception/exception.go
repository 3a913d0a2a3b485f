//go:build tamago

// Package exception owns the EL1 exception vectors: it saves the
// interrupted context on the core's exception stack, dispatches, and for
// faults either turns them into Go panics (NULL dereferences, as on Linux)
// or prints a crash report and stops the machine with a non-zero status.
//
// Go code runs on SP_EL0 (EL1t); exceptions switch to SP_EL1, a small
// per-core stack, so a fault on an exhausted goroutine stack can still be
// reported. Handlers are ordinary Go functions: the vector code points R28
// at the core's handler g, a stand-in for the runtime's g that carries only
// the exception stack's bounds, so stack checks pass. It has no m, so a
// handler must not call into the runtime (no print, no allocation, no
// pointer stores that need write barriers): it works on plain values and
// writes through goos.Printk.
package exception

import (
	"runtime/goos"
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/esr"
)

// Frame is the interrupted context, laid out by vectors_arm64.s.
type Frame struct {
	X    [31]uint64 // x0..x30
	SP   uint64     // SP_EL0, or SP_EL1 above the frame for entries 4-7
	ELR  uint64
	SPSR uint64
	ESR  uint64
	FAR  uint64
	Kind uint64 // vector entry, 0..15
	_    uint64 // keeps the frame a multiple of 16 bytes
}

// Vector entries (Kind), in table order.
const (
	SyncSP0 = iota
	IRQSP0
	FIQSP0
	SErrorSP0
	SyncSPx
	IRQSPx
	FIQSPx
	SErrorSPx
	SyncLower
)

var kindNames = [16]string{
	"synchronous exception", "IRQ", "FIQ", "SError",
	"synchronous exception on the exception stack", "IRQ on the exception stack", "FIQ on the exception stack", "SError on the exception stack",
	"synchronous exception from EL0", "IRQ from EL0", "FIQ from EL0", "SError from EL0",
	"synchronous exception from AArch32", "IRQ from AArch32", "FIQ from AArch32", "SError from AArch32",
}

// MaxCores is how many cores have exception stacks.
const MaxCores = 32

// StackSize is each core's exception stack. Boot carves the stacks out of
// RAM (they need no clearing, unlike .bss).
const StackSize = 1 << StackShift

// StackShift is log2(StackSize), for assembly.
const StackShift = 14

// StackTop is the initial SP_EL1 of a core.
//
//go:nosplit
func StackTop(core int) uintptr { return handlerGs[core].stackHi }

// VectorTable is the address for VBAR_EL1 (vectors_arm64.s).
func VectorTable() uintptr

// IRQ, when set, handles IRQs (the interrupt controller's dispatcher).
// It runs on the exception stack: nosplit all the way down.
var IRQ func(f *Frame)

// fixups are PCs of instructions that may be undefined on this machine
// (a semihosting HLT without a host): the handler skips them and sets
// x0 = ^0 instead of crashing.
var fixups [4]uintptr

// SkipIfUndefined registers pc as an instruction to skip, with x0 = ^0,
// if it turns out to be undefined.
//
//go:nosplit
func SkipIfUndefined(pc uintptr) {
	for i, f := range fixups {
		if f == pc {
			return
		}
		if f == 0 {
			fixups[i] = pc
			return
		}
	}
}

// handlerG is the runtime g layout as far as stack checks read it
// (stack.lo, stack.hi, stackguard0, stackguard1, and m), padded well past
// the fields a function prologue or traceback could touch; the
// compile-time checks below hold each at the runtime's offset
// (internal/goruntime).
type handlerG struct {
	stackLo, stackHi         uintptr
	stackGuard0, stackGuard1 uintptr
	_                        [2]uintptr
	m                        uintptr // g.m: 0, or lent by LendM
	_                        [57]uintptr
}

// Each handler g field sits at the runtime's offset: both array lengths
// of each pair must be non-negative.
var (
	_ [rt.GStackLo - unsafe.Offsetof(handlerG{}.stackLo)]struct{}
	_ [unsafe.Offsetof(handlerG{}.stackLo) - rt.GStackLo]struct{}
	_ [rt.GStackHi - unsafe.Offsetof(handlerG{}.stackHi)]struct{}
	_ [unsafe.Offsetof(handlerG{}.stackHi) - rt.GStackHi]struct{}
	_ [rt.GStackguard0 - unsafe.Offsetof(handlerG{}.stackGuard0)]struct{}
	_ [unsafe.Offsetof(handlerG{}.stackGuard0) - rt.GStackguard0]struct{}
	_ [rt.GStackguard1 - unsafe.Offsetof(handlerG{}.stackGuard1)]struct{}
	_ [unsafe.Offsetof(handlerG{}.stackGuard1) - rt.GStackguard1]struct{}
	_ [rt.GM - unsafe.Offsetof(handlerG{}.m)]struct{}
	_ [unsafe.Offsetof(handlerG{}.m) - rt.GM]struct{}
)

// HandlerGShift is log2(unsafe.Sizeof(handlerG{})), for assembly.
const HandlerGShift = 9

var handlerGs [MaxCores]handlerG

// stackGuard leaves room below the guard for the nosplit functions that
// may run without a check (the runtime's own StackGuard is 928 bytes).
const stackGuard = 1024

// InitCore gives core the exception stack [stack, stack+StackSize) and
// prepares its handler g; the core then sets SP_EL1 to StackTop(core).
// Called before the core takes exceptions.
//
//go:nosplit
func InitCore(core int, stack uintptr) {
	g := &handlerGs[core]
	g.stackLo = stack
	g.stackHi = stack + StackSize
	g.stackGuard0 = g.stackLo + stackGuard
	g.stackGuard1 = g.stackGuard0
}

// LendM makes m the m of core's handler g, or takes it back (m = 0). A
// handler may then call the few runtime functions that read getg().m, as
// the runtime's signal handler does on the interrupted M's gsignal: the
// symbol table lookups behind runtime.isAsyncSafePoint (pcvalue's cache).
//
//go:nosplit
func LendM(core int, m uintptr) { handlerGs[core].m = m }

// interruptedG is the g an IRQ interrupted, per core (an integer: no
// write barriers on the handler g).
var interruptedG [MaxCores]uintptr

// irqFrame is the saved context of the current IRQ, per core.
var irqFrame [MaxCores]uintptr

// IRQFrame is the saved context of the IRQ core is handling: a handler
// may change it to return somewhere else (sched switches Ms this way).
func IRQFrame(core int) *Frame { return (*Frame)(unsafe.Pointer(irqFrame[core])) }

// InterruptedG is the g register of the code the current IRQ on core
// interrupted (a goroutine, a g0, or 0 before the runtime started).
func InterruptedG(core int) uintptr { return interruptedG[core] }

// depth counts exceptions being handled per core: a fault inside the
// handler must not recurse.
var depth [MaxCores]uint32

// handle is called by vectors_arm64.s with the saved context.
func handle(f *Frame) {
	core := cpu.Index()
	depth[core]++
	if depth[core] > 2 {
		// A fault while reporting a fault: say so with no more help.
		out("\nyolk: nested fault in the exception handler\n")
		stop(3)
	}
	switch f.Kind {
	case SyncSP0, SyncSPx:
		synchronous(f)
	case IRQSP0, IRQSPx:
		interruptedG[core] = uintptr(f.X[28])
		irqFrame[core] = uintptr(unsafe.Pointer(f))
		if IRQ != nil {
			IRQ(f)
			break
		}
		crash(f, "unexpected IRQ (no interrupt controller driver)")
	default:
		crash(f, kindNames[f.Kind])
	}
	depth[core]--
}

func synchronous(f *Frame) {
	s := esr.Syndrome(f.ESR)
	if s.EC() == esr.ECUnknown {
		for _, pc := range fixups {
			if pc != 0 && uint64(pc) == f.ELR {
				f.X[0] = ^uint64(0)
				f.ELR += 4
				return
			}
		}
	}
	if f.Kind == SyncSP0 && onGoroutine(f) {
		// A NULL dereference becomes a Go panic; for anything else print
		// what only the handler can see, then let the goroutine print its
		// own traceback.
		if !isNilDereference(s, f.FAR) {
			report(f, "fatal exception")
		}
		inject(f)
		return
	}
	fatal(f, "fatal exception")
}

// crash reports an exception nothing handles (SError, FIQ, an IRQ before
// the interrupt controller's driver). If it interrupted a goroutine, the
// goroutine then crashes with the interrupted instruction disassembled and
// its traceback (injectCrash); otherwise the machine stops here.
func crash(f *Frame, what string) {
	if f.Kind&^3 == SyncSP0 && onGoroutine(f) {
		report(f, what)
		injectCrash(f)
		return
	}
	fatal(f, what)
}

// fatal reports an exception that cannot be handed to a goroutine and
// stops the machine.
func fatal(f *Frame, what string) {
	report(f, what)
	out("  no Go traceback: the exception did not happen on a goroutine stack\n")
	stop(2)
}

// stop ends the machine with a non-zero status.
func stop(code int32) {
	if goos.Exit != nil {
		goos.Exit(code)
	}
	for {
		cpu.WaitForInterrupt()
	}
}

// HandlerGSize is the size of a handler g (for the layout test).
func HandlerGSize() uintptr { return unsafe.Sizeof(handlerG{}) }
