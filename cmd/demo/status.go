//go:build tamago

package main

import (
	"fmt"
	"html/template"
	"io"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/yolkos/yolk"
	"github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/board/network"
	"github.com/yolkos/yolk/sched"
)

var started = time.Now()

// Status is the runtime's state as /status.json shows it.
type Status struct {
	Version       string       `json:"version"`
	Board         string       `json:"board"`
	GoVersion     string       `json:"go"`
	UptimeSeconds float64      `json:"uptime_seconds"`
	Goroutines    int          `json:"goroutines"`
	GOMAXPROCS    int          `json:"gomaxprocs"`
	Cores         []CoreStatus `json:"cores"`
	MSwitches     uint64       `json:"m_switches"`
	Memory        Memory       `json:"memory"`
	Network       Network      `json:"network"`
	Diagnostics   bool         `json:"diagnostics"` // yolk.diag=on: /dial, /burn, /panic
}

// CoreStatus is one core's share of the time and its interrupts.
type CoreStatus struct {
	Core        int               `json:"core"`
	BusySeconds float64           `json:"busy_seconds"`
	IdleSeconds float64           `json:"idle_seconds"`
	BusyPercent float64           `json:"busy_percent"`
	Wakeups     uint64            `json:"wakeups"`
	Preempts    uint64            `json:"preempts"`
	Async       uint64            `json:"async_preempts"`
	Interrupts  map[string]uint64 `json:"interrupts"` // by INTID
}

// Memory is from runtime.MemStats, and the heap that the last garbage
// collection found live (runtime/metrics /gc/heap/live:bytes), which
// grows only if memory leaks (make soak watches it).
type Memory struct {
	HeapAlloc    uint64 `json:"heap_alloc"`
	HeapLive     uint64 `json:"heap_live"`
	HeapSys      uint64 `json:"heap_sys"`
	Sys          uint64 `json:"sys"`
	NumGC        uint32 `json:"num_gc"`
	PauseTotalNs uint64 `json:"gc_pause_total_ns"`
}

// Network is the interface's configuration and counters.
type Network struct {
	MAC        string   `json:"mac"`
	Addr       string   `json:"addr"`
	Gateway    string   `json:"gateway"`
	DNS        []string `json:"dns"`
	IPv6       []string `json:"ipv6"`
	DHCP       bool     `json:"dhcp"`
	LeaseSecs  float64  `json:"lease_seconds,omitempty"`
	IRQ        uint32   `json:"irq"`
	RxFrames   uint64   `json:"rx_frames"`
	RxBytes    uint64   `json:"rx_bytes"`
	RxDrops    uint64   `json:"rx_drops"`
	RxErrors   uint64   `json:"rx_errors"`
	TxFrames   uint64   `json:"tx_frames"`
	TxBytes    uint64   `json:"tx_bytes"`
	TxDrops    uint64   `json:"tx_drops"`
	TxErrors   uint64   `json:"tx_errors"`
	Interrupts uint64   `json:"interrupts"`
	Features   []string `json:"features"` // optional virtio-net features negotiated
	// Counters are the device's, the link layer's and the stack's drops
	// and errors (netstack.Stack.Counters).
	Counters  map[string]uint64 `json:"counters"`
	TCPOpen   uint64            `json:"tcp_established"`
	LinkDrops uint64            `json:"link_drops"`
	// From the TCP/IP stack.
	TCPRetransmits uint64 `json:"tcp_retransmits"`
	TCPTimeouts    uint64 `json:"tcp_timeouts"`
	TCPInvalid     uint64 `json:"tcp_invalid_segments"`
	StackDrops     uint64 `json:"stack_dropped_packets"`
	Error          string `json:"device_error,omitempty"` // why the driver stopped, if it did
}

func status() Status {
	up := time.Since(started)
	s := Status{
		Version: yolk.Version, Board: board.Name(), GoVersion: runtime.Version(),
		UptimeSeconds: up.Seconds(), Goroutines: runtime.NumGoroutine(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), MSwitches: sched.MSwitches(),
		Diagnostics: diag,
	}
	for c := range sched.NumCores() {
		cs := sched.CoreStats(c)
		idle := time.Duration(cs.IdleNanos)
		core := CoreStatus{
			Core: c, IdleSeconds: idle.Seconds(), BusySeconds: max(0, (up - idle).Seconds()),
			Wakeups: cs.Wakeups, Preempts: cs.Preempts, Async: cs.AsyncPreempts, Interrupts: map[string]uint64{},
		}
		core.BusyPercent = 100 * core.BusySeconds / up.Seconds()
		for _, ic := range board.InterruptCounts(c) {
			core.Interrupts[fmt.Sprint(ic.INTID)] = ic.Count
		}
		s.Cores = append(s.Cores, core)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.Memory = Memory{HeapAlloc: ms.HeapAlloc, HeapSys: ms.HeapSys, Sys: ms.Sys, NumGC: ms.NumGC, PauseTotalNs: ms.PauseTotalNs}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	if metrics.Read(live); live[0].Value.Kind() == metrics.KindUint64 {
		s.Memory.HeapLive = live[0].Value.Uint64()
	}
	if nic := network.Current(); nic != nil {
		st := nic.Stack
		info := st.Info()
		n := &s.Network
		n.MAC, n.Addr, n.Gateway, n.IRQ = nic.MAC.String(), info.Addr.String(), info.Gateway.String(), nic.IRQ
		for _, a := range info.DNS {
			n.DNS = append(n.DNS, a.String())
		}
		for _, a := range info.IPv6 {
			n.IPv6 = append(n.IPv6, a.String())
		}
		if info.DHCP != nil {
			n.DHCP = true
			n.LeaseSecs = info.DHCP.LeaseTime.Seconds()
		}
		c := nic.Counters()
		n.RxFrames, n.RxBytes, n.RxDrops, n.RxErrors = c.RxFrames, c.RxBytes, c.RxDrops, c.RxErrors
		n.TxFrames, n.TxBytes, n.TxDrops, n.TxErrors = c.TxFrames, c.TxBytes, c.TxDrops, c.TxErrors
		n.Interrupts = c.Interrupts
		n.Features = nic.Features
		n.Counters = map[string]uint64{}
		for _, c := range st.Counters() {
			n.Counters[c.Name] = c.Value
		}
		stats := st.S.Stats()
		n.TCPOpen = stats.TCP.CurrentEstablished.Value()
		n.TCPRetransmits, n.TCPTimeouts = stats.TCP.Retransmits.Value(), stats.TCP.Timeouts.Value()
		n.TCPInvalid, n.StackDrops = stats.TCP.InvalidSegmentsReceived.Value(), stats.DroppedPackets.Value()
		n.LinkDrops = info.Drops
		if err := nic.Err(); err != nil {
			n.Error = err.Error()
		}
	}
	return s
}

var page = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>yolk {{.Version}} on {{.Board}}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}th{background:#eee}
.bar{display:inline-block;height:10px;background:#e8a33d}</style></head><body>
<h1>yolk {{.Version}} on {{.Board}}</h1>
<p>{{.GoVersion}}, up {{printf "%.1f" .UptimeSeconds}} s, {{.Goroutines}} goroutines, GOMAXPROCS {{.GOMAXPROCS}}, {{.MSwitches}} M switches. <a href="/status.json">JSON</a></p>
{{if .Diagnostics}}<p><b>Diagnostics on</b> (yolk.diag=on): /dial, /burn and /panic act for anyone who can reach this page.</p>
{{else}}<p>Diagnostics off: /dial, /burn and /panic are served only with the boot argument yolk.diag=on.</p>
{{end}}
<h2>Cores</h2>
<table><tr><th>core</th><th>busy</th><th></th><th>busy s</th><th>idle s</th><th>wake-ups</th><th>preemptions</th><th>interrupts (INTID: count)</th></tr>
{{range .Cores}}<tr><td>{{.Core}}</td><td>{{printf "%.1f" .BusyPercent}}%</td><td style="text-align:left"><span class="bar" style="width:{{printf "%.0f" .BusyPercent}}px"></span></td>
<td>{{printf "%.2f" .BusySeconds}}</td><td>{{printf "%.2f" .IdleSeconds}}</td><td>{{.Wakeups}}</td><td>{{.Preempts}} ({{.Async}} async)</td><td style="text-align:left">{{range $k, $v := .Interrupts}}{{$k}}: {{$v}} {{end}}</td></tr>
{{end}}</table>
<h2>Memory</h2>
<p>heap {{.Memory.HeapAlloc}} of {{.Memory.HeapSys}} bytes ({{.Memory.HeapLive}} live after the last GC), {{.Memory.Sys}} from the system, {{.Memory.NumGC}} GCs, {{.Memory.PauseTotalNs}} ns paused in all</p>
<h2>Network</h2>
{{with .Network}}<p>{{.MAC}} {{.Addr}} (gateway {{.Gateway}}, dns {{.DNS}}{{if .DHCP}}, DHCP lease {{.LeaseSecs}} s{{end}}) IPv6 {{.IPv6}}, IRQ {{.IRQ}}</p>
<table><tr><th></th><th>frames</th><th>bytes</th><th>drops</th><th>errors</th></tr>
<tr><td>rx</td><td>{{.RxFrames}}</td><td>{{.RxBytes}}</td><td>{{.RxDrops}}</td><td>{{.RxErrors}}</td></tr>
<tr><td>tx</td><td>{{.TxFrames}}</td><td>{{.TxBytes}}</td><td>{{.TxDrops}}</td><td>{{.TxErrors}}</td></tr></table>
<p>features: {{.Features}}; {{.Interrupts}} device interrupts, {{.TCPOpen}} TCP connections open, {{.TCPRetransmits}} TCP retransmissions ({{.TCPTimeouts}} timeouts), {{.LinkDrops}} frames dropped by the link layer, {{.StackDrops}} packets by the stack</p>
{{if .Error}}<p><b>device stopped: {{.Error}}</b></p>{{end}}{{end}}
</body></html>
`))

func writePage(w io.Writer) error { return page.Execute(w, status()) }
