package asmcheck

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
)

// Disassemble returns a GNU-style rendering of w for messages: the
// System-instruction subset is rendered by this package (with the
// architectural system register names from the table), everything else by
// arm64asm.GNUSyntax. Words neither can decode give "undecodable".
func Disassemble(w uint32) string {
	if s, ok := disasmSystem(w); ok {
		return s
	}
	if inst, err := decode(w); err == nil {
		return strings.TrimSpace(arm64asm.GNUSyntax(inst))
	}
	return "undecodable"
}

func decode(w uint32) (arm64asm.Inst, error) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w)
	return arm64asm.Decode(b[:])
}

var (
	hintNames    = invert(hintByName)
	barrierNames = invert(barrierOptions)
	fixedNames   = invert(fixedByName)
)

func invert(m map[string]uint32) map[uint32]string {
	r := make(map[uint32]string, len(m))
	for k, v := range m {
		r[v] = k
	}
	return r
}

// disasmSystem decodes the subset Assemble encodes; ok is false outside it.
// The masks are the fixed bits of the encoding groups in C4.1.
func disasmSystem(w uint32) (string, bool) {
	switch {
	case w>>16 == 0:
		return fmt.Sprintf("udf #%#x", w), true
	case w&0xff00001c == 0xd4000000: // exception generation, op2 == 0
		opc, imm, ll := (w>>21)&7, (w>>5)&0xffff, w&3
		name := ""
		switch {
		case opc == 0 && ll != 0:
			name = [4]string{"", "svc", "hvc", "smc"}[ll]
		case opc == 1 && ll == 0:
			name = "brk"
		case opc == 2 && ll == 0:
			name = "hlt"
		case opc == 5 && ll != 0:
			name = fmt.Sprintf("dcps%d", ll)
		default:
			return "", false
		}
		return fmt.Sprintf("%s #%#x", name, imm), true
	case w&0xfffff01f == hintBase:
		h := (w >> 5) & 0x7f
		if n, ok := hintNames[h]; ok {
			return n, true
		}
		switch h {
		case 32:
			return "bti", true
		case 34:
			return "bti c", true
		case 36:
			return "bti j", true
		case 38:
			return "bti jc", true
		}
		return fmt.Sprintf("hint #%#x", h), true
	case w&0xfffff01f == barrierBase:
		crm, op2 := (w>>8)&15, (w>>5)&7
		opt := func() string {
			if n, ok := barrierNames[crm]; ok {
				return n
			}
			return fmt.Sprintf("#%#x", crm)
		}
		switch op2 {
		case 2:
			if crm == 15 {
				return "clrex", true
			}
			return fmt.Sprintf("clrex #%#x", crm), true
		case 4:
			switch crm {
			case 0:
				return "ssbb", true
			case 4:
				return "pssbb", true
			}
			return "dsb " + opt(), true
		case 5:
			return "dmb " + opt(), true
		case 6:
			if crm == 15 {
				return "isb", true
			}
			return fmt.Sprintf("isb #%#x", crm), true
		case 7:
			if crm == 0 {
				return "sb", true
			}
		}
		return "", false
	case w&0xfff8f01f == 0xd500401f: // MSR (immediate)
		op1, crm, op2 := (w>>16)&7, (w>>8)&15, (w>>5)&7
		for _, name := range sortedKeys(pstateFields) {
			f := pstateFields[name]
			if f.op1 == op1 && f.op2 == op2 {
				return fmt.Sprintf("msr %s, #%#x", name, crm), true
			}
		}
		return "", false
	case w&0xffd80000 == 0xd5080000: // SYS, SYSL
		l := w&(1<<21) != 0
		op1, crn, crm, op2, rt := uint8(w>>16)&7, uint8(w>>12)&15, uint8(w>>8)&15, uint8(w>>5)&7, uint8(w&31)
		if !l {
			for _, mn := range []string{"at", "dc", "ic", "tlbi"} {
				for _, name := range sortedKeys(sysAliases[mn]) {
					op := sysAliases[mn][name]
					if op.op1 != op1 || op.crn != crn || op.crm != crm || op.op2 != op2 {
						continue
					}
					if op.reg {
						return fmt.Sprintf("%s %s, %s", mn, name, xreg(rt)), true
					}
					if rt == 31 {
						return mn + " " + name, true
					}
				}
			}
			s := fmt.Sprintf("sys #%d, c%d, c%d, #%d", op1, crn, crm, op2)
			if rt != 31 {
				s += ", " + xreg(rt)
			}
			return s, true
		}
		return fmt.Sprintf("sysl %s, #%d, c%d, c%d, #%d", xreg(rt), op1, crn, crm, op2), true
	case w&0xffd00000 == 0xd5100000: // MRS, MSR (register)
		r := sysRegFor(uint8(w>>19)&3, uint8(w>>16)&7, uint8(w>>12)&15, uint8(w>>8)&15, uint8(w>>5)&7)
		if w&(1<<21) != 0 {
			return fmt.Sprintf("mrs %s, %s", xreg(uint8(w&31)), r.Name), true
		}
		return fmt.Sprintf("msr %s, %s", r.Name, xreg(uint8(w&31))), true
	}
	if n, ok := fixedNames[w]; ok {
		return n, true
	}
	return "", false
}

func xreg(r uint8) string {
	if r == 31 {
		return "xzr"
	}
	return fmt.Sprintf("x%d", r)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
