//go:build tamago

// Package qemuvirt is the board package for QEMU's arm64 "virt" machine.
// An application imports it (for its side effects) and is then linked as a
// bare-metal image: boot, exception vectors, console, clock, entropy and
// exit status all come with it.
//
//	import _ "github.com/yolkos/yolk/board/qemu-virt"
package qemuvirt

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/yolkos/yolk/board/bootargs"
	"github.com/yolkos/yolk/board/cores"
	"github.com/yolkos/yolk/board/internal/boardkit"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/kernel/psci"
)

// Name of the board in the banner.
const Name = "qemu-virt"

// Machine is the device tree's description of this machine, parsed once
// the runtime is up.
var Machine *devicetree.Machine

// Tree is the whole device tree.
var Tree *devicetree.Tree

// hwinit1 is runtime/goos.Hwinit1: after the scheduler and heap exist,
// before any package is initialised.
//
//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	info := boot.BootInfo()
	var err error
	if Tree, err = devicetree.ParseAt(unsafe.Pointer(info.DTB)); err != nil {
		fatal("device tree: " + err.Error())
	}
	if Machine, err = Tree.Machine(); err != nil {
		fatal("device tree: " + err.Error())
	}
	psci.Method = psci.ParseMethod(Machine.PSCIMethod)
	if Interrupts, err = cores.SetupInterrupts(Machine); err != nil {
		fatal(err.Error())
	}
	boardkit.Linked = boardkit.Board{Name: Name, Tree: Tree, Machine: Machine,
		Interrupts: Interrupts, Entropy: EntropySource, Banner: Banner}
}

func fatal(msg string) { boardkit.Fatal(msg) }

func init() {
	if err := cores.Start(Machine, boot.PSCI{}); err != nil {
		fatal(err.Error())
	}
	bootargs.Install(Machine.Bootargs)
	if os.Getenv("yolk.quiet") == "" {
		fmt.Print(Banner())
	}
}

// Banner describes the machine yolk runs on.
func Banner() string {
	info := boot.BootInfo()
	lines := []boardkit.Line{boardkit.CPU(), boardkit.GIC(),
		{Name: "ram", Value: fmt.Sprintf("%d MiB at %#x", info.RAMSize>>20, info.RAMBase)}}
	switch {
	case info.GoBase != info.RAMBase:
		lines = append(lines, boardkit.Line{Value: fmt.Sprintf("(Go's heap: %d MiB at %#x, the largest stretch no reservation touches)", (info.GoEnd-info.GoBase)>>20, info.GoBase)})
	case info.ReservedCut > 0:
		lines = append(lines, boardkit.Line{Value: fmt.Sprintf("(%d MiB above a reservation at %#x left unused)", info.ReservedCut>>20, info.GoEnd)})
	}
	return boardkit.Banner(append(lines, boardkit.Timer(""), boardkit.Random(), boardkit.Boot())...)
}
