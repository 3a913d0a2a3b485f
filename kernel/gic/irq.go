//go:build tamago

package gic

import "github.com/yolkos/yolk/kernel/exception"

// MaxCores must equal exception.MaxCores: both arrays are indexed by
// cpu.Index().
var _ [MaxCores - exception.MaxCores]struct{}
var _ [exception.MaxCores - MaxCores]struct{}

// Dispatch is the IRQ handler: install it as exception.IRQ after Init
// and InitCPU. It handles every interrupt pending for the calling core
// (see the package documentation for what handlers may do) and leaves
// the interrupted context f untouched.
func (c *Controller) Dispatch(f *exception.Frame) { c.dispatch() }
