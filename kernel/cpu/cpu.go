// Package cpu gives Go access to the arm64 registers and instructions that
// yolk needs outside of boot: identification, the generic counter, the
// random number instructions, interrupt masking and waiting.
//
// Every function is nosplit: they run in exception handlers, before the
// runtime starts and inside runtime hooks.
package cpu

// HasRNG reports whether the CPU implements FEAT_RNG (RNDR, RNDRRS):
// ID_AA64ISAR0_EL1.RNDR, bits [63:60].
//
//go:nosplit
func HasRNG() bool { return ISAR0()>>60&0xf != 0 }

// HasGICv3SysRegs reports whether the GIC CPU interface system registers
// are implemented: ID_AA64PFR0_EL1.GIC, bits [27:24].
//
//go:nosplit
func HasGICv3SysRegs() bool { return PFR0()>>24&0xf != 0 }

// Random returns 64 bits from RNDR, retrying a few times when the
// generator reports a transient failure (PSTATE.NZCV = 0b0100).
//
//go:nosplit
func Random() (uint64, bool) {
	for i := 0; i < 16; i++ {
		if v, ok := rndr(); ok {
			return v, true
		}
	}
	return 0, false
}

// Affinity returns the Aff0..Aff3 fields of an MPIDR_EL1 value packed as
// Aff3:Aff2:Aff1:Aff0, the form device tree cpu nodes use in reg.
//
//go:nosplit
func Affinity(mpidr uint64) uint64 {
	return mpidr&0xff_ffff | (mpidr>>32&0xff)<<24
}

// Describe decodes a MIDR_EL1 value (D24.2.110: implementer [31:24],
// variant [23:20], part number [15:4], revision [3:0]).
func Describe(midr uint64) string {
	impl := midr >> 24 & 0xff
	part := midr >> 4 & 0xfff
	variant, rev := midr>>20&0xf, midr&0xf
	name := ""
	switch impl {
	case 0x41:
		name = armParts[part]
		if name == "" {
			name = "Arm part " + hex(part)
		} else {
			name = "Arm " + name
		}
	case 0x00:
		name = "software-defined CPU (QEMU -cpu max) part " + hex(part)
	default:
		name = "implementer " + hex(impl) + " part " + hex(part)
	}
	return name + " r" + string(rune('0'+variant)) + "p" + string(rune('0'+rev))
}

var armParts = map[uint64]string{
	0xd03: "Cortex-A53", 0xd04: "Cortex-A35", 0xd05: "Cortex-A55",
	0xd07: "Cortex-A57", 0xd08: "Cortex-A72", 0xd09: "Cortex-A73",
	0xd0a: "Cortex-A75", 0xd0b: "Cortex-A76", 0xd0c: "Neoverse-N1",
	0xd0d: "Cortex-A77", 0xd40: "Neoverse-V1", 0xd41: "Cortex-A78",
	0xd44: "Cortex-X1", 0xd46: "Cortex-A510", 0xd47: "Cortex-A710",
	0xd49: "Neoverse-N2", 0xd4f: "Neoverse-V2",
}

func hex(v uint64) string {
	const digits = "0123456789abcdef"
	s := ""
	for {
		s = string(digits[v&0xf]) + s
		v >>= 4
		if v == 0 {
			return "0x" + s
		}
	}
}
