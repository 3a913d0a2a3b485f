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
	setupInterrupts()
}

func fatal(msg string) {
	print("yolk: ", msg, "\n")
	exit(70)
}

func init() {
	if err := startCores(); err != nil {
		fatal(err.Error())
	}
	args, env := SplitBootargs(Machine.Bootargs)
	os.Args = append([]string{"yolk"}, args...)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	if os.Getenv("yolk.quiet") == "" {
		fmt.Print(Banner())
	}
}

// SplitBootargs splits the kernel command line like Linux does for init:
// words of the form KEY=VALUE become the environment, other words the
// arguments; everything after "--" is an argument.
func SplitBootargs(cmdline string) (args, env []string) {
	words := strings.Fields(cmdline)
	for i, w := range words {
		switch {
		case w == "--":
			return append(args, words[i+1:]...), env
		case !strings.HasPrefix(w, "-") && strings.Contains(w, "=") && !strings.HasPrefix(w, "="):
			env = append(env, w)
		default:
			args = append(args, w)
		}
	}
	return args, env
}

// BootToMain is the time from the first instruction to now.
func BootToMain() float64 {
	c := cpu.Counter() - boot.BootInfo().ResetCount
	return float64(timer.CountsToNanos(c)) / 1e6
}

// Banner describes the machine yolk runs on.
func Banner() string {
	info := boot.BootInfo()
	ms := BootToMain()
	var b strings.Builder
	fmt.Fprintf(&b, "yolk %s on %s (%s)\n", yolk.Version, Name, Machine.Model)
	fmt.Fprintf(&b, "  cpu:    %s, %d core(s) of %d, entered at EL%d\n", cpu.Describe(cpu.MIDR()), sched.NumCores(), len(Machine.CPUs), info.EntryEL)
	fmt.Fprintf(&b, "  gic:    GICv%d\n", Machine.GIC.Version)
	fmt.Fprintf(&b, "  ram:    %d MiB at %#x\n", info.RAMSize>>20, info.RAMBase)
	fmt.Fprintf(&b, "  timer:  %d Hz\n", timer.Frequency())
	fmt.Fprintf(&b, "  boot:   %.3f ms to main\n", ms)
	return b.String()
}
