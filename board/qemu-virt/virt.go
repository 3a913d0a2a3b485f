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
	"strings"
	"unsafe"

	"github.com/yolkos/yolk"
	"github.com/yolkos/yolk/board/bootargs"
	"github.com/yolkos/yolk/board/cores"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/psci"
	"github.com/yolkos/yolk/kernel/timer"
	"github.com/yolkos/yolk/sched"
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
}

func fatal(msg string) {
	print("yolk: ", msg, "\n")
	exit(70)
}

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
	ms := boot.MillisSinceReset()
	var b strings.Builder
	fmt.Fprintf(&b, "yolk %s on %s (%s)\n", yolk.Version, Name, Machine.Model)
	fmt.Fprintf(&b, "  cpu:    %s, %d core(s) of %d, entered at EL%d\n", cpu.Describe(cpu.MIDR()), sched.NumCores(), len(Machine.CPUs), info.EntryEL)
	fmt.Fprintf(&b, "  gic:    GICv%d\n", Machine.GIC.Version)
	fmt.Fprintf(&b, "  ram:    %d MiB at %#x\n", info.RAMSize>>20, info.RAMBase)
	switch {
	case info.GoBase != info.RAMBase:
		fmt.Fprintf(&b, "          (Go's heap: %d MiB at %#x, the largest stretch no reservation touches)\n", (info.GoEnd-info.GoBase)>>20, info.GoBase)
	case info.ReservedCut > 0:
		fmt.Fprintf(&b, "          (%d MiB above a reservation at %#x left unused)\n", info.ReservedCut>>20, info.GoEnd)
	}
	fmt.Fprintf(&b, "  timer:  %d Hz\n", timer.Frequency())
	fmt.Fprintf(&b, "  random: %s\n", EntropySource())
	fmt.Fprintf(&b, "  boot:   %.3f ms to main\n", ms)
	return b.String()
}
