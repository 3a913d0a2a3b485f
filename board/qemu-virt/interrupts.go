//go:build tamago

package qemuvirt

import "github.com/yolkos/yolk/kernel/gic"

// Interrupts is the interrupt controller (set up in hwinit1).
var Interrupts *gic.Controller
