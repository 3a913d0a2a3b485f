// Package gic drives the Arm Generic Interrupt Controller, version 2
// (IHI 0048B) or 3 (IHI 0069; a GICv4 is driven as a GICv3), as the
// interrupt controller of a non-secure EL1 kernel: one Controller type,
// whose version comes from the device tree.
//
// Start-up, in this order:
//
//	c, err := gic.New(*machine.GIC)
//	err = c.Init()           // once, on the boot core: the Distributor
//	c.InitCPU()              // on every core, the boot core included
//	c.Handle(intid, handler) // before enabling
//	c.Enable(intid)          // SGIs and PPIs: on every core that takes them
//	exception.IRQ = c.Dispatch
//	if err := c.Err(); err != nil { ... }
//
// Every interrupt is level-sensitive unless SetTrigger says otherwise,
// has DefaultPriority, and (for SPIs) goes to the boot core until RouteSPI
// moves it. SGIs and PPIs belong to a core: Enable, Disable, SetPriority,
// SetTrigger, SetPending and ClearPending act on the calling core's copy
// of them.
//
// Only New and Init return errors. The other methods run in interrupt
// handlers and on cores being brought up, where a misuse is a bug to
// report rather than a condition to handle: they record it for Err and
// change nothing.
//
// The virtual timer, kernel/timer's per-core deadline, interrupts through
// the PPI the device tree names (devicetree.Timer.Virtual, INTID 27 on
// QEMU's virt).
//
// # Groups
//
// On a GICv3 every interrupt is in Group 1 (Non-secure Group 1 when the
// GIC has two Security states), acknowledged through ICC_IAR1_EL1. A
// GICv2's CPU interface acknowledges through GICC_IAR the group that its
// view of the GIC calls its own: on a GIC with the Security Extensions,
// seen from the Non-secure state, that is Group 1, and the group
// registers are RAZ/WI (the firmware put everything in Group 1); on a GIC
// without them (QEMU's virt) it is Group 0, signalled as IRQ since
// GICC_CTLR.FIQEn is 0 (IHI 0048B 3.4, "The effect of interrupt grouping
// on interrupt handling"; 4.4.4 GICC_IAR). In Group 1 there they would
// need the deprecated GICC_CTLR.AckCtl to be acknowledged: with AckCtl 0,
// GICC_IAR returns 1022 for them, and QEMU does not implement the aliased
// GICC_AIAR (it reads as 0). Group 0 needs neither, and the same code
// serves both cases.
//
// # Interrupt handlers
//
// Dispatch and the handlers it calls run on the core's exception stack
// with IRQs masked, as a "handler g" that has no m (kernel/exception):
// they may not call into the Go runtime. No allocation (no append, no
// new, no closures that escape, no string concatenation, no conversions
// to interfaces), no print or println, no maps, no channels, no defer,
// no locks from sync, no stores of pointers to globals or the heap
// (write barriers), no panics (which includes index out of range and nil
// dereferences), no floating point (the exception entry saves only the
// general-purpose registers), and a small stack. Plain arrays, integer
// fields and sync/atomic on integers are fine, as are the functions of
// this package marked safe for handlers, kernel/timer's deadline
// functions and kernel/cpu.
//
// # Counters
//
// Dispatch counts, per core, every interrupt it acknowledges: INTIDs
// below CountedINTIDs one by one, the rest in one shared bucket, and
// separately the unhandled ones (no handler installed: they are ended
// and otherwise ignored, not disabled) and the spurious IRQ exceptions
// (nothing to acknowledge). Counters are 64-bit atomics in fixed arrays
// inside the Controller: MaxCores * (CountedINTIDs + 3) * 8 bytes, about
// 66 KiB, allocated once by New; counting all 1020 INTIDs would take four
// times that for interrupts that no supported board has.
package gic

import (
	"errors"
	"sync/atomic"

	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/kernel/cpu"
)

// MaxCores is how many cores the controller keeps state for; it equals
// kernel/exception.MaxCores (checked where both are built).
const MaxCores = 32

// Dispatch indexes the per-core state with cpu.Index()&(MaxCores-1), so
// MaxCores must be a power of two (this fails to compile otherwise).
var _ = [1]struct{}{}[MaxCores&(MaxCores-1)]

// CountedINTIDs is how many INTIDs, from 0, have a counter of their own:
// the SGIs, the PPIs and the first 224 SPIs. Interrupts with a larger
// INTID share one counter per core, reported as OtherINTIDs.
const CountedINTIDs = 256

// OtherINTIDs is the INTID Counts reports for the shared counter of the
// INTIDs at and above CountedINTIDs.
const OtherINTIDs = ^uint32(0)

// DefaultPriority is every interrupt's priority after Init and InitCPU:
// the middle of the range, with room above for urgent interrupts. Lower
// values are more urgent; GICs implement at least the top 4 bits (16
// levels), so priorities should differ there (IHI 0048B 3.3; IHI 0069
// 4.8, "Interrupt prioritization").
const DefaultPriority = 0xa0

// Errors. Init returns them; the other methods have no result (they run
// in interrupt handlers and on cores being brought up, and the scheduler's
// interface to the controller has none), so a misuse (an INTID out of
// range, a core without InitCPU) does nothing but record its error, which
// Err reports. Recording is an atomic store of a small integer: safe in
// handlers.
var (
	ErrBadINTID       = errors.New("gic: INTID out of range for this operation")
	ErrCoreOffline    = errors.New("gic: core has not run InitCPU")
	ErrBadCore        = errors.New("gic: core index out of range")
	ErrNoRedist       = errors.New("gic: no Redistributor matches this core's MPIDR_EL1")
	ErrNoSysRegs      = errors.New("gic: GICv3 without the CPU interface System registers (ID_AA64PFR0_EL1.GIC == 0)")
	ErrSREDisabled    = errors.New("gic: ICC_SRE_EL1.SRE stays 0: a higher exception level disabled the System register interface")
	ErrTimeout        = errors.New("gic: register write pending for more than a second (RWP or ChildrenAsleep stuck)")
	ErrNotInitialized = errors.New("gic: Init has not run")
	ErrUnreachable    = errors.New("gic: the CPU interface cannot target this core's affinity (Aff0 > 15 without ICC_CTLR_EL1.RSS)")
)

// errs maps the codes the methods pass around (no interface values on
// the handler g) to the errors; code 0 is success.
var errs = [...]error{nil, ErrBadINTID, ErrCoreOffline, ErrBadCore, ErrNoRedist,
	ErrNoSysRegs, ErrSREDisabled, ErrTimeout, ErrNotInitialized, ErrUnreachable}

const (
	ok = iota
	eBadINTID
	eCoreOffline
	eBadCore
	eNoRedist
	eNoSysRegs
	eSREDisabled
	eTimeout
	eNotInitialized
	eUnreachable
)

// fail records code as the controller's error; it returns code.
//
//go:nosplit
func (c *Controller) fail(code uint32) uint32 {
	if code != ok {
		atomic.StoreUint32(&c.err, code)
	}
	return code
}

// Err is the error most recently recorded by a method (see the Errors
// above), nil if there was none since New or ClearErr.
func (c *Controller) Err() error { return errs[atomic.LoadUint32(&c.err)%uint32(len(errs))] }

// ClearErr forgets the recorded error.
func (c *Controller) ClearErr() { atomic.StoreUint32(&c.err, ok) }

// Controller is one GIC: its Distributor, and per core its CPU interface
// (and on a GICv3 its Redistributor). Its methods may be called from any
// core once InitCPU has run there.
type Controller struct {
	// First, so that it starts page aligned (New allocates a large
	// object) and each core's state starts a cache line.
	cores [MaxCores]coreState

	version int
	dist    uintptr
	cpuif   uintptr                 // GICv2 GICC
	redist  []devicetree.Range      // GICv3 Redistributor regions
	lines   uint32                  // INTIDs the Distributor implements, 0 before Init
	secExt  bool                    // GICD_TYPER.SecurityExtn: two Security states (we see the Non-secure one)
	lock    uint32                  // spin lock for read-modify-write of GICD_ICFGR
	err     uint32                  // error code recorded by the last failing method
	edge    [MaxINTID/32 + 1]uint32 // INTIDs configured edge-triggered (SetTrigger)

	handlers [MaxINTID]func(intid uint32)
}

// coreState is what one core recorded in InitCPU and its counters, padded
// to a multiple of a cache line so that cores count without sharing one.
type coreState struct {
	online uint32  // InitCPU has completed
	mask   uint32  // GICv2: this core's CPU interface bit in GICD_ITARGETSR/SGIR
	mpidr  uint64  // GICv3: this core's MPIDR_EL1, for GICD_IROUTER and ICC_SGI1R_EL1
	rd     uintptr // GICv3: this core's Redistributor (RD_base)
	rss    uint32  // GICv3: ICC_CTLR_EL1.RSS

	counts    [CountedINTIDs]uint64
	other     uint64
	unhandled uint64
	spurious  uint64

	_ [8]byte // to a multiple of 64 bytes (TestCoreStateSize)
}

// New describes the GIC the device tree names; it does not touch the
// hardware. It fails for versions other than 2 and 3 and when a register
// region the version needs is missing.
func New(d devicetree.GIC) (*Controller, error) {
	c := &Controller{version: d.Version, dist: uintptr(d.Distributor.Base)}
	if d.Distributor.Size == 0 {
		return nil, errors.New("gic: the device tree gives no Distributor (GICD) region")
	}
	switch d.Version {
	case 2:
		if d.CPUInterface.Size == 0 {
			return nil, errors.New("gic: the device tree gives no GICv2 CPU interface (GICC) region")
		}
		c.cpuif = uintptr(d.CPUInterface.Base)
	case 3:
		for _, r := range d.Redistributors {
			if r.Size != 0 {
				c.redist = append(c.redist, r)
			}
		}
		if len(c.redist) == 0 {
			return nil, errors.New("gic: the device tree gives no GICv3 Redistributor (GICR) region")
		}
	default:
		return nil, errors.New("gic: unsupported GIC version " + itoa(d.Version) + " (" + d.Compatible + ")")
	}
	return c, nil
}

// Version is the GIC architecture version driven: 2 or 3.
func (c *Controller) Version() int { return c.version }

// Lines is the number of INTIDs the Distributor implements (a multiple
// of 32, at most 1020), known after Init.
func (c *Controller) Lines() uint32 { return c.lines }

// SecurityExtensions reports whether the GIC has two Security states
// (GICD_TYPER.SecurityExtn), of which this kernel sees the Non-secure
// one; known after Init.
func (c *Controller) SecurityExtensions() bool { return c.secExt }

// Handle installs h as the handler of intid (below MaxINTID), or removes
// it if h is nil. Install the handler before enabling the interrupt, from
// a goroutine: the store is a pointer store, not allowed in a handler.
// The handler runs in interrupt context (see the package documentation),
// with the INTID acknowledged before and ended after it returns; for a
// level-sensitive interrupt it must have quieted the source by then. The
// table is shared by all cores.
func (c *Controller) Handle(intid uint32, h func(intid uint32)) {
	if intid >= MaxINTID {
		c.fail(eBadINTID)
		return
	}
	c.handlers[intid] = h
}

// IntCount is one counter of a core: INTID (OtherINTIDs for the shared
// counter of the INTIDs at and above CountedINTIDs) and how many times
// Dispatch acknowledged it.
type IntCount struct {
	INTID uint32
	Count uint64
}

// core returns the state of core, or nil for an index out of range.
//
//go:nosplit
func (c *Controller) core(core int) *coreState {
	if uint(core) >= MaxCores {
		return nil
	}
	return &c.cores[core]
}

// Count is how many times core acknowledged intid; for an INTID at or
// above CountedINTIDs, the count of all of them together. Safe in
// handlers.
//
//go:nosplit
func (c *Controller) Count(core int, intid uint32) uint64 {
	s := c.core(core)
	if s == nil {
		return 0
	}
	if intid < CountedINTIDs {
		return atomic.LoadUint64(&s.counts[intid])
	}
	return atomic.LoadUint64(&s.other)
}

// Spurious is how many IRQ exceptions core took with nothing to
// acknowledge (INTID 1023 on the first acknowledge). Safe in handlers.
//
//go:nosplit
func (c *Controller) Spurious(core int) uint64 {
	if s := c.core(core); s != nil {
		return atomic.LoadUint64(&s.spurious)
	}
	return 0
}

// Unhandled is how many interrupts core acknowledged with no handler
// installed. Safe in handlers.
//
//go:nosplit
func (c *Controller) Unhandled(core int) uint64 {
	if s := c.core(core); s != nil {
		return atomic.LoadUint64(&s.unhandled)
	}
	return 0
}

// Counts lists core's non-zero per-INTID counters in INTID order, the
// shared counter last (as OtherINTIDs). It allocates: call it from a
// goroutine.
func (c *Controller) Counts(core int) []IntCount {
	s := c.core(core)
	if s == nil {
		return nil
	}
	var l []IntCount
	for i := range s.counts {
		if n := atomic.LoadUint64(&s.counts[i]); n != 0 {
			l = append(l, IntCount{uint32(i), n})
		}
	}
	if n := atomic.LoadUint64(&s.other); n != 0 {
		l = append(l, IntCount{OtherINTIDs, n})
	}
	return l
}

// Online reports whether InitCPU has completed on core. Safe in handlers.
//
//go:nosplit
func (c *Controller) Online(core int) bool { return c.online(core) != nil }

// online returns core's state if InitCPU has completed there.
//
//go:nosplit
func (c *Controller) online(core int) *coreState {
	s := c.core(core)
	if s == nil || atomic.LoadUint32(&s.online) == 0 {
		return nil
	}
	return s
}

// self is the calling core's state; nil if InitCPU has not run here.
//
//go:nosplit
func (c *Controller) self() *coreState { return c.online(cpu.Index()) }

func itoa(v int) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}
