//go:build tamago

package qemuvirt

import (
	"runtime/goos"
	"unsafe"

	"github.com/yolkos/yolk/board/internal/boardkit"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/drivers/pl031"
	virtiorng "github.com/yolkos/yolk/drivers/virtio/rng"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/timer"
)

// hwinit0 is runtime/goos.Hwinit0, before the scheduler exists: no heap.
// Everything the runtime's own start-up needs is made ready here: console
// (the PL011 the device tree's first arm,pl011 node names), entropy and a
// clock that will not jump later.
//
//go:linkname hwinit0 runtime/goos.Hwinit0
//go:nosplit
func hwinit0() {
	boardkit.DetectCPUFeatures()
	boardkit.Console.Base = uintptr(boot.UARTBase())
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
			boardkit.Puts("no entropy source: the CPU lacks FEAT_RNG (RNDR) and there is ")
			boardkit.Puts(fail)
			boardkit.Halt("; run QEMU with -cpu max or -device virtio-rng-device")
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

// getRandomData is runtime/goos.GetRandomData, behind crypto/rand too.
//
//go:linkname getRandomData runtime/goos.GetRandomData
//go:nosplit
func getRandomData(b []byte) {
	if entropy.Ready() {
		if fail := entropy.Read(b); fail != "" {
			boardkit.Puts("entropy source failed: ")
			boardkit.Halt(fail)
		}
		return
	}
	if !boardkit.FillRNDR(b) {
		boardkit.Halt("entropy source failed: RNDR reported no random number repeatedly")
	}
}

// exit is runtime/goos.Exit: with semihosting (QEMU -semihosting) the
// host sees the status; without it the machine powers off through PSCI
// and says which status was lost.
//
//go:nosplit
func exit(code int32) { boardkit.Exit(code, true) }
