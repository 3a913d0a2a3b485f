//go:build !tamago

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The host's TCP counters that show QEMU's user network turning
// connections away on the host: its listening sockets have a backlog of 1
// (libslirp's tcpx_listen), so a burst of connections overflows their
// accept queues (ListenOverflows, ListenDrops) and the clients send their
// SYNs again (TCPSynRetrans). They count for the whole host (its network
// namespace), other programs included.
var hostTCPCounters = []string{"ListenOverflows", "ListenDrops", "TCPSynRetrans"}

// netCounters is a reading of some of the host's TcpExt counters.
type netCounters map[string]int64

// readNetCounters reads hostTCPCounters from /proc/net/netstat.
func readNetCounters() (netCounters, error) {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return nil, err
	}
	return parseNetstat(string(b), hostTCPCounters)
}

// parseNetstat reads the named TcpExt counters from /proc/net/netstat's
// text: pairs of lines, names then values, each starting "TcpExt:".
func parseNetstat(text string, names []string) (netCounters, error) {
	var keys []string
	out := netCounters{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "TcpExt:" {
			continue
		}
		if keys == nil {
			keys = f
			continue
		}
		if len(f) != len(keys) {
			return nil, fmt.Errorf("/proc/net/netstat: %d TcpExt names, %d values", len(keys), len(f))
		}
		for i, k := range keys {
			for _, n := range names {
				if k == n {
					v, err := strconv.ParseInt(f[i], 10, 64)
					if err != nil {
						return nil, fmt.Errorf("/proc/net/netstat: %s: %v", k, err)
					}
					out[k] = v
				}
			}
		}
		break
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("/proc/net/netstat has no TcpExt %s", n)
		}
	}
	return out, nil
}

// since is what each counter grew by from b to a.
func (a netCounters) since(b netCounters) netCounters {
	d := netCounters{}
	for k, v := range a {
		d[k] = v - b[k]
	}
	return d
}

func (c netCounters) String() string {
	var parts []string
	for _, k := range hostTCPCounters {
		if v, ok := c[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %+d", k, v))
		}
	}
	return strings.Join(parts, ", ")
}

// addCounters returns a plus b (a may be nil).
func addCounters(a, b netCounters) netCounters {
	out := netCounters{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] += v
	}
	return out
}
