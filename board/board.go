//go:build tamago

package board

import (
	"github.com/yolkos/yolk/board/internal/boardkit"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/kernel/gic"
)

// Name is the linked board's name: "qemu-virt" or "rpi4".
func Name() string { return boardkit.Linked.Name }

// Banner describes the machine: yolk's version, the board, CPU, cores,
// RAM, timer, entropy source and the time from reset to main. The board
// prints it at start-up unless the boot argument yolk.quiet is set.
func Banner() string { return boardkit.Linked.Banner() }

// Machine is the device tree's summary of the machine: model, CPUs,
// memory, interrupt controller, timer, devices, boot arguments.
func Machine() *devicetree.Machine { return boardkit.Linked.Machine }

// Tree is the whole device tree.
func Tree() *devicetree.Tree { return boardkit.Linked.Tree }

// Interrupts is the interrupt controller, for drivers: Handle, Enable,
// SendSGI.
func Interrupts() *gic.Controller { return boardkit.Linked.Interrupts }

// InterruptCounts lists the interrupts core has taken, by INTID.
func InterruptCounts(core int) []gic.IntCount { return boardkit.Linked.Interrupts.Counts(core) }

// EntropySource names where random numbers come from.
func EntropySource() string { return boardkit.Linked.Entropy() }
