//go:build !tamago

package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/yolkos/yolk/bench/stats"
)

// A rowDef is one row of the tables: a result name (as the guest or the
// harness reports it, in its raw unit) and how to show it.
type rowDef struct {
	key    string  // result name
	guest  string  // guest row that produces it ("" for every boot)
	title  string  // what the row measures
	unit   string  // unit shown ("" for a count: no ratio)
	scale  float64 // shown value = raw value / scale
	higher bool    // higher is better (otherwise lower is)
	chart  string  // label in the chart of yolk/Linux ratios; "" for none
}

var tableRows = []rowDef{
	{"boot_host", "", "boot to READY, host-measured from QEMU start", "ms", 1e6, false, "boot to READY (host)"},
	{"boot_guest", "", "boot to main, guest-measured", "ms", 1e6, false, ""},
	{"spawn", "spawn", "goroutine spawn (start, run, exit)", "µs", 1e3, false, "goroutine spawn"},
	{"pingpong_same", "pingpong_same", "channel ping-pong round trip, same core", "µs", 1e3, false, "ping-pong, same core"},
	{"pingpong_cross", "pingpong_cross", "channel ping-pong round trip, cross core", "µs", 1e3, false, "ping-pong, cross core"},
	{"parallel_speedup", "parallel", "parallel speedup of a CPU-bound job", "x", 1, true, "parallel speedup (higher is better)"},
	{"sleep_p50", "sleep", "time.Sleep(1ms) overshoot p50", "µs", 1e3, false, "Sleep(1ms) overshoot p50"},
	{"sleep_p99", "sleep", "time.Sleep(1ms) overshoot p99", "µs", 1e3, false, "Sleep(1ms) overshoot p99"},
	{"timers_p50", "timers", "timer fan-out lateness p50 (10k goroutines)", "ms", 1e6, false, "timer fan-out p50"},
	{"timers_p99", "timers", "timer fan-out lateness p99 (10k goroutines)", "ms", 1e6, false, "timer fan-out p99"},
	{"gc_p50", "gc", "GC pause p50 under allocation load", "µs", 1e3, false, "GC pause p50"},
	{"gc_p99", "gc", "GC pause p99 under allocation load", "µs", 1e3, false, "GC pause p99"},
	{"wakeup_p50", "wakeup", "interrupt to goroutine wake-up p50", "µs", 1e3, false, "interrupt wake-up p50"},
	{"wakeup_p99", "wakeup", "interrupt to goroutine wake-up p99", "µs", 1e3, false, "interrupt wake-up p99"},
	{"idle_cpu", "idle", "host CPU of an idle guest, per guest core", "%", 1, false, "idle host CPU"},
	{netHTTP, "netserve", "HTTP requests/s, 16 keep-alive clients, GET / (small body)", "req/s", 1, true, "HTTP requests/s (higher is better)"},
	{netHTTPStalls, "netserve", "HTTP requests unanswered for 5 s, sent again (each classified from a capture, below)", "", 1, false, ""},
	{netHTTPMany, "netserve", "HTTP requests/s, 64 keep-alive clients", "req/s", 1, true, "HTTP requests/s, 64 clients (higher is better)"},
	{netCPUPerReq, "netserve", "host CPU per request (QEMU's threads, 16-client run)", "µs", 1e3, false, "host CPU per request"},
	{netConns, "netserve", "new connections/s (16 clients: connect, GET /, close)", "req/s", 1, true, "new connections/s (higher is better)"},
	{netTLSConns, "netserve", "HTTPS requests/s on new connections (16 clients, full TLS handshake each)", "req/s", 1, true, "TLS handshakes/s (higher is better)"},
	{netConnStalls, "netserve", "connection attempts unanswered for 5 s, sent again", "", 1, false, ""},
	{netEchoP50, "netserve", "TCP echo round trip p50 (64 bytes)", "µs", 1e3, false, "TCP echo round trip p50"},
	{netEchoP99, "netserve", "TCP echo round trip p99 (64 bytes)", "µs", 1e3, false, "TCP echo round trip p99"},
	{netDown, "netserve", "bulk TCP download, guest to host (HTTP GET)", "MB/s", 1e6, true, "download MB/s (higher is better)"},
	{netUp, "netserve", "bulk TCP upload, host to guest (HTTP POST)", "MB/s", 1e6, true, "upload MB/s (higher is better)"},
	{netIdle, "netserve", "host CPU of an idle server (listening), per guest core", "%", 1, false, "idle server host CPU"},
	{"image_size", "", "image size (yolk ELF; Linux kernel + initramfs)", "MiB", 1 << 20, false, "image size"},
	{"image_size_net", "netserve", "image size with networking (the network rows' images)", "MiB", 1 << 20, false, ""},
	{"cpus", "", "runtime.NumCPU() in the guest", "", 1, true, ""},
	{"gomaxprocs", "", "GOMAXPROCS in the guest", "", 1, true, ""},
}

// A note says why a row of a target has no (or fewer) results.
type note struct {
	target, row string // row: a guest row, or "" for the whole target
	kind        string // "skipped", "failed", "retried" (failed once, then ran again) or "stall" (a request, classified)
	reason      string
}

// report holds everything the harness measured and how.
type report struct {
	hostCPUs int // the host's CPUs: fewer than a target's guest cores oversubscribe it
	quick    bool
	date     time.Time
	elapsed  time.Duration
	env      [][2]string // what ran where: QEMU version, host CPU, ...
	targets  []target
	cmdlines [][2]string // target label, QEMU command line
	samples  map[string]map[string][]float64
	notes    []note
	problems []string // skips that mean something is missing (not a one-core machine)
}

func (r *report) add(t, key string, v float64) {
	if r.samples == nil {
		r.samples = map[string]map[string][]float64{}
	}
	if r.samples[t] == nil {
		r.samples[t] = map[string][]float64{}
	}
	r.samples[t][key] = append(r.samples[t][key], v)
}

// skipped reports whether a note skips row (a guest row) on target t.
func (r *report) skipped(t, row string) bool {
	return slices.ContainsFunc(r.notes, func(n note) bool {
		return n.target == t && n.row == row && n.kind == "skipped"
	})
}

func (r *report) summary(t, key string) stats.Summary {
	return stats.Summarize(r.samples[t][key])
}

// cell shows the median of a row's samples with their range, or why
// there are none.
func (r *report) cell(t string, d rowDef) string {
	if tg, ok := targetByKey(t); ok && d.guest != "" && !tg.runs(d.guest) {
		return "" // not a row of this target
	}
	s := r.summary(t, d.key)
	if s.N == 0 {
		for _, n := range r.notes {
			if n.kind != "retried" && n.kind != "stall" && n.target == t && (n.row == "" || n.row == d.guest && d.guest != "") {
				return n.kind
			}
		}
		return "-"
	}
	if d.unit == "" {
		return fmt.Sprintf("%g", s.Median)
	}
	v := num(s.Median / d.scale)
	if s.N > 1 && s.Min != s.Max {
		v += " (" + num(s.Min/d.scale) + "–" + num(s.Max/d.scale) + ")"
	}
	return v
}

// ratio is the median of a over the median of b, if both are known and
// b's is not 0.
func (r *report) ratio(a, b string, d rowDef) (float64, bool) {
	sa, sb := r.summary(a, d.key), r.summary(b, d.key)
	if sa.N == 0 || sb.N == 0 || sb.Median == 0 || d.unit == "" {
		return 0, false
	}
	return sa.Median / sb.Median, true
}

func (r *report) ratioCell(a, b string, d rowDef) string {
	if v, ok := r.ratio(a, b, d); ok {
		return num(v) + "×"
	}
	return ""
}

// num formats v with two or three significant digits.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100 || a == 0:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// mainTable compares yolk with Linux; ablationTable compares yolk on two
// cores with its mechanisms switched off, ablation4Table on four.
func (r *report) mainTable() [][]string {
	rows := [][]string{{"row", "unit", "yolk smp1", "yolk smp2", r.smpLabel("yolk", 4), "linux smp1", "linux smp2", r.smpLabel("linux", 4),
		"yolk/linux smp1", "yolk/linux smp2", "yolk/linux smp4"}}
	for _, d := range tableRows {
		rows = append(rows, []string{d.title, d.unit,
			r.cell("yolk1", d), r.cell("yolk2", d), r.cell("yolk4", d), r.cell("linux1", d), r.cell("linux2", d), r.cell("linux4", d),
			r.ratioCell("yolk1", "linux1", d), r.ratioCell("yolk2", "linux2", d), r.ratioCell("yolk4", "linux4", d)})
	}
	return rows
}

// smpLabel is the column header of a guest on n cores, marked when the
// host has fewer CPUs than that.
func (r *report) smpLabel(guest string, n int) string {
	l := fmt.Sprintf("%s smp%d", guest, n)
	if r.oversubscribed(n) {
		l += " (oversubscribed)"
	}
	return l
}

func (r *report) oversubscribed(n int) bool { return r.hostCPUs > 0 && r.hostCPUs < n }

func (r *report) ablationTable() [][]string {
	offs := []struct{ key, label string }{
		{"yolk2cpus1", "yolk.cpus=1"}, {"yolk2poll", "yolk.idle=poll"}, {"yolk2nohaltpoll", "yolk.haltpoll=off"},
		{"yolk2tickkick", "yolk.kick=tick"}, {"yolk2spin", "yolk.wait=spin"},
	}
	head := []string{"row", "unit", "yolk smp2"}
	for _, o := range offs {
		head = append(head, o.label)
	}
	for _, o := range offs {
		head = append(head, strings.TrimPrefix(o.label, "yolk.")+" / yolk")
	}
	rows := [][]string{head}
	for _, d := range tableRows {
		if d.key == "image_size" || d.key == "image_size_net" {
			continue
		}
		row := []string{d.title, d.unit, r.cell("yolk2", d)}
		for _, o := range offs {
			row = append(row, r.cell(o.key, d))
		}
		for _, o := range offs {
			row = append(row, r.ratioCell(o.key, "yolk2", d))
		}
		rows = append(rows, row)
	}
	return rows
}

func (r *report) ablation4Table() [][]string {
	spin, _ := targetByKey("yolk4spin")
	rows := [][]string{{"row", "unit", r.smpLabel("yolk", 4), "yolk.wait=spin", "wait=spin / yolk"}}
	for _, d := range tableRows {
		if d.guest == "" || !spin.runs(d.guest) {
			continue
		}
		rows = append(rows, []string{d.title, d.unit, r.cell("yolk4", d), r.cell("yolk4spin", d), r.ratioCell("yolk4spin", "yolk4", d)})
	}
	return rows
}

// netAblationTable compares yolk's network rows on two cores with each
// of the data path's mechanisms switched off.
func (r *report) netAblationTable() [][]string {
	offs := []string{"yolk2nooffload", "yolk2nobatch", "yolk2exactclock", "yolk2gvisorclose"}
	head := []string{"row", "unit", "yolk smp2"}
	for _, k := range offs {
		t, _ := targetByKey(k)
		head = append(head, strings.TrimPrefix(t.label, "yolk smp2 "))
	}
	for _, k := range offs {
		t, _ := targetByKey(k)
		head = append(head, strings.TrimPrefix(t.label, "yolk smp2 yolk.")+" / yolk")
	}
	rows := [][]string{head}
	for _, d := range tableRows {
		if d.guest != "netserve" || d.key == "image_size_net" {
			continue
		}
		row := []string{d.title, d.unit, r.cell("yolk2", d)}
		for _, k := range offs {
			row = append(row, r.cell(k, d))
		}
		for _, k := range offs {
			row = append(row, r.ratioCell(k, "yolk2", d))
		}
		rows = append(rows, row)
	}
	return rows
}

// rpi4Table shows yolk on QEMU's raspi4b: another machine (4 Cortex-A72
// cores, the BCM2711's timer and interrupt controller), with no Linux
// guest to compare with, so no ratios; no network device, so no network
// rows.
func (r *report) rpi4Table() [][]string {
	t, _ := targetByKey("rpi4")
	rows := [][]string{{"row", "unit", t.label}}
	for _, d := range tableRows {
		if d.guest == "netserve" {
			continue
		}
		if d.key == "image_size" {
			d.title = "image size (kernel8.img)"
		}
		rows = append(rows, []string{d.title, d.unit, r.cell(t.key, d)})
	}
	return rows
}

func (r *report) label(key string) string {
	if t, ok := targetByKey(key); ok {
		return t.label
	}
	return key
}

func (r *report) noteLines() []string {
	var lines []string
	for _, n := range r.notes {
		row := n.row
		if row == "" {
			row = "all rows"
		}
		lines = append(lines, fmt.Sprintf("%s, %s: %s: %s", r.label(n.target), row, n.kind, n.reason))
	}
	return lines
}

const legend = "Each cell: median (min–max) over all runs; ratios compare medians. " +
	"Lower is better except for the parallel speedup, requests/s and MB/s."

// writeText writes the tables for a terminal.
func (r *report) writeText(w io.Writer) {
	titles := []string{"", "yolk mechanisms switched off (-smp 2):", "yolk mechanisms switched off (-smp 4):",
		"yolk network mechanisms switched off (-smp 2):", "yolk on raspi4b (4 cores), no ratios (no Linux guest there), no network rows:"}
	for i, tab := range [][][]string{r.mainTable(), r.ablationTable(), r.ablation4Table(), r.netAblationTable(), r.rpi4Table()} {
		if i > 0 {
			fmt.Fprintln(w, "\n"+titles[i])
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, row := range tab {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\n"+legend)
	if lines := r.noteLines(); len(lines) > 0 {
		fmt.Fprintln(w, "\nSkipped, failed or retried:")
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
	}
}

func mdTable(w io.Writer, rows [][]string) {
	for i, row := range rows {
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
		if i == 0 {
			fmt.Fprintln(w, "|"+strings.Repeat("---|", len(row)))
		}
	}
}

// writeMarkdown writes docs/BENCHMARKS.md; chart is the SVG's file name,
// next to it.
func (r *report) writeMarkdown(w io.Writer, chart string) {
	mode := "full run (`make bench`)"
	if r.quick {
		mode = "quick run (`make bench QUICK=1`): few repetitions, short windows; not for comparisons"
	}
	fmt.Fprintf(w, "# Benchmarks\n\nGenerated by `bench/harness` on %s, %s, in %v.\n",
		r.date.UTC().Format("2006-01-02 15:04 MST"), mode, r.elapsed.Round(time.Second))
	fmt.Fprint(w, "Do not edit: run `make bench` to regenerate this file and the chart.\n\n")
	fmt.Fprint(w, "The same Go program, `bench/guest`, runs on yolk (built for `board/qemu-virt`) "+
		"and on Linux (built for `linux/arm64`, booted as `/init` of an initramfs), "+
		"each guest on the same QEMU machine. Every row boots a fresh guest; "+
		"every boot also contributes a boot-time sample, except the network rows' boots, "+
		"whose images differ (built with `-tags benchnet`: net/http, and on yolk its TCP/IP stack).\n\n")
	for _, kv := range r.env {
		fmt.Fprintf(w, "- %s: %s\n", kv[0], kv[1])
	}
	fmt.Fprintf(w, "\n![yolk / Linux ratios](%s)\n\n## yolk and Linux\n\n", chart)
	mdTable(w, r.mainTable())
	if r.oversubscribed(4) {
		fmt.Fprintf(w, "\nThe `-smp 4` columns are oversubscribed: 4 guest cores (4 QEMU threads) on %d host CPUs.\n", r.hostCPUs)
	}
	fmt.Fprint(w, "\n## yolk with its mechanisms switched off\n\n"+
		"On `-smp 2`, with the boot arguments `yolk.cpus=1` (one core), `yolk.idle=poll` "+
		"(idle cores spin, as TamaGo's default idle does), `yolk.haltpoll=off` (idle cores sleep to a timer's "+
		"deadline instead of waking early and polling), `yolk.kick=tick` (a sleeping core is woken for queued "+
		"goroutines at the next tick of a busy core, not as soon as they have waited 20 µs) and `yolk.wait=spin` "+
		"(the runtime's waits spin instead of napping); the ratios are to plain yolk on `-smp 2`. "+
		"A mechanism is measured on the rows it acts on.\n\n")
	mdTable(w, r.ablationTable())
	fmt.Fprint(w, "\nOn `-smp 4`, where the runtime's waits compete with the cores they wait for when the host has fewer CPUs:\n\n")
	mdTable(w, r.ablation4Table())
	fmt.Fprint(w, "\n## yolk's network data path with its mechanisms switched off\n\n"+
		"On `-smp 2`, the network rows only, with the boot arguments `yolk.netoffload=off` "+
		"(no checksum or segmentation offload and no merged receive buffers negotiated; QEMU's user network "+
		"offers none of them anyway, so this column shows their cost, not their gain: see the tap test in "+
		"`test/tap_test.go` for that), `yolk.netbatch=off` (no event-index suppression of notifications and "+
		"interrupts, no receive coalescing by GRO), `yolk.netclock=exact` (gVisor reads the counter at every "+
		"timestamp instead of using the latest reading) and `yolk.netclose=gvisor` (closing connections are left to gVisor: "+
		"a peer's repeated FIN is not taken as the ACK it carries, so the guest resends its FIN after a timeout); "+
		"the ratios are to plain yolk on `-smp 2`.\n\n")
	mdTable(w, r.netAblationTable())
	fmt.Fprint(w, "\n## yolk on raspi4b (4 cores)\n\n"+
		"The same guest built for `board/rpi4` (`go tool yolk build -board rpi4`: the build tag that makes package `board` link it), "+
		"converted to `kernel8.img` and booted on QEMU's `raspi4b` machine "+
		"(4 Cortex-A72 cores, the BCM2711's GIC-400 and 54 MHz timer). "+
		"There is no Linux guest for it, so no ratios, and no network device on raspi4b, so no network rows. "+
		"Another emulated machine: compare its numbers with the tables above only loosely.\n\n")
	mdTable(w, r.rpi4Table())
	fmt.Fprintf(w, "\n%s\n\n## How each row is measured\n\n", legend)
	fmt.Fprint(w, methods)
	rows := slices.Clone(guestRows)
	if i := slices.Index(rows, "idle"); i >= 0 {
		rows[i] += " (as `-idle 10s idle`, three boots)"
	}
	fmt.Fprint(w, "\n## Command lines\n\n`<row>` is the guest row, one boot each: "+
		strings.Join(rows, ", ")+". "+
		"The network rows (netserve) boot the images built with `-tags benchnet` and add a virtio-net device "+
		"on QEMU's user network, with two free host ports forwarded to the guest's ports 80 and 7; "+
		"their first command line on each target is shown as run. "+
		"QEMU runs in the repository's root.\n\n")
	for _, c := range r.cmdlines {
		fmt.Fprintf(w, "%s:\n\n```\n%s\n```\n\n", c[0], c[1])
	}
	fmt.Fprint(w, "## Skipped, failed or retried\n\n")
	lines := r.noteLines()
	if len(lines) == 0 {
		fmt.Fprint(w, "Nothing.\n")
	}
	for _, l := range lines {
		fmt.Fprintf(w, "- %s\n", l)
	}
}

const methods = `QEMU emulates the arm64 CPU (TCG, one host thread per guest core): the absolute
numbers are those of an emulated machine, and only the ratios carry over. Whatever else runs on
the host takes CPU time from QEMU's threads and shows up in the results (see "other processes" above).

- **boot**: host-measured from starting QEMU to the READY line that ` + "`main`" + ` prints first
  (QEMU start-up and loading the image included); guest-measured: yolk counts from its first
  instruction (` + "`boot.MillisSinceReset`" + `), Linux reports ` + "`CLOCK_BOOTTIME`" + ` at ` + "`main`" + `.
- **spawn**: start 10 000 goroutines that each call ` + "`wg.Done`" + `, wait for all; time per goroutine.
- **ping-pong**: two goroutines pass an int over two unbuffered channels for about 300 ms; time per
  round trip. Same core: ` + "`GOMAXPROCS(1)`" + `. Cross core: each goroutine ` + "`LockOSThread`" + `ed,
  ` + "`GOMAXPROCS`" + ` ≥ 2 (not run on one core).
- **parallel speedup**: 64 chunks of xorshift rounds (400 ms on one goroutine), run by one goroutine,
  then by ` + "`GOMAXPROCS`" + ` goroutines; the ratio of the two times.
- **time.Sleep(1ms)**: 500 sleeps per run; how much longer than 1 ms each took.
- **timer fan-out**: 10 000 goroutines sleep a random 1–50 ms at once; how late each wakes.
- **interrupt wake-up**: a goroutine blocks on an interrupt source; another raises it every 1–2 ms
  (the cores go idle in between), 500 times; the time from raising it to the goroutine running. yolk: an
  SGI sent to the next core, whose handler signals a ` + "`sched.Event`" + ` the goroutine waits on; Linux: a byte
  written to a pipe by a thread of its own, which the goroutine reads (through the runtime's network poller).
- **GC pause**: allocate pointer-linked objects into an 8 MiB live set for 1 s; the stop-the-world
  pause of each GC cycle (` + "`MemStats.PauseNs`" + `, both pauses of a cycle).
- **idle host CPU**: the guest prints IDLE and sleeps; the harness adds up the run time of QEMU's
  threads (` + "`/proc/<pid>/task/*/schedstat`" + `) over 10 s and divides by the window and the number
  of guest cores: 100 % is a guest core spinning.
- **network rows**: the guest (netserve) starts its network with the same static address
  (10.0.2.15/24, no DHCP; yolk: ` + "`network.Start`" + `; Linux: loads virtio_mmio, failover, net_failover and
  virtio_net from the initramfs with ` + "`finit_module`" + ` and configures lo and eth0 with ioctls), serves HTTP
  (` + "`net/http`" + `) on port 80, the same over TLS on port 443 (an ECDSA P-256 certificate made at start) and
  TCP echo on port 7, and prints SERVING. QEMU's user network (slirp) forwards
  three free ports of the host's 127.0.0.1 to them, and the harness measures from the host, with Go's ` + "`net`" + ` and
  ` + "`net/http`" + `, three times over (once in quick runs): **HTTP requests/s**, 16 clients on keep-alive connections
  sending GET / (a 23-byte body) one after the other for 4 s (3 s), and the **host CPU per request** of
  that run (the run time of QEMU's threads, as for the idle guest, over the requests: the guest's CPU and
  the emulated device's, slirp included); the same with **64 clients**; **new connections/s**, 16 clients
  that each connect, send GET /, read the answer and close, over and over, for 4 s (3 s); **HTTPS on new
  connections**, the same over TLS with a full handshake each (no session resumption); a request or
  connection unanswered for 5 s is sent again and counted in its stalls row; **TCP echo**, 2000 (300) sequential
  64-byte round trips on one connection (percentiles over one run); **download**, GET of 32 MiB (4 MiB)
  from the guest, timed from the request to the last byte; **upload**, POST of 32 MiB (4 MiB), timed from
  the request to the guest's reply that it has read the whole body. The transfers carry a fixed pattern
  and are checked by length and SHA-256 (the upload's hash, made by the guest, after the timed part): a
  transfer that comes out wrong is a failure, not a number. Last, 1 s after the load, the **idle server**'s
  host CPU, measured as for the idle guest, with nothing connected. The host's load generator shares the
  host's CPUs with QEMU. Each stalled request is classified from a capture of the boot's traffic (QEMU's
  ` + "`filter-dump`" + ` on the netdev, headers only): *host side* if it never reached the guest, or the guest answered
  within 1 s and the answer did not reach the client; *guest side* if the guest received it (or its connection's
  SYN) and answered later or never. A guest-side stall fails the row under ` + "`STRICT=1`" + `; the capture of a boot with
  a stall is kept in ` + "`build/bench/captures`" + `. The HTTP clients open their connections one at a time: QEMU's
  user network listens with a backlog of 1, and a burst of connections makes the host drop SYNs.
- **image size**: what QEMU loads: the yolk ELF (on raspi4b its raw kernel8.img); the Linux kernel image plus the gzip initramfs.
  Both Go programs are linked with ` + "`-s -w`" + `. With networking: the netserve images (the Linux one's
  initramfs also holds the four modules).

The guest repeats every row 5 times in its boot (spawn, ping-pong, parallel, sleep, timers, GC), and
reports each repetition; percentiles are over one repetition's samples. Quick runs (` + "`QUICK=1`" + `)
repeat twice, with shorter runs and a 2 s idle window in one boot: they check that everything
works, they do not measure.
`

// chartBar is one bar of the SVG chart.
type chartBar struct {
	Y, X, W, TextX float64
	Fill, Label    string
	Anchor         string
}

type chartRow struct {
	Y     float64
	Title string
	Bars  []chartBar
}

type chartTick struct {
	X     float64
	Label string
}

type chart struct {
	Width, Height, Left, PlotW, Mid, Top, Bottom float64
	Rows                                         []chartRow
	Ticks                                        []chartTick
}

var svgTemplate = template.Must(template.New("svg").Funcs(template.FuncMap{"x": xmlText}).Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="15" font-weight="bold">yolk / Linux, ratio of medians (log scale)</text>
<rect x="10" y="32" width="11" height="11" fill="#9fd4a8"/><rect x="23" y="32" width="11" height="11" fill="#27ae60"/>
<text x="40" y="42">yolk better</text>
<rect x="130" y="32" width="11" height="11" fill="#e9a3a3"/><rect x="143" y="32" width="11" height="11" fill="#c0392b"/>
<text x="160" y="42">Linux better</text>
<text x="260" y="42" fill="#555">upper (light) bar: -smp 1; lower (dark) bar: -smp 2</text>
{{range .Ticks}}<line x1="{{.X}}" y1="{{$.Top}}" x2="{{.X}}" y2="{{$.Bottom}}" stroke="#ddd"/>
<text x="{{.X}}" y="{{$.Bottom}}" dy="14" text-anchor="middle" fill="#555">{{x .Label}}</text>
{{end}}<line x1="{{.Mid}}" y1="{{.Top}}" x2="{{.Mid}}" y2="{{.Bottom}}" stroke="#333"/>
{{range .Rows}}<text x="{{$.Left}}" y="{{.Y}}" dx="-10" dy="4" text-anchor="end">{{x .Title}}</text>
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="11" fill="{{.Fill}}"/>
<text x="{{.TextX}}" y="{{.Y}}" dy="9.5" font-size="10" text-anchor="{{.Anchor}}">{{x .Label}}</text>
{{end}}{{end}}</svg>
`))

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeSVG draws the yolk/Linux ratios of the chart rows on a log scale,
// -smp 1 and -smp 2 side by side.
func (r *report) writeSVG(w io.Writer) error {
	c := chart{Width: 900, Left: 250, PlotW: 600, Top: 56}
	c.Mid = c.Left + c.PlotW/2
	type chartData struct {
		d  rowDef
		v  [2]float64
		ok [2]bool
	}
	var data []chartData
	span := 1.0 // log2 of the largest ratio or inverse ratio shown
	for _, d := range tableRows {
		if d.chart == "" {
			continue
		}
		cd := chartData{d: d}
		cd.v[0], cd.ok[0] = r.ratio("yolk1", "linux1", d)
		cd.v[1], cd.ok[1] = r.ratio("yolk2", "linux2", d)
		if !cd.ok[0] && !cd.ok[1] {
			continue
		}
		for i, v := range cd.v {
			if cd.ok[i] && v > 0 {
				span = max(span, math.Ceil(math.Abs(math.Log2(v))))
			}
		}
		data = append(data, cd)
	}
	step := math.Ceil(min(span, 16) / 4)
	span = step * math.Ceil(min(span, 16)/step)
	x := func(ratio float64) float64 {
		l := max(-span, min(span, math.Log2(ratio))) // log2(0) = -Inf: the left edge
		return c.Mid + l/span*(c.PlotW/2-50)         // room for a label at either end
	}
	for e := -span; e <= span; e += step {
		label := fmt.Sprintf("%g×", math.Exp2(e))
		if e < 0 {
			label = fmt.Sprintf("1/%g", math.Exp2(-e))
		}
		c.Ticks = append(c.Ticks, chartTick{X: x(math.Exp2(e)), Label: label})
	}
	y := c.Top + 10
	for _, cd := range data {
		row := chartRow{Y: y + 12, Title: cd.d.chart}
		for j, v := range cd.v {
			if !cd.ok[j] {
				continue
			}
			fill := [2]string{"#e9a3a3", "#c0392b"}[j]
			if v < 1 != cd.d.higher {
				fill = [2]string{"#9fd4a8", "#27ae60"}[j]
			}
			b := chartBar{Y: y + float64(j)*13, Fill: fill, Label: num(v) + "×"}
			x1 := x(v)
			b.X, b.W = min(c.Mid, x1), math.Max(math.Abs(x1-c.Mid), 1)
			b.TextX, b.Anchor = b.X+b.W+3, "start"
			if x1 < c.Mid {
				b.TextX, b.Anchor = b.X-3, "end"
			}
			row.Bars = append(row.Bars, b)
		}
		c.Rows = append(c.Rows, row)
		y += 34
	}
	c.Bottom = y
	c.Height = y + 24
	return svgTemplate.Execute(w, c)
}

// skipMissing notes that a row (or a whole target, row "") was skipped
// because something it needs is missing: -strict fails on it.
func (r *report) skipMissing(target, row, reason string) {
	r.notes = append(r.notes, note{target, row, "skipped", reason})
	r.problems = append(r.problems, strings.TrimSpace(target+" "+row)+": skipped: "+reason)
}

// strictProblems lists what -strict fails on: every failed row, and rows
// skipped because something they need is missing.
func (r *report) strictProblems() []string {
	p := slices.Clone(r.problems)
	for _, n := range r.notes {
		if n.kind == "failed" {
			p = append(p, strings.TrimSpace(n.target+" "+n.row)+": failed: "+n.reason)
		}
	}
	return p
}
