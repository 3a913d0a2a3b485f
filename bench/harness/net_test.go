//go:build !tamago

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yolkos/yolk/bench/capture"
	"github.com/yolkos/yolk/bench/proto"
)

func TestParseUploadReply(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	if n, s, err := parseUploadReply("n=4194304\nsha256=" + sum + "\n"); err != nil || n != 4194304 || s != sum {
		t.Errorf("got %d %q %v", n, s, err)
	}
	for _, bad := range []string{
		"",
		"n=5\n",                          // no hash
		"n=5\nsha256=" + sum,             // no final newline
		"n=-5\nsha256=" + sum + "\n",     // negative
		"n=5\nsha256=" + sum[:62] + "\n", // short hash
		"n=5\nsha256=" + strings.ToUpper(sum) + "\n",   // not lower-case hex
		"n=5\nsha256=" + sum + "\nmore\n",              // trailing text
		"n=99999999999999999999\nsha256=" + sum + "\n", // overflows
	} {
		if _, _, err := parseUploadReply(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckTransfer(t *testing.T) {
	sum := patternSHA256(1000)
	if err := checkTransfer(1000, sum, 1000, sum); err != nil {
		t.Error(err)
	}
	if err := checkTransfer(999, sum, 1000, sum); err == nil || !strings.Contains(err.Error(), "999 bytes, want 1000") {
		t.Errorf("short transfer: %v", err)
	}
	if err := checkTransfer(1000, patternSHA256(999), 1000, sum); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("wrong data: %v", err)
	}
	// The SHA-256 of the empty pattern is the well-known one.
	if got := patternSHA256(0); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("patternSHA256(0) = %s", got)
	}
}

func TestRate(t *testing.T) {
	if got := rate(3000, 1500*time.Millisecond); got != 2000 {
		t.Errorf("rate = %v", got)
	}
}

func TestServiceAddrs(t *testing.T) {
	fwd := []hostFwd{{40001, 80}, {40002, 7}, {40003, 443}}
	a, err := serviceAddrs(map[string]int{"http": 80, "echo": 7, "https": 443}, fwd)
	if err != nil || a != (netAddrs{"127.0.0.1:40001", "127.0.0.1:40002", "127.0.0.1:40003"}) {
		t.Errorf("forwarded: %+v %v", a, err)
	}
	a, err = serviceAddrs(map[string]int{"http": 38000, "echo": 38001}, nil)
	if err != nil || a != (netAddrs{http: "127.0.0.1:38000", echo: "127.0.0.1:38001"}) {
		t.Errorf("on the host, without HTTPS: %+v %v", a, err)
	}
	if _, err := serviceAddrs(map[string]int{"http": 8080, "echo": 7}, fwd); err == nil || !strings.Contains(err.Error(), "8080") {
		t.Errorf("a port not forwarded: %v", err)
	}
	if _, err := serviceAddrs(map[string]int{"http": 80}, fwd); err == nil || !strings.Contains(err.Error(), "no echo") {
		t.Errorf("no echo: %v", err)
	}
}

func TestFreePorts(t *testing.T) {
	p, err := freePorts(2)
	if err != nil {
		t.Skip(err)
	}
	if len(p) != 2 || p[0] == p[1] || p[0] <= 0 || p[1] <= 0 {
		t.Errorf("ports %v", p)
	}
	fwd, err := netForwards()
	if err != nil || len(fwd) != 3 || fwd[0].guest != 80 || fwd[1].guest != 7 || fwd[2].guest != 443 || fwd[0].host == fwd[1].host {
		t.Errorf("forwards %v %v", fwd, err)
	}
}

func TestNetOutStatus(t *testing.T) {
	var o netOut
	o.add(netIdle, "pct", 0.5, 0)
	o.add(netHTTP, "rps", 900, 100)
	o.add(netHTTP, "rps", 1100, 100)
	o.add(netEchoP50, "ns", 250e3, 300)
	o.add(netDown, "bytes", 40e6, 0)
	o.errs = []string{"upload: timed out"}
	o.slowest = 1234567 * time.Microsecond
	want := "idle 0.50%, 1000 req/s (slowest 1.235s), echo p50 250 µs, down 40.0 MB/s, 1 failed: upload: timed out"
	if got := o.status(); got != want {
		t.Errorf("status %q\nwant   %q", got, want)
	}
}

// A server that gets the transfers wrong: each must fail, with why.
func TestBrokenTransfers(t *testing.T) {
	const n = 100000
	sum := patternSHA256(n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			io.WriteString(w, "something else\n")
		case "/bytes":
			b, _ := io.ReadAll(proto.NewPattern(n))
			if r.URL.Query().Get("n") != fmt.Sprint(n) {
				http.Error(w, "bad n", http.StatusBadRequest)
				return
			}
			b[n/2] ^= 1 // one bit flipped
			w.Write(b)
		case "/upload":
			k, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, "n=%d\nsha256=%s\n", k-1, sum) // one byte short
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if _, err := measureDownload(addr, n, sum, 10*time.Second); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("download of a corrupted body: %v", err)
	}
	if _, err := measureUpload(addr, n, sum, 10*time.Second); err == nil || !strings.Contains(err.Error(), "99999 bytes, want 100000") {
		t.Errorf("upload the guest miscounted: %v", err)
	}
	if _, err := measureHTTP(addr, 4, 100*time.Millisecond, 10*time.Second, nil); err == nil || !strings.Contains(err.Error(), "unexpected body") {
		t.Errorf("HTTP with the wrong body: %v", err)
	}
	// Nothing listening.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	if _, err := measureHTTP(dead, 4, 100*time.Millisecond, 2*time.Second, nil); err == nil {
		t.Error("HTTP against nothing succeeded")
	}
	if _, err := measureEcho(dead, 10, 64, 2*time.Second); err == nil {
		t.Error("echo against nothing succeeded")
	}
}

// An echo server that answers wrongly (or not at all) fails the run.
func TestBrokenEcho(t *testing.T) {
	serve := func(handle func(net.Conn)) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go handle(c)
			}
		}()
		return l.Addr().String()
	}
	good := serve(func(c net.Conn) { io.Copy(c, c); c.Close() })
	rtts, err := measureEcho(good, 50, 64, 10*time.Second)
	if err != nil || len(rtts) != 50 {
		t.Fatalf("a good echo: %d round trips, %v", len(rtts), err)
	}
	flip := serve(func(c net.Conn) {
		defer c.Close()
		b := make([]byte, 64)
		for i := 0; ; i++ {
			if _, err := io.ReadFull(c, b); err != nil {
				return
			}
			if i == 20 {
				b[3]++
			}
			c.Write(b)
		}
	})
	if _, err := measureEcho(flip, 50, 64, 10*time.Second); err == nil || !strings.Contains(err.Error(), "round trip 20: the echo differs") {
		t.Errorf("a wrong echo: %v", err)
	}
	mute := serve(func(c net.Conn) { io.Copy(io.Discard, c) })
	if _, err := measureEcho(mute, 50, 64, 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("no echo: %v", err)
	}
}

// The report's description of the network rows matches what runs.
func TestNetMethods(t *testing.T) {
	f, q := netConfigFor(false, 0), netConfigFor(true, 0)
	text := strings.Join(strings.Fields(methods), " ")
	for _, want := range []string{
		fmt.Sprintf("%d clients on keep-alive connections", f.clients),
		fmt.Sprintf("a %d-byte body", len(proto.HelloBody)),
		fmt.Sprintf("for %g s (%g s)", f.window.Seconds(), q.window.Seconds()),
		fmt.Sprintf("%d (%d) sequential %d-byte round trips", f.trips, q.trips, f.msg),
		fmt.Sprintf("GET of %d MiB (%d MiB)", f.bulk>>20, q.bulk>>20),
		fmt.Sprintf("POST of %d MiB (%d MiB)", f.bulk>>20, q.bulk>>20),
		fmt.Sprintf("Last, %g s after the load", netSettle.Seconds()),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the methods do not say %q", want)
		}
	}
	if f.reps != 3 || q.reps != 1 || !strings.Contains(text, "three times over (once in quick runs)") {
		t.Errorf("reps %d, %d", f.reps, q.reps)
	}
	if q.clients != f.clients || q.msg != f.msg || !strings.Contains(tableRows[slices.IndexFunc(tableRows, func(d rowDef) bool { return d.key == netHTTP })].title, fmt.Sprintf("%d keep-alive", f.clients)) {
		t.Error("the rows' titles do not match quick and full runs")
	}
}

// A server that never answers some requests: each is a stall, sent again
// on a new connection, counted, and the run still measures the rest; too
// many stalls fail it.
func TestHTTPStalls(t *testing.T) {
	var n atomic.Int64
	var stalls func(k int64) bool
	var stalledFrom atomic.Value // the stalled request's client address
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stalls(n.Add(1)) {
			stalledFrom.Store(r.RemoteAddr)
			<-r.Context().Done() // never answered: the client gives up
			return
		}
		io.WriteString(w, proto.HelloBody)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var log *stallLog
	measure := func(stall func(int64) bool) (httpRun, error) {
		n.Store(0)
		stalls = stall
		// A limit well above a loaded host's answer time: only the
		// requests never answered stall.
		return measureHTTP(addr, 2, 300*time.Millisecond, time.Second, log)
	}

	log = &stallLog{}
	start := time.Now()
	run, err := measure(func(k int64) bool { return k == 5 })
	if err != nil || run.stalls != 1 || run.n < 20 {
		t.Errorf("one stalled request: got %+v, %v; want it counted and the run measured", run, err)
	}
	// The stall is recorded as the client saw it: its connection's port
	// (the one the server saw), the server's port, and the bytes it had
	// written (the request at least).
	reqs := log.requests()
	_, srvPort, _ := net.SplitHostPort(addr)
	if len(reqs) != 1 {
		t.Fatalf("%d stalls recorded, want 1", len(reqs))
	}
	r := reqs[0]
	if from, _ := stalledFrom.Load().(string); from != fmt.Sprintf("127.0.0.1:%d", r.Port) || fmt.Sprint(r.Service) != srvPort ||
		r.BytesOut < 30 || r.Sent.Before(start) || time.Since(r.Sent) > time.Minute {
		t.Errorf("stall recorded as %+v; the server saw it from %v on port %s", r, stalledFrom.Load(), srvPort)
	}
	log = nil
	if run, err := measure(func(int64) bool { return false }); err != nil || run.stalls != 0 || run.n == 0 {
		t.Errorf("no stalls: %+v, %v", run, err)
	}
	if run, err := measure(func(k int64) bool { return k%7 == 0 }); err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Errorf("one request in 7 stalled: want the run to fail, got %+v, %v", run, err)
	}
	if _, err := measure(func(int64) bool { return true }); err == nil || !strings.Contains(err.Error(), "in a row") {
		t.Errorf("nothing answered: want a failure after 3 tries, got %v", err)
	}
}

func TestParseNetstat(t *testing.T) {
	text := "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans\nTcpExt: 0 12 13 40\nIpExt: InNoRoutes\nIpExt: 0\n"
	c, err := parseNetstat(text, hostTCPCounters)
	if err != nil || c["ListenOverflows"] != 12 || c["ListenDrops"] != 13 || c["TCPSynRetrans"] != 40 {
		t.Fatalf("parseNetstat = %v, %v", c, err)
	}
	d := netCounters{"ListenOverflows": 20, "ListenDrops": 21, "TCPSynRetrans": 40}.since(c)
	if got := d.String(); got != "ListenOverflows +8, ListenDrops +8, TCPSynRetrans +0" {
		t.Errorf("delta %q", got)
	}
	for _, bad := range []string{"", "TcpExt: ListenOverflows\nTcpExt: 1 2\n", "TcpExt: ListenDrops\nTcpExt: 1\n"} {
		if c, err := parseNetstat(bad, hostTCPCounters); err == nil {
			t.Errorf("parseNetstat(%q) = %v", bad, c)
		}
	}
	if _, err := readNetCounters(); err != nil {
		t.Logf("this host: %v", err)
	}
}

// A guest that kept a request waiting while QEMU's threads waited for a
// host CPU did not get to run: the stall is the host's. One that was run
// keeps the blame.
func TestJudgeHost(t *testing.T) {
	t0 := time.Now()
	tr := &cpuTrace{}
	for i := range 11 { // 10 s: QEMU runs 10% and waits 80% of each second
		tr.at = append(tr.at, t0.Add(time.Duration(i)*time.Second))
		tr.run = append(tr.run, int64(i)*int64(100*time.Millisecond))
		tr.wait = append(tr.wait, int64(i)*int64(800*time.Millisecond))
	}
	const offset = 2 * time.Second // the capture's clock is ahead
	late := capture.Verdict{Side: capture.Guest, Reason: "answered it 5s later",
		Waited: [2]time.Time{t0.Add(offset + 2*time.Second), t0.Add(offset + 7*time.Second)}}
	if v := judgeHost(late, tr, offset); v.Side != capture.Host || !strings.Contains(v.Reason, "waited for a host CPU 4s in those 5s: the host did not run it") {
		t.Errorf("starved: %v", v)
	}
	for i := range tr.wait {
		tr.wait[i] = 0
	}
	if v := judgeHost(late, tr, offset); v.Side != capture.Guest || !strings.Contains(v.Reason, "ran 500ms and waited for a host CPU 0s") {
		t.Errorf("run but late: %v", v)
	}
	outside := late
	outside.Waited[1] = t0.Add(time.Minute)
	if v := judgeHost(outside, tr, offset); v.Reason != late.Reason {
		t.Errorf("a window the trace does not cover: %v", v)
	}
	if v := judgeHost(late, nil, offset); v.Reason != late.Reason {
		t.Errorf("no trace: %v", v)
	}
}
