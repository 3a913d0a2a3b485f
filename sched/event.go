//go:build tamago

package sched

import (
	"sync"
	"sync/atomic"
	"time"
)

// An Event carries signals from interrupt handlers to goroutines. Signal
// may be called on a handler g; Wait blocks a goroutine without polling
// until a signal arrives. Signals are counted: each one lets exactly one
// Wait return, none is lost.
type Event struct {
	pending atomic.Int64
	ready   chan struct{} // a token when pending > 0 may need attention
}

// maxEvents bounds the fixed registry Idle scans without allocating.
const maxEvents = 256

var (
	events        [maxEvents]*Event
	nevents       atomic.Int32
	registerMu    sync.Mutex
	eventsPending atomic.Bool
)

// NewEvent creates and registers an event.
func NewEvent() *Event {
	e := &Event{ready: make(chan struct{}, 1)}
	registerMu.Lock()
	defer registerMu.Unlock()
	n := nevents.Load()
	if n == maxEvents {
		panic("sched: too many events")
	}
	events[n] = e
	nevents.Store(n + 1)
	return e
}

// Signal records one occurrence and gets a core to deliver it: a sleeping
// core is woken (delivery happens in Idle). Safe on a handler g.
func (e *Event) Signal() {
	e.pending.Add(1)
	eventsPending.Store(true)
	wakeSleepers(1)
}

// Wait blocks until a signal is available and consumes it. Signals are
// delivered by a core in Idle; while no core sleeps (all busy), the wait
// also ends after a quantum, when the busy core's scheduler, preempted by
// the tick, runs its timers, and Wait checks again: delivery under full
// load takes at most about one quantum plus one tick.
func (e *Event) Wait() {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for !e.take() {
		if anySleeping() {
			<-e.ready
			continue
		}
		if t == nil {
			t = time.NewTimer(time.Duration(quantumNanos))
		} else {
			t.Reset(time.Duration(quantumNanos))
		}
		select {
		case <-e.ready:
		case <-t.C:
		}
	}
}

// anySleeping reports whether some core is asleep in Idle (and so will
// deliver events when woken).
func anySleeping() bool {
	for i := 0; i < int(ncores.Load()); i++ {
		if cores[i].sleeping.Load() != 0 {
			return true
		}
	}
	return false
}

// Pending is the number of signals not yet consumed.
func (e *Event) Pending() int64 { return e.pending.Load() }

func (e *Event) take() bool {
	for {
		v := e.pending.Load()
		if v <= 0 {
			return false
		}
		if e.pending.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

// deliverEvents runs in Idle (g0 with a P, where the runtime may make a
// goroutine runnable): every event with pending signals gets a token.
func deliverEvents() {
	if !eventsPending.Swap(false) {
		return
	}
	n := nevents.Load()
	for i := int32(0); i < n; i++ {
		e := events[i]
		if e.pending.Load() > 0 {
			select {
			case e.ready <- struct{}{}:
			default:
			}
		}
	}
}
