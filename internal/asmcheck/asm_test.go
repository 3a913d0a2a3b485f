package asmcheck

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
)

func TestAssembleGolden(t *testing.T) {
	for _, g := range goldenWords {
		got, err := Assemble(g.text)
		if err != nil || got != g.word {
			t.Errorf("Assemble(%q) = %#08x, %v; want %#08x", g.text, got, err, g.word)
			continue
		}
		if err := CheckWord(g.word, g.text); err != nil {
			t.Errorf("CheckWord(%#08x, %q): %v", g.word, g.text, err)
		}
		// Disassemble must round-trip through Assemble.
		d := Disassemble(g.word)
		if w, err := Assemble(d); err != nil || w != g.word {
			t.Errorf("Disassemble(%#08x) = %q reassembles to %#08x, %v", g.word, d, w, err)
		}
		// Whatever arm64asm prints for the word must be accepted as a comment.
		if inst, err := decode(g.word); err == nil {
			for _, s := range []string{arm64asm.GNUSyntax(inst), arm64asm.GoSyntax(inst, 0, nil, nil)} {
				if err := CheckWord(g.word, s); err != nil && !strings.HasPrefix(s, "MRS $") {
					t.Errorf("arm64asm text %q of %#08x rejected: %v", s, g.word, err)
				}
			}
		}
	}
}

// TestSysRegEncodings is the encoder sanity table: for every register in
// the table, MRS X0 and MSR X0 are encoded by hand from the op fields
// (C6.2 MRS: 1101 0101 0011 o0 op1 CRn CRm op2 Rt, op0 = 0b1:o0; MSR
// (register) has bit 21 clear), decoded with arm64asm, and arm64asm must
// report the same op0/op1/CRn/CRm/op2 and register.
func TestSysRegEncodings(t *testing.T) {
	if len(SysRegs()) < 49 {
		t.Errorf("only %d system registers in the table", len(SysRegs()))
	}
	for _, r := range SysRegs() {
		if r.Op0 != 3 || r.Op1 > 7 || r.CRn > 15 || r.CRm > 15 || r.Op2 > 7 {
			t.Errorf("%s: fields out of range: %+v", r.Name, r)
			continue
		}
		mrs := uint32(0b1101010100_1_1<<20) | uint32(r.Op0-2)<<19 | uint32(r.Op1)<<16 |
			uint32(r.CRn)<<12 | uint32(r.CRm)<<8 | uint32(r.Op2)<<5 | 0
		msr := mrs &^ (1 << 21)
		if got := r.MRS(0); got != mrs {
			t.Errorf("%s: MRS(0) = %#08x, hand encoding %#08x", r.Name, got, mrs)
		}
		if got := r.MSR(0); got != msr {
			t.Errorf("%s: MSR(0) = %#08x, hand encoding %#08x", r.Name, got, msr)
		}
		want := fmt.Sprintf("S%d_%d_C%d_C%d_%d", r.Op0, r.Op1, r.CRn, r.CRm, r.Op2)
		for _, tc := range []struct {
			word           uint32
			op             arm64asm.Op
			regArg, sysArg int
		}{{mrs, arm64asm.MRS, 0, 1}, {msr, arm64asm.MSR, 1, 0}} {
			inst, err := decode(tc.word)
			if err != nil {
				t.Errorf("%s: arm64asm cannot decode %#08x: %v", r.Name, tc.word, err)
				continue
			}
			if inst.Op != tc.op {
				t.Errorf("%s: %#08x decodes as %v, want %v", r.Name, tc.word, inst.Op, tc.op)
				continue
			}
			if reg, ok := inst.Args[tc.regArg].(arm64asm.Reg); !ok || reg != arm64asm.X0 {
				t.Errorf("%s: %#08x register operand %v, want X0", r.Name, tc.word, inst.Args[tc.regArg])
			}
			sr, ok := inst.Args[tc.sysArg].(arm64asm.Systemreg)
			if !ok || sr.String() != want {
				t.Errorf("%s: %#08x system register operand %v, want %s", r.Name, tc.word, inst.Args[tc.sysArg], want)
			}
		}
		if w, err := Assemble("mrs x0, " + r.Name); err != nil || w != mrs {
			t.Errorf("Assemble(mrs x0, %s) = %#08x, %v; want %#08x", r.Name, w, err, mrs)
		}
		if w, err := Assemble("MSR R0, " + strings.ToUpper(r.Name)); err != nil || w != msr {
			t.Errorf("Assemble(MSR R0, %s) = %#08x, %v; want %#08x", strings.ToUpper(r.Name), w, err, msr)
		}
		if got, ok := LookupSysReg(r.Generic()); !ok || got != r {
			t.Errorf("LookupSysReg(%s) = %+v, %v; want %s", r.Generic(), got, ok, r.Name)
		}
	}
	// Registers the brief for yolk lists must all be present.
	for _, name := range strings.Fields(`sctlr_el1 sctlr_el2 tcr_el1 mair_el1 ttbr0_el1 ttbr1_el1
		vbar_el1 cpacr_el1 hcr_el2 spsr_el2 elr_el2 cnthctl_el2 cntvoff_el2 cptr_el2 vpidr_el2
		vmpidr_el2 mpidr_el1 midr_el1 currentel daif esr_el1 far_el1 elr_el1 spsr_el1 sp_el0
		sp_el1 spsel tpidr_el1 cntfrq_el0 cntvct_el0 cntpct_el0 cntv_ctl_el0 cntv_cval_el0
		cntv_tval_el0 cntp_ctl_el0 cntp_cval_el0 icc_sre_el2 icc_sre_el1 icc_pmr_el1
		icc_iar1_el1 icc_eoir1_el1 icc_igrpen1_el1 icc_sgi1r_el1 icc_bpr1_el1 icc_ctlr_el1
		rndr rndrrs id_aa64isar0_el1 id_aa64pfr0_el1 id_aa64mmfr0_el1`) {
		if _, ok := sysRegByName[name]; !ok {
			t.Errorf("system register %s missing from the table", name)
		}
	}
}

// TestGoldenCoversTables makes sure every table entry has an independently
// recorded encoding in goldenWords.
func TestGoldenCoversTables(t *testing.T) {
	have := map[string]bool{}
	for _, g := range goldenWords {
		have[g.text] = true
	}
	for _, r := range sysRegs {
		if !have["mrs x0, "+r.Name] && !have["msr "+r.Name+", x1"] {
			t.Errorf("no golden encoding for %s", r.Name)
		}
	}
	for mn, ops := range sysAliases {
		for name, op := range ops {
			text := mn + " " + name
			if op.reg {
				text += ", x2"
			}
			if !have[text] {
				t.Errorf("no golden encoding for %q", text)
			}
		}
	}
}

// TestAgainstLLVM re-derives the golden encodings with llvm-mc when it is
// installed, so that new table entries are checked against an independent
// assembler. It is skipped otherwise.
func TestAgainstLLVM(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed")
	}
	var texts []string
	for _, r := range sysRegs {
		texts = append(texts, "mrs x0, "+r.Name)
	}
	for _, mn := range []string{"ic", "dc", "at", "tlbi"} {
		for _, name := range sortedKeys(sysAliases[mn]) {
			if sysAliases[mn][name].reg {
				texts = append(texts, mn+" "+name+", x2")
			} else {
				texts = append(texts, mn+" "+name)
			}
		}
	}
	texts = append(texts, "hvc #0", "smc #0", "hlt #0xf000", "msr daifset, #2", "isb", "dsb sy", "eret")
	// llvm-mc reports lines it rejects (MRS of a write-only register such
	// as icc_sgi1r_el1, or a missing feature) on stderr and carries on;
	// the encodings of the other lines appear on stdout in input order.
	cmd := exec.Command(mc, "-triple=aarch64", "-mattr=+v8.5a,+rand,+el3", "-show-encoding")
	cmd.Stdin = strings.NewReader(strings.Join(texts, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // exit status is non-zero when any line was rejected
	rejected := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^<stdin>:(\d+):\d+: error`).FindAllStringSubmatch(stderr.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		rejected[n-1] = true
	}
	encs := regexp.MustCompile(`encoding: \[0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2})\]`).FindAllStringSubmatch(stdout.String(), -1)
	if len(encs)+len(rejected) != len(texts) {
		t.Fatalf("llvm-mc gave %d encodings and rejected %d of %d lines; cannot pair them\n%s", len(encs), len(rejected), len(texts), stderr.String())
	}
	checked := 0
	for i, text := range texts {
		if rejected[i] {
			continue
		}
		m := encs[checked]
		var w uint32
		for j := 4; j >= 1; j-- {
			b, _ := strconv.ParseUint(m[j], 16, 8)
			w = w<<8 | uint32(b)
		}
		got, err := Assemble(text)
		if err != nil || got != w {
			t.Errorf("Assemble(%q) = %#08x, %v; llvm-mc says %#08x", text, got, err, w)
		}
		checked++
	}
	t.Logf("%d of %d encodings checked against llvm-mc", checked, len(texts))
}

func TestAssembleErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"mrs x0, sctlr_el9", "unknown system register"},
		{"mrs x0, s1_0_c7_c5_0", "op0 must be 2 or 3"},
		{"svc #0x10000", "out of range"},
		{"ic iallu, x0", "takes no register"},
		{"dc civac", "needs a register"},
		{"isb ish", "isb option"},
		{"msr daifset, #16", "out of range"},
		{"tlbi vmalle3", "unknown tlbi operation"},
		{"mrs sctlr_el1, sctlr_el1", "expected an x register"},
		{"add x0, x0, #1", "not in the system-instruction subset"},
	} {
		_, err := Assemble(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Assemble(%q) error %v, want %q", tc.text, err, tc.want)
		}
	}
}
