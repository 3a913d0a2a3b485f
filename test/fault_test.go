//go:build !tamago

package test

import (
	"strings"
	"testing"

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
