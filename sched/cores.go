//go:build tamago

package sched

import (
	"sync/atomic"
	"unsafe"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
)

// Core states.
const (
	absent   = iota // not started
	starting        // released by boot, not yet parked
	parked          // waiting in WFI for an M
	claimed         // taken by Task, M not yet published
	assigned        // M published, core waking up
	running         // running its M
)

type core struct {
	state    atomic.Uint32
	sleeping atomic.Uint32 // in Idle's WFI: 1, or 2 once a wake SGI is sent
	napping  atomic.Uint32 // in a timed wait's nap (nap.go)
	// idling is set from before Idle's WFI until just before Idle
	// delivers the events signalled meanwhile: a handler that signals
	// one while it is set needs no other core to deliver it.
	idling atomic.Uint32

	// The M handed over by Task (plain integers: no write barriers).
	sp, gp, fn uintptr

	// Halt polling (idle.go): how late a timer wakes the core from WFI,
	// average and mean deviation, in counts.
	wakeAvg, wakeDev uint64

	// Time slicing: the goroutine seen by the last tick and since when.
	sliceG     uintptr
	sliceStart uint64

	// Statistics, in counter ticks.
	idleCounts    atomic.Uint64
	wakeups       atomic.Uint64
	preempts      atomic.Uint64
	asyncPreempts atomic.Uint64
	polls         atomic.Uint64
	kicks         atomic.Uint64
}

var cores [exception.MaxCores]core

// ncores is the number of cores in use (boot core included).
var ncores atomic.Int32

// task is runtime/goos.Task: run the M (g0 gp, entry fn) on a parked core
// with stack pointer sp. It runs in newosproc, where write barriers are
// not allowed and the M may hold no P.
func task(sp, mp, gp, fn unsafe.Pointer) {
	for i := 1; i < int(ncores.Load()); i++ {
		c := &cores[i]
		if !c.state.CompareAndSwap(parked, claimed) {
			continue
		}
		c.sp, c.gp, c.fn = uintptr(sp), uintptr(gp), uintptr(fn)
		c.state.Store(assigned)
		wake(i)
		return
	}
	// Every core has an M: a tick will run this one in place of a parked
	// M (mswitch.go).
	if !queueM(uintptr(sp), uintptr(gp), uintptr(fn)) {
		rt.Throw("yolk: too many Ms waiting for a core")
	}
	ringParkedNapper()
}

// coreMain runs on a secondary core once boot has it at EL1 with the MMU
// on, on its exception stack as its handler g: no runtime calls here.
func coreMain(n int) {
	c := &cores[n]
	controller.InitCPU()
	enablePerCore()
	c.state.Store(parked)
	for {
		cpu.DisableIRQ()
		if c.state.Load() == assigned {
			break
		}
		cpu.WaitForInterrupt()
		cpu.EnableIRQ()
	}
	c.state.Store(running)
	armTick() // a busy core needs its tick from the first instruction
	enterM(c.sp, c.gp, c.fn, exception.StackTop(n))
}

// enterM switches to the M's stack and g and jumps to fn (core_arm64.s).
func enterM(sp, gp, fn, excTop uintptr)

// procID is runtime/goos.ProcID: the core an M runs on.
func procID() uint64 { return uint64(cpu.Index()) }
