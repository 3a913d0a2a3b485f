// Package gpio drives the BCM2711 GPIO block (BCM2711 ARM Peripherals,
// chapter 5 "General Purpose I/O (GPIO)"): pin functions, pulls and
// output levels of the 58 pins, at the device tree's "brcm,bcm2711-gpio"
// node (0xfe200000 in low-peripheral mode).
package gpio

import "github.com/yolkos/yolk/kernel/reg"

// Registers (5.2 "Register View").
const (
	regGPFSEL0 = 0x00 // function select, 10 pins per register, 3 bits each
	regGPSET0  = 0x1c // output set, 32 pins per register
	regGPCLR0  = 0x28 // output clear
	regGPLEV0  = 0x34 // pin level
	regPUPPDN0 = 0xe4 // GPIO_PUP_PDN_CNTRL_REG0: pulls, 16 pins per register, 2 bits each
)

// Pins is the number of GPIO pins.
const Pins = 58

// Function is a pin function (the GPFSELn field values).
type Function uint32

const (
	Input  Function = 0b000
	Output Function = 0b001
	Alt0   Function = 0b100
	Alt1   Function = 0b101
	Alt2   Function = 0b110
	Alt3   Function = 0b111
	Alt4   Function = 0b011
	Alt5   Function = 0b010
)

// Pull is a pin's resistor setting (GPIO_PUP_PDN_CNTRL_REGn field).
type Pull uint32

const (
	PullNone Pull = 0b00
	PullUp   Pull = 0b01
	PullDown Pull = 0b10
)

// Controller is the GPIO block at a physical address (identity mapped).
// SetFunction and SetPull read, modify and write shared registers: call
// them from one place at a time (board set-up). Set, Clear and Level touch
// only the pin's bit and may run anywhere, interrupt handlers included.
type Controller struct {
	Base uintptr
}

//go:nosplit
func (c *Controller) rmw(off uintptr, shift, width uint, v uint32) {
	mask := uint32(1)<<width - 1
	reg.Write32(c.Base+off, reg.Read32(c.Base+off)&^(mask<<shift)|(v&mask)<<shift)
}

// SetFunction selects pin's function.
//
//go:nosplit
func (c *Controller) SetFunction(pin int, f Function) {
	if pin < 0 || pin >= Pins {
		return
	}
	c.rmw(regGPFSEL0+4*uintptr(pin/10), 3*uint(pin%10), 3, uint32(f))
}

// GetFunction reads pin's function.
//
//go:nosplit
func (c *Controller) GetFunction(pin int) Function {
	if pin < 0 || pin >= Pins {
		return Input
	}
	return Function(reg.Read32(c.Base+regGPFSEL0+4*uintptr(pin/10)) >> (3 * uint(pin%10)) & 7)
}

// SetPull sets pin's pull-up/down resistor.
//
//go:nosplit
func (c *Controller) SetPull(pin int, p Pull) {
	if pin < 0 || pin >= Pins {
		return
	}
	c.rmw(regPUPPDN0+4*uintptr(pin/16), 2*uint(pin%16), 2, uint32(p))
}

// Set drives an output pin high (high = true) or low.
//
//go:nosplit
func (c *Controller) Set(pin int, high bool) {
	if pin < 0 || pin >= Pins {
		return
	}
	off := uintptr(regGPCLR0)
	if high {
		off = regGPSET0
	}
	reg.Write32(c.Base+off+4*uintptr(pin/32), 1<<(pin%32))
}

// Level reads a pin.
//
//go:nosplit
func (c *Controller) Level(pin int) bool {
	if pin < 0 || pin >= Pins {
		return false
	}
	return reg.Read32(c.Base+regGPLEV0+4*uintptr(pin/32))>>(pin%32)&1 != 0
}
