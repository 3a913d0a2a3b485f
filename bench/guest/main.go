// Command guest is the benchmark program that bench/harness boots on yolk
// (GOOS=tamago, board/qemu-virt) and as /init on Linux (linux/arm64). It
// speaks bench/proto on its console: READY first, a RESULT line per
// repetition of each row named by its arguments, DONE last, then it
// ends the machine.
//
//	guest [-quick] [-idle 10s] [-http :80 -echo :7 -ip 10.0.2.15/24 -gw 10.0.2.2 -serve 0] row...
//
// Rows: spawn, pingpong_same, pingpong_cross, parallel, sleep, timers, gc,
// wakeup, idle, boot (nothing: boot time only), netserve (start
// networking, serve HTTP and TCP echo until the host asks it to stop; the
// host measures, see net.go; only built with -tags benchnet). On Linux it
// also runs as an ordinary process, which the harness's tests use.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/yolkos/yolk/bench/proto"
)

// Repetitions and sizes of the rows; -quick makes each row take a few
// seconds at most under QEMU's emulation.
type config struct {
	reps     int           // repetitions of each row
	spawn    int           // goroutines per spawn run
	pingpong time.Duration // length of a ping-pong run
	work     time.Duration // single-core time of the parallel job
	sleeps   int           // time.Sleep(1ms) calls per run
	timers   int           // goroutines in the timer fan-out
	maxSleep time.Duration // longest random sleep in the fan-out
	gcTime   time.Duration // allocation time per GC run
	wakeups  int           // interrupts per wakeup run
}

var (
	full  = config{reps: 5, spawn: 10000, pingpong: 300 * time.Millisecond, work: 400 * time.Millisecond, sleeps: 500, timers: 10000, maxSleep: 50 * time.Millisecond, gcTime: time.Second, wakeups: 500}
	quick = config{reps: 2, spawn: 2000, pingpong: 60 * time.Millisecond, work: 100 * time.Millisecond, sleeps: 100, timers: 10000, maxSleep: 20 * time.Millisecond, gcTime: 250 * time.Millisecond, wakeups: 100}
)

// netOpts are netserve's settings.
var netOpts struct {
	http, echo string        // listen addresses
	https      string        // the same HTTP service over TLS
	ip, gw     string        // static configuration (a guest OS's own network)
	serve      time.Duration // 0: until POST /quit
}

var rows = map[string]func(config){
	"boot":           func(config) {},
	"spawn":          spawnRow,
	"pingpong_same":  func(c config) { pingpongRow(c, false) },
	"pingpong_cross": func(c config) { pingpongRow(c, true) },
	"parallel":       parallelRow,
	"sleep":          sleepRow,
	"timers":         timersRow,
	"gc":             gcRow,
	"wakeup":         wakeupRow,
	"netserve":       func(config) { netserveRow() },
}

func main() {
	fmt.Println(proto.FormatReady(bootNanos()))
	fs := flag.NewFlagSet("guest", flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	isQuick := fs.Bool("quick", false, "fewer and shorter repetitions")
	idle := fs.Duration("idle", 10*time.Second, "how long the idle row stays idle")
	fs.StringVar(&netOpts.http, "http", ":80", "netserve: the HTTP server's TCP address")
	fs.StringVar(&netOpts.echo, "echo", ":7", "netserve: the echo server's TCP address")
	fs.StringVar(&netOpts.https, "https", ":443", "netserve: the HTTPS server's TCP address (a certificate made at start)")
	fs.StringVar(&netOpts.ip, "ip", "10.0.2.15/24", "netserve: the guest's address and prefix, when it is the machine's OS")
	fs.StringVar(&netOpts.gw, "gw", "10.0.2.2", "netserve: its default gateway (\"\": none)")
	fs.DurationVar(&netOpts.serve, "serve", 0, "netserve: stop serving after this long (0: when the host asks)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		fail("args", err.Error())
		finish()
	}
	c := full
	if *isQuick {
		c = quick
	}
	result("cpus", "count", float64(runtime.NumCPU()), 0)
	result("gomaxprocs", "count", float64(runtime.GOMAXPROCS(0)), 0)
	for _, name := range fs.Args() {
		if name == "idle" {
			// The host samples QEMU's CPU time from IDLE on for the
			// window; stay idle a little longer than that.
			fmt.Println(proto.Idle)
			time.Sleep(*idle + time.Second)
			continue
		}
		row, ok := rows[name]
		if !ok {
			fail(name, "unknown row")
			continue
		}
		row(c)
	}
	finish()
}

func finish() {
	fmt.Println(proto.Done)
	exit()
}

func result(name, unit string, v float64, n int) {
	fmt.Println(proto.FormatResult(proto.Sample{Name: name, Unit: unit, Value: v, N: n}))
}

func skip(name, reason string) {
	fmt.Println(proto.FormatNote(proto.Skip, proto.Note{Name: name, Reason: reason}))
}

func fail(name, reason string) {
	fmt.Println(proto.FormatNote(proto.Fail, proto.Note{Name: name, Reason: reason}))
}
