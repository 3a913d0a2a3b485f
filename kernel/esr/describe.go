package esr

import "strconv"

// AppendDescription appends a one-line human description of the syndrome
// to b and returns the extended slice, for example
//
//	EC 0x25 data abort, same EL: translation fault, level 3, write, FAR valid
//	EC 0x15 SVC (AArch64): imm 0x0
//	EC 0x18 trapped MSR/MRS/system instruction: mrs x1, s3_0_c1_c0_0 (read)
//
// It allocates only if b lacks capacity (256 bytes are always enough).
func (s Syndrome) AppendDescription(b []byte) []byte {
	ec := s.EC()
	b = append(b, "EC "...)
	b = appendHexWidth(b, uint64(ec), 2)
	b = append(b, ' ')
	b = append(b, s.ClassName()...)

	iss := s.ISS()
	switch ec {
	case ECInstAbortLower, ECInstAbortSame, ECDataAbortLower, ECDataAbortSame:
		b = s.appendAbort(b)
	case ECSVC32, ECHVC32, ECSVC64, ECHVC64, ECSMC64, ECBRK64, ECBKPT32:
		imm, _ := s.Immediate()
		b = append(b, ": imm "...)
		b = appendHex(b, uint64(imm))
	case ECSys64:
		b = s.appendSysReg(b)
	case ECWFx:
		// "ISS encoding for an exception from a WF* instruction": TI [1:0].
		b = append(b, ": "...)
		b = append(b, [4]string{"wfi", "wfe", "wfit", "wfet"}[iss&3]...)
	case ECFPException64, ECFPException32:
		b = appendFPFlags(b, iss)
	case ECSError:
		b = appendSError(b, iss)
	case ECWatchpointLower, ECWatchpointSame:
		// "ISS encoding for an exception from a Watchpoint exception":
		// WnR [6], FnV [10].
		if iss&issWnR != 0 {
			b = append(b, ": write"...)
		} else {
			b = append(b, ": read"...)
		}
		b = appendFAR(b, s)
	case ECPCAlignment:
		b = append(b, ": FAR holds PC"...)
	default:
		if iss != 0 {
			b = append(b, ": ISS "...)
			b = appendHex(b, uint64(iss))
		}
	}
	if iss2 := s.ISS2(); iss2 != 0 {
		b = append(b, ", ISS2 "...)
		b = appendHex(b, uint64(iss2))
	}
	return b
}

// String returns AppendDescription's text. It allocates; crash paths should
// use AppendDescription with a preallocated buffer.
func (s Syndrome) String() string {
	var buf [256]byte
	return string(s.AppendDescription(buf[:0]))
}

func (s Syndrome) appendAbort(b []byte) []byte {
	b = append(b, ": "...)
	b = append(b, s.FaultStatusName()...)
	iss := s.ISS()
	if s.IsDataAbort() {
		switch {
		case iss&issCM != 0:
			b = append(b, ", cache maintenance"...)
		case iss&issWnR != 0:
			b = append(b, ", write"...)
		default:
			b = append(b, ", read"...)
		}
		if a, ok := s.Access(); ok {
			b = append(b, ", "...)
			b = appendUint(b, uint64(a.Size))
			b = append(b, " bytes, "...)
			b = appendReg(b, a.Reg, a.Reg64)
		}
	}
	if iss&issS1PTW != 0 {
		b = append(b, ", stage 1 table walk"...)
	}
	return appendFAR(b, s)
}

func appendFAR(b []byte, s Syndrome) []byte {
	if s.FARValid() {
		return append(b, ", FAR valid"...)
	}
	return append(b, ", FAR not valid"...)
}

func (s Syndrome) appendSysReg(b []byte) []byte {
	a, _ := s.SysReg()
	b = append(b, ": "...)
	if a.Op0 == 1 {
		// op0 == 1 is the SYS/SYSL space (IC, DC, AT, TLBI ...).
		if a.Read {
			b = append(b, "sysl "...)
			b = appendReg(b, a.Rt, true)
			b = append(b, ", "...)
		} else {
			b = append(b, "sys "...)
		}
		b = append(b, '#')
		b = appendUint(b, uint64(a.Op1))
		b = append(b, ", c"...)
		b = appendUint(b, uint64(a.CRn))
		b = append(b, ", c"...)
		b = appendUint(b, uint64(a.CRm))
		b = append(b, ", #"...)
		b = appendUint(b, uint64(a.Op2))
		if !a.Read {
			b = append(b, ", "...)
			b = appendReg(b, a.Rt, true)
		}
	} else if a.Read {
		b = append(b, "mrs "...)
		b = appendReg(b, a.Rt, true)
		b = append(b, ", "...)
		b = appendSysRegName(b, a)
	} else {
		b = append(b, "msr "...)
		b = appendSysRegName(b, a)
		b = append(b, ", "...)
		b = appendReg(b, a.Rt, true)
	}
	if a.Read {
		return append(b, " (read)"...)
	}
	return append(b, " (write)"...)
}

// appendSysRegName writes the generic s<op0>_<op1>_c<CRn>_c<CRm>_<op2>
// spelling.
func appendSysRegName(b []byte, a SysRegAccess) []byte {
	b = append(b, 's')
	b = appendUint(b, uint64(a.Op0))
	b = append(b, '_')
	b = appendUint(b, uint64(a.Op1))
	b = append(b, "_c"...)
	b = appendUint(b, uint64(a.CRn))
	b = append(b, "_c"...)
	b = appendUint(b, uint64(a.CRm))
	b = append(b, '_')
	return appendUint(b, uint64(a.Op2))
}

// appendFPFlags decodes "ISS encoding for an exception from a trapped
// floating-point exception": TFV [23], IDF [7], IXF [4], UFF [3], OFF [2],
// DZF [1], IOF [0].
func appendFPFlags(b []byte, iss uint32) []byte {
	if iss&(1<<23) == 0 {
		return append(b, ": flags not recorded"...)
	}
	sep := ": "
	for _, f := range [...]struct {
		bit  uint32
		name string
	}{
		{1 << 0, "invalid operation"},
		{1 << 1, "divide by zero"},
		{1 << 2, "overflow"},
		{1 << 3, "underflow"},
		{1 << 4, "inexact"},
		{1 << 7, "input denormal"},
	} {
		if iss&f.bit != 0 {
			b = append(b, sep...)
			b = append(b, f.name...)
			sep = ", "
		}
	}
	return b
}

// appendSError decodes "ISS encoding for an SError exception": IDS [24],
// AET [12:10], EA [9], DFSC [5:0].
func appendSError(b []byte, iss uint32) []byte {
	if iss&(1<<24) != 0 {
		b = append(b, ": implementation defined syndrome "...)
		return appendHex(b, uint64(iss&(1<<24-1)))
	}
	switch iss & fscMask {
	case 0x00:
		return append(b, ": uncategorized"...)
	case 0x11:
		b = append(b, ": asynchronous SError interrupt"...)
	default:
		b = append(b, ": reserved DFSC "...)
		return appendHex(b, uint64(iss&fscMask))
	}
	// AET is valid for DFSC 0x11 with FEAT_RAS.
	switch (iss >> 10) & 7 {
	case 0:
		b = append(b, ", uncontainable (UC)"...)
	case 1:
		b = append(b, ", unrecoverable (UEU)"...)
	case 2:
		b = append(b, ", restartable (UEO)"...)
	case 3:
		b = append(b, ", recoverable (UER)"...)
	case 6:
		b = append(b, ", corrected (CE)"...)
	}
	return b
}

func appendReg(b []byte, r uint8, x bool) []byte {
	switch {
	case r == 31 && x:
		return append(b, "xzr"...)
	case r == 31:
		return append(b, "wzr"...)
	case x:
		b = append(b, 'x')
	default:
		b = append(b, 'w')
	}
	return appendUint(b, uint64(r))
}

const hexDigits = "0123456789abcdef"

// appendHex appends v as 0x followed by lowercase hex without leading
// zeros.
func appendHex(b []byte, v uint64) []byte { return appendHexWidth(b, v, 1) }

// appendHexWidth appends v as 0x followed by at least width hex digits.
func appendHexWidth(b []byte, v uint64, width int) []byte {
	b = append(b, '0', 'x')
	n := 1
	for t := v >> 4; t != 0; t >>= 4 {
		n++
	}
	if n < width {
		n = width
	}
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&15])
	}
	return b
}

func appendUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }
