//go:build tamago

package rpi4

import (
	"github.com/yolkos/yolk/board/bootargs"

	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/drivers/bcm2711/gpio"
	"github.com/yolkos/yolk/sched"
)

// LEDPin is the green activity LED of the Pi 4 Model B (active high).
const LEDPin = 42

// The activity LED shows what the scheduler does: while the cores are
// mostly idle (asleep in WFI) it gives a short heartbeat flash once a
// second; while they are busy it blinks at 5 Hz. A goroutine looks at
// the cores' idle time every 100 ms. yolk.led=0 turns it off.
const ledPeriod = 100 * time.Millisecond

var (
	ledBusy atomic.Bool
	ledLoad atomic.Int64 // busy core-time per 1000 of one core, last period
)

func startLED() {
	if v, _ := bootargs.Lookup(Machine.Bootargs, "yolk.led"); v == "0" || GPIO.Base == 0 {
		return
	}
	GPIO.SetFunction(LEDPin, gpio.Output)
	go blink()
}

// busyNanos estimates how long the cores ran goroutines between two
// samples of their statistics. A core's idle time is only added up when
// it wakes, so a core whose counters did not move at all slept through
// the period (a running core is preempted, and counted, every quantum).
func busyNanos(prev, cur []sched.Stats, period int64) int64 {
	var busy int64
	for i := range cur {
		var p sched.Stats
		if i < len(prev) {
			p = prev[i]
		}
		c := cur[i]
		if c == p {
			continue
		}
		busy += max(0, period-(c.IdleNanos-p.IdleNanos))
	}
	return busy
}

func stats() []sched.Stats {
	s := make([]sched.Stats, sched.NumCores())
	for i := range s {
		s[i] = sched.CoreStats(i)
	}
	return s
}

func blink() {
	last, prev := time.Now(), stats()
	on := false
	for tick := 0; ; tick++ {
		time.Sleep(ledPeriod)
		now, cur := time.Now(), stats()
		// Busy: the cores ran goroutines for at least half a period
		// (half of one core's time).
		period := int64(now.Sub(last))
		b := busyNanos(prev, cur, period)
		busy := 2*b >= period
		ledBusy.Store(busy)
		ledLoad.Store(1000 * b / max(period, 1))
		last, prev = now, cur
		if busy {
			on = !on
		} else {
			on = tick%10 == 0
		}
		GPIO.Set(LEDPin, on)
	}
}

// LEDBusy reports whether the LED shows busy cores (5 Hz blinking)
// rather than the idle heartbeat.
func LEDBusy() bool { return ledBusy.Load() }

// Load is how many cores' worth of time the goroutines used in the LED's
// last period of 100 ms (0 to the number of cores).
func Load() float64 { return float64(ledLoad.Load()) / 1000 }
