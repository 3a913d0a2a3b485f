// Package pl031 reads an Arm PrimeCell real time clock (PL031 Technical
// Reference Manual, DDI 0224, 3.3 "Register descriptions"): a 32-bit count
// of seconds, which QEMU sets to the host's time (UTC) at start.
package pl031

import "github.com/yolkos/yolk/kernel/reg"

const regDR = 0x00 // data register: the current count

// RTC is one PL031 at a physical address (identity mapped).
type RTC struct {
	Base uintptr
}

// Seconds returns the counter: seconds since the Unix epoch.
//
//go:nosplit
func (r RTC) Seconds() uint32 {
	return reg.Read32(r.Base + regDR)
}
