//go:build !tamago

package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The bursts against host servers that behave like the guest's: an echo
// server that counts its connections, /conns, and a TLS server.
func TestBursts(t *testing.T) {
	var open, accepted atomic.Int64
	el, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	go func() {
		for {
			c, err := el.Accept()
			if err != nil {
				return
			}
			open.Add(1)
			accepted.Add(1)
			go func() {
				defer open.Add(-1)
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "open=%d accepted=%d\n", open.Load(), accepted.Load())
	}))
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer tlsSrv.Close()
	c := burstConfig{held: 50, dialLimit: 20 * time.Second, churn: 2, churnFor: 300 * time.Millisecond, handshakes: 20, tlsLimit: 30 * time.Second}
	b := &burstResult{}
	httpAddr := strings.TrimPrefix(srv.URL, "http://")
	burstHeld(b, c, el.Addr().String(), httpAddr)
	burstChurn(b, c, el.Addr().String())
	burstTLS(b, c, strings.TrimPrefix(tlsSrv.URL, "https://"))
	v := b.values
	if v["held opened"] != 50 || v["held answering"] != 50 || v["held guest open"] != 50 || v["held guest accepted"] != 50 {
		t.Errorf("held: %v", v)
	}
	if v["churn done"] == 0 || v["churn failed"] != 0 || v["churn rate"] <= 0 || v["churn p99"] <= 0 {
		t.Errorf("churn: %v", v)
	}
	if v["tls done"] != 20 || v["tls p99"] <= 0 {
		t.Errorf("tls: %v", v)
	}
	if _, ok := v["held ListenOverflows"]; !ok {
		t.Logf("no host counters here: %v", b.notes)
	}
	for _, w := range []string{"held", "churn", "tls"} {
		if win, ok := b.windows[w]; !ok || !win[1].After(win[0]) {
			t.Errorf("no window for %s: %v", w, b.windows)
		}
	}
	if open.Load() != 0 {
		t.Errorf("%d echo connections left open", open.Load())
	}
	var md bytes.Buffer
	writeBursts(&md, c, []string{"yolk2", "linux2"}, map[string]*burstResult{"yolk2": b, "linux2": b}, map[string]string{"yolk2": "qemu a", "linux2": "qemu b"}, true, time.Minute)
	for _, want := range []string{"| burst | measure | unit | yolk smp2 | linux smp2 | yolk smp2 / linux smp2 |", "| held | connections the host opened within the limit |  | 50 | 50 | 1.00× |", "qemu b"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, md.String())
		}
	}
}
