package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/bench/stats"
)

// spawnRow: start n goroutines that only call wg.Done and wait for all of
// them; the cost per goroutine, in ns.
func spawnRow(c config) {
	run := func() float64 {
		var wg sync.WaitGroup
		start := time.Now()
		wg.Add(c.spawn)
		for range c.spawn {
			go wg.Done()
		}
		wg.Wait()
		return float64(time.Since(start).Nanoseconds()) / float64(c.spawn)
	}
	run() // warm-up: grows the heap and the free g list
	for range c.reps {
		result("spawn", "ns", run(), c.spawn)
	}
}

// pingpongRow: two goroutines pass a value back and forth over two
// unbuffered channels; ns per round trip. Same core: GOMAXPROCS(1) for the
// run. Cross core: each goroutine locked to its own thread (on yolk, its
// own core) with GOMAXPROCS >= 2.
func pingpongRow(c config, cross bool) {
	name := "pingpong_same"
	if cross {
		name = "pingpong_cross"
		if p := runtime.GOMAXPROCS(0); p < 2 {
			skip(name, fmt.Sprintf("needs two cores: NumCPU=%d GOMAXPROCS=%d", runtime.NumCPU(), p))
			return
		}
	} else if prev := runtime.GOMAXPROCS(1); prev != 1 {
		defer runtime.GOMAXPROCS(prev)
	}
	run := func(n int) time.Duration {
		ping, pong := make(chan int), make(chan int)
		done := make(chan bool)
		go func() {
			if cross {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			for v := range ping {
				pong <- v
			}
			done <- true
		}()
		if cross {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		start := time.Now()
		for i := range n {
			ping <- i
			<-pong
		}
		d := time.Since(start)
		close(ping)
		<-done
		return d
	}
	// As many round trips as fit in c.pingpong (the cross-core ones can
	// be a thousand times slower than the others).
	n := 8
	for run(n) < c.pingpong/4 && n < 1<<24 {
		n *= 2
	}
	n *= 4
	for range c.reps {
		result(name, "ns", float64(run(n).Nanoseconds())/float64(n), n)
	}
}

// spin is the parallel job's unit of CPU-bound work: n rounds of xorshift.
//
//go:noinline
func spin(n int, seed uint64) uint64 {
	x := seed | 1
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var sink atomic.Uint64

// parallelRow: a CPU-bound job of 64 equal chunks, run by one goroutine
// and then by GOMAXPROCS goroutines taking chunks from a shared counter;
// the speedup is the ratio of the two times.
func parallelRow(c config) {
	const chunks = 64
	// Calibrate: rounds per chunk so that one goroutine takes c.work.
	n := 1 << 14
	var d time.Duration
	for d < 20*time.Millisecond {
		n *= 2
		start := time.Now()
		sink.Add(spin(n, uint64(n)))
		d = time.Since(start)
	}
	perChunk := int(float64(n) * float64(c.work) / float64(d) / chunks)
	run := func(workers int) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= chunks {
					sink.Add(spin(perChunk, uint64(w)))
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	procs := runtime.GOMAXPROCS(0)
	for range c.reps {
		t1 := run(1)
		tn := run(procs)
		result("parallel_speedup", "x", float64(t1)/float64(tn), procs)
	}
}

// sleepRow: how much later than asked time.Sleep(1ms) returns.
func sleepRow(c config) {
	over := make([]float64, c.sleeps)
	for range c.reps {
		for i := range over {
			start := time.Now()
			time.Sleep(time.Millisecond)
			over[i] = float64((time.Since(start) - time.Millisecond).Nanoseconds())
		}
		percentiles("sleep", over)
	}
}

// timersRow: c.timers goroutines, each sleeping a random time between
// 1 ms and c.maxSleep at once; how late each one wakes.
func timersRow(c config) {
	late := make([]float64, c.timers)
	for range c.reps {
		var wg sync.WaitGroup
		wg.Add(c.timers)
		for i := range late {
			d := time.Millisecond + rand.N(c.maxSleep-time.Millisecond)
			go func() {
				defer wg.Done()
				start := time.Now()
				time.Sleep(d)
				late[i] = float64((time.Since(start) - d).Nanoseconds())
			}()
		}
		wg.Wait()
		percentiles("timers", late)
	}
}

// wakeupRow: an interrupt (yolk: an SGI to another core whose handler
// signals a sched.Event; Linux: a byte written to a pipe by a thread of
// its own) wakes a goroutine blocked on it; how long from raising it to
// the goroutine running. The raiser sleeps between samples, so the
// cores are idle when the interrupt comes.
func wakeupRow(c config) {
	w, err := newWakeSource()
	if err != nil {
		fail("wakeup", err.Error())
		return
	}
	woke := make(chan time.Time)
	go func() {
		for {
			w.wait()
			woke <- time.Now()
		}
	}()
	lat := make([]float64, c.wakeups)
	for range c.reps {
		for i := range lat {
			time.Sleep(time.Millisecond + rand.N(time.Millisecond))
			t0 := w.raise()
			lat[i] = float64((<-woke).Sub(t0).Nanoseconds())
		}
		percentiles("wakeup", lat)
	}
}

type node struct {
	next *node
	data []byte
}

// gcRow: allocate small objects, pointer-linked, into a live set of about
// 8 MiB for c.gcTime and collect the stop-the-world pause of every GC
// cycle that ran meanwhile (MemStats.PauseNs: both pauses of a cycle).
func gcRow(c config) {
	const slots = 1 << 14
	live := make([]*node, slots)
	for range c.reps {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		for time.Since(start) < c.gcTime {
			for range 256 {
				i := rand.IntN(slots)
				live[i] = &node{next: live[rand.IntN(slots)], data: make([]byte, 16+rand.IntN(1008))}
			}
		}
		runtime.ReadMemStats(&after)
		cycles := int(after.NumGC - before.NumGC)
		if cycles == 0 {
			fail("gc", "no GC cycle ran")
			continue
		}
		var pauses []float64
		for k := range min(cycles, len(after.PauseNs)) {
			pauses = append(pauses, float64(after.PauseNs[(int(after.NumGC)-1-k)%len(after.PauseNs)]))
		}
		percentiles("gc", pauses)
	}
	clear(live)
}

// percentiles prints <name>_p50 and <name>_p99 of xs (ns).
func percentiles(name string, xs []float64) {
	result(name+"_p50", "ns", stats.Percentile(xs, 50), len(xs))
	result(name+"_p99", "ns", stats.Percentile(xs, 99), len(xs))
}
