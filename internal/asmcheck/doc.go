// Package asmcheck checks yolk's hand-encoded instructions: every
// "WORD $0x<hex>" directive in a Go assembly (.s) file must carry a comment
// naming the instruction the word encodes, and the comment must be right.
//
// # Where the comment goes
//
// A WORD takes the first comment that follows it on the same line, either
// "// ..." or "/* ... */":
//
//	WORD $0xd5381000 // mrs x0, sctlr_el1
//	WORD $0xd5033fdf /* isb */ \
//
// Several WORDs on one line (separated by ";") each take the comment that
// follows them, or share one trailing comment that lists one instruction
// per WORD, separated by ";":
//
//	WORD $0xd5381000; WORD $0xd5033fdf // mrs x0, sctlr_el1; isb
//
// A line with exactly one WORD may also put its comment before it. Inside a
// multi-line #define use /* */: a // comment runs to the end of the line,
// swallows the continuation backslash and ends the macro, and asmcheck
// reports it. After the instruction, a single-WORD comment may continue
// with a remark after a second "//" or a ";" ("// isb // sync context"),
// which is ignored.
//
// Only 0x literals are checked; WORD operands that are macro arguments,
// symbols or decimal numbers are skipped. A 0x literal with non-hex digits
// or more than 32 bits is reported.
//
// # How a comment is compared
//
// The comment is lowercased, blanks are collapsed and commas written as
// ", ". Then:
//
//  1. If the mnemonic is in the System-instruction subset that Assemble
//     encodes (svc, hvc, smc, brk, hlt, udf, dcps*, hints such as nop, wfi,
//     wfe, sev, yield, bti; dsb, dmb, isb, sb, clrex; msr <pstatefield>,
//     #imm; mrs and msr with a system register; sys, sysl, ic, dc, at,
//     tlbi; eret, drps), the comment is assembled and the encodings are
//     compared bit for bit. System registers are looked up by name in a
//     table of the registers yolk uses (SysRegs; op0/op1/CRn/CRm/op2 from
//     ARM DDI 0487) or given generically as s<op0>_<op1>_c<n>_c<m>_<op2>,
//     so "mrs x0, sctlr_el1" matches a word arm64asm prints as
//     "mrs x0, s3_0_c1_c0_0". arm64asm cannot decode hvc, smc, ic, at and
//     some msr forms at all; this path covers them. Go operand order
//     ("MRS SCTLR_EL1, R0", "MSR $2, DAIFSet") is accepted here too.
//  2. Otherwise the word is decoded with golang.org/x/arch/arm64/arm64asm
//     and the comment must equal arm64asm.GNUSyntax or arm64asm.GoSyntax
//     after canonicalising both sides: immediates "#n"/"$n" in any base
//     become "#<decimal>" (so "#0x10" == "#16"), table register names
//     become their generic spelling, lr/fp become x30/x29, and "[xn, #0]"
//     becomes "[xn]". Mnemonics must be the preferred alias arm64asm
//     prints (e.g. "mov x0, #0x1", not "movz x0, #1"); PC-relative targets
//     must be written as arm64asm prints them ("b .+0x8").
//
// Check reports problems for one file; CheckTree walks a repository;
// CheckWord, Assemble and Disassemble work on single instructions.
// TestWordComments in this package runs CheckTree over the yolk module.
package asmcheck
