//go:build tamago

// Command guest is booted by the host-side tests in test/: each argument
// names something to do, and the tests check what the machine prints and
// the exit status QEMU returns.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
)

// undefined executes UDF #0 (guest_arm64.s).
func undefined()

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: guest mode [args]")
		os.Exit(64)
	}
	switch mode := os.Args[1]; mode {
	case "args":
		fmt.Printf("args=%q\n", os.Args[1:])
		var env []string
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "GUEST_") {
				env = append(env, kv)
			}
		}
		fmt.Printf("env=%q\n", env)
	case "random":
		var a, b [32]byte
		rand.Read(a[:])
		rand.Read(b[:])
		fmt.Printf("entropy from %s: %x %x\n", board.EntropySource(), a, b)
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		fmt.Println("exiting with", code)
		os.Exit(code)
	case "undefined":
		fmt.Println("executing an undefined instruction")
		undefined()
	case "write-text":
		// W^X: code is mapped read-only.
		f := main
		pc := **(**uintptr)(unsafe.Pointer(&f))
		fmt.Printf("writing to the text segment at %#x\n", pc)
		*(*uint32)(unsafe.Pointer(pc)) = 0
	case "exec-data":
		// W^X: data is never executable.
		code := []uint32{0xd65f03c0} // ret
		fp := &code
		fmt.Println("jumping into the heap")
		f := *(*func())(unsafe.Pointer(&fp))
		f()
	case "alloc":
		// Allocate and touch MiB mebibytes in 1 MiB blocks; print where
		// the heap put them.
		mib, _ := strconv.Atoi(os.Args[2])
		lo, hi := ^uintptr(0), uintptr(0)
		var keep [][]byte
		for range mib {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			p := uintptr(unsafe.Pointer(&b[0]))
			lo, hi = min(lo, p), max(hi, p+uintptr(len(b)))
			keep = append(keep, b)
		}
		bi := boot.BootInfo()
		fmt.Printf("allocated %d MiB in [%#x, %#x); Go's memory [%#x, %#x), %d MiB cut by a reservation\n", len(keep), lo, hi, bi.GoBase, bi.GoEnd, bi.ReservedCut>>20)
	case "oom":
		// Exhaust the heap: kind large (1 MiB blocks), small (linked
		// 64-byte objects) or goroutines (parked, each with its stack),
		// all kept alive. The runtime must say so and end the machine.
		exhaust(os.Args[2])
	case "unexpected-irq":
		fmt.Println("taking an IRQ with no interrupt controller driver")
		unexpectedIRQ()
		fmt.Println("the IRQ was not taken")
	case "nil-panic":
		var p *int
		fmt.Println(*p)
	default:
		fmt.Println("unknown mode", mode)
		os.Exit(64)
	}
	fmt.Println("guest: done")
}

type node struct {
	next *node
	pad  [56]byte
}

// exhaust allocates until the runtime gives up (see "oom").
func exhaust(kind string) {
	fmt.Println("exhausting the heap with", kind, "allocations")
	switch kind {
	case "large":
		var keep [][]byte
		for {
			keep = append(keep, make([]byte, 1<<20))
		}
	case "small":
		var head *node
		for {
			head = &node{next: head}
		}
	case "goroutines":
		block := make(chan struct{})
		for {
			go func() { <-block }()
		}
	}
	fmt.Println("unknown kind", kind)
	os.Exit(64)
}

// unexpectedIRQ removes the interrupt dispatcher and takes an IRQ (the
// wake SGI, sent to this core while IRQs are masked; on one core, so no
// other core takes one first).
//
//go:noinline
func unexpectedIRQ() {
	cpu.DisableIRQ()
	exception.IRQ = nil
	board.Interrupts().SendSGI(1, cpu.Index())
	cpu.EnableIRQ()
}
