//go:build tamago

// Package rpi4 is the board package for the Raspberry Pi 4 Model B
// (BCM2711, four Cortex-A72 cores) and QEMU's raspi4b machine. An
// application imports it for its side effects and is linked at the
// firmware's load address (see rpi4.mk: kernel8.img at 0x80000):
//
//	import _ "github.com/yolkos/yolk/board/rpi4"
//
// The firmware (or QEMU) enters at EL2 with the device tree in x0. yolk
// drops to EL1, takes RAM from the first memory range of the device tree,
// starts the other cores through their spin tables, and uses UART0 (PL011,
// GPIO 14/15) as the console, the GIC-400, the generic timer, the RNG200
// as entropy source and the VideoCore mailbox for board information.
package rpi4

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/yolkos/yolk/board/bootargs"
	"github.com/yolkos/yolk/board/cores"
	"github.com/yolkos/yolk/board/internal/boardkit"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/drivers/dma"
	"github.com/yolkos/yolk/kernel/timer"
)

// Name of the board in the banner.
const Name = "rpi4"

var (
	// Tree is the whole device tree, Machine its summary and Board what
	// yolk uses of it.
	Tree    *devicetree.Tree
	Machine *devicetree.Machine
	Board   *Layout
)

// hwinit1 is runtime/goos.Hwinit1: after the scheduler and heap exist,
// before any package is initialised.
//
//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	var err error
	if Tree, err = devicetree.ParseAt(unsafe.Pointer(dtbAddr)); err != nil {
		fatal("device tree: " + err.Error())
	}
	if Machine, err = Tree.Machine(); err != nil {
		fatal("device tree: " + err.Error())
	}
	if Board, err = NewLayout(Tree, Machine); err != nil {
		fatal(err.Error())
	}
	// The runtime uses its image and the memory boot chose with the early
	// reader: what follows the image up to the first reservation, or a
	// larger stretch elsewhere (boot.planRAM). Check that against the full
	// parser: no reservation but the device tree's own pages (hwinit0
	// copied the blob) may lie there.
	info := boot.BootInfo()
	text, _ := runtime.TextRegion()
	_, dataEnd := runtime.DataRegion()
	used := []Range{{Base: text, Size: info.GoEnd - text}}
	if info.GoBase != info.RAMBase {
		used = []Range{{Base: text, Size: dataEnd - text}, {Base: info.GoBase, Size: info.GoEnd - info.GoBase}}
	}
	dtbPages := Range{Base: uint64(dtbFrom) &^ (page - 1), Size: (uint64(dtbFrom)+uint64(dtbSize)+page-1)&^(page-1) - uint64(dtbFrom)&^(page-1)}
	for _, u := range used {
		if c := ReservedConflicts(Board.Reserved, u, dtbPages); len(c) > 0 {
			fatal(fmt.Sprintf("the firmware reserves %#x inside the Go runtime's memory", c))
		}
	}
	if Interrupts, err = cores.SetupInterrupts(Machine); err != nil {
		fatal(err.Error())
	}
	boardkit.Linked = boardkit.Board{Name: Name, Tree: Tree, Machine: Machine,
		Interrupts: Interrupts, Entropy: EntropySource, Banner: Banner}
	// The VideoCore's view of RAM, from the mailbox node's dma-ranges.
	for _, n := range Tree.Compatible("brcm,bcm2835-mbox") {
		if n.Enabled() {
			if Firmware.DMA, err = dma.BusOf(n); err != nil {
				fatal("mailbox: " + err.Error())
			}
			break
		}
	}
}

func fatal(msg string) { boardkit.Fatal(msg) }

func init() {
	if err := cores.Start(Machine, boot.SpinTable{ReleaseAddr: Board.ReleaseAddrs()}); err != nil {
		fatal(err.Error())
	}
	bootargs.Install(Machine.Bootargs)
	readFirmware()
	startLED()
	if os.Getenv("yolk.quiet") == "" {
		fmt.Print(Banner())
	}
}

// EntropySource names the source behind crypto/rand and the runtime.
func EntropySource() string {
	switch entropy {
	case entropyRNG200:
		return fmt.Sprintf("RNG200 at %#x", rng.Base)
	case entropyRNDR:
		return "RNDR (FEAT_RNG; no RNG200 in the device tree)"
	case entropyHost:
		return "the emulator's host through semihosting (no RNG200 in the device tree, no RNDR)"
	}
	return "none"
}

// DTBInfo says where the loader left the device tree and how big it is
// (yolk works on a copy in its own memory).
func DTBInfo() string {
	return fmt.Sprintf("%d bytes at %#x, copied to %#x (the %d bytes used)", dtbSize, dtbFrom, dtbAddr, dtbUsed)
}

// TimerHz is the generic timer's frequency (54 MHz on the Pi 4).
func TimerHz() uint64 { return timer.Frequency() }

// Banner describes the machine yolk runs on.
func Banner() string {
	info := boot.BootInfo()
	var total uint64
	for _, r := range Board.Memory {
		total += r.Size
	}
	lines := []boardkit.Line{{Name: "board", Value: Report.describe()}, boardkit.CPU(), boardkit.GIC(),
		{Name: "ram", Value: fmt.Sprintf("%d MiB at %#x for Go, of %d MiB in %d range(s)%s", (info.GoEnd-info.GoBase)>>20, info.GoBase, total>>20, len(Board.Memory), Report.split())}}
	if info.ReservedCut > 0 && info.GoBase == info.RAMBase {
		lines = append(lines, boardkit.Line{Value: fmt.Sprintf("(%d MiB above a firmware reservation at %#x left unused)", info.ReservedCut>>20, info.GoEnd)})
	}
	return boardkit.Banner(append(lines,
		boardkit.Line{Name: "clocks", Value: Report.clocks()},
		boardkit.Line{Name: "temp", Value: Report.temperature()},
		boardkit.Timer("no battery-backed clock: the date starts at 1970-01-01"),
		boardkit.Random(),
		boardkit.Line{Name: "net", Value: netLine()},
		boardkit.Boot())...)
}

// netLine describes the Ethernet for the banner.
func netLine() string {
	if Board.GENET == 0 {
		return "none: the device tree has no GENET Ethernet (QEMU's raspi4b models none)"
	}
	return fmt.Sprintf("GENET v5 Ethernet at %#x (board/rpi4/network.Start brings it up)", Board.GENET)
}
