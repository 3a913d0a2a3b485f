package asmcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// SysReg is a System register encoding as used by MRS and MSR (register):
// the op0, op1, CRn, CRm and op2 fields of the System instruction class
// (ARM DDI 0487 chapter C5, "The A64 System Instruction Class"), held in
// instruction bits [20:19], [18:16], [15:12], [11:8] and [7:5].
type SysReg struct {
	Name                    string // architectural name, lower case
	Op0, Op1, CRn, CRm, Op2 uint8
}

// Generic returns the generic spelling s<op0>_<op1>_c<CRn>_c<CRm>_<op2>
// used by disassemblers for registers they do not name.
func (r SysReg) Generic() string {
	return fmt.Sprintf("s%d_%d_c%d_c%d_%d", r.Op0, r.Op1, r.CRn, r.CRm, r.Op2)
}

func (r SysReg) fields() uint32 {
	return uint32(r.Op0&3)<<19 | uint32(r.Op1&7)<<16 | uint32(r.CRn&15)<<12 |
		uint32(r.CRm&15)<<8 | uint32(r.Op2&7)<<5
}

// MRS returns the encoding of MRS <Xt>, <reg>: C6.2 MRS,
// 1101 0101 0011 o0 op1 CRn CRm op2 Rt (op0 = 0b1:o0).
func (r SysReg) MRS(rt uint8) uint32 { return 0xd5200000 | r.fields() | uint32(rt&31) }

// MSR returns the encoding of MSR <reg>, <Xt>: C6.2 MSR (register),
// 1101 0101 0001 o0 op1 CRn CRm op2 Rt.
func (r SysReg) MSR(rt uint8) uint32 { return 0xd5000000 | r.fields() | uint32(rt&31) }

// sysRegs are the System registers yolk names in comments. Encodings from
// the register descriptions of ARM DDI 0487 chapter D24 ("AArch64 System
// Register Descriptions"), each page's "Accessing <reg>" op0/op1/CRn/CRm/op2
// table; GIC CPU interface registers from the GICv3/v4 architecture
// specification (ARM IHI 0069) 12.2. TestSysRegEncodings checks every
// entry against arm64asm.
var sysRegs = []SysReg{
	// Identification.
	{"midr_el1", 3, 0, 0, 0, 0},
	{"mpidr_el1", 3, 0, 0, 0, 5},
	{"id_aa64pfr0_el1", 3, 0, 0, 4, 0},
	{"id_aa64pfr1_el1", 3, 0, 0, 4, 1},
	{"id_aa64isar0_el1", 3, 0, 0, 6, 0},
	{"id_aa64isar1_el1", 3, 0, 0, 6, 1},
	{"id_aa64mmfr0_el1", 3, 0, 0, 7, 0},
	{"id_aa64mmfr1_el1", 3, 0, 0, 7, 1},
	{"ctr_el0", 3, 3, 0, 0, 1},
	{"dczid_el0", 3, 3, 0, 0, 7},
	{"vpidr_el2", 3, 4, 0, 0, 0},
	{"vmpidr_el2", 3, 4, 0, 0, 5},

	// System control and translation.
	{"sctlr_el1", 3, 0, 1, 0, 0},
	{"cpacr_el1", 3, 0, 1, 0, 2},
	{"actlr_el1", 3, 0, 1, 0, 1},
	{"sctlr_el2", 3, 4, 1, 0, 0},
	{"hcr_el2", 3, 4, 1, 1, 0},
	{"mdcr_el2", 3, 4, 1, 1, 1},
	{"cptr_el2", 3, 4, 1, 1, 2},
	{"hstr_el2", 3, 4, 1, 1, 3},
	{"ttbr0_el1", 3, 0, 2, 0, 0},
	{"ttbr1_el1", 3, 0, 2, 0, 1},
	{"tcr_el1", 3, 0, 2, 0, 2},
	{"ttbr0_el2", 3, 4, 2, 0, 0},
	{"tcr_el2", 3, 4, 2, 0, 2},
	{"vttbr_el2", 3, 4, 2, 1, 0},
	{"vtcr_el2", 3, 4, 2, 1, 2},
	{"mair_el1", 3, 0, 10, 2, 0},
	{"mair_el2", 3, 4, 10, 2, 0},
	{"vbar_el1", 3, 0, 12, 0, 0},
	{"vbar_el2", 3, 4, 12, 0, 0},
	{"par_el1", 3, 0, 7, 4, 0},
	{"isr_el1", 3, 0, 12, 1, 0},
	{"contextidr_el1", 3, 0, 13, 0, 1},

	// Exception state.
	{"spsr_el1", 3, 0, 4, 0, 0},
	{"elr_el1", 3, 0, 4, 0, 1},
	{"sp_el0", 3, 0, 4, 1, 0},
	{"spsel", 3, 0, 4, 2, 0},
	{"currentel", 3, 0, 4, 2, 2},
	{"daif", 3, 3, 4, 2, 1},
	{"nzcv", 3, 3, 4, 2, 0},
	{"fpcr", 3, 3, 4, 4, 0},
	{"fpsr", 3, 3, 4, 4, 1},
	{"spsr_el2", 3, 4, 4, 0, 0},
	{"elr_el2", 3, 4, 4, 0, 1},
	{"sp_el1", 3, 4, 4, 1, 0},
	{"esr_el1", 3, 0, 5, 2, 0},
	{"esr_el2", 3, 4, 5, 2, 0},
	{"far_el1", 3, 0, 6, 0, 0},
	{"far_el2", 3, 4, 6, 0, 0},
	{"tpidr_el0", 3, 3, 13, 0, 2},
	{"tpidrro_el0", 3, 3, 13, 0, 3},
	{"tpidr_el1", 3, 0, 13, 0, 4},
	{"tpidr_el2", 3, 4, 13, 0, 2},

	// Random numbers (FEAT_RNG).
	{"rndr", 3, 3, 2, 4, 0},
	{"rndrrs", 3, 3, 2, 4, 1},

	// Generic Timer.
	{"cntkctl_el1", 3, 0, 14, 1, 0},
	{"cntfrq_el0", 3, 3, 14, 0, 0},
	{"cntpct_el0", 3, 3, 14, 0, 1},
	{"cntvct_el0", 3, 3, 14, 0, 2},
	{"cntp_tval_el0", 3, 3, 14, 2, 0},
	{"cntp_ctl_el0", 3, 3, 14, 2, 1},
	{"cntp_cval_el0", 3, 3, 14, 2, 2},
	{"cntv_tval_el0", 3, 3, 14, 3, 0},
	{"cntv_ctl_el0", 3, 3, 14, 3, 1},
	{"cntv_cval_el0", 3, 3, 14, 3, 2},
	{"cntvoff_el2", 3, 4, 14, 0, 3},
	{"cnthctl_el2", 3, 4, 14, 1, 0},

	// GICv3 CPU interface (IHI 0069 12.2).
	{"icc_pmr_el1", 3, 0, 4, 6, 0},
	{"icc_dir_el1", 3, 0, 12, 11, 1},
	{"icc_rpr_el1", 3, 0, 12, 11, 3},
	{"icc_sgi1r_el1", 3, 0, 12, 11, 5},
	{"icc_iar1_el1", 3, 0, 12, 12, 0},
	{"icc_eoir1_el1", 3, 0, 12, 12, 1},
	{"icc_hppir1_el1", 3, 0, 12, 12, 2},
	{"icc_bpr1_el1", 3, 0, 12, 12, 3},
	{"icc_ctlr_el1", 3, 0, 12, 12, 4},
	{"icc_sre_el1", 3, 0, 12, 12, 5},
	{"icc_igrpen0_el1", 3, 0, 12, 12, 6},
	{"icc_igrpen1_el1", 3, 0, 12, 12, 7},
	{"icc_sre_el2", 3, 4, 12, 9, 5},
}

var sysRegByName = func() map[string]SysReg {
	m := make(map[string]SysReg, len(sysRegs))
	for _, r := range sysRegs {
		if _, dup := m[r.Name]; dup {
			panic("asmcheck: duplicate system register " + r.Name)
		}
		m[r.Name] = r
	}
	return m
}()

var sysRegByFields = func() map[uint32]SysReg {
	m := make(map[uint32]SysReg, len(sysRegs))
	for _, r := range sysRegs {
		m[r.fields()] = r
	}
	return m
}()

// SysRegs returns a copy of the system register table.
func SysRegs() []SysReg { return append([]SysReg(nil), sysRegs...) }

// LookupSysReg finds a system register by architectural name (any case,
// e.g. "SCTLR_EL1") or by generic spelling "s3_0_c1_c0_0". A generic
// spelling of a register in the table returns that register's name.
func LookupSysReg(name string) (SysReg, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if r, ok := sysRegByName[name]; ok {
		return r, true
	}
	r, ok := parseGeneric(name)
	if !ok {
		return SysReg{}, false
	}
	if named, ok := sysRegByFields[r.fields()]; ok && named.Op0 == r.Op0 {
		return named, true
	}
	return r, true
}

// sysRegFor returns the table entry with the given fields, or a SysReg
// with the generic name.
func sysRegFor(op0, op1, crn, crm, op2 uint8) SysReg {
	r := SysReg{Op0: op0, Op1: op1, CRn: crn, CRm: crm, Op2: op2}
	if named, ok := sysRegByFields[r.fields()]; ok {
		return named
	}
	r.Name = r.Generic()
	return r
}

// parseGeneric parses s<op0>_<op1>_c<n>_c<m>_<op2>.
func parseGeneric(s string) (SysReg, bool) {
	parts := strings.Split(s, "_")
	if len(parts) != 5 || len(parts[0]) < 2 || parts[0][0] != 's' ||
		len(parts[2]) < 2 || parts[2][0] != 'c' || len(parts[3]) < 2 || parts[3][0] != 'c' {
		return SysReg{}, false
	}
	var v [5]uint64
	max := [5]uint64{3, 7, 15, 15, 7}
	for i, p := range []string{parts[0][1:], parts[1], parts[2][1:], parts[3][1:], parts[4]} {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || n > max[i] {
			return SysReg{}, false
		}
		v[i] = n
	}
	r := SysReg{Op0: uint8(v[0]), Op1: uint8(v[1]), CRn: uint8(v[2]), CRm: uint8(v[3]), Op2: uint8(v[4])}
	r.Name = r.Generic()
	return r, true
}
