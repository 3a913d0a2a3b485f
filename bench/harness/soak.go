//go:build !tamago

package main

// make soak (-soak DURATION): the default application, cmd/demo, booted as
// make qemu boots it (run-qemu.sh, 2 cores, 512 MiB, QEMU's user network)
// and kept under HTTP, HTTPS, TCP and UDP echo load for the duration while
// its /status.json is sampled. It fails on any request error or stall
// (each stall classified from a capture, as in the bench), on goroutines
// that do not return to their number before the load once it stops, and
// on a live heap (after garbage collection) that grows faster than
// soakHeapSlope. It prints a summary table and writes it to
// build/bench/SOAK.md.

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/yolkos/yolk/bench/stats"
)

const (
	demoPkg   = "github.com/yolkos/yolk/cmd/demo"
	demoImage = buildDir + "/soak-demo.elf"
	soakDoc   = buildDir + "/SOAK.md"

	// soakHeapSlope is the fastest the live heap after GC may grow, in
	// bytes per minute, once the first part of the run (soakWarmup) is
	// over: a leak of one 64-byte object per request at the load's few
	// hundred requests per second grows it by megabytes a minute.
	soakHeapSlope = 64 << 10
	// soakGoroutineSlack is how many more goroutines than before the load
	// may be left once it has stopped and its connections are closed.
	soakGoroutineSlack = 2
)

// soakWarmup is the part of a run whose samples the heap slope leaves out:
// caches and the stack's buffers fill up first, and a closed connection
// lingers in TIME-WAIT or FIN-WAIT-2 for a minute (gVisor's defaults), so
// under connection churn the live heap grows for the first minute or so.
func soakWarmup(d time.Duration) time.Duration { return max(d/5, 2*time.Minute) }

// soakJudgeHeap is the shortest run whose heap slope is judged: a shorter
// one reports it (mostly the first minute's filling) without failing.
const soakJudgeHeap = 3 * time.Minute

// soakSample is how often /status.json is read.
func soakSample(d time.Duration) time.Duration {
	if d < 5*time.Minute {
		return 5 * time.Second
	}
	return 10 * time.Second
}

// statusSample is one reading of the demo's /status.json.
type statusSample struct {
	at         time.Duration // since the load started
	goroutines int
	heapLive   uint64
	heapAlloc  uint64
	numGC      uint64
	network    map[string]float64 // its numeric network counters
}

// readStatus reads /status.json through c.
func readStatus(ctx context.Context, c *http.Client, url string) (statusSample, error) {
	var s statusSample
	ctx, cancel := context.WithTimeout(ctx, httpStall)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	var st struct {
		Goroutines int `json:"goroutines"`
		Memory     struct {
			HeapAlloc uint64 `json:"heap_alloc"`
			HeapLive  uint64 `json:"heap_live"`
			NumGC     uint64 `json:"num_gc"`
		} `json:"memory"`
		Network map[string]any `json:"network"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return s, fmt.Errorf("/status.json: %v", err)
	}
	s = statusSample{goroutines: st.Goroutines, heapLive: st.Memory.HeapLive, heapAlloc: st.Memory.HeapAlloc,
		numGC: st.Memory.NumGC, network: map[string]float64{}}
	for k, v := range st.Network {
		switch v := v.(type) {
		case float64:
			s.network[k] = v
		case map[string]any: // counters by who keeps them
			for k2, v2 := range v {
				if f, ok := v2.(float64); ok {
					s.network[k+"."+k2] = f
				}
			}
		}
	}
	return s, nil
}

// demoPattern is cmd/demo's /bytes stream: byte i is i*7+i>>8.
func demoPattern(b []byte) bool {
	for i := range b {
		if b[i] != byte(int64(i)*7+int64(i)>>8) {
			return false
		}
	}
	return true
}

// soakLoad is one kind of load and what it did.
type soakLoad struct {
	name     string
	unit     string // what count counts
	count    atomic.Int64
	stalls   int
	err      error
	detail   string
	finished time.Time
}

// soakRun is everything one soak measured.
type soakRun struct {
	duration       time.Duration
	loads          []*soakLoad
	before, after  statusSample // quiescent: before the load, after it and its connections ended
	samples        []statusSample
	sampleErr      error
	verdicts       []stallVerdict
	capture        string
	captureErr     error
	hostTCP        netCounters
	slope          float64 // bytes/min of the live heap after the warm-up
	problems       []string
	console        string
	settled        time.Duration
	qemuStatus     string
	warmupExcluded time.Duration
}

func runSoak(d time.Duration) error {
	if err := enterRoot(); err != nil {
		return err
	}
	progress("soak: building the default application (%s, %s)", demoPkg, demoImage)
	if err := buildYolkPkg(demoImage, demoPkg, ""); err != nil {
		return err
	}
	r, err := soak(d)
	if err != nil {
		return err
	}
	var b strings.Builder
	r.writeSummary(&b)
	fmt.Print("\n" + b.String())
	if err := os.WriteFile(soakDoc, []byte("# Soak\n\n```\n"+b.String()+"```\n"), 0o644); err != nil {
		return err
	}
	progress("soak: wrote %s; the guest's console is in %s", soakDoc, r.console)
	if len(r.problems) > 0 {
		return fmt.Errorf("soak failed:\n  %s", strings.Join(r.problems, "\n  "))
	}
	return nil
}

// soak boots the demo and runs the load for d.
func soak(d time.Duration) (*soakRun, error) {
	r := &soakRun{duration: d, console: buildDir + "/soak-console.log", warmupExcluded: soakWarmup(d)}
	tcp, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	up, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	udpPort := up.LocalAddr().(*net.UDPAddr).Port
	up.Close()
	fwd := []hostFwd{{tcp[0], 80}, {tcp[1], 443}, {tcp[2], 7}}
	capFile, err := newCaptureFile("soak")
	if err != nil {
		return nil, err
	}
	rules := fmt.Sprintf("tcp:127.0.0.1:%d-:80 tcp:127.0.0.1:%d-:443 tcp:127.0.0.1:%d-:7 udp:127.0.0.1:%d-:7", tcp[0], tcp[1], tcp[2], udpPort)
	cmd := exec.Command("./run-qemu.sh", "-smp", "2", "-m", "512M", "-net",
		"-timeout", strconv.Itoa(int((d + 10*time.Minute).Seconds())), demoImage, "yolk.quiet=1")
	cmd.Env = append(os.Environ(), "YOLK_HOSTFWD="+rules, "QEMU_EXTRA="+strings.Join(captureArgs(capFile), " "))
	// run-qemu.sh stops QEMU on SIGTERM (not on SIGKILL).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	logf, err := os.Create(r.console)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	progress("soak: booting it: YOLK_HOSTFWD=%q QEMU_EXTRA=%q %s", rules, strings.Join(captureArgs(capFile), " "), shellJoin(cmd.Args))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	serving := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !seen && strings.Contains(sc.Text(), "serving http on :80") {
				seen = true
				close(serving)
			}
		}
		io.Copy(io.Discard, out)
		err := cmd.Wait()
		r.qemuStatus = "exit status 0"
		if err != nil {
			r.qemuStatus = err.Error()
		}
		close(exited)
	}()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	select {
	case <-serving:
	case <-exited:
		return nil, fmt.Errorf("the demo ended (%s) before serving; its console is in %s", r.qemuStatus, r.console)
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("the demo did not serve within 2 minutes; its console is in %s", r.console)
	}
	httpURL := fmt.Sprintf("http://127.0.0.1:%d", tcp[0])
	httpsURL := fmt.Sprintf("https://127.0.0.1:%d", tcp[1])
	echoAddr := fmt.Sprintf("127.0.0.1:%d", tcp[2])
	udpAddr := fmt.Sprintf("127.0.0.1:%d", udpPort)

	// The status reader's first connection, made while nothing else
	// runs, anchors the capture's clock (stallLog.dial).
	stalls := &stallLog{}
	statusTr := newTransport(1)
	statusTr.DialContext = stalls.dial(&net.Dialer{Timeout: httpStall})
	defer statusTr.CloseIdleConnections()
	statusClient := &http.Client{Transport: statusTr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.Sleep(2 * time.Second)
	if r.before, err = readStatus(ctx, statusClient, httpURL+"/status.json"); err != nil {
		return nil, fmt.Errorf("the first /status.json: %v", err)
	}
	statusTr.CloseIdleConnections()

	tlsTransport := func(keepAlive bool) func() *http.Transport {
		return func() *http.Transport {
			tr := newTransport(1)
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the demo's certificate is made at boot
			tr.DisableKeepAlives = !keepAlive
			return tr
		}
	}
	newConns := func() *http.Transport {
		tr := newTransport(1)
		tr.DisableKeepAlives = true
		return tr
	}
	bytesCheck := func(resp *http.Response, b []byte) error {
		if resp.StatusCode != http.StatusOK || len(b) != 1000 || !demoPattern(b) {
			return fmt.Errorf("GET /bytes?n=1000: %s, %d bytes, pattern %v", resp.Status, len(b), demoPattern(b))
		}
		return nil
	}
	pageCheck := func(resp *http.Response, b []byte) error {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "<h1>yolk") {
			return fmt.Errorf("GET /: %s, %d bytes", resp.Status, len(b))
		}
		return nil
	}
	jsonCheck := func(resp *http.Response, b []byte) error {
		var v map[string]any
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil || v["goroutines"] == nil {
			return fmt.Errorf("GET /status.json: %s, %d bytes", resp.Status, len(b))
		}
		return nil
	}
	type httpSpec struct {
		name string
		load httpLoad
	}
	specs := []httpSpec{
		{"HTTP, 4 keep-alive clients, GET /bytes?n=1000", httpLoad{url: httpURL + "/bytes?n=1000", clients: 4, check: bytesCheck}},
		{"HTTP, a new connection per request, GET / (the page)", httpLoad{url: httpURL + "/", clients: 1, check: pageCheck, transport: newConns}},
		{"HTTPS, 2 keep-alive clients, GET /bytes?n=1000", httpLoad{url: httpsURL + "/bytes?n=1000", clients: 2, check: bytesCheck, transport: tlsTransport(true)}},
		{"HTTPS, a handshake per request, GET /status.json", httpLoad{url: httpsURL + "/status.json", clients: 1, check: jsonCheck, transport: tlsTransport(false)}},
	}
	var wg sync.WaitGroup
	failed := make(chan struct{})
	var failOnce sync.Once
	fail := func() { failOnce.Do(func() { close(failed); cancel() }) }
	// How the host schedules QEMU (run-qemu.sh's child), for the stalls.
	var trace *cpuTrace
	if qpid, err := qemuPID(cmd.Process.Pid); err == nil {
		trace = startCPUTrace(qpid)
	}
	before, cerr := readNetCounters()
	start := time.Now()
	progress("soak: load for %v (samples every %v)", d, soakSample(d))
	// The loads start a quarter of a second apart: QEMU's user network
	// listens with a backlog of 1 (see httpLoad).
	stagger := func() { time.Sleep(250 * time.Millisecond) }
	for _, sp := range specs {
		stagger()
		l := &soakLoad{name: sp.name, unit: "requests"}
		r.loads = append(r.loads, l)
		load := sp.load
		load.window, load.limit, load.log, load.count = d, httpStall, stalls, &l.count
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := load.run(ctx)
			l.stalls, l.err, l.finished = run.stalls, err, time.Now()
			if err != nil && !errors.Is(err, context.Canceled) {
				fail()
			}
		}()
	}
	for i := range 2 {
		stagger()
		l := &soakLoad{name: fmt.Sprintf("TCP echo, client %d: connect, 20 round trips of up to 2000 bytes, close", i+1), unit: "round trips"}
		r.loads = append(r.loads, l)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.stalls, l.err = echoSoak(ctx, echoAddr, start.Add(d), stalls, &l.count)
			l.finished = time.Now()
			if l.err != nil {
				fail()
			}
		}()
	}
	{
		stagger()
		l := &soakLoad{name: "UDP echo, one datagram of up to 1200 bytes at a time, 20 a second", unit: "datagrams"}
		r.loads = append(r.loads, l)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.err = udpSoak(ctx, udpAddr, start.Add(d), &l.count)
			l.finished = time.Now()
			if l.err != nil {
				fail()
			}
		}()
	}
	// The sampler.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(soakSample(d))
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if time.Since(start) > d {
				return
			}
			s, err := readStatus(ctx, statusClient, httpURL+"/status.json")
			if err != nil {
				if ctx.Err() == nil {
					r.sampleErr = err
					fail()
				}
				return
			}
			s.at = time.Since(start)
			r.samples = append(r.samples, s)
			if time.Since(last) >= time.Minute || len(r.samples) == 1 {
				last = time.Now()
				progress("soak: %v: %s", s.at.Round(time.Second), r.progressLine(s))
			}
		}
	}()
	wg.Wait()
	if after, err := readNetCounters(); cerr == nil && err == nil {
		r.hostTCP = after.since(before)
	}
	select {
	case <-failed:
		progress("soak: stopped early: a load failed")
	default:
	}
	// Quiescent again: the clients' connections are closed; their
	// goroutines in the guest end soon after.
	statusTr.CloseIdleConnections()
	settleStart := time.Now()
	for {
		s, err := readStatus(context.Background(), statusClient, httpURL+"/status.json")
		statusTr.CloseIdleConnections()
		if err == nil {
			r.after = s
			if s.goroutines <= r.before.goroutines+soakGoroutineSlack {
				break
			}
		}
		if time.Since(settleStart) > 30*time.Second {
			if err != nil {
				r.problems = append(r.problems, "the last /status.json: "+err.Error())
			}
			break
		}
		time.Sleep(time.Second)
	}
	r.settled = time.Since(settleStart)
	trace.Stop()
	r.verdicts, r.capture, r.captureErr = classifyStalls(capFile, stalls, fwd, trace)
	r.judge()
	return r, nil
}

// echoSoak opens connections to the echo server until deadline, each for
// 20 round trips of 1 to 2000 bytes, checking every echo. A round trip
// unanswered for httpStall is a stall, which ends it with an error.
func echoSoak(ctx context.Context, addr string, deadline time.Time, log *stallLog, count *atomic.Int64) (stalls int, err error) {
	dial := log.dial(&net.Dialer{Timeout: httpStall})
	msg, back := make([]byte, 2000), make([]byte, 2000)
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		c, err := dial(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil
			}
			return 0, fmt.Errorf("connection %d: %v", n, err)
		}
		for i := range 20 {
			size := 1 + (n*20+i)*37%2000
			for j := range size {
				msg[j] = byte(n + i + j)
			}
			sent := time.Now()
			c.SetDeadline(sent.Add(httpStall))
			_, err := c.Write(msg[:size])
			if err == nil {
				_, err = io.ReadFull(c, back[:size])
			}
			if err != nil {
				c.Close()
				if ctx.Err() != nil {
					return 0, nil
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					log.add(c, sent)
					return 1, fmt.Errorf("connection %d, round trip %d: no echo of %d bytes within %v", n, i, size, httpStall)
				}
				return 0, fmt.Errorf("connection %d, round trip %d: %v", n, i, err)
			}
			if string(back[:size]) != string(msg[:size]) {
				c.Close()
				return 0, fmt.Errorf("connection %d, round trip %d: the echo differs from the message", n, i)
			}
			count.Add(1)
		}
		c.Close()
	}
	return 0, nil
}

// udpSoak sends numbered datagrams to the echo server until deadline,
// one at a time, 20 a second; each must come back, unchanged, within 2 s.
func udpSoak(ctx context.Context, addr string, deadline time.Time, count *atomic.Int64) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg, back := make([]byte, 1200), make([]byte, 2048)
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		size := 8 + n*53%1192
		for j := range size {
			msg[j] = byte(n*3 + j)
		}
		msg[0], msg[1], msg[2], msg[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		if _, err := c.Write(msg[:size]); err != nil {
			return fmt.Errorf("datagram %d: %v", n, err)
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, err := c.Read(back)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("datagram %d (%d bytes): no echo within 2 s: %v", n, size, err)
		}
		if string(back[:k]) != string(msg[:size]) {
			return fmt.Errorf("datagram %d: the echo (%d bytes) differs from the datagram (%d bytes)", n, k, size)
		}
		count.Add(1)
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func (r *soakRun) progressLine(s statusSample) string {
	var parts []string
	for _, l := range r.loads {
		parts = append(parts, fmt.Sprint(l.count.Load()))
	}
	return fmt.Sprintf("%s done; %d goroutines, heap %s live after GC (%d GCs)", strings.Join(parts, "/"), s.goroutines, mib(s.heapLive), s.numGC)
}

func mib(b uint64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }

// judge fills in the slope and the problems.
func (r *soakRun) judge() {
	for _, l := range r.loads {
		if l.err != nil && !errors.Is(l.err, context.Canceled) {
			r.problems = append(r.problems, fmt.Sprintf("%s: %v", l.name, l.err))
		}
	}
	if r.sampleErr != nil {
		r.problems = append(r.problems, "sampling /status.json: "+r.sampleErr.Error())
	}
	if r.captureErr != nil {
		r.problems = append(r.problems, "the stalls could not be classified: "+r.captureErr.Error())
	}
	if n := len(r.verdicts); n > 0 {
		r.problems = append(r.problems, fmt.Sprintf("%d stalled requests: %s", n, stallSummary(r.verdicts)))
	}
	if r.after.goroutines > r.before.goroutines+soakGoroutineSlack {
		r.problems = append(r.problems, fmt.Sprintf("%d goroutines before the load, %d after it (%v after the clients closed their connections); at most %d more may be left",
			r.before.goroutines, r.after.goroutines, r.settled.Round(time.Second), soakGoroutineSlack))
	}
	var x, y []float64
	for _, s := range r.samples {
		if s.at >= r.warmupExcluded && s.numGC > 0 {
			x = append(x, s.at.Minutes())
			y = append(y, float64(s.heapLive))
		}
	}
	r.slope = stats.Slope(x, y)
	switch {
	case r.duration < soakJudgeHeap:
		// Too short: reported, not judged.
	case len(x) < 3:
		r.problems = append(r.problems, fmt.Sprintf("only %d samples of the live heap after the warm-up: too few for a slope", len(x)))
	case r.slope > soakHeapSlope:
		r.problems = append(r.problems, fmt.Sprintf("the live heap after GC grew by %.1f KiB a minute (Theil–Sen slope of %d samples after the first %v), more than %d KiB",
			r.slope/1024, len(x), r.warmupExcluded, soakHeapSlope>>10))
	}
}

// writeSummary writes the table.
func (r *soakRun) writeSummary(w io.Writer) {
	verdict := "PASS"
	if len(r.problems) > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "soak: %s: cmd/demo on yolk, QEMU virt, 2 cores, 512 MiB, for %v (%s)\n\n", verdict, r.duration, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "load\tcount\terrors\tstalls\t")
	for _, l := range r.loads {
		errs := 0
		if l.err != nil && !errors.Is(l.err, context.Canceled) {
			errs = 1
		}
		fmt.Fprintf(tw, "%s\t%d %s\t%d\t%d\t\n", l.name, l.count.Load(), l.unit, errs, l.stalls)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "guest\tfirst\tlast\t")
	first, last := r.before, r.after
	if len(r.samples) > 0 {
		first = r.samples[0]
	}
	fmt.Fprintf(tw, "goroutines (before and after the load, quiescent)\t%d\t%d\t\n", r.before.goroutines, r.after.goroutines)
	fmt.Fprintf(tw, "live heap after GC (first sample, after the load)\t%s\t%s\t\n", mib(first.heapLive), mib(last.heapLive))
	fmt.Fprintf(tw, "heap allocated (first sample, after the load)\t%s\t%s\t\n", mib(first.heapAlloc), mib(last.heapAlloc))
	fmt.Fprintf(tw, "GC cycles\t%d\t%d\t\n", r.before.numGC, last.numGC)
	fmt.Fprintf(tw, "(network counters that stayed 0 are left out)\t\t\t\n")
	var keys []string
	for k := range r.after.network {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "irq" || k == "lease_seconds" || r.before.network[k] == 0 && r.after.network[k] == 0 {
			continue // not a counter, or nothing counted
		}
		fmt.Fprintf(tw, "network %s\t%.0f\t%.0f\t\n", k, r.before.network[k], r.after.network[k])
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch {
	case math.IsNaN(r.slope):
		fmt.Fprintf(w, "live heap slope: no estimate (too few samples after the first %v)\n", r.warmupExcluded)
	case r.duration < soakJudgeHeap:
		fmt.Fprintf(w, "live heap slope: not judged in a run shorter than %v (connections linger a minute)\n", soakJudgeHeap)
	default:
		fmt.Fprintf(w, "live heap slope: %+.1f KiB/min (Theil–Sen over the samples after the first %v, every %v; limit %d KiB/min)\n",
			r.slope/1024, r.warmupExcluded, soakSample(r.duration), soakHeapSlope>>10)
	}
	if r.hostTCP != nil {
		fmt.Fprintf(w, "host TCP counters during the load (whole host): %s\n", r.hostTCP)
	}
	for _, v := range r.verdicts {
		fmt.Fprintf(w, "stall: port %d at %s: %v\n", v.req.Port, v.req.Sent.Format("15:04:05.000"), v.verdict)
	}
	if r.capture != "" {
		fmt.Fprintf(w, "capture kept: %s\n", r.capture)
	}
	for _, p := range r.problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
}

// qemuPID returns the QEMU process among pid's descendants (run-qemu.sh
// runs the yolk tool, which runs QEMU).
func qemuPID(pid int) (int, error) {
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p)); err == nil && strings.HasPrefix(string(comm), "qemu-system") {
			return p, nil
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p, p))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				queue = append(queue, c)
			}
		}
	}
	return 0, fmt.Errorf("no QEMU process under %d", pid)
}
