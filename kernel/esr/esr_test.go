package esr

import (
	"strings"
	"testing"
)

// mk builds an ESR_ELx value from the D24.2.40 field layout:
// EC [31:26], IL [25], ISS [24:0].
func mk(ec uint8, il bool, iss uint32) Syndrome {
	v := uint64(ec) << 26
	if il {
		v |= 1 << 25
	}
	return Syndrome(v | uint64(iss&(1<<25-1)))
}

// dabt builds a Data Abort ISS: WnR [6], FnV [10], CM [8], S1PTW [7],
// DFSC [5:0].
func dabt(dfsc uint8, wnr bool) uint32 {
	iss := uint32(dfsc)
	if wnr {
		iss |= 1 << 6
	}
	return iss
}

func TestFieldExtraction(t *testing.T) {
	s := Syndrome(0x0000_0012_9600_004f)
	if s.EC() != 0x25 || !s.IL() || s.ISS() != 0x4f || s.ISS2() != 0x12 {
		t.Fatalf("fields of %#x: EC %#x IL %v ISS %#x ISS2 %#x", uint64(s), s.EC(), s.IL(), s.ISS(), s.ISS2())
	}
	if mk(0x3f, false, 1<<24).ISS() != 1<<24 || mk(0x3f, false, 0).IL() {
		t.Fatal("ISS/IL boundaries")
	}
}

// Values as QEMU reports them for common faults taken to EL1.
func TestQEMUValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Syndrome
		want  Syndrome // literal value, to cross-check mk
		class string
		fsc   string
		level int
		write bool
		desc  string
	}{
		{
			name: "NULL load, level 0 translation fault",
			s:    mk(0x25, true, dabt(0x04, false)), want: 0x96000004,
			class: "data abort, same EL", fsc: "translation fault, level 0", level: 0,
			desc: "EC 0x25 data abort, same EL: translation fault, level 0, read, FAR valid",
		},
		{
			name: "NULL load, level 1 translation fault",
			s:    mk(0x25, true, dabt(0x05, false)), want: 0x96000005,
			class: "data abort, same EL", fsc: "translation fault, level 1", level: 1,
			desc: "EC 0x25 data abort, same EL: translation fault, level 1, read, FAR valid",
		},
		{
			name: "NULL load, level 2 translation fault",
			s:    mk(0x25, true, dabt(0x06, false)), want: 0x96000006,
			class: "data abort, same EL", fsc: "translation fault, level 2", level: 2,
			desc: "EC 0x25 data abort, same EL: translation fault, level 2, read, FAR valid",
		},
		{
			name: "NULL store, level 3 translation fault",
			s:    mk(0x25, true, dabt(0x07, true)), want: 0x96000047,
			class: "data abort, same EL", fsc: "translation fault, level 3", level: 3, write: true,
			desc: "EC 0x25 data abort, same EL: translation fault, level 3, write, FAR valid",
		},
		{
			name: "write to read-only page",
			s:    mk(0x25, true, dabt(0x0f, true)), want: 0x9600004f,
			class: "data abort, same EL", fsc: "permission fault, level 3", level: 3, write: true,
			desc: "EC 0x25 data abort, same EL: permission fault, level 3, write, FAR valid",
		},
		{
			name: "undefined instruction",
			s:    mk(0x00, true, 0), want: 0x02000000,
			class: "unknown reason", level: NoFaultLevel,
			desc: "EC 0x00 unknown reason",
		},
		{
			name: "BRK #0",
			s:    mk(0x3c, true, 0), want: 0xf2000000,
			class: "BRK (AArch64)", level: NoFaultLevel,
			desc: "EC 0x3c BRK (AArch64): imm 0x0",
		},
		{
			name: "SVC #0",
			s:    mk(0x15, true, 0), want: 0x56000000,
			class: "SVC (AArch64)", level: NoFaultLevel,
			desc: "EC 0x15 SVC (AArch64): imm 0x0",
		},
		{
			name: "instruction fetch from unmapped page",
			s:    mk(0x21, true, 0x07), want: 0x86000007,
			class: "instruction abort, same EL", fsc: "translation fault, level 3", level: 3,
			desc: "EC 0x21 instruction abort, same EL: translation fault, level 3, FAR valid",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.s != tc.want {
				t.Fatalf("built %#x, want literal %#x", uint64(tc.s), uint64(tc.want))
			}
			if got := tc.s.ClassName(); got != tc.class {
				t.Errorf("ClassName = %q, want %q", got, tc.class)
			}
			if got := tc.s.FaultStatusName(); got != tc.fsc {
				t.Errorf("FaultStatusName = %q, want %q", got, tc.fsc)
			}
			if got := tc.s.FaultLevel(); got != tc.level {
				t.Errorf("FaultLevel = %d, want %d", got, tc.level)
			}
			if got := tc.s.IsWrite(); got != tc.write {
				t.Errorf("IsWrite = %v, want %v", got, tc.write)
			}
			if got := tc.s.String(); got != tc.desc {
				t.Errorf("String =\n\t%q, want\n\t%q", got, tc.desc)
			}
		})
	}
}

func TestAbortPredicates(t *testing.T) {
	tr := mk(0x25, true, dabt(0x06, false))
	if !tr.IsTranslationFault() || tr.IsPermissionFault() || !tr.FARValid() {
		t.Errorf("%v: translation %v permission %v FAR %v", tr, tr.IsTranslationFault(), tr.IsPermissionFault(), tr.FARValid())
	}
	pf := mk(0x24, true, dabt(0x0d, true))
	if pf.IsTranslationFault() || !pf.IsPermissionFault() || pf.FaultLevel() != 1 || !pf.IsWrite() {
		t.Errorf("%v: predicates wrong", pf)
	}
	// FnV (ISS[10]) set: FAR not valid; synchronous external abort.
	sea := mk(0x25, true, 0x10|1<<10)
	if sea.FARValid() || sea.FaultStatusName() != "synchronous external abort" || sea.FaultLevel() != NoFaultLevel {
		t.Errorf("%v: FARValid %v level %d", sea, sea.FARValid(), sea.FaultLevel())
	}
	if got, want := sea.String(), "EC 0x25 data abort, same EL: synchronous external abort, read, FAR not valid"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	// WnR on an instruction abort and on non-aborts is never a write.
	if mk(0x21, true, dabt(0x07, true)).IsWrite() || mk(0x15, true, 1<<6).IsWrite() {
		t.Error("IsWrite true outside data aborts")
	}
	// Non-aborts have no FSC.
	svc := mk(0x15, true, 0x07)
	if svc.FaultStatusName() != "" || svc.IsTranslationFault() || svc.FaultLevel() != NoFaultLevel || svc.FARValid() {
		t.Errorf("%v: abort predicates true on SVC", svc)
	}
	// Translation fault at level -1 (FEAT_LPA2) and -2 (FEAT_D128).
	for _, tc := range []struct {
		fsc   uint32
		name  string
		level int
		trans bool
	}{
		{0x2b, "translation fault, level -1", -1, true},
		{0x2a, "translation fault, level -2", -2, true},
		{0x29, "address size fault, level -1", -1, false},
		{0x2c, "address size fault, level -2", -2, false},
		{0x13, "synchronous external abort on table walk, level -1", -1, false},
		{0x14, "synchronous external abort on table walk, level 0", 0, false},
		{0x1b, "synchronous parity/ECC error on table walk, level -1", -1, false},
		{0x23, "granule protection fault on table walk, level -1", -1, false},
		{0x08, "access flag fault, level 0", 0, false},
		{0x0b, "access flag fault, level 3", 3, false},
		{0x00, "address size fault, level 0", 0, false},
		{0x21, "alignment fault", NoFaultLevel, false},
		{0x30, "TLB conflict abort", NoFaultLevel, false},
		{0x31, "unsupported atomic hardware update fault", NoFaultLevel, false},
		{0x11, "synchronous tag check fault", NoFaultLevel, false},
		{0x28, "granule protection fault", NoFaultLevel, false},
		{0x3f, "reserved FSC 0x3f", NoFaultLevel, false},
	} {
		s := mk(0x24, true, tc.fsc)
		if s.FaultStatusName() != tc.name || s.FaultLevel() != tc.level || s.IsTranslationFault() != tc.trans {
			t.Errorf("FSC %#x: name %q level %d translation %v; want %q %d %v",
				tc.fsc, s.FaultStatusName(), s.FaultLevel(), s.IsTranslationFault(), tc.name, tc.level, tc.trans)
		}
	}
	if !mk(0x25, true, 0x21).IsAlignmentFault() || !mk(0x25, true, 0x09).IsAccessFlagFault() {
		t.Error("alignment / access flag predicates")
	}
}

func TestDataAccessSyndrome(t *testing.T) {
	// ISV=1, SAS=0b10 (word), SRT=3, SF=0, WnR=1, DFSC=translation L3.
	iss := uint32(1<<24 | 2<<22 | 3<<16 | 1<<6 | 0x07)
	s := mk(0x24, true, iss)
	a, ok := s.Access()
	if !ok || a.Size != 4 || a.Reg != 3 || a.Reg64 || a.SignExt {
		t.Fatalf("Access = %+v, %v", a, ok)
	}
	want := "EC 0x24 data abort, lower EL: translation fault, level 3, write, 4 bytes, w3, FAR valid"
	if got := s.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	// CM=1 with S1PTW=1.
	cm := mk(0x25, true, 1<<8|1<<7|1<<6|0x05)
	want = "EC 0x25 data abort, same EL: translation fault, level 1, cache maintenance, stage 1 table walk, FAR valid"
	if got := cm.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if !cm.IsCacheMaintenance() || !cm.IsStage1Walk() {
		t.Error("CM/S1PTW predicates")
	}
}

func TestImmediates(t *testing.T) {
	for _, tc := range []struct {
		s    Syndrome
		want string
	}{
		{mk(0x15, true, 0x1234), "EC 0x15 SVC (AArch64): imm 0x1234"},
		{mk(0x16, true, 0), "EC 0x16 HVC (AArch64): imm 0x0"},
		{mk(0x17, true, 0xffff), "EC 0x17 SMC (AArch64): imm 0xffff"},
		{mk(0x3c, true, 0xf000), "EC 0x3c BRK (AArch64): imm 0xf000"},
		{mk(0x11, false, 0x12), "EC 0x11 SVC (AArch32): imm 0x12"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%#x: %q, want %q", uint64(tc.s), got, tc.want)
		}
	}
	if _, ok := mk(0x25, true, 0).Immediate(); ok {
		t.Error("Immediate ok for a data abort")
	}
}

// sysISS builds the ISS of EC 0x18: Op0 [21:20], Op2 [19:17], Op1 [16:14],
// CRn [13:10], Rt [9:5], CRm [4:1], Direction [0].
func sysISS(op0, op1, crn, crm, op2, rt uint32, read bool) uint32 {
	iss := op0<<20 | op2<<17 | op1<<14 | crn<<10 | rt<<5 | crm<<1
	if read {
		iss |= 1
	}
	return iss
}

func TestSysRegTrap(t *testing.T) {
	// mrs x1, sctlr_el1 (3,0,1,0,0) trapped.
	s := mk(0x18, true, sysISS(3, 0, 1, 0, 0, 1, true))
	a, ok := s.SysReg()
	if !ok || a != (SysRegAccess{Op0: 3, Op1: 0, CRn: 1, CRm: 0, Op2: 0, Rt: 1, Read: true}) {
		t.Fatalf("SysReg = %+v %v", a, ok)
	}
	for _, tc := range []struct {
		s    Syndrome
		want string
	}{
		{s, "EC 0x18 trapped MSR/MRS/system instruction: mrs x1, s3_0_c1_c0_0 (read)"},
		// msr icc_sgi1r_el1, x3 (3,0,12,11,5).
		{mk(0x18, true, sysISS(3, 0, 12, 11, 5, 3, false)), "EC 0x18 trapped MSR/MRS/system instruction: msr s3_0_c12_c11_5, x3 (write)"},
		// msr cntv_ctl_el0, xzr (3,3,14,3,1).
		{mk(0x18, true, sysISS(3, 3, 14, 3, 1, 31, false)), "EC 0x18 trapped MSR/MRS/system instruction: msr s3_3_c14_c3_1, xzr (write)"},
		// dc civac, x0 is SYS #3, C7, C14, #1, X0.
		{mk(0x18, true, sysISS(1, 3, 7, 14, 1, 0, false)), "EC 0x18 trapped MSR/MRS/system instruction: sys #3, c7, c14, #1, x0 (write)"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%#x:\n\t%q, want\n\t%q", uint64(tc.s), got, tc.want)
		}
	}
	if _, ok := mk(0x25, true, 0).SysReg(); ok {
		t.Error("SysReg ok for a data abort")
	}
}

func TestOtherDescriptions(t *testing.T) {
	for _, tc := range []struct {
		s    Syndrome
		want string
	}{
		{mk(0x01, true, 0), "EC 0x01 trapped WFI/WFE: wfi"},
		{mk(0x01, true, 1), "EC 0x01 trapped WFI/WFE: wfe"},
		{mk(0x07, true, 0), "EC 0x07 SME/SVE/Advanced SIMD/FP access trap"},
		{mk(0x0e, true, 0), "EC 0x0e illegal execution state"},
		{mk(0x22, true, 0), "EC 0x22 PC alignment fault: FAR holds PC"},
		{mk(0x26, true, 0), "EC 0x26 SP alignment fault"},
		{mk(0x2c, true, 1<<23|1<<1), "EC 0x2c trapped FP exception (AArch64): divide by zero"},
		{mk(0x2f, true, 0x11|1<<10), "EC 0x2f SError: asynchronous SError interrupt, unrecoverable (UEU)"},
		{mk(0x2f, true, 1<<24|0x42), "EC 0x2f SError: implementation defined syndrome 0x42"},
		{mk(0x35, true, 1<<6), "EC 0x35 watchpoint, same EL: write, FAR valid"},
		{mk(0x3e, true, 0x5), "EC 0x3e unallocated EC 0x3e: ISS 0x5"},
		{Syndrome(1<<32 | 0x0a<<26 | 1<<25), "EC 0x0a trapped LD64B/ST64B* or other instruction, ISS2 0x1"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%#x:\n\t%q, want\n\t%q", uint64(tc.s), got, tc.want)
		}
	}
}

func TestEveryECNamed(t *testing.T) {
	allocated := 0
	for ec := 0; ec < 64; ec++ {
		s := mk(uint8(ec), true, 0)
		name := s.ClassName()
		if name == "" {
			t.Errorf("EC %#x has no name", ec)
		}
		unalloc := strings.HasPrefix(name, "unallocated EC 0x")
		if unalloc == s.Allocated() {
			t.Errorf("EC %#x: name %q but Allocated() = %v", ec, name, s.Allocated())
		}
		if unalloc {
			if want := "unallocated EC " + string(appendHexWidth(nil, uint64(ec), 2)); name != want {
				t.Errorf("EC %#x named %q, want %q", ec, name, want)
			}
		} else {
			allocated++
		}
		if d := s.String(); !strings.HasPrefix(d, "EC 0x") || !strings.Contains(d, name) {
			t.Errorf("EC %#x: description %q", ec, d)
		}
	}
	if allocated != 49 {
		t.Errorf("%d allocated classes, want 49", allocated)
	}
	for fsc := 0; fsc < 64; fsc++ {
		if fscNames[fsc] == "" {
			t.Errorf("FSC %#x has no name", fsc)
		}
	}
}

// TestDescriptionLength checks the documented bound on the description
// over every EC with a dense set of ISS patterns.
func TestDescriptionLength(t *testing.T) {
	max := 0
	for ec := uint64(0); ec < 64; ec++ {
		for _, iss := range []uint64{0, 1<<25 - 1, 0x1ffffc0, 0x1ff_ffc0 | 0x35, 0x1ff_ffc0 | 0x34, 0x1003f, 1<<24 | 0x11} {
			for fsc := uint64(0); fsc < 64; fsc++ {
				s := Syndrome(0xffffff<<32 | ec<<26 | 1<<25 | (iss &^ 0x3f) | fsc)
				if n := len(s.AppendDescription(nil)); n > max {
					max = n
				}
			}
		}
	}
	if max > 256 {
		t.Errorf("longest description is %d bytes, documented bound 256", max)
	}
	t.Logf("longest description: %d bytes", max)
}

func TestAppendDescriptionNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 256)
	values := []Syndrome{
		0x9600004f, 0x96000004, 0x02000000, 0xf2000000, 0x56000000,
		mk(0x18, true, sysISS(3, 0, 12, 11, 5, 3, false)),
		mk(0x24, true, 1<<24|3<<22|5<<16|1<<15|0x07),
		mk(0x2c, true, 1<<23|0x9f), mk(0x2f, true, 0x11), mk(0x3e, true, 7),
		Syndrome(1<<40 | 0x0a<<26),
	}
	n := testing.AllocsPerRun(100, func() {
		for _, s := range values {
			buf = s.AppendDescription(buf[:0])
			_ = s.ClassName()
			_ = s.FaultStatusName()
			_ = s.FaultLevel()
			_ = s.IsWrite()
			_ = s.FARValid()
			_, _ = s.SysReg()
			_, _ = s.Access()
		}
	})
	if n != 0 {
		t.Errorf("AppendDescription allocates: %v allocs per run", n)
	}
}
