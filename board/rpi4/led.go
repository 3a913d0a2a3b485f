//go:build tamago

package rpi4

import (
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

// LEDBusy reports what the LED shows: true when the cores were busy in
// the last period.
var ledBusy bool

func startLED() {
	if v, _ := bootArg("yolk.led"); v == "0" || GPIO.Base == 0 {
		return
	}
	GPIO.SetFunction(LEDPin, gpio.Output)
	go blink()
}

func idleNanos() int64 {
	var t int64
	for i := 0; i < sched.NumCores(); i++ {
		t += sched.CoreStats(i).IdleNanos
	}
	return t
}

func blink() {
	last, lastIdle := time.Now(), idleNanos()
	on := false
	for tick := 0; ; tick++ {
		time.Sleep(ledPeriod)
		now, idle := time.Now(), idleNanos()
		wall := int64(now.Sub(last)) * int64(sched.NumCores())
		// Busy: the cores slept less than half of the period.
		ledBusy = wall > 0 && (idle-lastIdle)*2 < wall
		last, lastIdle = now, idle
		if ledBusy {
			on = !on
		} else {
			on = tick%10 == 0
		}
		GPIO.Set(LEDPin, on)
	}
}

// LEDBusy reports whether the LED shows busy cores (5 Hz blinking)
// rather than the idle heartbeat.
func LEDBusy() bool { return ledBusy }
