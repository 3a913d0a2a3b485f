package cpu

// Defined in cpu_arm64.s.

// MIDR reads MIDR_EL1, the main ID register (D24.2.110).
func MIDR() uint64

// MPIDR reads MPIDR_EL1, the multiprocessor affinity register (D24.2.113).
func MPIDR() uint64

// CurrentEL returns the exception level the core runs at.
func CurrentEL() int

// ISAR0 reads ID_AA64ISAR0_EL1 (D24.2.76).
func ISAR0() uint64

// PFR0 reads ID_AA64PFR0_EL1 (D24.2.87).
func PFR0() uint64

// CounterFreq reads CNTFRQ_EL0, the generic counter frequency in Hz.
func CounterFreq() uint64

// Counter reads CNTVCT_EL0, the virtual count (equal to the physical count:
// boot sets CNTVOFF_EL2 to 0 when it enters at EL2).
func Counter() uint64

// rndr reads RNDR (D24.2.146): ok is false when the generator failed to
// produce a number in reasonable time.
func rndr() (v uint64, ok bool)

// WaitForInterrupt executes WFI.
func WaitForInterrupt()

// DAIF reads the interrupt mask bits.
func DAIF() uint64

// Index is this core's yolk index (0 = boot core), kept in TPIDR_EL1.
func Index() int

// TTBR0 reads TTBR0_EL1, the translation table base.
func TTBR0() uint64

// EnableIRQ unmasks IRQs on this core (PSTATE.I = 0).
func EnableIRQ()

// DisableIRQ masks IRQs on this core and reports whether they were
// unmasked before, for RestoreIRQ.
func DisableIRQ() (wasEnabled bool)

// RestoreIRQ unmasks IRQs if wasEnabled.
//
//go:nosplit
func RestoreIRQ(wasEnabled bool) {
	if wasEnabled {
		EnableIRQ()
	}
}
