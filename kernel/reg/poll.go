package reg

import "time"

// Clock is the counter that bounds polling loops: Count reads it, Hz is
// its frequency. On arm64 it is the generic counter (CNTVCT_EL0,
// CNTFRQ_EL0), readable from the first instruction on; host tests may
// replace it. With no Count a loop gives up after a fixed number of
// polls instead.
var Clock = defaultClock

// Counter is a free-running counter and its frequency.
type Counter struct {
	Count func() uint64
	Hz    func() uint64
}

// spinLimit bounds a loop when there is no clock.
const spinLimit = 100_000_000

// Deadline bounds one polling loop. It is a value with no heap behind it:
// loops run before the runtime exists.
type Deadline struct {
	until  uint64 // counter value
	spins  uint64
	clock  bool
	polled uint64
}

// After starts a deadline d from now.
//
//go:nosplit
func After(d time.Duration) Deadline {
	c := Clock
	if c.Count == nil || c.Hz == nil {
		return Deadline{spins: spinLimit}
	}
	ticks := c.Hz() * uint64(d/time.Microsecond) / 1_000_000
	return Deadline{until: c.Count() + ticks, clock: true}
}

// Passed reports whether the deadline has passed. Each call counts as one
// poll when there is no clock.
//
//go:nosplit
func (d *Deadline) Passed() bool {
	if !d.clock {
		d.polled++
		return d.polled > d.spins
	}
	return Clock.Count() > d.until
}

// Wait polls the 32-bit register at addr until its bits under mask equal
// want, for at most d. It reports whether they did.
//
//go:nosplit
func Wait(addr uintptr, mask, want uint32, d time.Duration) bool {
	dl := After(d)
	for {
		if Read32(addr)&mask == want {
			return true
		}
		if dl.Passed() {
			return Read32(addr)&mask == want
		}
	}
}
