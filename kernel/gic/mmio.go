package gic

import "unsafe"

// The GIC's registers are identity-mapped Device memory. Each access is a
// single load or store of the register's width, in a function of its own:
// the compiler can then neither merge neighbouring stores into a wider
// one (GIC registers other than GICD_IROUTER and GICR_TYPER only support
// 32-bit or byte accesses) nor keep a polled value in a register.

//go:noinline
//go:nosplit
func read32(a uintptr) uint32 { return *(*uint32)(unsafe.Pointer(a)) }

//go:noinline
//go:nosplit
func write32(a uintptr, v uint32) { *(*uint32)(unsafe.Pointer(a)) = v }

// write8 stores one byte: GICD_IPRIORITYR, GICD_ITARGETSR and
// GICR_IPRIORITYR are byte-accessible (IHI 0048B 4.3.11, 4.3.12;
// IHI 0069 GICD_IPRIORITYR), so one INTID's field is set without a
// read-modify-write of its neighbours.
//
//go:noinline
//go:nosplit
func write8(a uintptr, v uint8) { *(*uint8)(unsafe.Pointer(a)) = v }

// read64 reads a 64-bit register as two 32-bit halves, low word first;
// GICR_TYPER and GICD_IROUTER allow 32-bit accesses to either half
// (IHI 0069 12.1, "GIC memory-mapped register access").
//
//go:nosplit
func read64(a uintptr) uint64 {
	return uint64(read32(a)) | uint64(read32(a+4))<<32
}

//go:nosplit
func write64(a uintptr, v uint64) {
	write32(a, uint32(v))
	write32(a+4, uint32(v>>32))
}

// bitReg is the address and bit of intid in a register array with one bit
// per INTID (GICD_ISENABLER and friends).
//
//go:nosplit
func bitReg(base uintptr, intid uint32) (uintptr, uint32) {
	return base + uintptr(intid/32)*4, 1 << (intid % 32)
}
