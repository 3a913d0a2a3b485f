// Package esr decodes the AArch64 Exception Syndrome Register (ESR_ELx).
//
// The field layout and every code table in this package follow the Arm
// Architecture Reference Manual for A-profile (ARM DDI 0487), section
// D24.2.40 "ESR_EL1, Exception Syndrome Register (EL1)" (ESR_EL2/ESR_EL3
// share the layout) and the ISS encodings it references.
//
// The decode path is meant to run inside a crash handler, possibly while
// the Go runtime is in a bad state: no method allocates, every name is a
// string constant taken from a static table, and AppendDescription only
// appends to the caller's buffer. The package has no dependencies and
// builds for the host and for GOOS=tamago GOARCH=arm64.
package esr

// Syndrome is a raw ESR_ELx value as read with MRS.
type Syndrome uint64

// Field positions, D24.2.40 ESR_EL1: ISS2 [55:32], EC [31:26], IL [25],
// ISS [24:0].
const (
	ecShift   = 26
	ecMask    = 0x3f
	ilBit     = 1 << 25
	issMask   = 1<<25 - 1
	iss2Shift = 32
	iss2Mask  = 1<<24 - 1
)

// Exception class values (ESR_ELx.EC), D24.2.40 ESR_EL1, EC field table.
const (
	ECUnknown           = 0x00 // Unknown reason
	ECWFx               = 0x01 // Trapped WFI/WFE/WFIT/WFET
	ECCP15MCRMRC        = 0x03 // AArch32 MCR/MRC, coproc 0b1111
	ECCP15MCRRMRRC      = 0x04 // AArch32 MCRR/MRRC, coproc 0b1111
	ECCP14MCRMRC        = 0x05 // AArch32 MCR/MRC, coproc 0b1110
	ECCP14LDCSTC        = 0x06 // AArch32 LDC/STC
	ECFPAccess          = 0x07 // SME, SVE, Advanced SIMD or FP access trap
	ECVMRS              = 0x08 // AArch32 VMRS, ID group trap
	ECPAuthTrap         = 0x09 // Trapped pointer authentication instruction
	ECOther             = 0x0a // LD64B/ST64B* and other trapped instructions
	ECCP14MRRC          = 0x0c // AArch32 MRRC, coproc 0b1110
	ECBTI               = 0x0d // Branch Target Exception
	ECIllegalState      = 0x0e // Illegal Execution state
	ECSVC32             = 0x11 // SVC in AArch32 state
	ECHVC32             = 0x12 // HVC in AArch32 state
	ECSMC32             = 0x13 // SMC in AArch32 state
	ECSys128            = 0x14 // Trapped MSRR/MRRS/SYSP (FEAT_SYSREG128)
	ECSVC64             = 0x15 // SVC in AArch64 state
	ECHVC64             = 0x16 // HVC in AArch64 state
	ECSMC64             = 0x17 // SMC in AArch64 state
	ECSys64             = 0x18 // Trapped MSR/MRS/System instruction
	ECSVEAccess         = 0x19 // SVE access trap
	ECERET              = 0x1a // Trapped ERET/ERETAA/ERETAB
	ECTSTART            = 0x1b // TSTART (FEAT_TME)
	ECPACFail           = 0x1c // Pointer authentication failure (FEAT_FPAC)
	ECSMEAccess         = 0x1d // SME access trap
	ECGPC               = 0x1e // Granule Protection Check (EL3)
	ECImpDefEL3         = 0x1f // IMPLEMENTATION DEFINED, EL3
	ECInstAbortLower    = 0x20 // Instruction Abort from a lower EL
	ECInstAbortSame     = 0x21 // Instruction Abort, same EL
	ECPCAlignment       = 0x22 // PC alignment fault
	ECDataAbortLower    = 0x24 // Data Abort from a lower EL
	ECDataAbortSame     = 0x25 // Data Abort, same EL
	ECSPAlignment       = 0x26 // SP alignment fault
	ECMOPS              = 0x27 // Memory Operation Exception (FEAT_MOPS)
	ECFPException32     = 0x28 // Trapped FP exception, AArch32
	ECFPException64     = 0x2c // Trapped FP exception, AArch64
	ECGCS               = 0x2d // Guarded Control Stack exception
	ECSError            = 0x2f // SError exception
	ECBreakpointLower   = 0x30 // Breakpoint from a lower EL
	ECBreakpointSame    = 0x31 // Breakpoint, same EL
	ECSoftwareStepLower = 0x32 // Software Step from a lower EL
	ECSoftwareStepSame  = 0x33 // Software Step, same EL
	ECWatchpointLower   = 0x34 // Watchpoint from a lower EL
	ECWatchpointSame    = 0x35 // Watchpoint, same EL
	ECBKPT32            = 0x38 // BKPT in AArch32 state
	ECVectorCatch32     = 0x3a // Vector Catch, AArch32
	ECBRK64             = 0x3c // BRK in AArch64 state
	ECProfiling         = 0x3d // Profiling exception (FEAT_EBEP/SPE_EXC/TRBE_EXC)
)

// EC returns the exception class, ESR_ELx[31:26].
func (s Syndrome) EC() uint8 { return uint8(s>>ecShift) & ecMask }

// IL reports the instruction length bit, ESR_ELx[25]: true for a 32-bit
// trapped instruction (and for the classes where the manual fixes IL=1).
func (s Syndrome) IL() bool { return s&ilBit != 0 }

// ISS returns the instruction specific syndrome, ESR_ELx[24:0].
func (s Syndrome) ISS() uint32 { return uint32(s) & issMask }

// ISS2 returns ESR_ELx[55:32] (FEAT_LS64 and later extensions; zero
// otherwise).
func (s Syndrome) ISS2() uint32 { return uint32(s>>iss2Shift) & iss2Mask }

// ClassName returns a short name for the exception class. Unallocated
// values give "unallocated EC 0x..".
func (s Syndrome) ClassName() string { return ecNames[s.EC()] }

// ecNames is indexed by EC; D24.2.40 ESR_EL1, EC field table. Every entry is
// a constant so that naming an exception never allocates.
var ecNames = [64]string{
	0x00: "unknown reason",
	0x01: "trapped WFI/WFE",
	0x02: "unallocated EC 0x02",
	0x03: "trapped MCR/MRC, coproc 0b1111 (AArch32)",
	0x04: "trapped MCRR/MRRC, coproc 0b1111 (AArch32)",
	0x05: "trapped MCR/MRC, coproc 0b1110 (AArch32)",
	0x06: "trapped LDC/STC (AArch32)",
	0x07: "SME/SVE/Advanced SIMD/FP access trap",
	0x08: "trapped VMRS, ID group (AArch32)",
	0x09: "trapped pointer authentication instruction",
	0x0a: "trapped LD64B/ST64B* or other instruction",
	0x0b: "unallocated EC 0x0b",
	0x0c: "trapped MRRC, coproc 0b1110 (AArch32)",
	0x0d: "branch target exception",
	0x0e: "illegal execution state",
	0x0f: "unallocated EC 0x0f",
	0x10: "unallocated EC 0x10",
	0x11: "SVC (AArch32)",
	0x12: "HVC (AArch32)",
	0x13: "SMC (AArch32)",
	0x14: "trapped MSRR/MRRS/SYSP instruction",
	0x15: "SVC (AArch64)",
	0x16: "HVC (AArch64)",
	0x17: "SMC (AArch64)",
	0x18: "trapped MSR/MRS/system instruction",
	0x19: "SVE access trap",
	0x1a: "trapped ERET/ERETAA/ERETAB",
	0x1b: "TSTART exception",
	0x1c: "pointer authentication failure",
	0x1d: "SME access trap",
	0x1e: "granule protection check",
	0x1f: "implementation defined exception (EL3)",
	0x20: "instruction abort, lower EL",
	0x21: "instruction abort, same EL",
	0x22: "PC alignment fault",
	0x23: "unallocated EC 0x23",
	0x24: "data abort, lower EL",
	0x25: "data abort, same EL",
	0x26: "SP alignment fault",
	0x27: "memory operation exception",
	0x28: "trapped FP exception (AArch32)",
	0x29: "unallocated EC 0x29",
	0x2a: "unallocated EC 0x2a",
	0x2b: "unallocated EC 0x2b",
	0x2c: "trapped FP exception (AArch64)",
	0x2d: "GCS exception",
	0x2e: "unallocated EC 0x2e",
	0x2f: "SError",
	0x30: "breakpoint, lower EL",
	0x31: "breakpoint, same EL",
	0x32: "software step, lower EL",
	0x33: "software step, same EL",
	0x34: "watchpoint, lower EL",
	0x35: "watchpoint, same EL",
	0x36: "unallocated EC 0x36",
	0x37: "unallocated EC 0x37",
	0x38: "BKPT (AArch32)",
	0x39: "unallocated EC 0x39",
	0x3a: "vector catch (AArch32)",
	0x3b: "unallocated EC 0x3b",
	0x3c: "BRK (AArch64)",
	0x3d: "profiling exception",
	0x3e: "unallocated EC 0x3e",
	0x3f: "unallocated EC 0x3f",
}

// Allocated reports whether the exception class is architecturally
// allocated (has a meaning in the EC table).
func (s Syndrome) Allocated() bool {
	switch s.EC() {
	case 0x02, 0x0b, 0x0f, 0x10, 0x23, 0x29, 0x2a, 0x2b, 0x2e,
		0x36, 0x37, 0x39, 0x3b, 0x3e, 0x3f:
		return false
	}
	return true
}

// Immediate returns the 16-bit immediate of an SVC, HVC, SMC (AArch32 or
// AArch64), BRK or BKPT exception, ISS[15:0] ("ISS encoding for an
// exception from HVC or SVC instruction execution", "... from SMC ...",
// "... from a Breakpoint instruction"). ok is false for other classes.
func (s Syndrome) Immediate() (imm uint16, ok bool) {
	switch s.EC() {
	case ECSVC32, ECHVC32, ECSVC64, ECHVC64, ECSMC64, ECBRK64, ECBKPT32:
		return uint16(s.ISS()), true
	case ECSMC32:
		// AArch32 SMC has no immediate in the ISS (ISS[19:0] hold CV/COND/CCKNOWNPASS).
		return 0, false
	}
	return 0, false
}

// SysRegAccess is the decoded ISS of a trapped MSR, MRS or System
// instruction (EC 0x18), "ISS encoding for an exception from MSR, MRS, or
// System instruction execution in AArch64 state".
type SysRegAccess struct {
	Op0, Op1, CRn, CRm, Op2 uint8
	Rt                      uint8 // general-purpose register number, 31 = XZR
	Read                    bool  // Direction=1: MRS (or SYSL); 0: MSR (or SYS)
}

// SysReg decodes the ISS of a trapped MSR/MRS/System instruction; ok is
// false for other classes. ISS layout: Op0 [21:20], Op2 [19:17],
// Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0].
func (s Syndrome) SysReg() (a SysRegAccess, ok bool) {
	if s.EC() != ECSys64 {
		return a, false
	}
	iss := s.ISS()
	a.Op0 = uint8(iss>>20) & 3
	a.Op2 = uint8(iss>>17) & 7
	a.Op1 = uint8(iss>>14) & 7
	a.CRn = uint8(iss>>10) & 15
	a.Rt = uint8(iss>>5) & 31
	a.CRm = uint8(iss>>1) & 15
	a.Read = iss&1 != 0
	return a, true
}
