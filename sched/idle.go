//go:build tamago

package sched

import (
	"math"
	"sync/atomic"

	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/timer"
)

// idle is runtime/goos.Idle, called by findRunnable on the M's g0 (with
// its P) when there is nothing to run. pollUntil is the earliest timer in
// nanotime units, 0 if there is none (math.MaxInt64 in upstream TamaGo's
// newer runtime: taken as none too).
//
// Halt polling: a core woken by its timer from WFI runs some tens of
// microseconds after the deadline under QEMU (the host's timer slack and
// thread wake-up), so Idle programs the timer that much early, an
// adaptive estimate of the wake-up delay per core (as KVM's adaptive
// lapic_timer_advance_ns does for its guests), and returns at once
// (findRunnable polls its timers again) when the deadline is nearer than
// that: the goroutine runs within a scheduler loop of its deadline. A
// core with no timer sleeps without a deadline, as before: an idle guest
// costs no more. yolk.haltpoll=off sleeps to the deadline itself.
func idle(pollUntil int64) {
	if idlePoll {
		deliverEvents()
		return
	}
	n := cpu.Index()
	c := &cores[n]
	if napping.Load() != 0 {
		ringNappers()
	}
	if pollUntil == math.MaxInt64 {
		pollUntil = 0
	}
	var wake uint64
	if pollUntil != 0 {
		dl := timer.DeadlineFor(pollUntil)
		wake = dl
		if !haltPollOff {
			// The clock as the runtime just read it (findRunnable
			// checked its timers): no counter read, which takes QEMU's
			// global lock, on a path that may poll.
			adv := c.wakeAvg + 2*c.wakeDev
			if pollUntil-timer.Recent() <= timer.CountsToNanos(adv) {
				// The deadline is nearer than a halt's wake-up: poll.
				c.polls.Add(1)
				pollUntilDeadline(dl)
				deliverEvents()
				return
			}
			wake = dl - adv
		}
		timer.SetDeadline(wake)
	} else {
		timer.Stop()
	}
	start := cpu.Counter()
	cpu.DisableIRQ()
	c.sleeping.Store(1)
	c.idling.Store(1)
	sleepers.Add(1)
	if !eventsPending.Load() {
		cpu.WaitForInterrupt()
	}
	sleepers.Add(-1)
	c.sleeping.Store(0)
	now := timer.Now()
	if wake != 0 && timer.Pending() {
		c.learnWake(now - wake)
	}
	cpu.EnableIRQ() // take whatever woke us
	c.idleCounts.Add(now - start)
	// A handler run from here on wakes another core if it must: the
	// delivery below covers only the signals before it.
	c.idling.Store(0)
	deliverEvents()
	timer.SetDeadline(now + tickCounts)
}

// pollEvery is how many polling rounds read the counter once: each read
// takes QEMU's global lock, which the other cores need too, so a core
// that polls mostly watches the latest reading any core made.
const pollEvery = 64

// pollUntilDeadline spins until the counter reaches dl, or until
// findRunnable has something to look at sooner: a signalled event, the
// runtime waiting for every P, goroutines queued on this P or globally,
// a napping core to ring. (Work queued on another P waits for the
// deadline, at most a wake-up delay, as it would for a sleeping core
// until its kick.)
func pollUntilDeadline(dl uint64) {
	p := goroutineP(rt.GetG())
	if p == 0 {
		p = rt.P(rt.MOf(rt.GetG()))
	}
	for i := 0; ; i++ {
		now := timer.Latest()
		if i%pollEvery == 0 {
			now = timer.Now()
		}
		if now >= dl || eventsPending.Load() || napping.Load() != 0 || rt.EveryPWanted() || queued(p) {
			return
		}
	}
}

// maxWakeAdvance bounds how early Idle wakes for a timer (ns).
const maxWakeAdvance = 250_000

// learnWake updates the core's estimate of how late a timer wakes it
// from WFI (counts): a moving average and mean deviation, weight 1/8.
func (c *core) learnWake(late uint64) {
	if late > maxWakeAdvanceC {
		late = maxWakeAdvanceC
	}
	d := int64(late) - int64(c.wakeAvg)
	c.wakeAvg = uint64(int64(c.wakeAvg) + d/8)
	if d < 0 {
		d = -d
	}
	c.wakeDev = uint64(int64(c.wakeDev) + (d-int64(c.wakeDev))/8)
	if c.wakeAvg+2*c.wakeDev > maxWakeAdvanceC {
		c.wakeDev = (maxWakeAdvanceC - c.wakeAvg) / 2
	}
}

// fastTicks is how many times faster a core running a parked M ticks while
// other Ms wait for a core (mswitch.go).
const fastTicks = 10

// armTick programs the core's timer for the next scheduler tick.
func armTick() {
	timer.SetDeadline(cpu.Counter() + tickCounts)
}

// onTimer handles the core timer's interrupt, on the handler g.
func onTimer(uint32) {
	n := cpu.Index()
	c := &cores[n]
	if c.sleeping.Load() != 0 || c.napping.Load() != 0 {
		// Idle's deadline or a timed nap's end: they re-arm the tick.
		timer.Stop()
		return
	}
	now := timer.Now()
	if late := now - timer.Deadline(); int64(late) > int64(stealLateC) {
		lastSteal.Store(now)
	}
	ringNappers()
	g := exception.InterruptedG(n)
	if sampling.Load() {
		sampleTick(n, exception.IRQFrame(n), g, now)
	}
	p := goroutineP(g)
	if p != 0 {
		if g != c.sliceG {
			c.sliceG, c.sliceStart = g, now
		} else if now-c.sliceStart >= quantumCounts {
			rt.Preempt(g)
			c.preempts.Add(1)
			c.sliceStart = now
		}
		maybeAsyncPreempt(n, exception.IRQFrame(n), g)
	}
	next := now + tickCounts
	everyP := rt.EveryPWanted()
	switch {
	case everyP:
		wakeSleepers(-1)
		next = now + tickCounts/fastTicks
	case queued(p) || eventsPending.Load():
		wakeSleepers(1)
	}
	if p != 0 && waitingMs() && rt.LockedG(rt.MOf(g)) == g {
		// A goroutine locked to its M (LockOSThread) hands its P to
		// another M each time it blocks, and that M may be one
		// suspended here: while Ms share cores, tick as a core running
		// a parked M does, to switch soon after.
		next = now + tickCounts/fastTicks
	}
	if p != 0 {
		napSeen[n] = 0
	} else {
		f := exception.IRQFrame(n)
		if maybeSwitchM(f) || readyMs() {
			// The M switched to may hand its P on and park again
			// soon (a goroutine locked to it), and a ready M waits:
			// tick fast while Ms share cores.
			napSeen[n] = 0
			next = now + tickCounts/fastTicks
		} else if w := semaWait(f); w != 0 && (w == napSeen[n] || contended(now)) {
			// Nap after the end of interrupt (afterIRQ): at once when
			// the host has lately been descheduling guest cores (the
			// spin takes a host CPU from them), else once a second
			// tick finds the same M waiting (the spin was free, and a
			// short wait ends sooner spinning than halted). An M that
			// holds a P (a stop-the-world or forEachP waiter, a lock
			// waiter) naps as a timed wait; a parked one backs off from
			// a tick, but naps a fast tick at a time while other Ms
			// wait for a core: one of them may become ready with
			// nobody to ring (a goroutine locked to its M hands its P
			// over and parks), and this core is where it would run.
			napReq[n], napAt[n] = w, now
			switch {
			case rt.P(rt.MOfSema(w)) != 0:
				napBackoff[n] = napTimedC
			case waitingMs():
				napBackoff[n] = tickCounts / fastTicks
			case napBackoff[n] == 0:
				napBackoff[n] = tickCounts
			}
		} else {
			napSeen[n] = w
			napBackoff[n] = 0
		}
	}
	timer.SetDeadline(next)
}

// sleepers counts cores asleep in Idle.
var sleepers atomic.Int32

// lastKick is, per core, when OnNanotime last fired the core's timer.
var lastKick [exception.MaxCores]uint64

// queuedSince is, per core, since when OnNanotime has seen goroutines
// queued (its P's or the global run queue) at every call, 0 if it last
// saw none.
var queuedSince [exception.MaxCores]uint64

// kickGrace is how long runnable goroutines stay queued before a sleeping
// core is woken to take them (ns): shorter than a tick, longer than a
// hand-off between two goroutines on one core, whose partner would be
// stolen for nothing.
const kickGrace = 20_000

var kickGraceC uint64

// OnNanotime is called by the board's runtime/goos.Nanotime, on every core
// and very often, so each of its jobs costs a load or two when idle:
//   - it rings napping cores whose wait may be over (nap.go);
//   - while some core sleeps in Idle, it wakes one when goroutines have
//     stayed queued for kickGrace, as the runtime's own wakep would on an
//     OS (it never does here: no P is ever idle), instead of at the next
//     tick (yolk.kick=tick);
//   - when the runtime waits for every P (stop-the-world, forEachP) while
//     some core sleeps, the waiting core calls nanotime: this makes its
//     timer fire at once, and the tick handler wakes the sleepers;
//   - and it naps the waiters (nap.go).
//
//go:nosplit
func OnNanotime() {
	if napping.Load() != 0 {
		ringNappers()
	}
	everyP := rt.EveryPWanted()
	if sleepers.Load() != 0 {
		n := cpu.Index()
		now := timer.Latest()
		switch {
		case everyP:
			if now-lastKick[n] >= tickCounts/fastTicks {
				lastKick[n] = now
				timer.SetDeadline(now)
			}
		case !kickOff:
			if g := rt.GetG(); g != 0 && queued(rt.P(rt.MOf(g))) {
				if queuedSince[n] == 0 {
					queuedSince[n] = now
				} else if now-queuedSince[n] >= kickGraceC {
					queuedSince[n] = 0
					if wakeSleepers(1) > 0 {
						cores[n].kicks.Add(1)
					}
				}
			} else {
				queuedSince[n] = 0
			}
		}
	}
	if napOff {
		return
	}
	if everyP {
		if g := rt.GetG(); g != 0 {
			if m := rt.MOf(g); m != 0 && rt.Blocked(m) {
				timedWait(cpu.Index(), m)
				return
			}
		}
	}
	// A spin on the clock with nothing to watch (the collector waiting
	// for a goroutine to stop) naps only when the host is contended:
	// otherwise the spin is free and ends sooner.
	if now := timer.Latest(); contended(now) && spinWaiting() {
		spinNap(cpu.Index(), now)
	}
}

// onWake handles the wake SGI: it ends a WFI, and on a core running a
// parked M it switches to a ready one (a doorbell for a suspended M).
func onWake(uint32) {
	n := cpu.Index()
	cores[n].wakeups.Add(1)
	if f := exception.IRQFrame(n); f.Kind == exception.IRQSP0 {
		maybeSwitchM(f)
	}
}

// wake sends core n the wake SGI.
//
//go:nosplit
func wake(n int) { wakeCPU(uint64(n)) }

// wakeCPU is the wake-up hook in the shape of upstream TamaGo's goos.Wake
// (internal/goruntime.Wake): it ends the WFI of the core whose ProcID is
// procid (procID: the core's index), in Idle or in a nap.
//
//go:nosplit
func wakeCPU(procid uint64) {
	controller.SendSGI(wakeSGI, int(procid))
}

// wakeSleepers wakes up to max sleeping cores (all if max < 0) and
// returns how many. A core is woken once per sleep: the first to mark it
// (sleeping 1 -> 2) sends the SGI.
//
//go:nosplit
func wakeSleepers(max int) (woken int) {
	self := cpu.Index()
	for i := 0; i < int(ncores.Load()) && max != 0; i++ {
		if i != self && cores[i].sleeping.CompareAndSwap(1, 2) {
			wake(i)
			max--
			woken++
		}
	}
	return woken
}

// Stats describes one core.
type Stats struct {
	IdleNanos int64  // time spent asleep in Idle
	Wakeups   uint64 // wake SGIs taken
	Preempts  uint64 // time slices ended by the tick
	// AsyncPreempts counts goroutines the tick made call asyncPreempt
	// (for a time slice or for the runtime).
	AsyncPreempts uint64
	// HaltPolls counts Idle calls that polled instead of halting, a
	// timer being nearer than WakeAdvance, the core's estimate of how
	// late a timer wakes it from WFI (idle.go).
	HaltPolls   uint64
	WakeAdvance int64 // ns
	// Naps counts the runtime's waits this core halted in, for NapNanos
	// in all (nap.go).
	Naps     uint64
	NapNanos int64
	// Kicks counts sleeping cores this core woke for its queued
	// goroutines from OnNanotime (not at a tick).
	Kicks uint64
}

// CoreStats returns core n's statistics.
func CoreStats(n int) Stats {
	c := &cores[n]
	return Stats{
		IdleNanos:     timer.CountsToNanos(c.idleCounts.Load()),
		Wakeups:       c.wakeups.Load(),
		Preempts:      c.preempts.Load(),
		AsyncPreempts: c.asyncPreempts.Load(),
		HaltPolls:     c.polls.Load(),
		WakeAdvance:   timer.CountsToNanos(c.wakeAvg + 2*c.wakeDev),
		Naps:          naps[n].Load(),
		NapNanos:      timer.CountsToNanos(napCounts[n].Load()),
		Kicks:         c.kicks.Load(),
	}
}
