// Package timer is the ARM generic timer (ARM ARM D12 "The Generic Timer
// in AArch64 state"): the system counter as yolk's clock, and (with the
// scheduler) each core's timer for its next deadline.
package timer

import (
	"math/bits"
	"sync/atomic"

	"github.com/yolkos/yolk/kernel/cpu"
)

// Converting counts to nanoseconds must be cheap (the runtime calls
// Nanotime with locks held, very often), so it is one 64x64->128 multiply:
// ns = count * mult >> 32, mult = 1e9 << 32 / freq. It is exact for the
// common 1 GHz, 62.5 MHz and 25 MHz counters, and within 1e-10 otherwise.
var (
	freq   uint64
	mult   uint64
	offset int64 // wall clock at count 0, ns since the Unix epoch
)

// SetFrequency prepares the conversion; boot calls it before the runtime
// starts, with CNTFRQ_EL0.
//
//go:nosplit
func SetFrequency(hz uint64) {
	freq = hz
	if hz != 0 {
		// 1e9<<32 fits in 64 bits: a plain division, no call. Boot calls
		// this with g = nil, where a function with a stack check (such
		// as bits.Div64 on arm64) reads its stack guard from address
		// 0x10, which is RAM on the Raspberry Pi.
		mult = uint64(1e9<<32) / hz
	}
}

// Frequency is the counter frequency in Hz.
//
//go:nosplit
func Frequency() uint64 { return freq }

// CountsToNanos converts a counter value or interval to nanoseconds.
//
//go:nosplit
func CountsToNanos(c uint64) int64 {
	hi, lo := bits.Mul64(c, mult)
	return int64(hi<<32 | lo>>32)
}

// NanosToCounts converts nanoseconds to counter ticks: the smallest count
// that CountsToNanos maps to ns or later, so a timer programmed from it
// never fires before the runtime's clock reaches the deadline.
//
//go:nosplit
func NanosToCounts(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(ns), freq)
	q, _ := bits.Div64(hi%1e9, lo, 1e9)
	for CountsToNanos(q) < ns {
		q++
	}
	for q > 0 && CountsToNanos(q-1) >= ns {
		q--
	}
	return q
}

// DeadlineFor converts a Nanotime value into the counter value at which
// it is reached (rounded so that Nanotime is at least ns by then).
//
//go:nosplit
func DeadlineFor(ns int64) uint64 {
	return NanosToCounts(ns - offset)
}

// SetWallClock makes Nanotime report wall-clock time: it must be called
// once, before the runtime starts, so the runtime's monotonic clock never
// jumps.
//
//go:nosplit
func SetWallClock(unixNanos int64) {
	offset = unixNanos - CountsToNanos(cpu.Counter())
}

// Nanotime is runtime/goos.Nanotime: nanoseconds since the Unix epoch
// (the runtime's walltime on tamago is derived from it).
//
//go:nosplit
func Nanotime() int64 {
	return CountsToNanos(Now()) + offset
}

// latest is the largest counter value read through Now on any core.
var latest atomic.Uint64

// Now reads the counter and remembers the reading for Recent.
//
//go:nosplit
func Now() uint64 {
	c := cpu.Counter()
	for {
		old := latest.Load()
		if c <= old || latest.CompareAndSwap(old, c) {
			return c
		}
	}
}

// Latest is the latest counter reading through Now on any core (see
// Recent), without reading the counter.
//
//go:nosplit
func Latest() uint64 { return latest.Load() }

// Recent is Nanotime as of the latest counter reading on any core,
// without reading the counter. Under QEMU's TCG every counter read takes
// the emulator's global lock, so code that wants the time very often and
// can live with a slightly old value (a TCP stack's timestamps) uses this
// instead. Readings are frequent: the runtime reads the clock each time it
// schedules with timers pending, a busy core's scheduler tick every tick,
// and an idle core when it wakes up, so on a busy system the value is
// microseconds old, and at most a tick old on a core that runs one
// goroutine without pause.
//
//go:nosplit
func Recent() int64 {
	return CountsToNanos(latest.Load()) + offset
}
