//go:build !tamago

package main

// Stalls, attributed. Every network boot captures the guest's traffic
// with QEMU's filter-dump object on its netdev; a request that goes
// unanswered for httpStall is recorded as the client saw it (its
// connection's local port, the bytes it had written and read), and after
// the measurements bench/capture decides from the capture whether it
// reached the guest and whether the guest answered. The capture of a boot
// with a stall is kept as evidence; the others are deleted.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/bench/capture"
)

const (
	captureDir = buildDir + "/captures"
	// captureSnap is filter-dump's maxlen: the headers (Ethernet, IPv6 or
	// IPv4 and TCP with options) and no more, to keep captures small.
	captureSnap = 128
	// lateAnswer is how long after a request's last byte reached it the
	// guest may take to answer before the stall is its own.
	lateAnswer = time.Second
)

// captureArgs adds QEMU's filter-dump of netdev n0 (run-qemu.sh's and
// qemuArgs's network device) to file.
func captureArgs(file string) []string {
	return []string{"-object", fmt.Sprintf("filter-dump,id=yolkcap,netdev=n0,file=%s,maxlen=%d", file, captureSnap)}
}

// newCaptureFile returns a fresh capture file name for a boot of key.
func newCaptureFile(key string) (string, error) {
	if err := os.MkdirAll(captureDir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(captureDir, fmt.Sprintf("%s-%s.pcap", key, time.Now().Format("20060102-150405.000"))), nil
}

// countedConn counts the bytes read and written on a connection (each
// counted by the one goroutine that reads or writes; read by another).
type countedConn struct {
	net.Conn
	in, out atomic.Int64
}

func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.in.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.Add(int64(n))
	return n, err
}

// countedDial dials TCP connections that count their bytes.
func countedDial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countedConn{Conn: c}, nil
	}
}

// stallLog collects the requests that stalled, and the first connection
// dialed through it (an anchor for the capture's clock).
type stallLog struct {
	mu     sync.Mutex
	reqs   []capture.Request
	anchor struct {
		set           bool
		local, remote uint16
		at            time.Time
	}
}

// dial is countedDial that notes the first connection it opens: when it
// was dialed and from which port, so that capture.ClockOffset can find
// its SYN in the capture.
func (l *stallLog) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	counted := countedDial(d)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		at := time.Now()
		c, err := counted(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		local, ok1 := c.LocalAddr().(*net.TCPAddr)
		remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
		l.mu.Lock()
		if !l.anchor.set && ok1 && ok2 {
			l.anchor.set, l.anchor.local, l.anchor.remote, l.anchor.at = true, uint16(local.Port), uint16(remote.Port), at
		}
		l.mu.Unlock()
		return c, nil
	}
}

// traced returns ctx with a trace that remembers the connection an HTTP
// request goes over, and a function that records the request as stalled
// (sent at sent); it records nothing if the request got no connection
// from a countedDial, or if l is nil.
func (l *stallLog) traced(ctx context.Context) (context.Context, func(sent time.Time)) {
	if l == nil {
		return ctx, func(time.Time) {}
	}
	var conn net.Conn
	var mu sync.Mutex
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		mu.Lock()
		conn = i.Conn
		mu.Unlock()
	}})
	return ctx, func(sent time.Time) {
		mu.Lock()
		c := conn
		mu.Unlock()
		l.add(c, sent)
	}
}

// add records a request stalled on c.
func (l *stallLog) add(c net.Conn, sent time.Time) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	cc, ok := c.(*countedConn)
	if !ok {
		return
	}
	local, ok1 := cc.LocalAddr().(*net.TCPAddr)
	remote, ok2 := cc.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, capture.Request{Port: uint16(local.Port), Service: uint16(remote.Port),
		Sent: sent, BytesOut: cc.out.Load(), BytesIn: cc.in.Load()})
}

func (l *stallLog) requests() []capture.Request {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]capture.Request(nil), l.reqs...)
}

// stallVerdict is one stall and where it got lost.
type stallVerdict struct {
	req     capture.Request
	verdict capture.Verdict
}

// calibratedSkew is how far a stall's time may be from the capture's
// clock once the anchor connection measured the offset.
const calibratedSkew = 500 * time.Millisecond

// classifyStalls reads the capture and classifies each stalled request
// of log (whose Service is the host's forwarded port) as fwd maps it to
// the guest's port, on the capture's clock if log's first connection
// shows where that is; a request the guest kept waiting while trace (if
// not nil) shows the host starving QEMU is the host's. With no stall the capture is deleted; otherwise it
// is kept and its name returned.
func classifyStalls(file string, log *stallLog, fwd []hostFwd, trace *cpuTrace) ([]stallVerdict, string, error) {
	reqs := log.requests()
	if len(reqs) == 0 {
		os.Remove(file)
		return nil, "", nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, file, fmt.Errorf("the capture of the stalls: %v", err)
	}
	defer f.Close()
	pkts, err := capture.Read(f)
	if err != nil {
		return nil, file, fmt.Errorf("the capture of the stalls: %v", err)
	}
	guestPort := func(p uint16) uint16 {
		for _, h := range fwd {
			if int(p) == h.host {
				return uint16(h.guest)
			}
		}
		return p
	}
	log.mu.Lock()
	anchor := log.anchor
	log.mu.Unlock()
	var offset time.Duration
	calibrated := false
	if anchor.set {
		offset, calibrated = capture.ClockOffset(pkts, anchor.local, guestPort(anchor.remote), anchor.at)
		// An anchor whose SYN the host held back would skew it.
		calibrated = calibrated && offset > -5*time.Second && offset < 5*time.Second
	}
	var out []stallVerdict
	for _, r := range reqs {
		r.Service = guestPort(r.Service)
		if calibrated {
			r.Sent, r.Skew = r.Sent.Add(offset), calibratedSkew
		}
		v := capture.Classify(pkts, r, lateAnswer)
		if calibrated {
			v = judgeHost(v, trace, offset)
		}
		out = append(out, stallVerdict{r, v})
	}
	return out, file, nil
}

// noteStalls adds one boot's stalls to the report, each with where it got
// lost; one on the guest's side also fails the row (-strict).
func noteStalls(r *report, t target, row string, o netOut) {
	if o.captureErr != nil {
		r.notes = append(r.notes, note{t.key, row, "failed", "stalls not classified: " + o.captureErr.Error()})
	}
	for i, v := range o.verdicts {
		where := ""
		if i == 0 {
			where = " (capture " + o.capture + ")"
			if o.hostTCP != nil {
				where = " (capture " + o.capture + "; the host's counters during the HTTP runs: " + o.hostTCP.String() + ")"
			}
		}
		what := fmt.Sprintf("GET / from port %d stalled at %s%s: %v", v.req.Port, v.req.Sent.Format("15:04:05.000"), where, v.verdict)
		r.notes = append(r.notes, note{t.key, row, "stall", what})
		if v.verdict.Side == capture.Guest {
			r.notes = append(r.notes, note{t.key, row, "failed", "an HTTP request stalled on the guest's side: " + v.verdict.Reason})
		}
	}
}

// stallSummary is the progress line's word on the stalls: how many on
// each side.
func stallSummary(vs []stallVerdict) string {
	if len(vs) == 0 {
		return ""
	}
	n := map[capture.Side]int{}
	for _, v := range vs {
		n[v.verdict.Side]++
	}
	s := fmt.Sprintf("%d stalled: %d host side, %d guest side", len(vs), n[capture.Host], n[capture.Guest])
	if n[capture.Unknown] > 0 {
		s += fmt.Sprintf(", %d unknown", n[capture.Unknown])
	}
	return s
}

// A cpuTrace samples how the host scheduled QEMU's threads: their time
// running and their time runnable but waiting for a CPU (the first two
// fields of /proc/<pid>/task/*/schedstat, in ns), every cpuTraceEvery.
// A guest that leaves a request waiting while QEMU's threads wait for
// the host did not get to run: the host starved it.
type cpuTrace struct {
	mu        sync.Mutex
	at        []time.Time
	run, wait []int64
	stop      chan struct{}
	done      chan struct{}
}

const cpuTraceEvery = 100 * time.Millisecond

// startCPUTrace samples process pid until Stop.
func startCPUTrace(pid int) *cpuTrace {
	c := &cpuTrace{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(cpuTraceEvery)
		defer t.Stop()
		for {
			if run, wait, err := schedstat(pid); err == nil {
				c.mu.Lock()
				c.at, c.run, c.wait = append(c.at, time.Now()), append(c.run, run), append(c.wait, wait)
				c.mu.Unlock()
			}
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
		}
	}()
	return c
}

func (c *cpuTrace) Stop() {
	if c != nil {
		close(c.stop)
		<-c.done
	}
}

// schedstat adds up the run and wait times of process pid's threads.
func schedstat(pid int) (run, wait int64, err error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/" + task.Name() + "/schedstat")
		f := strings.Fields(string(b))
		if err != nil || len(f) != 3 {
			continue
		}
		r, err1 := strconv.ParseInt(f[0], 10, 64)
		w, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 == nil && err2 == nil {
			run += r
			wait += w
		}
	}
	return run, wait, nil
}

// between returns what QEMU's threads ran and waited for a CPU from
// about from to about to (the samples around them); ok is false if the
// trace does not cover it.
func (c *cpuTrace) between(from, to time.Time) (run, wait, span time.Duration, ok bool) {
	if c == nil {
		return 0, 0, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.at), func(i int) bool { return c.at[i].After(from) }) - 1
	j := sort.Search(len(c.at), func(j int) bool { return !c.at[j].Before(to) })
	if i < 0 || j >= len(c.at) || j <= i {
		return 0, 0, 0, false
	}
	return time.Duration(c.run[j] - c.run[i]), time.Duration(c.wait[j] - c.wait[i]), c.at[j].Sub(c.at[i]), true
}

// starvedShare is the share of a window that QEMU's threads (together)
// spent runnable but waiting for a host CPU above which a late guest is
// the host's doing.
const starvedShare = 0.5

// judgeHost looks at how the host scheduled QEMU while the guest kept a
// request waiting (v.Waited, on the capture's clock, offset ahead of the
// host's): starved (its threads waited for a CPU most of the time), the
// stall is the host's; otherwise the verdict says what QEMU did.
func judgeHost(v capture.Verdict, trace *cpuTrace, offset time.Duration) capture.Verdict {
	if v.Side != capture.Guest || v.Waited[0].IsZero() {
		return v
	}
	run, wait, span, ok := trace.between(v.Waited[0].Add(-offset), v.Waited[1].Add(-offset))
	if !ok || span <= 0 {
		return v
	}
	how := fmt.Sprintf("QEMU's threads ran %v and waited for a host CPU %v in those %v", run.Round(time.Millisecond), wait.Round(time.Millisecond), span.Round(time.Millisecond))
	if float64(wait) > starvedShare*float64(span) {
		v.Side = capture.Host
		v.Reason += "; but " + how + ": the host did not run it"
	} else {
		v.Reason += "; " + how
	}
	return v
}
