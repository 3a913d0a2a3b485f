//go:build !tamago

package test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yolkos/yolk/bench/capture"
	"github.com/yolkos/yolk/internal/qemutest"
)

// countConn counts a connection's bytes, as the bench harness does.
type countConn struct {
	net.Conn
	in, out atomic.Int64
}

func (c *countConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.in.Add(int64(n))
	return n, err
}

func (c *countConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.Add(int64(n))
	return n, err
}

// The capture that classifies the bench's stalls, end to end under QEMU:
// filter-dump on the netdev, QEMU's user network keeping the client's
// port, bench/capture reading it. A request the guest holds (/dial to a
// host server that never writes) is the guest's; a request it answered
// at once, had the client not got the answer, would not be.
func TestStallClassifiedFromCapture(t *testing.T) {
	pcap := filepath.Join(t.TempDir(), "net.pcap")
	p := []int{qemutest.FreePort(t)}
	m := qemutest.Start(t, demoELF, qemutest.Options{SMP: 2, Net: true, Timeout: 5 * time.Minute, Isolated: true,
		Env: []string{fmt.Sprintf("YOLK_HOSTFWD=tcp:127.0.0.1:%d-:80", p[0]),
			"QEMU_EXTRA=-object filter-dump,id=cap,netdev=n0,file=" + pcap + ",maxlen=128"}},
		"yolk.quiet=1", "yolk.diag=on")
	m.WaitFor("serving http on :80", 60*time.Second)

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never written to
		}
	}()

	var conn *countConn
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countConn{Conn: c}, nil
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	// request sends GET path with a deadline and returns what the client
	// saw, as bench/capture wants it.
	request := func(path string, limit time.Duration) (capture.Request, error) {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { conn = i.Conn.(*countConn) }})
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://127.0.0.1:%d%s", p[0], path), nil)
		sent := time.Now()
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		return capture.Request{Port: uint16(conn.LocalAddr().(*net.TCPAddr).Port), Service: 80, Sent: sent,
			BytesOut: conn.out.Load(), BytesIn: conn.in.Load()}, err
	}
	classify := func(r capture.Request) capture.Verdict {
		b, err := os.ReadFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		pkts, err := capture.Read(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return capture.Classify(pkts, r, time.Second)
	}

	// Answered at once: not the guest's doing, had the client not got
	// the answer (it had read only the first answer when it sent the
	// second request).
	first, err := request("/status.json", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := request("/status.json", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ok.BytesIn = first.BytesIn
	time.Sleep(500 * time.Millisecond)
	if v := classify(ok); v.Side != capture.Host || !strings.Contains(v.Reason, "the guest received the request and answered it") || !strings.Contains(v.Reason, "but the answer did not reach the client") {
		t.Errorf("a request answered at once: %v", v)
	}
	// Held by the guest for 10 s (its /dial read timeout): the client
	// gives up after 3 s, and the guest is to blame.
	held, err := request(fmt.Sprintf("/dial?addr=10.0.2.2:%d", silent.Addr().(*net.TCPAddr).Port), 3*time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET /dial of a silent server: %v, want the client's deadline", err)
	}
	time.Sleep(time.Second)
	if v := classify(held); v.Side != capture.Guest || !strings.Contains(v.Reason, "never answered it") {
		t.Errorf("a request the guest holds: %v", v)
	}
	// A port that never carried a connection to the guest.
	if v := classify(capture.Request{Port: 1, Service: 80, Sent: time.Now()}); v.Side != capture.Host || !strings.Contains(v.Reason, "never reached the guest") {
		t.Errorf("no such connection: %v", v)
	}
}
