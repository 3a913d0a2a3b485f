//go:build tamago

package sched

import (
	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/cpu"
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

// Signal records one occurrence and gets a core to deliver it: the
// calling core itself if the interrupt woke it from Idle (it delivers
// on its way out), else a sleeping core, woken (delivery happens in
// Idle). Safe on a handler g.
func (e *Event) Signal() {
	e.pending.Add(1)
	eventsPending.Store(true)
	if cores[cpu.Index()].idling.Load() == 0 {
		wakeSleepers(1)
	}
}

// idleFallback is how often a waiter checks for undelivered signals
// while the system is not busy (see Wait).
const idleFallback = 200 * time.Millisecond

// Wait blocks until a signal is available and consumes it. Signals are
// delivered by a core in Idle. A signal that arrives while no core sleeps
// waits for one to go idle, or for the waiter's own timer: one quantum
// while the system is busy (other goroutines queued here, or no other core
// asleep), idleFallback otherwise. The busy core's scheduler runs expired
// timers when the tick preempts its goroutine, so under full load delivery
// takes about a quantum and a tick; when load starts after the waiter
// checked, at most idleFallback more.
func (e *Event) Wait() { e.WaitOr(nil) }

// WaitOr is Wait that also returns when c is ready, reporting whether
// it consumed a signal (true) or received from c (false).
func (e *Event) WaitOr(c <-chan struct{}) bool {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for !e.take() {
		d := idleFallback
		if busy() {
			d = time.Duration(quantumNanos)
		}
		if t == nil {
			t = time.NewTimer(d)
		} else {
			t.Reset(d)
		}
		select {
		case <-e.ready:
		case <-t.C:
		case <-c:
			return false
		}
	}
	return true
}

// busy reports whether a signal could find no core to deliver it soon:
// goroutines are queued behind the caller, or (with several cores) no
// other core sleeps.
func busy() bool {
	if queued(goroutineP(rt.GetG())) {
		return true
	}
	self := cpu.Index()
	n := int(ncores.Load())
	for i := 0; i < n; i++ {
		if i != self && cores[i].sleeping.Load() != 0 {
			return false
		}
	}
	return n > 1
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
