//go:build tamago

package main

import (
	"time"

	"github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/sched"
)

// wakeRowSGI is the software-generated interrupt the wakeup row raises
// (the scheduler's own wake-up uses SGI 1).
const wakeRowSGI = 5

// An interrupt source for the wakeup row: an SGI whose handler signals a
// sched.Event, the way a driver's interrupt reaches its goroutine.
type wakeSource struct{ ev *sched.Event }

func newWakeSource() (*wakeSource, error) {
	w := &wakeSource{ev: sched.NewEvent()}
	board.Interrupts().Handle(wakeRowSGI, func(uint32) { w.ev.Signal() })
	board.Interrupts().Enable(wakeRowSGI)
	return w, nil
}

// raise sends the interrupt to the next core (the calling one on -smp 1)
// and returns when it did.
func (w *wakeSource) raise() time.Time {
	t := time.Now()
	board.Interrupts().SendSGI(wakeRowSGI, (cpu.Index()+1)%sched.NumCores())
	return t
}

// wait blocks until the interrupt has been raised.
func (w *wakeSource) wait() { w.ev.Wait() }
