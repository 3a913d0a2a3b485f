package gpio

import (
	"testing"
	"unsafe"
)

// The register arithmetic, against a fake register block in memory.
func TestRegisters(t *testing.T) {
	var regs [0x100 / 4]uint32
	c := Controller{Base: uintptr(unsafe.Pointer(&regs[0]))}
	regs[1] = 0xffff_ffff
	c.SetFunction(14, Alt0) // GPFSEL1 bits 12-14
	c.SetFunction(15, Alt0) // GPFSEL1 bits 15-17
	if want := uint32(0xffff_ffff)&^(0x3f<<12) | 0b100100<<12; regs[1] != want {
		t.Errorf("GPFSEL1 = %#x, want %#x", regs[1], want)
	}
	if f := c.GetFunction(14); f != Alt0 {
		t.Errorf("GetFunction(14) = %v", f)
	}
	c.SetFunction(42, Output) // GPFSEL4 bits 6-8
	if regs[4] != 1<<6 {
		t.Errorf("GPFSEL4 = %#x", regs[4])
	}
	c.SetPull(15, PullUp)   // GPIO_PUP_PDN_CNTRL_REG0 bits 30-31
	c.SetPull(42, PullDown) // REG2 bits 20-21
	if regs[0xe4/4] != 1<<30 || regs[0xec/4] != 2<<20 {
		t.Errorf("pulls %#x %#x", regs[0xe4/4], regs[0xec/4])
	}
	c.Set(42, true)
	if regs[0x20/4] != 1<<10 {
		t.Errorf("GPSET1 = %#x", regs[0x20/4])
	}
	c.Set(42, false)
	if regs[0x2c/4] != 1<<10 {
		t.Errorf("GPCLR1 = %#x", regs[0x2c/4])
	}
	regs[0x38/4] = 1 << 10
	if !c.Level(42) || c.Level(41) {
		t.Error("Level")
	}
	c.SetFunction(58, Output) // out of range: ignored
	c.Set(-1, true)
}
