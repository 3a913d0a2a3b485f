//go:build tamago

package sched_test

import (
	"math/rand"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/sched"
)

func cores() int { return sched.NumCores() }

// long selects the full-length variants. testing.Short is always true on
// GOOS=tamago (tamago-go assumes flags cannot reach the binary); the
// Makefile's main QEMU run passes yolk.long=1 on the kernel command line.
func long() bool { return os.Getenv("yolk.long") == "1" }

func TestCoresAndProcs(t *testing.T) {
	want := len(board.Machine().CPUs)
	if cores() != want || runtime.NumCPU() != want || runtime.GOMAXPROCS(0) != want {
		t.Errorf("device tree %d CPUs; sched %d cores, NumCPU %d, GOMAXPROCS %d", want, cores(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	}
}

// spin burns CPU with function calls (so time slicing can preempt it).
//
//go:noinline
func spin(n int) (x uint64) {
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + uint64(i)
		if i%1024 == 0 {
			x += step(x)
		}
	}
	return x
}

//go:noinline
func step(x uint64) uint64 { return x >> 7 }

func TestGoroutinesRunOnEveryCore(t *testing.T) {
	var seen [64]atomic.Bool
	var wg sync.WaitGroup
	deadline := time.Now().Add(10 * time.Second)
	for g := 0; g < 4*cores(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				seen[cpu.Index()].Store(true)
				spin(20000)
				all := true
				for i := 0; i < cores(); i++ {
					all = all && seen[i].Load()
				}
				if all {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < cores(); i++ {
		if !seen[i].Load() {
			t.Errorf("no goroutine ran on core %d", i)
		}
	}
}

// A CPU-bound job split into one goroutine per core runs on every core:
// each core executes some of its chunks. (How fast is for make bench.)
func TestParallelJobUsesAllCores(t *testing.T) {
	var chunks [64]atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < cores(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				spin(100_000)
				chunks[cpu.Index()].Add(1)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < cores(); i++ {
		if chunks[i].Load() == 0 {
			t.Errorf("core %d ran no part of the parallel job", i)
		}
		t.Logf("core %d: %d chunks, idle %v in all", i, chunks[i].Load(), time.Duration(sched.CoreStats(i).IdleNanos))
	}
	t.Logf("job took %v", time.Since(start))
}

func TestPingPong100k(t *testing.T) {
	const n = 100_000
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	for i := 0; i < n; i++ {
		ping <- i
		if v := <-pong; v != i+1 {
			t.Fatalf("round trip %d returned %d", i, v)
		}
	}
	close(ping)
}

func TestTenThousandSleepers(t *testing.T) {
	const n = 10_000
	var woke, early atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		d := time.Duration(rand.Intn(20_000)) * time.Microsecond
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			time.Sleep(d)
			if time.Since(start) < d {
				early.Add(1)
			}
			woke.Add(1)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d of %d sleepers woke", woke.Load(), n)
	}
	if early.Load() != 0 {
		t.Errorf("%d sleepers woke early", early.Load())
	}
}

// starveBound is how long a short sleep next to goroutines that never
// yield may take. Without preemption it never ends; with it, it takes a
// quantum or so, or hundreds of milliseconds when the host deschedules
// the guest's cores (measured with 4 guest cores on a 2-CPU host at a
// load of 15, before and after the changes to naps and kicks).
const starveBound = 5 * time.Second

// A goroutine spinning (with calls) must not starve a sleeper on its
// core: time slicing preempts it.
func TestSpinnerDoesNotStarveSleeper(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	stop := make(chan struct{})
	var spun atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			spin(1000)
			spun.Add(1)
		}
	}()
	runtime.Gosched() // let the spinner start
	for i := 0; i < 5; i++ {
		start := time.Now()
		time.Sleep(2 * time.Millisecond)
		if lat := time.Since(start); lat > starveBound {
			t.Errorf("a 2ms sleep took %v next to a spinning goroutine", lat)
		}
	}
	close(stop)
	if spun.Load() == 0 {
		t.Error("the spinner never ran")
	}
}

func TestGCStressAllCores(t *testing.T) {
	d := 3 * time.Second
	if long() {
		d = 20 * time.Second
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	var allocs atomic.Int64
	for g := 0; g < 2*cores(); g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var keep [][]byte
			for time.Now().Before(deadline) {
				b := make([]byte, 1+rand.Intn(8192))
				b[0] = byte(g)
				keep = append(keep, b)
				if len(keep) > 256 {
					for _, k := range keep {
						if k[0] != byte(g) {
							panic("heap corruption")
						}
					}
					keep = keep[:0]
				}
				allocs.Add(1)
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	t.Logf("%d allocations in %v", allocs.Load(), d)
}

// 100k interrupts, each signalling an event from its handler, reach a
// waiting goroutine: every signal is matched by exactly one Wait. The
// sender waits for each SGI to be handled before the next (a GIC merges
// an SGI sent again while pending), alternating target cores.
func TestEventFromInterrupts(t *testing.T) {
	n := 20_000
	if long() {
		n = 100_000
	}
	const sgi = 3
	ev := sched.NewEvent()
	var handled atomic.Int64
	board.Interrupts().Handle(sgi, func(uint32) { handled.Add(1); ev.Signal() })
	board.Interrupts().Enable(sgi)
	var waits atomic.Int64
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			ev.Wait()
			waits.Add(1)
		}
		close(done)
	}()
	deadline := time.Now().Add(120 * time.Second)
	for i := 0; i < n; i++ {
		board.Interrupts().SendSGI(sgi, i%cores())
		for handled.Load() <= int64(i) {
			if time.Now().After(deadline) {
				t.Fatalf("SGI %d never handled", i)
			}
			runtime.Gosched()
		}
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%d interrupts, %d waits returned, %d pending", handled.Load(), waits.Load(), ev.Pending())
	}
	if h, w, p := handled.Load(), waits.Load(), ev.Pending(); h != int64(n) || w != int64(n) || p != 0 {
		t.Errorf("%d interrupts, %d waits, %d pending; want %d, %d, 0", h, w, p, n, n)
	}
}

// With every core running a CPU-bound goroutine, an interrupt's signal
// still reaches a waiting goroutine promptly (time slicing gives it a
// turn within about a quantum).
func TestEventUnderFullLoad(t *testing.T) {
	const sgi = 4
	ev := sched.NewEvent()
	board.Interrupts().Handle(sgi, func(uint32) { ev.Signal() })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < cores(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					spin(10_000)
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(20 * time.Millisecond) // let the spinners take every core
	var worst time.Duration
	for i := 0; i < 20; i++ {
		got := make(chan time.Duration)
		go func() {
			start := time.Now()
			ev.Wait()
			got <- time.Since(start)
		}()
		time.Sleep(5 * time.Millisecond)
		sent := time.Now()
		board.Interrupts().SendSGI(sgi, i%cores())
		select {
		case <-got:
			if d := time.Since(sent); d > worst {
				worst = d
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("signal %d not delivered within 10s under full load", i)
		}
	}
	t.Logf("worst delivery under full load: %v", worst)
}

// Goroutines locked to their Ms make the runtime hand Ps between Ms at
// every blocking step, which needs more Ms than cores: the round trips
// complete through M switching (and the runtime's m.park note and
// semaphore offsets are what the switch reads).
func TestLockedThreadPingPong(t *testing.T) {
	if cores() < 2 {
		t.Skip("needs two cores")
	}
	before := sched.MSwitches()
	ping, pong := make(chan int), make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for v := range ping {
			pong <- v + 1
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < 300; i++ {
		ping <- i
		if v := <-pong; v != i+1 {
			t.Fatalf("round trip %d returned %d", i, v)
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d round trips in 60s", i)
		}
	}
	close(ping)
	if sched.MSwitches() == before {
		t.Error("no M switch happened: the test did not exercise M multiplexing")
	}
	t.Logf("%d M switches", sched.MSwitches()-before)
}

// tightLoop makes no function call until stop is set: only asynchronous
// preemption can take its core away.
//
//go:noinline
func tightLoop(stop *atomic.Bool) (x uint64) {
	for !stop.Load() {
		x = x*2862933555777941757 + 3037000493
	}
	return x
}

func asyncPreempts() (n uint64) {
	for i := 0; i < cores(); i++ {
		n += sched.CoreStats(i).AsyncPreempts
	}
	return n
}

// startTightLoops occupies every core with a tightLoop; the returned
// function stops them and waits.
func startTightLoops() (stop func()) {
	var flag atomic.Bool
	var wg sync.WaitGroup
	var sink atomic.Uint64
	for i := 0; i < cores(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sink.Add(tightLoop(&flag))
		}()
	}
	time.Sleep(20 * time.Millisecond) // every core is taken now
	return func() { flag.Store(true); wg.Wait() }
}

// Loops without calls on every core must not starve a sleeper: the tick
// preempts them asynchronously.
func TestTightLoopsDoNotStarveSleeper(t *testing.T) {
	before := asyncPreempts()
	stop := startTightLoops()
	var worst time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		time.Sleep(2 * time.Millisecond)
		worst = max(worst, time.Since(start))
	}
	stop()
	if worst > starveBound {
		t.Errorf("a 2ms sleep took %v with loops without calls on all %d cores", worst, cores())
	}
	if asyncPreempts() == before {
		t.Error("no asynchronous preemption counted")
	}
	t.Logf("worst 2ms sleep %v; %d asynchronous preemptions", worst, asyncPreempts()-before)
}

// A stop-the-world must stop goroutines that make no calls: runtime.GC
// completes while every core runs a tightLoop (without asynchronous
// preemption it never does). The bound is loose: on one core, after
// TestTenThousandSleepers left 10 000 goroutines for the collector to
// look at, the five collections take 2-5 s on a loaded host (the
// collector gets a quarter of the only core beside the loop).
func TestStopTheWorldStopsTightLoops(t *testing.T) {
	stop := startTightLoops()
	start := time.Now()
	for i := 0; i < 5; i++ {
		runtime.GC()
	}
	took := time.Since(start)
	stop()
	if took > 30*time.Second {
		t.Errorf("5 collections took %v with loops without calls on every core", took)
	}
	t.Logf("5 collections in %v", took)

}

// floatLoop keeps integer and FP/SIMD state in registers across many
// preemptions, without calls.
//
//go:noinline
func floatLoop(iters int) (x float64, y uint64) {
	x = 1
	for i := 0; i < iters; i++ {
		x = x*1.0000001 + 1e-9
		y = y*6364136223846793005 + uint64(i)
	}
	return x, y
}

// Asynchronous preemption resumes a goroutine with every register as it
// was: goroutines doing the same arithmetic, preempted at different
// points, agree with one another.
func TestAsyncPreemptionKeepsRegisters(t *testing.T) {
	iters := 10_000_000
	if long() {
		iters = 40_000_000
	}
	before := asyncPreempts()
	n := 2 * cores()
	xs := make([]float64, n)
	ys := make([]uint64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			xs[i], ys[i] = floatLoop(iters)
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if xs[i] != xs[0] || ys[i] != ys[0] {
			t.Errorf("goroutine %d computed (%v, %#x), goroutine 0 (%v, %#x)", i, xs[i], ys[i], xs[0], ys[0])
		}
	}
	if asyncPreempts() == before {
		t.Error("no asynchronous preemption happened: the test proves nothing")
	}
	t.Logf("%d goroutines agree after %d asynchronous preemptions", n, asyncPreempts()-before)
}

func napNanos() (ns int64) {
	for i := 0; i < cores(); i++ {
		ns += sched.CoreStats(i).NapNanos
	}
	return ns
}

// A stop-the-world that must wait for a goroutine inside a long clear
// (an assembly function: no safe point) makes the cores that wait nap
// instead of spinning (nap.go): the collection completes and naps are
// counted.
func TestStopTheWorldWaitsNap(t *testing.T) {
	if cores() < 2 {
		t.Skip("needs two cores: on one, nothing runs while the world stops")
	}
	buf := make([]byte, 64<<20)
	before := napNanos()
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		close(started)
		for i := 0; i < 8; i++ {
			clear(buf)
		}
		close(done)
	}()
	<-started
	start := time.Now()
	runtime.GC()
	took := time.Since(start)
	<-done
	napped := time.Duration(napNanos() - before)
	if napped == 0 {
		t.Errorf("a collection waited %v for a goroutine in a clear, and no core napped", took)
	}
	t.Logf("collection %v; cores napped %v in all meanwhile; %d naps ended by a doorbell since boot", took, napped, sched.Doorbells())
}

// One-millisecond sleeps wake early and poll their last stretch rather
// than halting through it (idle.go): polls are counted, the wake-up
// estimate stays within its bound, and no sleep ends early.
func TestHaltPolling(t *testing.T) {
	polls := func() (n uint64) {
		for i := 0; i < cores(); i++ {
			n += sched.CoreStats(i).HaltPolls
		}
		return n
	}
	before := polls()
	for i := 0; i < 200; i++ {
		start := time.Now()
		time.Sleep(time.Millisecond)
		if d := time.Since(start); d < time.Millisecond {
			t.Fatalf("Sleep(1ms) returned after %v", d)
		}
	}
	if polls() == before {
		t.Error("200 sleeps of 1ms, and Idle never polled for a near deadline")
	}
	for i := 0; i < cores(); i++ {
		if a := sched.CoreStats(i).WakeAdvance; a < 0 || a > 250*time.Microsecond.Nanoseconds() {
			t.Errorf("core %d wakes %v early for a timer, outside [0, 250µs]", i, time.Duration(a))
		}
	}
	t.Logf("%d polls; core 0 wakes %v early for a timer", polls()-before, time.Duration(sched.CoreStats(0).WakeAdvance))
}

// Goroutines that stay queued on a busy core wake a sleeping core at once
// (OnNanotime), not at the busy core's next tick: short goroutines started
// from one core are run by others too, and the kicks are counted.
func TestQueuedWorkWakesSleepingCore(t *testing.T) {
	if cores() < 2 {
		t.Skip("needs two cores")
	}
	kicks := func() (n uint64) {
		for i := 0; i < cores(); i++ {
			n += sched.CoreStats(i).Kicks
		}
		return n
	}
	time.Sleep(10 * time.Millisecond) // the other cores go to sleep
	before := kicks()
	self := cpu.Index()
	var elsewhere atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 2000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spin(2000)
			if cpu.Index() != self {
				elsewhere.Add(1)
			}
		}()
	}
	wg.Wait()
	if kicks() == before {
		t.Error("2000 goroutines queued on one core, and no sleeping core was woken for them before a tick")
	}
	t.Logf("%d kicks; %d of 2000 goroutines ran on another core than the one that started them", kicks()-before, elsewhere.Load())
}
