//go:build tamago

package sched

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/goos"
	"time"

	"github.com/yolkos/yolk/boot"
	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/timer"
)

// Controller is what sched needs of the interrupt controller. Its methods
// may run on a handler g (see kernel/exception): no runtime calls.
type Controller interface {
	InitCPU()
	Enable(intid uint32)
	Handle(intid uint32, h func(intid uint32))
	SendSGI(intid uint32, core int)
}

var (
	controller Controller
	timerIRQ   uint32 // the core timer's INTID
)

// wakeSGI is the software-generated interrupt that wakes a core.
const wakeSGI = 1

// enablePerCore enables this core's timer interrupt and every SGI. SGIs
// are raised only by software, so they are all on, on every core (as a
// GICv2 that cannot disable them has them anyway): a handler installed
// with Handle then receives an SGI on whichever core it is sent to.
func enablePerCore() {
	controller.Enable(timerIRQ)
	for sgi := uint32(0); sgi < 16; sgi++ {
		controller.Enable(sgi)
	}
}

// Config tunes the scheduler glue.
type Config struct {
	Tick    time.Duration // period of a busy core's timer interrupt
	Quantum time.Duration // time slice before preemption
	// IdlePoll makes Idle return at once, so idle cores spin in the
	// scheduler as with TamaGo's default governor: for comparisons only.
	IdlePoll bool
	// CallPreemptOnly turns asynchronous preemption off: a goroutine then
	// yields only at a function call (for comparisons).
	CallPreemptOnly bool
	// NoHaltPoll makes Idle sleep until a timer's deadline itself, not
	// a wake-up delay earlier with polling after (idle.go): for
	// comparisons.
	NoHaltPoll bool
	// KickAtTick leaves a sleeping core asleep until a busy core's tick
	// when goroutines queue up, instead of waking it from OnNanotime
	// after kickGrace: for comparisons.
	KickAtTick bool
	// SpinWaits keeps the runtime's waits spinning instead of napping
	// (nap.go): for comparisons.
	SpinWaits bool
}

// DefaultConfig is used for zero fields.
var DefaultConfig = Config{Tick: time.Millisecond, Quantum: 10 * time.Millisecond}

var (
	tickCounts, quantumCounts uint64
	quantumNanos              int64
	idlePoll                  bool
	haltPollOff               bool
	kickOff                   bool
	maxWakeAdvanceC           uint64
)

// Setup installs the hooks on the boot core, before any secondary core
// starts: c is already initialised (distributor and this core's
// interface), timerINTID is the core timer's interrupt.
func Setup(c Controller, timerINTID uint32, cfg Config) {
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultConfig.Tick
	}
	if cfg.Quantum <= 0 {
		cfg.Quantum = DefaultConfig.Quantum
	}
	idlePoll = cfg.IdlePoll
	asyncOff = cfg.CallPreemptOnly
	napOff = cfg.SpinWaits
	haltPollOff = cfg.NoHaltPoll
	kickOff = cfg.KickAtTick
	kickGraceC = timer.NanosToCounts(kickGrace)
	maxWakeAdvanceC = timer.NanosToCounts(maxWakeAdvance)
	tickCounts = timer.NanosToCounts(int64(cfg.Tick))
	quantumCounts = timer.NanosToCounts(int64(cfg.Quantum))
	quantumNanos = int64(cfg.Quantum)
	controller, timerIRQ = c, timerINTID
	dispatch = exception.IRQ
	exception.IRQ = irq
	c.Handle(timerINTID, onTimer)
	c.Handle(wakeSGI, onWake)
	enablePerCore()
	cores[0].state.Store(running)
	ncores.Store(1)
	boot.CoreMain = coreMain
	goos.Idle = idle
	goos.ProcID = procID
	rt.BindWake(wakeCPU)
	armTick()
	cpu.EnableIRQ()
}

// StartCores starts the secondary cores whose MPIDR affinities are given
// (the boot core excluded) with s, waits until each is parked and then
// gives the Go scheduler one P per core. It must run on a goroutine (it
// calls runtime.GOMAXPROCS).
func StartCores(s boot.Starter, mpidrs []uint64) error {
	if controller == nil {
		return errors.New("sched: Setup has not run")
	}
	if 1+len(mpidrs) > exception.MaxCores {
		return fmt.Errorf("sched: %d cores, at most %d supported", 1+len(mpidrs), exception.MaxCores)
	}
	goos.Task = task
	initNaps()
	n := 1
	for _, mpidr := range mpidrs {
		cores[n].state.Store(starting)
		ncores.Store(int32(n + 1))
		if err := boot.StartCore(s, n, mpidr); err != nil {
			cores[n].state.Store(absent)
			ncores.Store(int32(n))
			return fmt.Errorf("sched: starting core %d: %w", n, err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for cores[n].state.Load() != parked {
			if time.Now().After(deadline) {
				return fmt.Errorf("sched: core %d (mpidr %#x) did not come up within 2s", n, mpidr)
			}
			runtime.Gosched()
		}
		n++
	}
	rt.SetNumCPU(int32(n))
	runtime.GOMAXPROCS(n)
	return nil
}

// dispatch is the interrupt controller's IRQ handler, which irq wraps.
var dispatch func(*exception.Frame)

// irq handles an IRQ: the controller's handlers first, then, after their
// end of interrupt, a nap if the tick asked for one.
func irq(f *exception.Frame) {
	dispatch(f)
	afterIRQ()
}

// NumCores is the number of cores yolk runs on.
func NumCores() int { return int(ncores.Load()) }
