//go:build tamago

package gic

import "github.com/yolkos/yolk/kernel/cpu"

//go:nosplit
func irqOff() bool { return cpu.DisableIRQ() }

//go:nosplit
func irqRestore(wasOn bool) { cpu.RestoreIRQ(wasOn) }
