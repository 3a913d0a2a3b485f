package netstack

import (
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
)

// recentClock is the stack's clock when Config.RecentNanotime is set: the
// stack asks for the monotonic time many times per segment (arrival,
// transmission, RTT and RACK bookkeeping, timer arming), and a recent
// reading serves it as well as a fresh one. Wall-clock time and timers
// are the standard ones.
type recentClock struct {
	recent func() int64
	std    tcpip.Clock
}

func (c recentClock) NowMonotonic() tcpip.MonotonicTime {
	return tcpip.MonotonicTime{}.Add(time.Duration(c.recent()))
}

func (c recentClock) Now() time.Time { return c.std.Now() }

func (c recentClock) AfterFunc(d time.Duration, f func()) tcpip.Timer {
	return c.std.AfterFunc(d, f)
}
