//go:build tamago

package qemuvirt

import (
	"runtime/goos"
	"unsafe"

	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/drivers/pl031"
	virtiorng "github.com/yolkos/yolk/drivers/virtio/rng"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/psci"
	"github.com/yolkos/yolk/kernel/semihosting"
	"github.com/yolkos/yolk/kernel/timer"
	"github.com/yolkos/yolk/sched"
)

// hwinit0 is runtime/goos.Hwinit0, before the scheduler exists: no heap.
// Everything the runtime's own start-up needs is made ready here: console,
// entropy and a clock that will not jump later.
//
//go:linkname hwinit0 runtime/goos.Hwinit0
//go:nosplit
func hwinit0() {
	console.Base = uintptr(boot.UARTBase())
	goos.Exit = exit

	// The runtime seeds its hash functions and the heap layout from
	// GetRandomData during schedinit: without a real source, stop.
	// RNDR when the CPU has it, else a virtio entropy device.
	if !cpu.HasRNG() {
		dtb := unsafe.Pointer(boot.DTBAddr())
		fail := entropy.Find(func(i int) (uintptr, bool) {
			b, ok := devicetree.EarlyCompatibleRegN(dtb, "virtio,mmio", i)
			return uintptr(b), ok
		})
		if fail != "" {
			puts("no entropy source: the CPU lacks FEAT_RNG (RNDR) and there is ")
			puts(fail)
			halt("; run QEMU with -cpu max or -device virtio-rng-device")
		}
	}
	// The wall clock comes from the PL031 before the runtime reads the
	// time for the first time, so the monotonic clock never jumps.
	if rtc, ok := devicetree.EarlyCompatibleReg(unsafe.Pointer(boot.DTBAddr()), "arm,pl031"); ok {
		timer.SetWallClock(int64(pl031.RTC{Base: uintptr(rtc)}.Seconds()) * 1e9)
	}
}

// entropy is the virtio entropy device, when RNDR is missing.
var entropy virtiorng.RNG

// EntropySource names where random numbers come from.
func EntropySource() string {
	if entropy.Ready() {
		return "virtio-rng"
	}
	return "RNDR"
}

// puts prints s on the console (no allocation: it runs before the heap).
//
//go:nosplit
func puts(s string) {
	for i := 0; i < len(s); i++ {
		printk(s[i])
	}
}

//go:nosplit
func halt(msg string) {
	puts(msg)
	printk('\n')
	exit(70)
}

//go:linkname nanotime runtime/goos.Nanotime
//go:nosplit
func nanotime() int64 {
	sched.OnNanotime()
	return timer.Nanotime()
}

//go:linkname initRNG runtime/goos.InitRNG
func initRNG() {}

// getRandomData is runtime/goos.GetRandomData, behind crypto/rand too.
//
//go:linkname getRandomData runtime/goos.GetRandomData
//go:nosplit
func getRandomData(b []byte) {
	if entropy.Ready() {
		if fail := entropy.Read(b); fail != "" {
			puts("entropy source failed: ")
			halt(fail)
		}
		return
	}
	for i := 0; i < len(b); {
		v, ok := cpu.Random()
		if !ok {
			halt("entropy source failed: RNDR reported no random number repeatedly")
		}
		for j := 0; j < 8 && i < len(b); j++ {
			b[i] = byte(v)
			v >>= 8
			i++
		}
	}
}

// exit is runtime/goos.Exit: with semihosting (QEMU -semihosting) the
// host sees the status; without it the machine powers off through PSCI
// and says which status was lost.
//
//go:nosplit
func exit(code int32) {
	if semihosting.Available() {
		semihosting.Exit(code)
	}
	if code != 0 {
		puts("yolk: exit status is not passed to the host without -semihosting; powering off\n")
	}
	psci.SystemOff()
	for {
		cpu.WaitForInterrupt()
	}
}
