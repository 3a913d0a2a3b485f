//go:build tamago

package cpuprof_test

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	_ "github.com/yolkos/yolk/board/qemu-virt"
	"github.com/yolkos/yolk/sched/cpuprof"
)

// spin keeps a core busy in a function of its own for d.
//
//go:noinline
func spin(d time.Duration) uint64 {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 1000 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	return x
}

// TestProfileFindsTheBusyFunction profiles every core spinning in spin
// and checks that the profile says so: most samples have spin on their
// stack, under the goroutine's own frames.
func TestProfileFindsTheBusyFunction(t *testing.T) {
	n := runtime.GOMAXPROCS(0)
	begin := time.Now()
	if err := cpuprof.Start(0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spin(300 * time.Millisecond)
		}()
	}
	wg.Wait()
	p, err := cpuprof.Stop(begin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if p, err = profile.Parse(&buf); err != nil {
		t.Fatalf("the profile does not parse: %v", err)
	}
	var total, inSpin, withCaller int64
	for _, s := range p.Sample {
		total += s.Value[0]
		var names []string
		for _, l := range s.Location {
			for _, ln := range l.Line {
				names = append(names, ln.Function.Name)
			}
		}
		stack := strings.Join(names, " ")
		if strings.Contains(stack, "cpuprof_test.spin") {
			inSpin += s.Value[0]
			if strings.Contains(stack, "TestProfileFindsTheBusyFunction.func1") {
				withCaller += s.Value[0]
			}
		}
	}
	t.Logf("%d samples, %d in spin, %d of them under its caller", total, inSpin, withCaller)
	// 300 ms on n cores at 1000 samples a second is 300n samples when
	// the emulator's threads get a host CPU each; a loaded host gives
	// them less, and the samples count the CPU time they got.
	if total < 30 {
		t.Errorf("%d samples in 300 ms on %d cores, want at least 30", total, n)
	}
	if inSpin*10 < total*8 {
		t.Errorf("%d of %d samples in spin, want at least 80%%", inSpin, total)
	}
	if withCaller*10 < inSpin*9 {
		t.Errorf("%d of %d samples in spin show its caller, want at least 90%%", withCaller, inSpin)
	}
}

// TestStartTwice checks that a second profile cannot start while one runs.
func TestStartTwice(t *testing.T) {
	if err := cpuprof.Start(0); err != nil {
		t.Fatal(err)
	}
	defer cpuprof.Stop(time.Now())
	if err := cpuprof.Start(0); err == nil {
		t.Error("a second Start succeeded while sampling was on")
	}
}
