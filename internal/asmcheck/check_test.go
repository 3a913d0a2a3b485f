package asmcheck

import (
	"os"
	"strings"
	"testing"
)

const goodSnippet = `#include "textflag.h"

// A WORD in a comment is ignored: WORD $0xdeadbeef
/* WORD $0xdeadbeef
   neither is this one */

#define SYNC \
	WORD $0xd5033f9f /* dsb sy */ \
	WORD $0xd5033fdf /* isb */

#define READ_SCTLR WORD $0xd5381000 // mrs x0, sctlr_el1

#define ARG(x) WORD $x

TEXT ·f(SB),NOSPLIT,$0
	WORD $0xd5381000 // mrs x0, sctlr_el1
	WORD $0xD5381000 // MRS X0, SCTLR_EL1
	WORD $0xd5381000 // MRS SCTLR_EL1, R0
	WORD $0xd5381000 // mrs x0, s3_0_c1_c0_0
	WORD $0xd5181000 // msr sctlr_el1, x0 // enable the MMU
	WORD $0xd50342df // msr daifset, #2 ; mask IRQs
	WORD $0xd50342df // MSR $2, DAIFSet
	WORD $0xd45e0000 // hlt #0xf000
	WORD $0xd4000002 // hvc #0
	WORD $0xd4000003 // smc #0
	WORD $0xd503207f // wfi
	WORD $0xd503205f // wfe
	WORD $0xd503209f // sev
	WORD $0xd69f03e0 // eret
	WORD $0xd5033fdf // isb
	WORD $0xd5033f9f // dsb sy
	WORD $0xd508871f // tlbi vmalle1
	WORD $0xd508751f // ic iallu
	WORD $0xd50b7e20 // dc civac, x0
	WORD $0xd5087800 // at s1e1r, x0
	WORD $0xd53c4000 // mrs x0, spsr_el2
	WORD $0xd51cc9a0 // msr icc_sre_el2, x0
	WORD $0x91000400 // add x0, x0, #1
	WORD $0x91000400 // ADD $1, R0, R0
	WORD $0xf9400020 // ldr x0, [x1]
	WORD $0xd2800000 // mov x0, #0x0
	WORD $0xd65f03c0 // ret
	WORD $0xd5381000; WORD $0xd5033fdf // mrs x0, sctlr_el1; isb
	WORD $0xd5381000 /* mrs x0, sctlr_el1 */; WORD $0xd5033fdf // isb
	/* isb */ WORD $0xd5033fdf
	ARG(0xd5033fdf)
	SYNC
	RET
`

func TestCheckAcceptsGoodSnippet(t *testing.T) {
	words, probs := Scan("good.s", []byte(goodSnippet))
	for _, p := range probs {
		t.Errorf("scan: %v", p)
	}
	if len(words) != 35 {
		t.Errorf("found %d WORDs, want 35", len(words))
	}
	for _, p := range Check("good.s", []byte(goodSnippet)) {
		t.Errorf("unexpected problem: %v", p)
	}
}

func TestCheckReportsBadWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string // "line: substring", one per expected problem
	}{
		{
			name: "wrong register",
			src:  "TEXT ·f(SB),0,$0\n\tWORD $0xd5381000 // mrs x1, sctlr_el1\n",
			want: []string{`bad.s:2: WORD $0xd5381000: comment "mrs x1, sctlr_el1" encodes 0xd5381001, but the word 0xd5381000 is "mrs x0, sctlr_el1"`},
		},
		{
			name: "wrong system register",
			src:  "\n\n\tWORD $0xd5381000 // mrs x0, tcr_el1\n",
			want: []string{`bad.s:3: WORD $0xd5381000: comment "mrs x0, tcr_el1" encodes 0xd5382040`},
		},
		{
			name: "wrong mnemonic",
			src:  "\tWORD $0xd503207f // wfe\n",
			want: []string{`bad.s:1: WORD $0xd503207f: comment "wfe" encodes 0xd503205f, but the word 0xd503207f is "wfi"`},
		},
		{
			name: "wrong mnemonic, arm64asm path",
			src:  "\tWORD $0x91000400 // sub x0, x0, #1\n",
			want: []string{`bad.s:1: WORD $0x91000400: comment "sub x0, x0, #1" does not match word 0x91000400, which is "add x0, x0, #0x1"`},
		},
		{
			name: "wrong immediate",
			src:  "\tWORD $0xd4000002 // hvc #1\n",
			want: []string{`bad.s:1: WORD $0xd4000002: comment "hvc #1" encodes 0xd4000022, but the word 0xd4000002 is "hvc #0x0"`},
		},
		{
			name: "missing comment",
			src:  "TEXT ·f(SB),0,$0\n\n\tWORD $0xd5033fdf\n",
			want: []string{`bad.s:3: WORD $0xd5033fdf has no instruction comment (want e.g. "// isb")`},
		},
		{
			name: "malformed hex",
			src:  "\tWORD $0xd503zfdf // isb\n\tWORD $0x // isb\n\tWORD $0x1d5033fdf // isb\n",
			want: []string{
				`bad.s:1: malformed hex in WORD $0xd503zfdf: 'z' is not a hex digit`,
				`bad.s:2: malformed hex in WORD $0x: no digits`,
				`bad.s:3: WORD $0x1d5033fdf does not fit in 32 bits`,
			},
		},
		{
			name: "unknown system register",
			src:  "\tWORD $0xd5381000 // mrs x0, sctlr_el9\n",
			want: []string{`bad.s:1: WORD $0xd5381000: comment "mrs x0, sctlr_el9" does not match word 0xd5381000, which is "mrs x0, sctlr_el1" (Go syntax "MRS $16512, R0"); encoding the comment failed: unknown system register "sctlr_el9"`},
		},
		{
			name: "undecodable word",
			src:  "\tWORD $0xffffffff // frobnicate x0\n",
			want: []string{`bad.s:1: WORD $0xffffffff: word 0xffffffff does not decode with arm64asm`},
		},
		{
			name: "two WORDs, one comment",
			src:  "\tWORD $0xd5381000; WORD $0xd5033fdf // mrs x0, sctlr_el1\n",
			want: []string{`bad.s:1: 2 WORDs share one comment that lists 1 instructions`},
		},
		{
			name: "two WORDs, second comment wrong",
			src:  "\tWORD $0xd5381000; WORD $0xd5033fdf // mrs x0, sctlr_el1; dsb sy\n",
			want: []string{`bad.s:1: WORD $0xd5033fdf: comment "dsb sy" encodes 0xd5033f9f`},
		},
		{
			name: "two WORDs, first without comment",
			src:  "\tWORD $0xd5381000; WORD $0xd5033fdf /* isb */ // extra\n",
			want: []string{`bad.s:1: 2 WORDs share one comment that lists 1 instructions`},
		},
		{
			name: "two WORDs, second without comment",
			src:  "\tWORD $0xd5381000 /* mrs x0, sctlr_el1 */; WORD $0xd5033fdf\n",
			want: []string{`bad.s:1: WORD $0xd5033fdf has no instruction comment (want e.g. "// isb")`},
		},
		{
			name: "// comment swallows macro continuation",
			src:  "#define SYNC \\\n\tWORD $0xd5033f9f // dsb sy \\\n\tWORD $0xd5033fdf // isb\n",
			want: []string{`bad.s:2: a // comment inside #define swallows the trailing \`},
		},
		{
			name: "wrong comment inside macro",
			src:  "#define SYNC \\\n\tWORD $0xd5033f9f /* dsb ish */ \\\n\tWORD $0xd5033fdf /* isb */\n",
			want: []string{`bad.s:2: WORD $0xd5033f9f: comment "dsb ish" encodes 0xd5033b9f, but the word 0xd5033f9f is "dsb sy"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := Check("bad.s", []byte(tc.src))
			if len(probs) != len(tc.want) {
				t.Errorf("got %d problems, want %d:", len(probs), len(tc.want))
				for _, p := range probs {
					t.Logf("  %v", p)
				}
			}
			for i := 0; i < len(probs) && i < len(tc.want); i++ {
				if got := probs[i].String(); !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("problem %d:\n\tgot  %s\n\twant %s...", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestCanon(t *testing.T) {
	for _, tc := range [][2]string{
		{"  MRS   X0 ,SCTLR_EL1  ", "mrs x0, s3_0_c1_c0_0"},
		{"add x0, x0, #0x10", "add x0, x0, #16"},
		{"ADD $16, R0, R0", "add #16, r0, r0"},
		{"ldr x0, [ x1 , #0 ]", "ldr x0, [x1]"},
		{"ldr x0, [x1, #-8]!", "ldr x0, [x1, #-8]!"},
		{"ret lr", "ret x30"},
		{"isb // barrier", "isb"},
		{"msr daifset, #2 ; mask", "msr daifset, #2"},
	} {
		if got := canon(tc[0]); got != tc[1] {
			t.Errorf("canon(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}

// TestWordComments checks every WORD $0x<hex> in the repository's .s files.
func TestWordComments(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := RepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckTree(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
	t.Logf("checked %d WORD directives in %d .s files under %s", r.Words, r.Files, root)
}
