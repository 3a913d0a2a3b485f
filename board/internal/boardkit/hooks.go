//go:build tamago

package boardkit

import (
	"runtime/goos"
	_ "unsafe" // go:linkname

	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/psci"
	"github.com/yolkos/yolk/kernel/semihosting"
	"github.com/yolkos/yolk/kernel/timer"
	"github.com/yolkos/yolk/sched"
)

// nanotime is runtime/goos.Nanotime: the generic timer's counter, and the
// scheduler's chance to notice a pending tick.
//
//go:linkname nanotime runtime/goos.Nanotime
//go:nosplit
func nanotime() int64 {
	sched.OnNanotime()
	return timer.Nanotime()
}

// initRNG is runtime/goos.InitRNG: each board readies its entropy source
// in hwinit0, before the runtime first asks for random data.
//
//go:linkname initRNG runtime/goos.InitRNG
func initRNG() {}

// FillRNDR fills b from the CPU's RNDR register (FEAT_RNG), eight bytes at
// a time. It reports false if RNDR failed repeatedly.
//
//go:nosplit
func FillRNDR(b []byte) bool {
	for i := 0; i < len(b); {
		v, ok := cpu.Random()
		if !ok {
			return false
		}
		for j := 0; j < 8 && i < len(b); j++ {
			b[i] = byte(v)
			v >>= 8
			i++
		}
	}
	return true
}

// Halt prints msg and a newline and ends the program with status 70
// (EX_SOFTWARE) through the board's exit hook (goos.Exit, which every
// board sets first thing in hwinit0).
//
//go:nosplit
func Halt(msg string) {
	Puts(msg)
	printk('\n')
	if exit := goos.Exit; exit != nil {
		exit(70)
	}
	Stop()
}

// Fatal is Halt for the board's Go code after the heap exists: it
// prefixes "yolk: ".
func Fatal(msg string) {
	Puts("yolk: ")
	Halt(msg)
}

// Exit ends the program with code. Under an emulator with semihosting
// (QEMU -semihosting) the host gets the status. Otherwise, with powerOff
// (QEMU virt), the machine powers off through PSCI SYSTEM_OFF, saying
// that a failure status is lost; without (a Pi cannot power itself off)
// it prints the status and halts this core with interrupts masked.
//
//go:nosplit
func Exit(code int32, powerOff bool) {
	crashEnd()
	if semihosting.Available() {
		semihosting.Exit(code)
	}
	if powerOff {
		if code != 0 {
			Puts("yolk: exit status is not passed to the host without -semihosting; powering off\n")
		}
		psci.SystemOff()
	} else {
		Puts("yolk: exited with status ")
		PutInt(int64(code))
		Puts("; halted (power off or reset the board)\n")
	}
	Stop()
}

// Stop halts this core for good.
//
//go:nosplit
func Stop() {
	cpu.DisableIRQ()
	for {
		cpu.WaitForInterrupt()
	}
}
