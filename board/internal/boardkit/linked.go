//go:build tamago

package boardkit

import (
	"fmt"
	"strings"

	"github.com/yolkos/yolk"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/gic"
	"github.com/yolkos/yolk/kernel/timer"
	"github.com/yolkos/yolk/sched"
)

// Board is what the linked board tells the board-neutral packages. The
// board fills it in hwinit1, before any package initialiser runs.
type Board struct {
	Name       string              // "qemu-virt", "rpi4"
	Tree       *devicetree.Tree    // the whole device tree
	Machine    *devicetree.Machine // its summary
	Interrupts *gic.Controller     // the interrupt controller
	Entropy    func() string       // names the entropy source
	Banner     func() string       // the boot banner
}

// Linked is the board in this program.
var Linked Board

// Line is one "name: value" line of the banner; an empty Name continues
// the line before.
type Line struct{ Name, Value string }

// Banner is the boot banner: a heading that names yolk, the board and the
// machine's model, then lines.
func Banner(lines ...Line) string {
	var s strings.Builder
	fmt.Fprintf(&s, "yolk %s on %s (%s)\n", yolk.Version, Linked.Name, Linked.Machine.Model)
	for _, l := range lines {
		if l.Name == "" {
			fmt.Fprintf(&s, "          %s\n", l.Value)
		} else {
			fmt.Fprintf(&s, "  %-7s %s\n", l.Name+":", l.Value)
		}
	}
	return s.String()
}

// The lines every board's banner has.

// CPU names the CPU, the cores in use and the exception level boot was
// entered at.
func CPU() Line {
	return Line{"cpu", fmt.Sprintf("%s, %d core(s) of %d, entered at EL%d",
		cpu.Describe(cpu.MIDR()), sched.NumCores(), len(Linked.Machine.CPUs), boot.BootInfo().EntryEL)}
}

// GIC is the interrupt controller's version.
func GIC() Line { return Line{"gic", fmt.Sprintf("GICv%d", Linked.Machine.GIC.Version)} }

// Timer is the generic timer's frequency, with a note if any.
func Timer(note string) Line {
	v := fmt.Sprintf("%d Hz", timer.Frequency())
	if note != "" {
		v += "; " + note
	}
	return Line{"timer", v}
}

// Random names the entropy source.
func Random() Line { return Line{"random", Linked.Entropy()} }

// Boot is the time from the first instruction to main.
func Boot() Line { return Line{"boot", fmt.Sprintf("%.3f ms to main", boot.MillisSinceReset())} }
