//go:build !tamago

package gic

// Host builds (tests against fake register files) have no IRQs to mask.

func irqOff() bool          { return false }
func irqRestore(wasOn bool) {}
