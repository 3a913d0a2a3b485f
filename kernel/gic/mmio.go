package gic

import "github.com/yolkos/yolk/kernel/reg"

// The GIC's registers go through kernel/reg (one access of the register's
// width, never merged or elided). GIC registers other than GICD_IROUTER
// and GICR_TYPER only support 32-bit or byte accesses.

//go:nosplit
func read32(a uintptr) uint32 { return reg.Read32(a) }

//go:nosplit
func write32(a uintptr, v uint32) { reg.Write32(a, v) }

// readRelaxed and writeRelaxed are for GICC_IAR and GICC_EOIR, once per
// interrupt: no barrier, as before kernel/reg (and as Linux's
// gic_handle_irq). A handler orders what it needs itself (kernel/reg's
// ordered accessors, sync/atomic).
//
//go:nosplit
func readRelaxed(a uintptr) uint32 { return reg.Read32Relaxed(a) }

//go:nosplit
func writeRelaxed(a uintptr, v uint32) { reg.Write32Relaxed(a, v) }

// write8 stores one byte: GICD_IPRIORITYR, GICD_ITARGETSR and
// GICR_IPRIORITYR are byte-accessible (IHI 0048B 4.3.11, 4.3.12;
// IHI 0069 GICD_IPRIORITYR), so one INTID's field is set without a
// read-modify-write of its neighbours.
//
//go:nosplit
func write8(a uintptr, v uint8) { reg.Write8(a, v) }

// read64 reads a 64-bit register as two 32-bit halves, low word first;
// GICR_TYPER and GICD_IROUTER allow 32-bit accesses to either half
// (IHI 0069 12.1, "GIC memory-mapped register access").
//
//go:nosplit
func read64(a uintptr) uint64 {
	return uint64(reg.Read32(a)) | uint64(reg.Read32(a+4))<<32
}

//go:nosplit
func write64(a uintptr, v uint64) {
	reg.Write32(a, uint32(v))
	reg.Write32(a+4, uint32(v>>32))
}

// bitReg is the address and bit of intid in a register array with one bit
// per INTID (GICD_ISENABLER and friends).
//
//go:nosplit
func bitReg(base uintptr, intid uint32) (uintptr, uint32) {
	return base + uintptr(intid/32)*4, 1 << (intid % 32)
}
