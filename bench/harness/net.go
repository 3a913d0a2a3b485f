//go:build !tamago

package main

// The network rows. The guest's netserve row starts its network, listens
// (HTTP on :80, TCP echo on :7) and prints SERVING; QEMU forwards two free
// ports of the host's 127.0.0.1 to those (user networking, slirp), and the
// harness measures from the host with plain net and net/http: HTTP
// requests per second, echo round trips, bulk transfers both ways, and
// then the idle server's host CPU. Then POST /quit ends the row.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/bench/proto"
	"github.com/yolkos/yolk/bench/stats"
)

// netConfig sizes the network rows.
type netConfig struct {
	reps    int           // repetitions of each measurement (HTTP, echo, download, upload)
	clients int           // concurrent keep-alive HTTP clients
	many    int           // concurrent keep-alive HTTP clients of the many-clients run
	workers int           // concurrent clients making a new connection per request
	window  time.Duration // length of one HTTP load run
	trips   int           // sequential echo round trips per repetition
	msg     int           // bytes per echo message
	bulk    int64         // bytes per download and per upload
	idle    time.Duration // idle window, server listening, no traffic
	limit   time.Duration // longest one measurement may take
	budget  time.Duration // longest all of them may take together
}

func netConfigFor(quick bool, idle time.Duration) netConfig {
	if quick {
		return netConfig{reps: 1, clients: 16, many: 64, workers: 16, window: 3 * time.Second, trips: 300, msg: 64,
			bulk: 4 << 20, idle: idle, limit: 20 * time.Second, budget: 100 * time.Second}
	}
	return netConfig{reps: 3, clients: 16, many: 64, workers: 16, window: 4 * time.Second, trips: 2000, msg: 64,
		bulk: 32 << 20, idle: idle, limit: 60 * time.Second, budget: 5 * time.Minute}
}

// The network rows' result names.
const (
	netIdle       = "net_idle_cpu"    // % of a host core per guest core
	netHTTP       = "net_http_rps"    // requests/s
	netHTTPStalls = "net_http_stalls" // requests unanswered for httpStall
	netEchoP50    = "net_echo_p50"    // ns
	netEchoP99    = "net_echo_p99"    // ns
	netDown       = "net_down"        // bytes/s, guest to host
	netUp         = "net_up"          // bytes/s, host to guest
	netHTTPMany   = "net_http_many"   // requests/s with netConfig.many clients
	netCPUPerReq  = "net_cpu_per_req" // ns of QEMU's host CPU per request (the 16-client run)
	netConns      = "net_conns"       // requests/s, a new connection each
	netTLSConns   = "net_tls_conns"   // requests/s, a new TLS connection (full handshake) each
	netConnStalls = "net_conn_stalls" // connection attempts unanswered for httpStall, sent again
)

// netOut is what the network measurements of one boot produced.
type netOut struct {
	results []proto.Sample
	errs    []string      // each failed measurement: what and why
	slowest time.Duration // the slowest HTTP request (for the progress line)
	stalls  *stallLog     // the requests that stalled, as the client saw them
	// verdicts says where each stall got lost, from capture (kept, if a
	// request stalled); captureErr why they could not be classified.
	verdicts   []stallVerdict
	capture    string
	captureErr error
	// hostTCP is what the host's TCP counters grew by during the HTTP
	// runs (nil if they cannot be read).
	hostTCP netCounters
}

func (o *netOut) add(name, unit string, v float64, n int) {
	o.results = append(o.results, proto.Sample{Name: name, Unit: unit, Value: v, N: n})
}

// status summarizes o for the progress line: medians, and failures.
func (o *netOut) status() string {
	by := map[string][]float64{}
	for _, r := range o.results {
		by[r.Name] = append(by[r.Name], r.Value)
	}
	var parts []string
	show := func(name, format string, scale float64) {
		if v := by[name]; len(v) > 0 {
			parts = append(parts, fmt.Sprintf(format, stats.Median(v)/scale))
		}
	}
	show(netIdle, "idle %.2f%%", 1)
	show(netHTTP, "%.0f req/s", 1)
	if o.slowest > 0 {
		parts[len(parts)-1] += fmt.Sprintf(" (slowest %v)", o.slowest.Round(time.Millisecond))
	}
	show(netCPUPerReq, "%.0f µs CPU/req", 1e3)
	show(netHTTPMany, "%.0f req/s many", 1)
	show(netConns, "%.0f conn/s", 1)
	show(netTLSConns, "%.0f TLS conn/s", 1)
	show(netEchoP50, "echo p50 %.0f µs", 1e3)
	show(netDown, "down %.1f MB/s", 1e6)
	show(netUp, "up %.1f MB/s", 1e6)
	if s := stallSummary(o.verdicts); s != "" {
		parts = append(parts, s)
	}
	if len(o.errs) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed: %s", len(o.errs), o.errs[0]))
	}
	return strings.Join(parts, ", ")
}

// netSettle is the pause between the last load and the idle window.
const netSettle = time.Second

// netAddrs are the host addresses of the guest's services.
type netAddrs struct {
	http, echo, https string
}

// runNet measures the guest whose process is pid (smp cores) serving at
// addrs, then asks it to quit. A measurement that fails is reported and
// not repeated; none is started once c.budget is used up.
func runNet(c netConfig, pid, smp int, addrs netAddrs) netOut {
	httpAddr, echoAddr := addrs.http, addrs.echo
	out := netOut{stalls: &stallLog{}}
	// counted runs an HTTP measurement and adds what the host's TCP
	// counters grew by meanwhile to out.hostTCP.
	counted := func(f func()) {
		before, err := readNetCounters()
		f()
		if after, err2 := readNetCounters(); err == nil && err2 == nil {
			out.hostTCP = addCounters(out.hostTCP, after.since(before))
		}
	}
	end := time.Now().Add(c.budget)
	failed := map[string]bool{}
	// try runs measurement what unless it failed before or there is no
	// time left; f gets its time limit.
	try := func(what string, f func(limit time.Duration) error) {
		left := time.Until(end)
		switch {
		case failed[what]:
			return
		case left <= 0:
			err := fmt.Errorf("not run: the network rows' %v were used up", c.budget)
			if !failed["budget"] {
				out.errs = append(out.errs, what+": "+err.Error())
			}
			failed["budget"] = true
			return
		}
		if err := f(min(c.limit, left)); err != nil {
			failed[what] = true
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("nothing within the %v limit: %v", min(c.limit, left), err)
			}
			out.errs = append(out.errs, what+": "+err.Error())
		}
	}

	want := patternSHA256(c.bulk)
	for range c.reps {
		try("http", func(limit time.Duration) error {
			var run httpRun
			var err error
			var cpu0, cpu1 cpuTimes
			var cerr, cerr1 error
			counted(func() {
				cpu0, cerr = processCPU(pid)
				run, err = measureHTTP(httpAddr, c.clients, min(c.window, limit/2), limit, out.stalls)
				cpu1, cerr1 = processCPU(pid)
			})
			if err == nil {
				out.add(netHTTP, "rps", run.rps, run.n)
				out.add(netHTTPStalls, "count", float64(run.stalls), run.n)
				out.slowest = max(out.slowest, run.slowest)
				if cerr == nil && cerr1 == nil {
					out.add(netCPUPerReq, "ns", float64(cpu1.since(cpu0))/float64(run.n), run.n)
				}
			}
			return err
		})
		try("http-many", func(limit time.Duration) error {
			var run httpRun
			var err error
			counted(func() { run, err = measureHTTP(httpAddr, c.many, min(c.window, limit/2), limit, out.stalls) })
			if err == nil {
				out.add(netHTTPMany, "rps", run.rps, run.n)
				out.add(netHTTPStalls, "count", float64(run.stalls), run.n)
			}
			return err
		})
		try("connections", func(limit time.Duration) error {
			var run httpRun
			var err error
			counted(func() { run, err = measureConns(httpAddr, c.workers, false, min(c.window, limit/2), limit, out.stalls) })
			if err == nil {
				out.add(netConns, "rps", run.rps, run.n)
				out.add(netConnStalls, "count", float64(run.stalls), run.n)
			}
			return err
		})
		if addrs.https != "" {
			try("tls-connections", func(limit time.Duration) error {
				var run httpRun
				var err error
				counted(func() {
					run, err = measureConns(addrs.https, c.workers, true, min(c.window, limit/2), limit, out.stalls)
				})
				if err == nil {
					out.add(netTLSConns, "rps", run.rps, run.n)
					out.add(netConnStalls, "count", float64(run.stalls), run.n)
				}
				return err
			})
		}
		try("echo", func(limit time.Duration) error {
			rtts, err := measureEcho(echoAddr, c.trips, c.msg, limit)
			if err == nil {
				out.add(netEchoP50, "ns", stats.Percentile(rtts, 50), len(rtts))
				out.add(netEchoP99, "ns", stats.Percentile(rtts, 99), len(rtts))
			}
			return err
		})
		try("download", func(limit time.Duration) error {
			bps, err := measureDownload(httpAddr, c.bulk, want, limit)
			if err == nil {
				out.add(netDown, "bytes", bps, 0)
			}
			return err
		})
		try("upload", func(limit time.Duration) error {
			bps, err := measureUpload(httpAddr, c.bulk, want, limit)
			if err == nil {
				out.add(netUp, "bytes", bps, 0)
			}
			return err
		})
	}
	// The idle server last: steady, past the network's start-up (address
	// checks, router solicitations), and back from the load, its
	// connections closed.
	time.Sleep(netSettle)
	try("idle", func(time.Duration) error {
		pct, err := sampleIdle(pid, c.idle, smp)
		if err == nil {
			out.add(netIdle, "pct", pct, 0)
		}
		return err
	})
	quitGuest(httpAddr)
	return out
}

// newTransport is a plain HTTP/1.1 transport to the guest: no proxy, no
// compression, up to conns keep-alive connections, which count their
// bytes (for stallLog).
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         countedDial(&net.Dialer{Timeout: 5 * time.Second}),
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true,
	}
}

// httpRun is the outcome of one HTTP load run.
type httpRun struct {
	rps     float64       // requests completed per second
	n       int           // requests completed
	slowest time.Duration // the longest request took this long
	stalls  int           // requests unanswered for httpStall, sent again
}

// httpStall is how long an HTTP request may go unanswered before the
// load generator gives up on its connection and sends it again on a new
// one. QEMU's user network occasionally stops forwarding a connection
// under this load, for any guest (the README's networking notes); a
// stall is counted and shown, not allowed to void the whole row.
const httpStall = 5 * time.Second

// maxStallShare is the share of stalled requests above which the run
// fails: beyond that the number would describe the stalls, not the guest.
const maxStallShare = 0.05

// measureHTTP runs clients keep-alive clients, each sending GET / one
// request after the other, for window (see httpLoad), and checks each
// answer. More than maxStallShare of stalls fail the run.
func measureHTTP(addr string, clients int, window, limit time.Duration, log *stallLog) (httpRun, error) {
	run, err := httpLoad{url: "http://" + addr + "/", clients: clients, window: window, limit: limit,
		log: log, check: checkHello}.run(context.Background())
	if err == nil && float64(run.stalls) > maxStallShare*float64(run.n) {
		err = fmt.Errorf("%d of %d requests stalled for %v (more than %.0f%%)", run.stalls, run.n, min(httpStall, limit), 100*maxStallShare)
	}
	return run, err
}

// An httpLoad is clients sending GET url one request after the other,
// each on its own keep-alive connection, for window, after one warm-up
// request each (which opens its connection). The clients warm up one at a
// time: QEMU's user network listens with a backlog of 1 (libslirp's
// tcpx_listen), and 16 connections opened at once overflow it, so that
// the host drops SYNs and some connections take 3 or 7 s to open (a stall
// that says nothing about the guest). The run lasts until the last
// request started within window completes. A wrong answer (check) fails
// the run; a request unanswered for httpStall (or limit, if shorter) is a
// stall: it is counted, its connection dropped, and the request sent again
// (stalls count against the rate, since the time goes on), and recorded
// in log (if not nil).
type httpLoad struct {
	url           string
	clients       int
	window, limit time.Duration
	log           *stallLog
	check         func(resp *http.Response, body []byte) error
	// transport makes a client's transport (nil: newTransport(1)).
	transport func() *http.Transport
	// pause, if set, is how long a client waits between its requests.
	pause time.Duration
	// count, if set, is added one per answered request as it happens.
	count *atomic.Int64
}

func (l httpLoad) run(parent context.Context) (httpRun, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var stalls atomic.Int64
	// get sends the request until it is answered (at most 3 stalls in a
	// row).
	get := func(client *http.Client) error {
		for tries := 1; ; tries++ {
			err := getChecked(ctx, client, l.url, min(httpStall, l.limit), l.check, l.log)
			if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			stalls.Add(1)
			if tries == 3 {
				return fmt.Errorf("GET %s unanswered %d times in a row, %v each: %w", l.url, tries, min(httpStall, l.limit), err)
			}
		}
	}
	var (
		warm, done sync.WaitGroup
		warmTurn   sync.Mutex
		start      = make(chan struct{})
		counts     = make([]int, l.clients)
		slowest    = make([]time.Duration, l.clients)
		errOnce    sync.Once
		firstErr   error
		deadline   time.Time
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	warm.Add(l.clients)
	done.Add(l.clients)
	for i := range l.clients {
		go func() {
			defer done.Done()
			tr := newTransport(1) // its own connection
			if l.transport != nil {
				tr = l.transport()
			}
			if l.log != nil {
				tr.DialContext = l.log.dial(&net.Dialer{Timeout: 5 * time.Second})
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			warmTurn.Lock()
			err := get(client)
			warmTurn.Unlock()
			warm.Done()
			if err != nil {
				fail(err)
				return
			}
			<-start
			for t0 := time.Now(); ctx.Err() == nil && t0.Before(deadline); t0 = time.Now() {
				if err := get(client); err != nil {
					fail(err)
					return
				}
				counts[i]++
				slowest[i] = max(slowest[i], time.Since(t0))
				if l.count != nil {
					l.count.Add(1)
				}
				if l.pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(l.pause):
					}
				}
			}
		}()
	}
	warm.Wait()
	t0 := time.Now()
	deadline = t0.Add(l.window)
	close(start)
	done.Wait()
	elapsed := time.Since(t0)
	run := httpRun{slowest: slices.Max(slowest), stalls: int(stalls.Load())}
	for _, n := range counts {
		run.n += n
	}
	if firstErr != nil {
		return run, firstErr
	}
	if run.n == 0 {
		return run, errors.New("no request completed")
	}
	run.rps = rate(float64(run.n), elapsed)
	return run, nil
}

// rate is n per second of d.
func rate(n float64, d time.Duration) float64 {
	return n / d.Seconds()
}

// measureConns runs workers clients that each, for window, open a new
// connection (TLS with a full handshake if tls), send GET /, read the
// answer and close. A request unanswered for httpStall (connect included)
// is a stall, counted and sent again on a new connection; more than
// maxStallShare of them fails the run, as does a wrong answer. Stalls are
// recorded in log (if not nil).
func measureConns(addr string, workers int, useTLS bool, window, limit time.Duration, log *stallLog) (httpRun, error) {
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	url := scheme + "://" + addr + "/"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		stalls   atomic.Int64
		done     sync.WaitGroup
		counts   = make([]int, workers)
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }
	t0 := time.Now()
	deadline := t0.Add(window)
	for i := range workers {
		done.Add(1)
		go func() {
			defer done.Done()
			// No keep-alive, no TLS session cache: every request is a
			// new connection and a full handshake.
			tr := &http.Transport{
				DialContext:       countedDial(&net.Dialer{Timeout: min(httpStall, limit)}),
				DisableKeepAlives: true, DisableCompression: true,
				TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			}
			if log != nil {
				tr.DialContext = log.dial(&net.Dialer{Timeout: min(httpStall, limit)})
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				for tries := 1; ; tries++ {
					err := getChecked(ctx, client, url, min(httpStall, limit), checkHello, log)
					if err == nil {
						counts[i]++
						break
					}
					if ctx.Err() != nil {
						return
					}
					var ne net.Error
					if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
						fail(err)
						return
					}
					stalls.Add(1)
					if tries == 3 {
						fail(fmt.Errorf("%s unanswered %d times in a row: %w", url, tries, err))
						return
					}
				}
			}
		}()
	}
	done.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return httpRun{}, firstErr
	}
	run := httpRun{stalls: int(stalls.Load())}
	for _, n := range counts {
		run.n += n
	}
	if run.n == 0 {
		return run, errors.New("no request completed")
	}
	if float64(run.stalls) > maxStallShare*float64(run.n) {
		return run, fmt.Errorf("%d of %d connections stalled for %v (more than %.0f%%)", run.stalls, run.n, min(httpStall, limit), 100*maxStallShare)
	}
	run.rps = rate(float64(run.n), elapsed)
	return run, nil
}

// getChecked sends GET url and checks the answer with check, within
// timeout. A request unanswered within timeout is recorded in log (if
// not nil) as the client saw it.
func getChecked(ctx context.Context, client *http.Client, url string, timeout time.Duration,
	check func(*http.Response, []byte) error, log *stallLog) error {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rctx, stalled := log.traced(rctx)
	req, err := http.NewRequestWithContext(rctx, "GET", url, nil)
	if err != nil {
		return err
	}
	sent := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err == nil {
			return check(resp, body)
		}
	}
	var ne net.Error
	if (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) && ctx.Err() == nil {
		stalled(sent)
	}
	return err
}

// checkHello checks the answer to GET /: proto.HelloBody.
func checkHello(resp *http.Response, body []byte) error {
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s", resp.Request.URL, resp.Status)
	case string(body) != proto.HelloBody:
		return fmt.Errorf("GET %s: unexpected body %q", resp.Request.URL, body)
	}
	return nil
}

// measureEcho sends trips messages of size bytes, one at a time, over one
// connection to the echo service and returns each round trip in ns (after
// ten warm-up trips). Every echo must be the message sent.
func measureEcho(addr string, trips, size int, limit time.Duration) ([]float64, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(limit))
	msg, back := make([]byte, size), make([]byte, size)
	rtts := make([]float64, 0, trips)
	const warmup = 10
	for i := range warmup + trips {
		for j := range msg {
			msg[j] = byte(i + j)
		}
		t0 := time.Now()
		if _, err := c.Write(msg); err != nil {
			return nil, fmt.Errorf("round trip %d: %v", i, err)
		}
		if _, err := io.ReadFull(c, back); err != nil {
			return nil, fmt.Errorf("round trip %d: %v", i, err)
		}
		d := time.Since(t0)
		if string(back) != string(msg) {
			return nil, fmt.Errorf("round trip %d: the echo differs from the message", i)
		}
		if i >= warmup {
			rtts = append(rtts, float64(d.Nanoseconds()))
		}
	}
	return rtts, nil
}

// patternSHA256 is the hex SHA-256 of the pattern's first n bytes.
func patternSHA256(n int64) string {
	h := sha256.New()
	io.Copy(h, proto.NewPattern(n))
	return hex.EncodeToString(h.Sum(nil))
}

// measureDownload fetches GET /bytes?n=n and returns bytes per second
// from sending the request to the last byte. The body must be the
// pattern: n bytes with SHA-256 sum.
func measureDownload(addr string, n int64, sum string, limit time.Duration) (float64, error) {
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: limit}
	t0 := time.Now()
	resp, err := client.Get(fmt.Sprintf("http://%s/bytes?n=%d", addr, n))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /bytes: %s", resp.Status)
	}
	h := sha256.New()
	got, err := io.CopyBuffer(h, resp.Body, make([]byte, 256<<10))
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("after %d of %d bytes in %v: %v", got, n, d.Round(time.Millisecond), err)
	}
	if err := checkTransfer(got, hex.EncodeToString(h.Sum(nil)), n, sum); err != nil {
		return 0, err
	}
	return rate(float64(n), d), nil
}

// measureUpload sends n bytes of the pattern with POST /upload and
// returns bytes per second from sending the request to the guest's first
// reply line, which it writes once it has read the whole body ("n=<bytes>";
// the SHA-256 line that follows, hashed on the guest, is checked but not
// timed).
func measureUpload(addr string, n int64, sum string, limit time.Duration) (float64, error) {
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: limit}
	req, err := http.NewRequest("POST", "http://"+addr+"/upload", proto.NewPattern(n))
	if err != nil {
		return 0, err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/octet-stream")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("POST /upload: %s %s", resp.Status, strings.TrimSpace(string(b)))
	}
	br := bufio.NewReader(io.LimitReader(resp.Body, 1024))
	first, err := br.ReadString('\n')
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("POST /upload: reply %q: %v", first, err)
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		return 0, fmt.Errorf("POST /upload: reply: %v", err)
	}
	gotN, gotSum, err := parseUploadReply(first + string(rest))
	if err != nil {
		return 0, err
	}
	if err := checkTransfer(gotN, gotSum, n, sum); err != nil {
		return 0, fmt.Errorf("the guest received: %v", err)
	}
	return rate(float64(n), d), nil
}

var uploadReplyRE = regexp.MustCompile(`^n=(\d+)\nsha256=([0-9a-f]{64})\n$`)

// parseUploadReply reads the guest's reply to POST /upload:
// "n=<bytes>\nsha256=<hex>\n".
func parseUploadReply(s string) (n int64, sum string, err error) {
	m := uploadReplyRE.FindStringSubmatch(s)
	if m == nil {
		return 0, "", fmt.Errorf("POST /upload: unexpected reply %q", s)
	}
	n, err = strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("POST /upload: unexpected reply %q", s)
	}
	return n, m[2], nil
}

// checkTransfer compares what a transfer moved (bytes, hex SHA-256) with
// what it should have.
func checkTransfer(n int64, sum string, wantN int64, wantSum string) error {
	switch {
	case n != wantN:
		return fmt.Errorf("%d bytes, want %d", n, wantN)
	case sum != wantSum:
		return fmt.Errorf("%d bytes as expected, but SHA-256 %s, want %s", n, sum, wantSum)
	}
	return nil
}

// quitGuest asks the guest to end the netserve row. Errors do not count:
// the guest may end the machine before its reply gets out, and a guest
// that does not end runs into the boot's timeout.
func quitGuest(httpAddr string) {
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	if resp, err := client.Post("http://"+httpAddr+"/quit", "text/plain", nil); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// A hostFwd forwards TCP connections to 127.0.0.1:host to the guest's
// port guest (QEMU's hostfwd).
type hostFwd struct {
	host, guest int
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1 a
// moment ago (the kernel's choice, so parallel runs do not collide).
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// netForwards are the forwards of a netserve boot: free host ports to
// the guest's HTTP (80), echo (7) and HTTPS (443) servers.
func netForwards() ([]hostFwd, error) {
	p, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	return []hostFwd{{p[0], 80}, {p[1], 7}, {p[2], 443}}, nil
}

// serviceAddrs maps the services the guest's SERVING line names (guest
// ports) to host addresses through the forwards (nil: the guest runs on
// the host, its ports are the host's). HTTPS is optional.
func serviceAddrs(serving map[string]int, fwd []hostFwd) (netAddrs, error) {
	addr := func(name string) (string, error) {
		p, ok := serving[name]
		if !ok {
			return "", fmt.Errorf("the guest serves no %s", name)
		}
		if fwd == nil {
			return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
		}
		for _, f := range fwd {
			if f.guest == p {
				return net.JoinHostPort("127.0.0.1", strconv.Itoa(f.host)), nil
			}
		}
		return "", fmt.Errorf("the guest serves %s on port %d, which QEMU does not forward", name, p)
	}
	var a netAddrs
	var err1, err2, err3 error
	a.http, err1 = addr("http")
	a.echo, err2 = addr("echo")
	if _, ok := serving["https"]; ok {
		a.https, err3 = addr("https")
	}
	return a, errors.Join(err1, err2, err3)
}
