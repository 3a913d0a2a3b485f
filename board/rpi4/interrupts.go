//go:build tamago

package rpi4

import "github.com/yolkos/yolk/kernel/gic"

// Interrupts is the interrupt controller, the GIC-400 (set up in hwinit1).
var Interrupts *gic.Controller
