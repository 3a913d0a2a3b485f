//go:build !tamago

// Package target is the one description of the machines yolk runs on,
// for every host-side tool: which board package and build tag make a
// program for each board, the link addresses, the QEMU command line of
// each board, how an ELF is checked and turned into the Pi's image, and
// how a program's arguments and environment reach the guest (the test-exec
// protocol). cmd/yolk, internal/qemutest, bench/harness, the Makefile and
// run-qemu.sh (the last two through cmd/yolk) use it; nothing else spells
// out a link address or a QEMU option.
package target

import (
	"fmt"
	"strings"
)

// The module and the TamaGo toolchain it is pinned to.
const (
	Module        = "github.com/yolkos/yolk"
	BoardPackage  = Module + "/board" // the board-neutral package
	TamagoModule  = "github.com/usbarmory/tamago"
	TamagoVersion = "v1.26.0" // go.mod's; TestTamagoVersion keeps them equal
	TamagoTool    = TamagoModule + "/cmd/tamago"
	// GoVersion is the Go version of the TamaGo toolchain: a module whose
	// go directive is newer cannot be built with it.
	GoVersion = "1.26.0"
)

// Env is the environment the TamaGo go command builds with: the tamago
// GOOS on arm64, with runtime/goos taken from the TamaGo module.
func Env() []string {
	return []string{"GOOS=tamago", "GOARCH=arm64", "GOOSPKG=" + TamagoModule}
}

// A Board is one machine yolk runs on.
type Board struct {
	Name    string // as -board names it
	Package string // the board package's import path
	// Tag is the build tag that makes package board link this board; ""
	// for the default board.
	Tag string
	// Text is where the image's code starts (the linker's -T). The ELF
	// headers take the page below it.
	Text uint64
	// Image is the load address of the raw image the machine boots
	// (kernel8.img on the Pi), or 0 when QEMU loads the ELF itself.
	Image   uint64
	Machine string // QEMU's -M
	// DTB is the device tree QEMU must be given, relative to the yolk
	// module's root; "" when QEMU makes one.
	DTB    string
	CPUs   int    // a fixed number of cores, or 0 when -smp chooses
	RAM    string // a fixed amount of RAM, or "" when -m chooses
	MaxRAM uint64 // the largest -m the runtime can use
	Net    bool   // QEMU gives it a virtio-net device with -net
}

// The boards.
var (
	// QEMUVirt is QEMU's virt machine. RAM starts at 1 GiB with the
	// device tree at its base; the image is linked 2 MiB above it.
	// TamaGo's heap must lie below 4 GiB, hence at most 3 GiB of RAM.
	QEMUVirt = Board{
		Name: "qemu-virt", Package: Module + "/board/qemu-virt",
		Text: 0x4021_0000, Machine: "virt", MaxRAM: 3 << 30, Net: true,
	}
	// RPi4 is the Raspberry Pi 4 Model B and QEMU's raspi4b. The firmware
	// loads kernel8.img at 0x80000 and enters its first byte; the code
	// starts one page higher (RawImage puts a branch there).
	RPi4 = Board{
		Name: "rpi4", Package: Module + "/board/rpi4", Tag: "yolk_rpi4",
		Text: 0x8_1000, Image: 0x8_0000, Machine: "raspi4b",
		DTB: "board/rpi4/testdata/bcm2711-rpi-4-b.dtb", CPUs: 4, RAM: "2G",
	}
	Boards = []Board{QEMUVirt, RPi4}
)

// Lookup returns the board called name.
func Lookup(name string) (Board, error) {
	for _, b := range Boards {
		if b.Name == name {
			return b, nil
		}
	}
	return Board{}, fmt.Errorf("unknown board %q: want %s", name, Names())
}

// Names lists the boards' names, for messages.
func Names() string {
	var n []string
	for _, b := range Boards {
		n = append(n, b.Name)
	}
	return strings.Join(n, " or ")
}

// ForMachine returns the board QEMU's machine option (e.g. "virt" or
// "virt,gic-version=3") stands for.
func ForMachine(m string) (Board, bool) {
	name, _, _ := strings.Cut(m, ",")
	for _, b := range Boards {
		if b.Machine == name {
			return b, true
		}
	}
	return Board{}, false
}

// ForPackage returns the board whose package is path, or one of its
// packages (board/qemu-virt/network).
func ForPackage(path string) (Board, bool) {
	for _, b := range Boards {
		if path == b.Package || strings.HasPrefix(path, b.Package+"/") {
			return b, true
		}
	}
	return Board{}, false
}

// LDFlags are the linker flags for an image of b: the text address,
// page-aligned segments, and -checklinkname=0, which lets
// internal/goruntime bind runtime internals the linker otherwise keeps
// private to the runtime (runtime.numCPUStartup, the CPU count, and the
// functions it names).
func (b Board) LDFlags() string {
	return fmt.Sprintf("-T %#x -R 0x1000 -checklinkname=0", b.Text)
}

// BuildFlags are the go build flags that make a program for b: the build
// tags (b's, after the comma-separated tags given) and the linker flags
// (extraLD appended to b's).
func (b Board) BuildFlags(tags, extraLD string) []string {
	var t []string
	if tags != "" {
		t = append(t, tags)
	}
	if b.Tag != "" {
		t = append(t, b.Tag)
	}
	var f []string
	if len(t) > 0 {
		f = append(f, "-tags", strings.Join(t, ","))
	}
	ld := b.LDFlags()
	if extraLD != "" {
		ld += " " + extraLD
	}
	return append(f, "-ldflags", ld)
}
