package esr

// ISS bits of an Instruction or Data Abort. D24.2.40 ESR_EL1, "ISS encoding
// for an exception from a Data Abort" / "... from an Instruction Abort":
// ISV [24], SAS [23:22], SSE [21], SRT [20:16], SF [15], AR [14],
// VNCR [13], SET [12:11], FnV [10], EA [9], CM [8], S1PTW [7], WnR [6],
// DFSC/IFSC [5:0]. Only FnV, EA, S1PTW and IFSC exist for instruction
// aborts.
const (
	issISV   = 1 << 24
	issSSE   = 1 << 21
	issSF    = 1 << 15
	issFnV   = 1 << 10
	issEA    = 1 << 9
	issCM    = 1 << 8
	issS1PTW = 1 << 7
	issWnR   = 1 << 6
	fscMask  = 0x3f
)

// NoFaultLevel is returned by FaultLevel when the syndrome is not an abort
// or its fault status code does not name a translation table level.
const NoFaultLevel = -128

// IsInstructionAbort reports EC 0x20 or 0x21.
func (s Syndrome) IsInstructionAbort() bool {
	ec := s.EC()
	return ec == ECInstAbortLower || ec == ECInstAbortSame
}

// IsDataAbort reports EC 0x24 or 0x25.
func (s Syndrome) IsDataAbort() bool {
	ec := s.EC()
	return ec == ECDataAbortLower || ec == ECDataAbortSame
}

// IsAbort reports an instruction or data abort, the classes whose ISS
// carries a fault status code (IFSC/DFSC).
func (s Syndrome) IsAbort() bool { return s.IsInstructionAbort() || s.IsDataAbort() }

// FSC returns the fault status code ISS[5:0] (DFSC or IFSC) of an abort,
// and 0xff for other classes.
func (s Syndrome) FSC() uint8 {
	if !s.IsAbort() {
		return 0xff
	}
	return uint8(s.ISS() & fscMask)
}

// FaultStatusName names the DFSC/IFSC of an instruction or data abort, for
// example "translation fault, level 3". It returns "" for other classes
// and "reserved FSC 0x.." for codes the manual does not allocate.
func (s Syndrome) FaultStatusName() string {
	if !s.IsAbort() {
		return ""
	}
	return fscNames[s.ISS()&fscMask]
}

// fscNames is indexed by DFSC/IFSC, from the DFSC and IFSC field tables of
// D24.2.40 ESR_EL1. Levels -1 and -2 exist with FEAT_LPA2 and FEAT_D128;
// codes 0x22-0x28 are Granule Protection Faults (FEAT_RME); parity/ECC
// codes 0x18-0x1f are used only when FEAT_RAS is not implemented.
var fscNames = [64]string{
	0x00: "address size fault, level 0",
	0x01: "address size fault, level 1",
	0x02: "address size fault, level 2",
	0x03: "address size fault, level 3",
	0x04: "translation fault, level 0",
	0x05: "translation fault, level 1",
	0x06: "translation fault, level 2",
	0x07: "translation fault, level 3",
	0x08: "access flag fault, level 0",
	0x09: "access flag fault, level 1",
	0x0a: "access flag fault, level 2",
	0x0b: "access flag fault, level 3",
	0x0c: "permission fault, level 0",
	0x0d: "permission fault, level 1",
	0x0e: "permission fault, level 2",
	0x0f: "permission fault, level 3",
	0x10: "synchronous external abort",
	0x11: "synchronous tag check fault",
	0x12: "synchronous external abort on table walk, level -2",
	0x13: "synchronous external abort on table walk, level -1",
	0x14: "synchronous external abort on table walk, level 0",
	0x15: "synchronous external abort on table walk, level 1",
	0x16: "synchronous external abort on table walk, level 2",
	0x17: "synchronous external abort on table walk, level 3",
	0x18: "synchronous parity/ECC error",
	0x19: "reserved FSC 0x19",
	0x1a: "reserved FSC 0x1a",
	0x1b: "synchronous parity/ECC error on table walk, level -1",
	0x1c: "synchronous parity/ECC error on table walk, level 0",
	0x1d: "synchronous parity/ECC error on table walk, level 1",
	0x1e: "synchronous parity/ECC error on table walk, level 2",
	0x1f: "synchronous parity/ECC error on table walk, level 3",
	0x20: "reserved FSC 0x20",
	0x21: "alignment fault",
	0x22: "granule protection fault on table walk, level -2",
	0x23: "granule protection fault on table walk, level -1",
	0x24: "granule protection fault on table walk, level 0",
	0x25: "granule protection fault on table walk, level 1",
	0x26: "granule protection fault on table walk, level 2",
	0x27: "granule protection fault on table walk, level 3",
	0x28: "granule protection fault",
	0x29: "address size fault, level -1",
	0x2a: "translation fault, level -2",
	0x2b: "translation fault, level -1",
	0x2c: "address size fault, level -2",
	0x2d: "reserved FSC 0x2d",
	0x2e: "reserved FSC 0x2e",
	0x2f: "reserved FSC 0x2f",
	0x30: "TLB conflict abort",
	0x31: "unsupported atomic hardware update fault",
	0x32: "reserved FSC 0x32",
	0x33: "reserved FSC 0x33",
	0x34: "implementation defined fault (lockdown)",
	0x35: "implementation defined fault (unsupported exclusive or atomic access)",
	0x36: "reserved FSC 0x36",
	0x37: "reserved FSC 0x37",
	0x38: "reserved FSC 0x38",
	0x39: "reserved FSC 0x39",
	0x3a: "reserved FSC 0x3a",
	0x3b: "reserved FSC 0x3b",
	0x3c: "reserved FSC 0x3c",
	0x3d: "reserved FSC 0x3d",
	0x3e: "reserved FSC 0x3e",
	0x3f: "reserved FSC 0x3f",
}

// fscLevel returns the translation table level encoded in a fault status
// code, or NoFaultLevel. Same tables as fscNames.
func fscLevel(fsc uint8) int {
	switch {
	case fsc <= 0x0f: // address size, translation, access flag, permission: [1:0] is the level
		return int(fsc & 3)
	case fsc >= 0x14 && fsc <= 0x17, fsc >= 0x1c && fsc <= 0x1f, fsc >= 0x24 && fsc <= 0x27:
		return int(fsc & 3)
	}
	switch fsc {
	case 0x13, 0x1b, 0x23, 0x29, 0x2b:
		return -1
	case 0x12, 0x22, 0x2a, 0x2c:
		return -2
	}
	return NoFaultLevel
}

// FaultLevel returns the translation table level (-2..3) named by the
// fault status code of an abort, or NoFaultLevel when the code names none
// (alignment fault, external abort not on a walk, ...) or the syndrome is
// not an abort.
func (s Syndrome) FaultLevel() int {
	if !s.IsAbort() {
		return NoFaultLevel
	}
	return fscLevel(uint8(s.ISS() & fscMask))
}

// IsTranslationFault reports an abort whose FSC is a translation fault at
// any level (0x04-0x07, 0x2a, 0x2b).
func (s Syndrome) IsTranslationFault() bool {
	f := s.FSC()
	return (f >= 0x04 && f <= 0x07) || f == 0x2a || f == 0x2b
}

// IsPermissionFault reports an abort whose FSC is a permission fault
// (0x0c-0x0f).
func (s Syndrome) IsPermissionFault() bool {
	f := s.FSC()
	return f >= 0x0c && f <= 0x0f
}

// IsAccessFlagFault reports an abort whose FSC is an access flag fault
// (0x08-0x0b).
func (s Syndrome) IsAccessFlagFault() bool {
	f := s.FSC()
	return f >= 0x08 && f <= 0x0b
}

// IsAlignmentFault reports an abort whose FSC is an alignment fault (0x21).
func (s Syndrome) IsAlignmentFault() bool { return s.FSC() == 0x21 }

// IsWrite reports WnR (ISS[6]) of a data abort: the access was a write (a
// cache maintenance or address translation instruction also reports 1,
// see CM). It is false for every other class.
func (s Syndrome) IsWrite() bool {
	return s.IsDataAbort() && s.ISS()&issWnR != 0
}

// IsCacheMaintenance reports CM (ISS[8]) of a data abort: the fault came
// from a cache maintenance or address translation instruction.
func (s Syndrome) IsCacheMaintenance() bool {
	return s.IsDataAbort() && s.ISS()&issCM != 0
}

// IsStage1Walk reports S1PTW (ISS[7]) of an abort: a stage 2 fault on a
// stage 1 translation table walk.
func (s Syndrome) IsStage1Walk() bool {
	return s.IsAbort() && s.ISS()&issS1PTW != 0
}

// FARValid reports whether FAR_ELx holds the faulting virtual address:
// for instruction and data aborts and watchpoints it is FnV (ISS[10])
// clear; a PC alignment fault always records the PC in FAR_ELx. For every
// other class FAR_ELx is UNKNOWN and FARValid is false.
func (s Syndrome) FARValid() bool {
	switch s.EC() {
	case ECInstAbortLower, ECInstAbortSame, ECDataAbortLower, ECDataAbortSame,
		ECWatchpointLower, ECWatchpointSame:
		return s.ISS()&issFnV == 0
	case ECPCAlignment:
		return true
	}
	return false
}

// DataAccess is the instruction syndrome of a data abort with ISV set:
// the access size and the transfer register.
type DataAccess struct {
	Size    int   // bytes: 1, 2, 4 or 8 (SAS)
	Reg     uint8 // SRT, 31 = XZR/WZR
	Reg64   bool  // SF: 64-bit register
	SignExt bool  // SSE: sign-extended load
	Acquire bool  // AR: acquire/release semantics
}

// Access returns the ISV-qualified syndrome (SAS, SSE, SRT, SF, AR) of a
// data abort; ok is false when ISV is clear or the syndrome is not a data
// abort.
func (s Syndrome) Access() (a DataAccess, ok bool) {
	iss := s.ISS()
	if !s.IsDataAbort() || iss&issISV == 0 {
		return a, false
	}
	a.Size = 1 << ((iss >> 22) & 3)
	a.SignExt = iss&issSSE != 0
	a.Reg = uint8(iss>>16) & 31
	a.Reg64 = iss&issSF != 0
	a.Acquire = iss&(1<<14) != 0
	return a, true
}
