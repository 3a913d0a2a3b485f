//go:build tamago

// Command guest is booted on QEMU's raspi4b by the host tests in test/rpi4:
// each argument names a check, which prints "ok: ..." or "FAIL: ..."; the
// exit status is 1 if any check failed.
package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/yolkos/yolk/board/rpi4"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/drivers/bcm2711/gpio"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/sched"
)

// undefined executes UDF #0 (guest_arm64.s).
func undefined()

var failed bool

func check(ok bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if ok {
		fmt.Println("ok:", msg)
	} else {
		fmt.Println("FAIL:", msg)
		failed = true
	}
}

func main() {
	for i := 1; i < len(os.Args); i++ {
		switch mode := os.Args[i]; mode {
		case "info":
			info()
		case "cores":
			cores()
		case "timers":
			timers()
		case "entropy":
			entropy()
		case "mailbox":
			mailboxCalls()
		case "exit":
			i++
			code, _ := strconv.Atoi(os.Args[i])
			fmt.Println("exiting with", code)
			os.Exit(code)
		case "undefined":
			fmt.Println("executing an undefined instruction")
			undefined()
		case "write-text":
			f := main
			pc := **(**uintptr)(unsafe.Pointer(&f))
			fmt.Printf("writing to the text segment at %#x\n", pc)
			*(*uint32)(unsafe.Pointer(pc)) = 0
		case "dtnode":
			// dtnode PATH COMPATIBLE: the full parser finds the node.
			path, compat := os.Args[i+1], os.Args[i+2]
			i += 2
			n := rpi4.Tree.Lookup(path)
			check(n != nil && n.IsCompatible(compat), "device tree node %s compatible with %s", path, compat)
		case "led":
			led()
		case "nil-recover":
			nilRecover()
		case "panic":
			panic("guest panics on purpose")
		default:
			check(false, "unknown mode %q", mode)
		}
	}
	if failed {
		os.Exit(1)
	}
	fmt.Println("guest: all checks passed")
}

func info() {
	bi := boot.BootInfo()
	l := rpi4.Board
	check(bi.EntryEL == 2, "entered at EL%d (want EL2, as the firmware and QEMU enter)", bi.EntryEL)
	check(cpu.CurrentEL() == 1, "running at EL%d", cpu.CurrentEL())
	check(bi.RAMBase == 0 && bi.GoBase == 0 && bi.GoEnd == l.Memory[0].Size, "RAM for Go [%#x, %#x), first memory range %v", bi.GoBase, bi.GoEnd, l.Memory[0])
	check(len(l.Reserved) > 0 && l.Reserved[0] == (rpi4.Range{Base: 0, Size: 0x1000}), "firmware reservation %v (the spin-table page)", l.Reserved)
	check(bi.UART == 0xfe20_1000, "console UART0 at %#x", bi.UART)
	check(len(l.Cores) == 4 && l.Cores[1].ReleaseAddr == 0xe0, "cores %+v", l.Cores)
	check(rpi4.Machine.GIC.Version == 2, "GIC version %d", rpi4.Machine.GIC.Version)
	fmt.Printf("dtb: %s\n", rpi4.DTBInfo())
	fmt.Printf("boot-to-main: %.3f ms\n", boot.MillisSinceReset())
	fmt.Printf("firmware errors: %v\n", rpi4.Report.Errors)
}

// cores runs busy goroutines and checks that every core ran some.
func cores() {
	n := runtime.NumCPU()
	check(n == 4 && runtime.GOMAXPROCS(0) == 4 && sched.NumCores() == 4, "NumCPU %d, GOMAXPROCS %d, cores %d", n, runtime.GOMAXPROCS(0), sched.NumCores())
	var mu sync.Mutex
	seen := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < 2*n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(g)
			for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
				for k := 0; k < 1000; k++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
				mu.Lock()
				seen[cpu.Index()]++
				mu.Unlock()
			}
			_ = x
		}()
	}
	wg.Wait()
	check(len(seen) == n, "goroutines ran on cores %v in %v", keys(seen), time.Since(start).Round(time.Millisecond))
}

func keys(m map[int]int) []int {
	var k []int
	for i := 0; i < 64; i++ {
		if m[i] > 0 {
			k = append(k, i)
		}
	}
	return k
}

func timers() {
	t0 := time.Now()
	time.Sleep(50 * time.Millisecond)
	d := time.Since(t0)
	check(d >= 50*time.Millisecond && d < 500*time.Millisecond, "time.Sleep(50ms) took %v", d)

	t0 = time.Now()
	tk := time.NewTicker(10 * time.Millisecond)
	for i := 0; i < 10; i++ {
		<-tk.C
	}
	tk.Stop()
	d = time.Since(t0)
	check(d >= 100*time.Millisecond && d < time.Second, "10 ticks of 10ms took %v", d)

	select {
	case <-time.After(20 * time.Millisecond):
		check(true, "time.After fired")
	case <-time.After(2 * time.Second):
		check(false, "time.After(20ms) did not fire within 2s")
	}

	// Many sleepers at once, spread over the cores.
	t0 = time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(10+i%20) * time.Millisecond)
		}()
	}
	wg.Wait()
	d = time.Since(t0)
	check(d >= 29*time.Millisecond && d < time.Second, "100 concurrent sleeps of 10-29ms took %v", d)
	fmt.Printf("timer: %d Hz\n", rpi4.TimerHz())
}

func entropy() {
	a, b := make([]byte, 64), make([]byte, 64)
	_, err1 := rand.Read(a)
	_, err2 := rand.Read(b)
	check(err1 == nil && err2 == nil && !bytes.Equal(a, b) && !bytes.Equal(a, make([]byte, 64)), "crypto/rand gives distinct non-zero blocks (%v %v)", err1, err2)
	fmt.Printf("entropy source: %s\n", rpi4.EntropySource())
}

func mailboxCalls() {
	r := rpi4.Report
	check(r.Revision.NewStyle() && r.Revision.Processor() == "BCM2711", "board revision %#x: %s", uint32(r.Revision), r.Revision)
	check(r.ARM.Size != 0 && r.VC.Size != 0, "memory split ARM %s, VideoCore %s", r.ARM, r.VC)
	check(r.ARMHz != 0 && r.CoreHz != 0 && r.UARTHz != 0, "clocks arm %d core %d uart %d Hz", r.ARMHz, r.CoreHz, r.UARTHz)
	check(r.TempMilliC != 0, "temperature %d m°C", r.TempMilliC)
	fmt.Printf("serial %#x, model %d, firmware %d, errors %v\n", r.Serial, r.Model, r.Version, r.Errors)
	// Calls from every core at once are serialised.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				hz, err := rpi4.Firmware.ClockRate(3)
				if err == nil && hz != r.ARMHz {
					err = fmt.Errorf("arm clock %d, want %d", hz, r.ARMHz)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for e := range errs {
		all = append(all, e)
	}
	check(len(all) == 0, "320 concurrent clock-rate calls: errors %v", all)
}

func nilRecover() {
	defer func() {
		r := recover()
		check(r != nil, "nil dereference recovered: %v", r)
	}()
	var p *int
	fmt.Println(*p)
}

// led samples the activity LED (GPIO 42) while the cores idle, then while
// they are busy.
func led() {
	check(rpi4.GPIO.GetFunction(rpi4.LEDPin) == gpio.Output, "GPIO %d is an output", rpi4.LEDPin)
	sample := func(d time.Duration) (on, off, toggles int) {
		last := false
		for end := time.Now().Add(d); time.Now().Before(end); {
			l := rpi4.GPIO.Level(rpi4.LEDPin)
			if l {
				on++
			} else {
				off++
			}
			if l != last {
				toggles++
			}
			last = l
			time.Sleep(10 * time.Millisecond)
		}
		return
	}
	time.Sleep(time.Second) // let boot's work age out
	var loads []float64
	go func() {
		for i := 0; i < 20; i++ {
			loads = append(loads, rpi4.Load())
			time.Sleep(100 * time.Millisecond)
		}
	}()
	on, off, toggles := sample(2200 * time.Millisecond)
	quiet := 0
	for _, l := range loads {
		if l < 0.5 {
			quiet++
		}
	}
	// The load is an estimate (a core's idle time is counted when it
	// wakes): most periods, not all, must look idle.
	check(on > 0 && off > 3*on && toggles >= 2 && 5*quiet >= 4*len(loads), "idle: heartbeat (on %d, off %d samples, %d toggles; loads %.2f)", on, off, toggles, loads)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < runtime.NumCPU(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 1
			for {
				select {
				case <-stop:
					return
				default:
				}
				for k := 0; k < 10000; k++ {
					x = x*31 + k
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	on, off, toggles = sample(1500 * time.Millisecond)
	busy := rpi4.LEDBusy()
	close(stop)
	wg.Wait()
	check(busy && toggles >= 8 && on > 0 && off > 0, "busy: fast blinking (on %d, off %d samples, %d toggles, busy %v, load %.2f)", on, off, toggles, busy, rpi4.Load())
}
