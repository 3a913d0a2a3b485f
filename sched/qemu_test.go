//go:build tamago

package sched_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/yolkos/yolk/board"
	rt "github.com/yolkos/yolk/internal/goruntime"
)

func TestSleepIsNeverEarly(t *testing.T) {
	for _, d := range []time.Duration{time.Microsecond, time.Millisecond, 7 * time.Millisecond, 30 * time.Millisecond} {
		start := time.Now()
		time.Sleep(d)
		if got := time.Since(start); got < d {
			t.Errorf("Sleep(%v) returned after %v", d, got)
		}
	}
}

// Timers fire in deadline order: when a timer fires, every timer with an
// earlier deadline has fired before it. AfterFunc callbacks run on
// goroutines of their own, so the order in which callbacks run says
// nothing about firing order (several cores, and guest cores the host
// deschedules, run them in any order); Stop does: it reports whether the
// timer was still pending. The runtime marks a one-shot timer fired
// (when = 0) under its heap's lock as it takes it off the heap, before
// it starts the callback's goroutine, so callback i, calling Stop on an
// earlier timer j, sees false unless j had not fired when i did. The
// timers are made with the goroutine pinned to its P, so that they share
// one heap: the runtime orders only the timers of one heap (each P runs
// its own and steals the others' when idle).
func TestTimersFireInDeadlineOrder(t *testing.T) {
	const n = 50
	var timers [n]*time.Timer
	var onTime [n]atomic.Bool
	var fired [n]atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	// Timer i's deadline, as the runtime computes it inside Reset, lies
	// in [earliest[i], latest[i]]: the clock read before and after Reset,
	// plus its duration. A host that deschedules the guest between two
	// Resets may put a later index's deadline first: the order checked is
	// that of the deadlines, where it is certain.
	var earliest, latest [n]time.Time
	wg.Add(n)
	// Every timer exists before any is armed: a callback may run (on
	// another P, which steals this P's timers when idle) while the
	// others are being armed.
	rt.ProcPin()
	for i := range timers {
		timers[i] = time.AfterFunc(time.Hour, func() {
			onTime[i].Store(!time.Now().Before(earliest[i]))
			for j := range timers {
				if j != i && latest[j].Before(earliest[i]) && timers[j].Stop() {
					// j had not fired: it never will now.
					mu.Lock()
					bad = append(bad, fmt.Sprintf("timer %d fired while timer %d, due %v earlier, was pending", i, j, earliest[i].Sub(latest[j])))
					mu.Unlock()
					if !fired[j].Swap(true) {
						wg.Done()
					}
				}
			}
			if !fired[i].Swap(true) {
				wg.Done()
			}
		})
	}
	for i := n - 1; i >= 0; i-- {
		d := time.Duration(i+1) * 2 * time.Millisecond
		earliest[i] = time.Now().Add(d)
		timers[i].Reset(d)
		latest[i] = time.Now().Add(d)
	}
	rt.ProcUnpin()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("not every timer fired within 60s")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
	for i := range onTime {
		if !onTime[i].Load() && len(bad) == 0 {
			t.Errorf("timer %d fired before its deadline", i)
		}
	}
}

func TestTickerAndContextDeadline(t *testing.T) {
	tk := time.NewTicker(2 * time.Millisecond)
	start := time.Now()
	for i := 0; i < 10; i++ {
		<-tk.C
	}
	tk.Stop()
	if el := time.Since(start); el < 18*time.Millisecond {
		t.Errorf("10 ticks of 2ms took %v", el)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		if ctx.Err() != context.DeadlineExceeded {
			t.Errorf("context error %v", ctx.Err())
		}
	case <-time.After(5 * time.Second):
		t.Error("context deadline did not fire")
	}
}

func TestGoroutinesChannelsSync(t *testing.T) {
	const workers, items = 16, 2000
	in := make(chan int)
	out := make(chan int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum := 0
			for v := range in {
				sum += v
			}
			out <- sum
		}()
	}
	for i := 1; i <= items; i++ {
		in <- i
	}
	close(in)
	wg.Wait()
	close(out)
	total := 0
	for s := range out {
		total += s
	}
	if want := items * (items + 1) / 2; total != want {
		t.Errorf("sum %d, want %d", total, want)
	}

	var mu sync.Mutex
	var once sync.Once
	var onceCount, counter int64
	var wg2 sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			once.Do(func() { atomic.AddInt64(&onceCount, 1) })
			for j := 0; j < 100; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
				if j%10 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg2.Wait()
	if counter != 10000 || onceCount != 1 {
		t.Errorf("counter %d (want 10000), once ran %d times", counter, onceCount)
	}
}

// Allocation-heavy goroutines with forced collections: nothing is lost
// or corrupted, and the collector really runs.
func TestGCUnderAllocationPressure(t *testing.T) {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			keep := make([][]byte, 64)
			for i := 0; i < 20000; i++ {
				b := make([]byte, 64+i%4096)
				b[0], b[len(b)-1] = byte(w), byte(i)
				keep[i%len(keep)] = b
			}
			for i, b := range keep {
				if b[0] != byte(w) {
					errs <- "corrupted allocation"
					return
				}
				_ = i
			}
		}(w)
	}
	for i := 0; i < 5; i++ {
		runtime.GC()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.NumGC-before.NumGC < 5 {
		t.Errorf("%d collections ran, want at least 5", after.NumGC-before.NumGC)
	}
	if after.HeapAlloc > 64<<20 {
		t.Errorf("heap holds %d MiB after collection", after.HeapAlloc>>20)
	}
}

func TestCryptoRand(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 64; i++ {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(b, make([]byte, 32)) {
			t.Fatal("crypto/rand returned zeros")
		}
		if seen[string(b)] {
			t.Fatal("crypto/rand repeated itself")
		}
		seen[string(b)] = true
	}
	// Every bit position takes both values over 64 draws of 256 bits.
	var ones [256]int
	for s := range seen {
		for i := 0; i < 256; i++ {
			if s[i/8]>>(i%8)&1 == 1 {
				ones[i]++
			}
		}
	}
	for i, n := range ones {
		if n == 0 || n == 64 {
			t.Fatalf("bit %d is constant across draws", i)
		}
	}
}
