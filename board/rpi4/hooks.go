//go:build tamago

package rpi4

import (
	"math/bits"
	"runtime/goos"
	"unsafe"

	"github.com/yolkos/yolk/board/internal/boardkit"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/drivers/bcm2711/gpio"
	"github.com/yolkos/yolk/drivers/bcm2711/mailbox"
	"github.com/yolkos/yolk/drivers/bcm2711/rng200"
	"github.com/yolkos/yolk/drivers/hostrng"
	"github.com/yolkos/yolk/kernel/cpu"
)

// Baud is the console's speed (8N1).
const Baud = 115200

// The device tree is copied out of the loader's memory before the
// runtime allocates anything: the firmware (and QEMU) put it in RAM that
// the heap later takes over.
const dtbMax = 256 << 10

var (
	dtbCopy [dtbMax / 8]uint64
	dtbAddr uintptr // the copy
	dtbFrom uintptr // where the loader left it
	dtbSize uint    // its totalsize
	dtbUsed uint    // the part that holds something, which was copied
)

// Firmware is the VideoCore mailbox (nil Base until hwinit0 finds it).
var Firmware mailbox.Mailbox

// GPIO is the GPIO block.
var GPIO gpio.Controller

// Entropy sources, best first.
const (
	entropyNone = iota
	entropyRNG200
	entropyRNDR
	entropyHost
)

var (
	entropy  int
	rng      rng200.RNG
	uartHz   uint32 // the UART reference clock the firmware reported (0: not asked)
	uartErr  error
	gpioUART bool
)

// hwinit0 is runtime/goos.Hwinit0, before the scheduler exists: no heap.
// It saves the device tree, sets up the console (UART0, the device tree's
// first arm,pl011) at 115200 baud from the
// UART clock the firmware reports, and the entropy source the runtime
// seeds itself from.
//
// Everything here is nosplit, so the linker bounds the deepest chain of
// frames (this one's, the step's and the early device tree reader's).
// Each step is its own function, not inlined here, so that their locals
// never add up in one frame.
//
//go:linkname hwinit0 runtime/goos.Hwinit0
//go:nosplit
func hwinit0() {
	boardkit.DetectCPUFeatures()
	boardkit.Console.Base = uintptr(boot.UARTBase())
	goos.Exit = exit
	saveDTB()
	blob := unsafe.Pointer(dtbAddr)

	initUARTPins(blob)
	initUARTClock(blob)
	initEntropy(blob)
}

// saveDTB copies the device tree the loader left in RAM into dtbCopy: the
// part that holds something (the firmware pads the blob, to leave room
// for overlays), with totalsize set to its length.
//
//go:nosplit
//go:noinline
func saveDTB() {
	from := boot.DTBAddr()
	size, _ := devicetree.EarlyTotalSize(unsafe.Pointer(from))
	used, ok := devicetree.EarlyUsedSize(unsafe.Pointer(from))
	if !ok {
		halt("yolk: the device tree's memory reservation block has no end")
	}
	if used > dtbMax {
		boardkit.Puts("yolk: the device tree uses ")
		boardkit.Console.WriteDec(uint64(used))
		boardkit.Puts(" bytes (totalsize ")
		boardkit.Console.WriteDec(uint64(size))
		boardkit.Puts("), more than the ")
		boardkit.Console.WriteDec(dtbMax)
		halt(" that yolk keeps a copy of (board/rpi4 dtbMax)")
	}
	for off := uintptr(0); off < uintptr(used+3)&^3; off += 4 {
		*(*uint32)(unsafe.Add(unsafe.Pointer(&dtbCopy[0]), off)) = *(*uint32)(unsafe.Pointer(from + off))
	}
	// totalsize (header offset 4), big-endian.
	*(*uint32)(unsafe.Add(unsafe.Pointer(&dtbCopy[0]), 4)) = bits.ReverseBytes32(uint32(used))
	dtbFrom, dtbSize, dtbUsed = from, size, used
	dtbAddr = uintptr(unsafe.Pointer(&dtbCopy[0]))
}

// initUARTPins routes UART0 to the header's pins 8 and 10 (GPIO 14 TXD0,
// 15 RXD0, ALT0): the firmware gives them to the mini UART unless told
// otherwise.
//
//go:nosplit
//go:noinline
func initUARTPins(blob unsafe.Pointer) {
	if base, ok := devicetree.EarlyCompatibleReg(blob, "brcm,bcm2711-gpio"); ok {
		GPIO.Base = uintptr(base)
		GPIO.SetPull(14, gpio.PullNone)
		GPIO.SetPull(15, gpio.PullUp)
		GPIO.SetFunction(14, gpio.Alt0)
		GPIO.SetFunction(15, gpio.Alt0)
		gpioUART = true
	}
}

// initUARTClock asks the firmware for the UART's reference clock and sets
// the console's baud rate from it.
//
//go:nosplit
//go:noinline
func initUARTClock(blob unsafe.Pointer) {
	if base, ok := devicetree.EarlyCompatibleReg(blob, "brcm,bcm2835-mbox"); ok {
		Firmware.Base = uintptr(base)
		// Until hwinit1 reads the device tree's dma-ranges.
		Firmware.DMA = mailbox.SoCBus()
		var r [2]uint32
		req := [2]uint32{mailbox.ClockUART, 0}
		if _, uartErr = Firmware.Call(mailbox.TagClockRate, req[:], r[:]); uartErr == nil && r[0] == mailbox.ClockUART && r[1] != 0 {
			uartHz = r[1]
			boardkit.Console.Init(uartHz, Baud)
		}
	}
}

// initEntropy chooses the entropy source, best first.
//
//go:nosplit
//go:noinline
func initEntropy(blob unsafe.Pointer) {
	if base, ok := devicetree.EarlyCompatibleReg(blob, "brcm,bcm2711-rng200"); ok {
		rng.Base = uintptr(base)
		rng.Init()
		entropy = entropyRNG200
	} else if cpu.HasRNG() {
		entropy = entropyRNDR
	} else if hostrng.Open() == nil {
		// QEMU's raspi4b: no RNG200 model (it removes the node), a
		// Cortex-A72 without RNDR, but a semihosting host.
		entropy = entropyHost
	} else {
		halt("yolk: no entropy source: the device tree has no brcm,bcm2711-rng200 node, the CPU lacks FEAT_RNG (RNDR) and there is no semihosting host")
	}
}

// getRandomData is runtime/goos.GetRandomData, behind crypto/rand too.
//
//go:linkname getRandomData runtime/goos.GetRandomData
//go:nosplit
func getRandomData(b []byte) {
	switch entropy {
	case entropyRNG200:
		if err := rng.Read(b); err != nil {
			boardkit.Puts("yolk: entropy source failed: ")
			halt(err.Error())
		}
	case entropyRNDR:
		if !boardkit.FillRNDR(b) {
			halt("yolk: entropy source failed: RNDR reported no random number repeatedly")
		}
	case entropyHost:
		if err := hostrng.Read(b); err != nil {
			halt(err.Error())
		}
	default:
		halt("yolk: no entropy source")
	}
}

// exit is runtime/goos.Exit: with semihosting (QEMU -semihosting) the
// host gets the status. A Pi cannot power itself off: without
// semihosting it prints the status and stops this core.
//
//go:nosplit
func exit(code int32) { boardkit.Exit(code, false) }

//go:nosplit
func halt(msg string) { boardkit.Halt(msg) }
