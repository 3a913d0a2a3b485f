//go:build !tamago

package main

// make bursts (-bursts): connection bursts against yolk and the Linux
// guest on the same QEMU line (the network rows' images and command line,
// 2 cores), side by side, written to docs/BURSTS.md:
//
//   - held connections: N connections to the echo server opened at once and
//     held; how many the host opened, how many answer an echo, how many the
//     guest counts open;
//   - connect/close: workers that each connect, echo a byte and close, over
//     and over; connections per second and failures;
//   - TLS handshakes: N handshakes at once (a GET over each), as many as
//     complete within the limit, and their latency.
//
// QEMU's user network puts a host listening socket with a backlog of 1 in
// front of every forwarded port (libslirp's tcpx_listen): a burst
// overflows it, and the host drops SYNs, which the clients send again
// after 1, 3, 7 ... s. Each burst shows what the host's ListenOverflows,
// ListenDrops and TCPSynRetrans counters grew by while it ran, and the
// Linux guest behind the same QEMU line shows what the host allows.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/bench/capture"
	"github.com/yolkos/yolk/bench/stats"
)

// burstConfig sizes the bursts.
type burstConfig struct {
	held       int           // connections opened at once and held
	dialLimit  time.Duration // how long a connection may take to open
	churn      int           // connect/close workers
	churnFor   time.Duration // how long they run
	handshakes int           // TLS handshakes at once
	tlsLimit   time.Duration // how long one may take
}

func burstConfigFor(quick bool) burstConfig {
	if quick {
		return burstConfig{held: 300, dialLimit: 30 * time.Second, churn: 8, churnFor: 5 * time.Second, handshakes: 100, tlsLimit: 60 * time.Second}
	}
	return burstConfig{held: 2000, dialLimit: 30 * time.Second, churn: 16, churnFor: 15 * time.Second, handshakes: 500, tlsLimit: 60 * time.Second}
}

// burstResult is what one target's bursts measured, by measure name.
type burstResult struct {
	values  map[string]float64
	notes   []string
	windows map[string][2]time.Time // each burst's start and end (host clock)
	log     stallLog                // its first connection anchors the capture's clock
}

func (b *burstResult) set(name string, v float64) {
	if b.values == nil {
		b.values = map[string]float64{}
	}
	b.values[name] = v
}

// guestConns reads the guest's echo connection count (GET /conns); its
// connection is dialed through log (the first anchors the capture's
// clock).
func guestConns(httpAddr string, log *stallLog) (open, accepted int, err error) {
	tr := newTransport(1)
	tr.DialContext = log.dial(&net.Dialer{Timeout: 5 * time.Second})
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := c.Get("http://" + httpAddr + "/conns")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`^open=(\d+) accepted=(\d+)\n$`).FindStringSubmatch(string(b))
	if m == nil {
		return 0, 0, fmt.Errorf("GET /conns: %s %q", resp.Status, b)
	}
	open, _ = strconv.Atoi(m[1])
	accepted, _ = strconv.Atoi(m[2])
	return open, accepted, nil
}

// counted runs f and records what the host's TCP counters grew by under
// prefix.
func (b *burstResult) counted(prefix string, f func()) {
	before, err1 := readNetCounters()
	start := time.Now()
	f()
	if b.windows == nil {
		b.windows = map[string][2]time.Time{}
	}
	b.windows[prefix] = [2]time.Time{start, time.Now()}
	after, err2 := readNetCounters()
	if err := errors.Join(err1, err2); err != nil {
		b.notes = append(b.notes, "host counters: "+err.Error())
		return
	}
	for k, v := range after.since(before) {
		b.set(prefix+" "+k, float64(v))
	}
}

// burstHeld opens n connections to the echo server at once, holds them,
// checks that each echoes, asks the guest how many it has open, and
// closes them.
func burstHeld(b *burstResult, c burstConfig, echoAddr, httpAddr string) {
	_, accepted0, err := guestConns(httpAddr, &b.log)
	if err != nil {
		b.notes = append(b.notes, "held: "+err.Error())
		return
	}
	conns := make([]net.Conn, c.held)
	var wg sync.WaitGroup
	var slowest atomic.Int64
	var firstErr atomic.Value
	var answering atomic.Int64
	// The window covers the echoes too: QEMU opens its connection to the
	// guest when the host accepts, which for many comes only as their
	// first byte arrives.
	b.counted("held", func() {
		start := time.Now()
		for i := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := net.DialTimeout("tcp", echoAddr, c.dialLimit)
				if err != nil {
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				conns[i] = conn
				for d := int64(time.Since(start)); ; {
					old := slowest.Load()
					if d <= old || slowest.CompareAndSwap(old, d) {
						break
					}
				}
			}()
		}
		wg.Wait()
		// Every open connection echoes a byte (allowing for the ones the
		// host has yet to hand to QEMU).
		for _, conn := range conns {
			if conn == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn.SetDeadline(time.Now().Add(c.dialLimit))
				var one [1]byte
				if _, err := conn.Write([]byte{'x'}); err == nil {
					if _, err := io.ReadFull(conn, one[:]); err == nil && one[0] == 'x' {
						answering.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	})
	opened := 0
	for _, conn := range conns {
		if conn != nil {
			opened++
		}
	}
	open, accepted, err := guestConns(httpAddr, &b.log)
	if err != nil {
		b.notes = append(b.notes, "held: "+err.Error())
	}
	for _, conn := range conns {
		if conn != nil {
			conn.Close()
		}
	}
	b.set("held opened", float64(opened))
	b.set("held answering", float64(answering.Load()))
	b.set("held guest open", float64(open))
	b.set("held guest accepted", float64(accepted-accepted0))
	b.set("held slowest open", float64(slowest.Load()))
	if e, ok := firstErr.Load().(string); ok {
		b.notes = append(b.notes, fmt.Sprintf("held: %d of %d connections did not open within %v, the first: %s", c.held-opened, c.held, c.dialLimit, e))
	}
	// The guest lets them all go.
	deadline := time.Now().Add(30 * time.Second)
	for {
		open, _, err := guestConns(httpAddr, &b.log)
		if err == nil && open == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.notes = append(b.notes, fmt.Sprintf("held: the guest still has %d echo connections open 30 s after the host closed them", open))
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// burstChurn runs workers that connect, echo a byte and close, for a
// while.
func burstChurn(b *burstResult, c burstConfig, echoAddr string) {
	dial := countedDial(&net.Dialer{Timeout: httpStall})
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var lat []float64
	var firstErr atomic.Value
	b.counted("churn", func() {
		var wg sync.WaitGroup
		end := time.Now().Add(c.churnFor)
		start := time.Now()
		for range c.churn {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []float64
				for time.Now().Before(end) {
					t0 := time.Now()
					err := func() error {
						conn, err := dial(context.Background(), "tcp", echoAddr)
						if err != nil {
							return err
						}
						defer conn.Close()
						conn.SetDeadline(time.Now().Add(httpStall))
						var one [1]byte
						if _, err := conn.Write([]byte{'y'}); err != nil {
							return err
						}
						_, err = io.ReadFull(conn, one[:])
						var ne net.Error
						if errors.As(err, &ne) && ne.Timeout() {
							b.log.add(conn, t0) // classified from the capture
						}
						return err
					}()
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
						continue
					}
					ok.Add(1)
					mine = append(mine, float64(time.Since(t0)))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		b.set("churn rate", float64(ok.Load())/time.Since(start).Seconds())
	})
	b.set("churn done", float64(ok.Load()))
	b.set("churn failed", float64(failed.Load()))
	if len(lat) > 0 {
		b.set("churn p50", stats.Percentile(lat, 50))
		b.set("churn p99", stats.Percentile(lat, 99))
	}
	if e, ok := firstErr.Load().(string); ok {
		b.notes = append(b.notes, fmt.Sprintf("connect/close: %d failed (5 s each), the first: %s", failed.Load(), e))
	}
}

// burstTLS starts n TLS handshakes at once, each followed by GET /.
func burstTLS(b *burstResult, c burstConfig, tlsAddr string) {
	var done, failed atomic.Int64
	lat := make([]float64, c.handshakes)
	var firstErr atomic.Value
	b.counted("tls", func() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range c.handshakes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true,
					DialContext: (&net.Dialer{Timeout: c.tlsLimit}).DialContext}
				client := &http.Client{Transport: tr, Timeout: c.tlsLimit}
				<-start
				t0 := time.Now()
				resp, err := client.Get("https://" + tlsAddr + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				lat[i] = float64(time.Since(t0))
				done.Add(1)
			}()
		}
		close(start)
		wg.Wait()
	})
	var ok []float64
	for _, l := range lat {
		if l > 0 {
			ok = append(ok, l)
		}
	}
	b.set("tls done", float64(done.Load()))
	if len(ok) > 0 {
		b.set("tls p50", stats.Percentile(ok, 50))
		b.set("tls p99", stats.Percentile(ok, 99))
		b.set("tls slowest", slices.Max(ok))
	}
	if e, ok := firstErr.Load().(string); ok {
		b.notes = append(b.notes, fmt.Sprintf("TLS: %d of %d failed within %v, the first: %s", failed.Load(), c.handshakes, c.tlsLimit, e))
	}
}

// runBurstsOn boots t's network image and runs the bursts.
func runBurstsOn(t target, c burstConfig, kernel, initrd string, quick bool) (*burstResult, string, error) {
	fwd, err := netForwards()
	if err != nil {
		return nil, "", err
	}
	capFile, err := newCaptureFile("bursts-" + t.key)
	if err != nil {
		return nil, "", err
	}
	res := &burstResult{}
	var trace *cpuTrace
	spec := bootSpec{timeout: 15 * time.Minute, smp: t.smp,
		args: append(t.qemuArgs(kernel, initrd, fwd, []string{"-ip", guestIP, "-gw", guestGW, "-serve", "14m", "netserve"}), captureArgs(capFile)...),
		serve: func(pid int, serving map[string]int) netOut {
			addrs, err := serviceAddrs(serving, fwd)
			if err == nil && addrs.https == "" {
				err = errors.New("the guest serves no HTTPS")
			}
			if err != nil {
				return netOut{errs: []string{err.Error()}}
			}
			httpAddr, echoAddr, tlsAddr := addrs.http, addrs.echo, addrs.https
			trace = startCPUTrace(pid)
			defer trace.Stop()
			progress("  %s: %d connections held", t.label, c.held)
			burstHeld(res, c, echoAddr, httpAddr)
			time.Sleep(2 * time.Second)
			progress("  %s: connect/close, %d workers for %v", t.label, c.churn, c.churnFor)
			burstChurn(res, c, echoAddr)
			time.Sleep(2 * time.Second)
			progress("  %s: %d TLS handshakes", t.label, c.handshakes)
			burstTLS(res, c, tlsAddr)
			quitGuest(httpAddr)
			return netOut{}
		}}
	b, err := boot(spec)
	if err != nil {
		return nil, "", err
	}
	cmdline := qemuBin + " " + shellJoin(spec.args)
	if f := b.failureDetail(); f != "" && !b.served {
		return nil, cmdline, fmt.Errorf("%s: %s", t.label, f)
	}
	res.notes = append(res.notes, b.net.errs...)
	if err := res.handshakes(capFile); err != nil {
		res.notes = append(res.notes, "the capture: "+err.Error())
	}
	// Connections of the connect/close run that stalled, classified.
	vs, kept, err := classifyStalls(capFile, &res.log, fwd, trace)
	if err != nil {
		res.notes = append(res.notes, "connect/close stalls: "+err.Error())
	}
	for _, v := range vs {
		res.notes = append(res.notes, fmt.Sprintf("connect/close: the connection from port %d, no echo within %v: %v", v.req.Port, httpStall, v.verdict))
	}
	if kept != "" {
		res.notes = append(res.notes, "capture kept: "+kept)
	}
	return res, cmdline, nil
}

// handshakes reads the boot's capture and adds, for each burst, how the
// guest answered the connections QEMU opened to it: SYNs that reached it,
// SYN-ACKs it sent, how long it took, resets.
func (b *burstResult) handshakes(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	pkts, err := capture.Read(f)
	if err != nil {
		return err
	}
	b.log.mu.Lock()
	anchor := b.log.anchor
	b.log.mu.Unlock()
	if !anchor.set {
		return errors.New("no connection anchors its clock")
	}
	offset, ok := capture.ClockOffset(pkts, anchor.local, 80, anchor.at)
	if !ok {
		return errors.New("the first connection is not in it")
	}
	for burst, port := range map[string]uint16{"held": 7, "churn": 7, "tls": 443} {
		w, ok := b.windows[burst]
		if !ok {
			continue
		}
		h := capture.CountHandshakes(pkts, port, w[0].Add(offset-time.Second), w[1].Add(offset+time.Second))
		b.set(burst+" guest SYNs", float64(h.SYNs))
		b.set(burst+" guest SYN-ACKs", float64(h.Answered))
		b.set(burst+" guest resets", float64(h.Resets))
		if len(h.Latency) > 0 {
			var l []float64
			for _, d := range h.Latency {
				l = append(l, float64(d))
			}
			b.set(burst+" guest SYN-ACK p99", stats.Percentile(l, 99))
			b.set(burst+" guest SYN-ACK max", slices.Max(l))
		}
	}
	return nil
}

// runBursts is -bursts: both guests, then the table.
func runBursts(quick bool, kernelFlag string) error {
	if err := enterRoot(); err != nil {
		return err
	}
	c := burstConfigFor(quick)
	progress("building the yolk guest with networking (%s)", yolkNetImage)
	if err := buildYolk(yolkNetImage, netTag); err != nil {
		return err
	}
	kernel := kernelFlag
	var modules string
	var err error
	if kernel == "" {
		var modErr error
		kernel, _, modules, modErr, err = linuxKernel(func(s string) { progress("  %s", s) })
		if err == nil {
			err = modErr
		}
		if err != nil {
			return fmt.Errorf("the Linux guest, which the bursts compare with, needs a kernel: %v", err)
		}
	}
	var mods []cpioEntry
	if modules != "" {
		if mods, err = moduleEntries(modules); err != nil {
			return err
		}
	}
	progress("building the Linux guest with networking (%s)", initramfsNet)
	if err := buildLinux(linuxNetGuest, initramfsNet, netTag, mods...); err != nil {
		return err
	}
	var keys []string
	results := map[string]*burstResult{}
	cmdlines := map[string]string{}
	start := time.Now()
	for _, key := range []string{"yolk2", "linux2"} {
		t, _ := targetByKey(key)
		image, initrd := yolkNetImage, ""
		if t.linux {
			image, initrd = kernel, initramfsNet
		}
		progress("%s: booting", t.label)
		res, cmdline, err := runBurstsOn(t, c, image, initrd, quick)
		if err != nil {
			return err
		}
		keys = append(keys, key)
		results[key], cmdlines[key] = res, cmdline
	}
	var md bytes.Buffer
	writeBursts(&md, c, keys, results, cmdlines, quick, time.Since(start))
	doc := "docs/BURSTS.md"
	if quick {
		doc = buildDir + "/BURSTS-quick.md"
	}
	if err := os.MkdirAll(filepath.Dir(doc), 0o755); err != nil {
		return err
	}
	fmt.Print(md.String())
	progress("wrote %s", doc)
	return os.WriteFile(doc, md.Bytes(), 0o644)
}

// burstMeasures are the table's rows: the result name, the burst, what it
// shows, its unit and scale, and whether higher is better.
var burstMeasures = []struct {
	key, burst, title, unit string
	scale                   float64
	higher                  bool
}{
	{"held opened", "held", "connections the host opened within the limit", "", 1, true},
	{"held answering", "held", "of those, answering an echo within the limit", "", 1, true},
	{"held guest open", "held", "connections the guest has open (its echo server's count)", "", 1, true},
	{"held guest accepted", "held", "connections the guest accepted during the burst", "", 1, true},
	{"held slowest open", "held", "slowest connection to open", "s", 1e9, false},
	{"held guest SYNs", "held", "connections QEMU opened to the guest (SYNs in the capture)", "", 1, true},
	{"held guest SYN-ACKs", "held", "of those, answered by the guest (SYN-ACK)", "", 1, true},
	{"held guest SYN-ACK p99", "held", "the guest's SYN-ACK after the SYN, p99", "ms", 1e6, false},
	{"held guest SYN-ACK max", "held", "the guest's SYN-ACK after the SYN, slowest", "ms", 1e6, false},
	{"held guest resets", "held", "resets the guest sent", "", 1, false},
	{"held ListenOverflows", "held", "host ListenOverflows during the burst", "", 1, false},
	{"held ListenDrops", "held", "host ListenDrops during the burst", "", 1, false},
	{"held TCPSynRetrans", "held", "host TCPSynRetrans during the burst", "", 1, false},
	{"churn rate", "churn", "connections per second (connect, echo a byte, close)", "/s", 1, true},
	{"churn done", "churn", "connections completed", "", 1, true},
	{"churn failed", "churn", "connections failed (5 s each)", "", 1, false},
	{"churn p50", "churn", "connect + echo + close p50", "ms", 1e6, false},
	{"churn p99", "churn", "connect + echo + close p99", "ms", 1e6, false},
	{"churn guest SYNs", "churn", "connections QEMU opened to the guest (SYNs in the capture)", "", 1, true},
	{"churn guest SYN-ACKs", "churn", "of those, answered by the guest (SYN-ACK)", "", 1, true},
	{"churn guest SYN-ACK p99", "churn", "the guest's SYN-ACK after the SYN, p99", "ms", 1e6, false},
	{"churn guest resets", "churn", "resets the guest sent", "", 1, false},
	{"churn ListenOverflows", "churn", "host ListenOverflows during the run", "", 1, false},
	{"churn TCPSynRetrans", "churn", "host TCPSynRetrans during the run", "", 1, false},
	{"tls done", "tls", "handshakes (and a GET) completed within the limit", "", 1, true},
	{"tls p50", "tls", "handshake + GET p50", "s", 1e9, false},
	{"tls p99", "tls", "handshake + GET p99", "s", 1e9, false},
	{"tls slowest", "tls", "slowest completed", "s", 1e9, false},
	{"tls guest SYNs", "tls", "connections QEMU opened to the guest (SYNs in the capture)", "", 1, true},
	{"tls guest SYN-ACKs", "tls", "of those, answered by the guest (SYN-ACK)", "", 1, true},
	{"tls guest SYN-ACK p99", "tls", "the guest's SYN-ACK after the SYN, p99", "ms", 1e6, false},
	{"tls guest resets", "tls", "resets the guest sent", "", 1, false},
	{"tls ListenOverflows", "tls", "host ListenOverflows during the burst", "", 1, false},
	{"tls ListenDrops", "tls", "host ListenDrops during the burst", "", 1, false},
	{"tls TCPSynRetrans", "tls", "host TCPSynRetrans during the burst", "", 1, false},
}

func writeBursts(w io.Writer, c burstConfig, keys []string, res map[string]*burstResult, cmdlines map[string]string, quick bool, took time.Duration) {
	mode := "full run (`make bursts`)"
	if quick {
		mode = "quick run (`make bursts QUICK=1`): smaller bursts"
	}
	fmt.Fprintf(w, "# Connection bursts\n\nGenerated by `bench/harness -bursts` on %s, %s, in %v. Do not edit: run `make bursts`.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), mode, took.Round(time.Second))
	fmt.Fprintf(w, "The network rows' server (`bench/guest` netserve, with a TLS listener) on yolk and on Linux, "+
		"each on the same QEMU command line (2 cores, QEMU's user network, ports forwarded from the host), "+
		"driven from the host: **held**, %d connections to the echo server opened at once (each may take %v) and held, "+
		"each then echoing a byte; **connect/close**, %d workers connecting, echoing a byte and closing for %v; "+
		"**TLS**, %d handshakes at once (ECDSA P-256), each followed by a GET, within %v.\n\n",
		c.held, c.dialLimit, c.churn, c.churnFor, c.handshakes, c.tlsLimit)
	fmt.Fprint(w, "QEMU's user network listens on each forwarded port with a backlog of 1 (libslirp's `tcpx_listen`): "+
		"in a burst the host's accept queue overflows and the host drops SYNs, which the clients send again "+
		"after 1, 3, 7 ... s. The host's counters (`/proc/net/netstat`, TcpExt; for the whole host, so other "+
		"programs may add to them) show it: `ListenOverflows`/`ListenDrops` count the dropped SYNs, "+
		"`TCPSynRetrans` the clients' retries. Where both guests stop at the same place with those counters "+
		"rising, the limit is the host's, not the guest's. A capture of each boot (QEMU's `filter-dump`) shows what "+
		"reached the guest: the connections QEMU opened to it, and how soon it answered them.\n\n")
	var head []string
	head = append(head, "burst", "measure", "unit")
	for _, k := range keys {
		head = append(head, targetLabel(k))
	}
	if len(keys) == 2 {
		head = append(head, targetLabel(keys[0])+" / "+targetLabel(keys[1]))
	}
	rows := [][]string{head}
	for _, m := range burstMeasures {
		row := []string{m.burst, m.title, m.unit}
		vals := make([]float64, len(keys))
		known := true
		for i, k := range keys {
			v, ok := res[k].values[m.key]
			if !ok {
				row = append(row, "-")
				known = false
				continue
			}
			vals[i] = v
			if m.unit == "" {
				row = append(row, fmt.Sprintf("%.0f", v)) // a count
			} else {
				row = append(row, num(v/m.scale))
			}
		}
		if len(keys) == 2 {
			if known && vals[1] != 0 && !strings.Contains(m.key, "Listen") && !strings.Contains(m.key, "SynRetrans") && !strings.Contains(m.key, "resets") {
				row = append(row, num(vals[0]/vals[1])+"×")
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	mdTable(w, rows)
	fmt.Fprintln(w)
	for _, k := range keys {
		for _, n := range res[k].notes {
			fmt.Fprintf(w, "- %s: %s\n", targetLabel(k), n)
		}
	}
	fmt.Fprint(w, "\n## Command lines\n\nHost ports vary per boot.\n\n")
	for _, k := range keys {
		fmt.Fprintf(w, "%s:\n\n```\n%s\n```\n\n", targetLabel(k), cmdlines[k])
	}
}

func targetLabel(key string) string {
	if t, ok := targetByKey(key); ok {
		return t.label
	}
	return key
}
