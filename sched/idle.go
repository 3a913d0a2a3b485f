//go:build tamago

package sched

import (
	"sync/atomic"

	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/timer"
)

// idle is runtime/goos.Idle, called by findRunnable on the M's g0 (with
// its P) when there is nothing to run. pollUntil is the earliest timer in
// nanotime units, 0 if there is none.
func idle(pollUntil int64) {
	if idlePoll {
		deliverEvents()
		return
	}
	n := cpu.Index()
	c := &cores[n]
	if pollUntil != 0 {
		timer.SetDeadline(timer.DeadlineFor(pollUntil))
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
	cpu.EnableIRQ() // take whatever woke us
	now := timer.Now()
	c.idleCounts.Add(now - start)
	// A handler run from here on wakes another core if it must: the
	// delivery below covers only the signals before it.
	c.idling.Store(0)
	deliverEvents()
	timer.SetDeadline(now + tickCounts)
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
	if c.sleeping.Load() != 0 {
		// Idle's deadline: Idle re-arms the tick when it returns.
		timer.Stop()
		return
	}
	now := timer.Now()
	g := exception.InterruptedG(n)
	if sampling.Load() {
		sampleTick(n, exception.IRQFrame(n), g, now)
	}
	p := goroutineP(g)
	if p != 0 {
		if g != c.sliceG {
			c.sliceG, c.sliceStart = g, now
		} else if now-c.sliceStart >= quantumCounts {
			preempt(g)
			c.preempts.Add(1)
			c.sliceStart = now
		}
		maybeAsyncPreempt(n, exception.IRQFrame(n), g)
	}
	switch {
	case everyPWanted():
		wakeSleepers(-1)
	case queued(p) || eventsPending.Load():
		wakeSleepers(1)
	}
	next := now + tickCounts
	if p == 0 {
		maybeSwitchM(exception.IRQFrame(n))
		if waitingMs() {
			next = now + tickCounts/fastTicks
		}
	}
	timer.SetDeadline(next)
}

// sleepers counts cores asleep in Idle.
var sleepers atomic.Int32

// lastKick is, per core, when OnNanotime last fired the core's timer.
var lastKick [exception.MaxCores]uint64

// OnNanotime is called by the board's runtime/goos.Nanotime. When the
// runtime waits for every P (stop-the-world, forEachP) while some core
// sleeps, the waiting core spins calling nanotime: this makes its timer
// fire at once, and the tick handler (onTimer) wakes the sleepers, instead
// of at the next tick. Otherwise it costs one load.
//
//go:nosplit
func OnNanotime() {
	if sleepers.Load() == 0 || !everyPWanted() {
		return
	}
	n := cpu.Index()
	now := cpu.Counter()
	if now-lastKick[n] < tickCounts/fastTicks {
		return
	}
	lastKick[n] = now
	timer.SetDeadline(now)
}

// onWake handles the wake SGI: its only job is to end a WFI.
func onWake(uint32) {
	cores[cpu.Index()].wakeups.Add(1)
}

// wake sends core n the wake SGI.
func wake(n int) {
	controller.SendSGI(wakeSGI, n)
}

// wakeSleepers wakes up to max sleeping cores (all if max < 0).
func wakeSleepers(max int) {
	self := cpu.Index()
	for i := 0; i < int(ncores.Load()) && max != 0; i++ {
		if i != self && cores[i].sleeping.Load() != 0 {
			wake(i)
			max--
		}
	}
}

// Stats describes one core.
type Stats struct {
	IdleNanos int64  // time spent asleep in Idle
	Wakeups   uint64 // wake SGIs taken
	Preempts  uint64 // time slices ended by the tick
	// AsyncPreempts counts goroutines the tick made call asyncPreempt
	// (for a time slice or for the runtime).
	AsyncPreempts uint64
}

// CoreStats returns core n's statistics.
func CoreStats(n int) Stats {
	c := &cores[n]
	return Stats{
		IdleNanos:     timer.CountsToNanos(c.idleCounts.Load()),
		Wakeups:       c.wakeups.Load(),
		Preempts:      c.preempts.Load(),
		AsyncPreempts: c.asyncPreempts.Load(),
	}
}
