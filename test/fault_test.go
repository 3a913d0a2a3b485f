//go:build !tamago

package test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yolkos/yolk/internal/qemutest"
)

// Running out of memory is a clear report and a non-zero exit, never a
// hang: with large blocks, small objects, or goroutines (whose fatal
// error, thrown on a system stack, makes the runtime print every
// goroutine's traceback: the console shows the first hundred and says how
// many it left out, instead of scrolling for minutes).
func TestHeapExhaustion(t *testing.T) {
	for _, kind := range []string{"large", "small", "goroutines"} {
		t.Run(kind, func(t *testing.T) {
			r := boot(t, qemutest.Options{SMP: 2, Mem: "128M"}, "oom", kind)
			expectExit(t, r, 2)
			expect(t, r, "exhausting the heap with "+kind, "runtime: out of memory: cannot allocate", "fatal error: out of memory")
			if strings.Contains(r.Output, "guest: done") {
				t.Error("the guest went on after running out of memory")
			}
			headers := strings.Count(r.Output, "\ngoroutine ")
			if headers > 101 {
				t.Errorf("%d goroutine tracebacks on the console, want at most 100 and the header of one more", headers)
			}
			if kind == "goroutines" {
				expect(t, r, "yolk: the console shows the first 100 goroutines' tracebacks of a crash; the others are left out",
					" goroutine tracebacks left out")
			}
			t.Logf("%s: exit %d after %v, %d goroutine tracebacks shown", kind, r.ExitCode, r.Duration.Round(1e6), headers)
		})
	}
}

// A handler that panics, with a value or by reading through a nil
// pointer (a data abort the exception handler turns into the runtime's
// panic), loses its own request: net/http recovers, logs and closes that
// connection, and the server goes on serving, over HTTP and HTTPS,
// without leaking goroutines.
func TestHandlerPanicLeavesServerServing(t *testing.T) {
	s := startDemo(t, "yolk.quiet=1", "yolk.diag=on")
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // self-signed at boot
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	goroutines := func() int {
		var st struct {
			Goroutines int `json:"goroutines"`
		}
		if err := json.Unmarshal(get(t, c, s.http+"/status.json"), &st); err != nil {
			t.Fatal(err)
		}
		return st.Goroutines
	}
	before := goroutines()
	tr.CloseIdleConnections()
	for i := range 10 {
		for _, base := range []string{s.http, s.https} {
			for _, kind := range []string{"nil", "value"} {
				resp, err := c.Get(base + "/panic?kind=" + kind)
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					t.Fatalf("round %d: GET %s/panic?kind=%s answered %s %q", i, base, kind, resp.Status, b)
				}
				if b := get(t, c, base+"/status.json"); !bytes.Contains(b, []byte(`"goroutines"`)) {
					t.Fatalf("after a panic the server answered %q", b)
				}
			}
		}
	}
	tr.CloseIdleConnections()
	var after int
	for try := 0; try < 20; try++ { // closed connections' goroutines end soon after
		if after = goroutines(); after <= before+1 {
			break
		}
		tr.CloseIdleConnections()
		time.Sleep(250 * time.Millisecond)
	}
	if after > before+1 {
		t.Errorf("%d goroutines before 40 panics, %d after", before, after)
	}
	out := s.m.Output()
	for _, w := range []string{"http: panic serving", "runtime error: invalid memory address or nil pointer dereference", "demo: /panic?kind=value"} {
		if !strings.Contains(out, w) {
			t.Errorf("the console lacks %q", w)
		}
	}
	t.Logf("goroutines: %d before, %d after; %d panics logged", before, after, strings.Count(out, "http: panic serving"))
}
