//go:build tamago

#include "textflag.h"

// Spin-table entry points (see spintable.go). A core released through a
// spin table starts at the address written to its cpu-release-addr, with
// no argument it can rely on in x0. Each core gets its own trampoline,
// which puts the core's yolk index in x0 and joins the PSCI path at
// secondaryEntry (entry_arm64.s), at EL2 or EL1 with the MMU off.
//
// spinEntries is the table of their addresses, indexed by core.

TEXT ·spinEntry0(SB),NOSPLIT|NOFRAME,$0
	MOVD	$0, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry1(SB),NOSPLIT|NOFRAME,$0
	MOVD	$1, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry2(SB),NOSPLIT|NOFRAME,$0
	MOVD	$2, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry3(SB),NOSPLIT|NOFRAME,$0
	MOVD	$3, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry4(SB),NOSPLIT|NOFRAME,$0
	MOVD	$4, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry5(SB),NOSPLIT|NOFRAME,$0
	MOVD	$5, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry6(SB),NOSPLIT|NOFRAME,$0
	MOVD	$6, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry7(SB),NOSPLIT|NOFRAME,$0
	MOVD	$7, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry8(SB),NOSPLIT|NOFRAME,$0
	MOVD	$8, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry9(SB),NOSPLIT|NOFRAME,$0
	MOVD	$9, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry10(SB),NOSPLIT|NOFRAME,$0
	MOVD	$10, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry11(SB),NOSPLIT|NOFRAME,$0
	MOVD	$11, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry12(SB),NOSPLIT|NOFRAME,$0
	MOVD	$12, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry13(SB),NOSPLIT|NOFRAME,$0
	MOVD	$13, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry14(SB),NOSPLIT|NOFRAME,$0
	MOVD	$14, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry15(SB),NOSPLIT|NOFRAME,$0
	MOVD	$15, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry16(SB),NOSPLIT|NOFRAME,$0
	MOVD	$16, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry17(SB),NOSPLIT|NOFRAME,$0
	MOVD	$17, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry18(SB),NOSPLIT|NOFRAME,$0
	MOVD	$18, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry19(SB),NOSPLIT|NOFRAME,$0
	MOVD	$19, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry20(SB),NOSPLIT|NOFRAME,$0
	MOVD	$20, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry21(SB),NOSPLIT|NOFRAME,$0
	MOVD	$21, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry22(SB),NOSPLIT|NOFRAME,$0
	MOVD	$22, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry23(SB),NOSPLIT|NOFRAME,$0
	MOVD	$23, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry24(SB),NOSPLIT|NOFRAME,$0
	MOVD	$24, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry25(SB),NOSPLIT|NOFRAME,$0
	MOVD	$25, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry26(SB),NOSPLIT|NOFRAME,$0
	MOVD	$26, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry27(SB),NOSPLIT|NOFRAME,$0
	MOVD	$27, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry28(SB),NOSPLIT|NOFRAME,$0
	MOVD	$28, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry29(SB),NOSPLIT|NOFRAME,$0
	MOVD	$29, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry30(SB),NOSPLIT|NOFRAME,$0
	MOVD	$30, R0
	B	·secondaryEntry(SB)

TEXT ·spinEntry31(SB),NOSPLIT|NOFRAME,$0
	MOVD	$31, R0
	B	·secondaryEntry(SB)

DATA ·spinEntries+0(SB)/8, $·spinEntry0(SB)
DATA ·spinEntries+8(SB)/8, $·spinEntry1(SB)
DATA ·spinEntries+16(SB)/8, $·spinEntry2(SB)
DATA ·spinEntries+24(SB)/8, $·spinEntry3(SB)
DATA ·spinEntries+32(SB)/8, $·spinEntry4(SB)
DATA ·spinEntries+40(SB)/8, $·spinEntry5(SB)
DATA ·spinEntries+48(SB)/8, $·spinEntry6(SB)
DATA ·spinEntries+56(SB)/8, $·spinEntry7(SB)
DATA ·spinEntries+64(SB)/8, $·spinEntry8(SB)
DATA ·spinEntries+72(SB)/8, $·spinEntry9(SB)
DATA ·spinEntries+80(SB)/8, $·spinEntry10(SB)
DATA ·spinEntries+88(SB)/8, $·spinEntry11(SB)
DATA ·spinEntries+96(SB)/8, $·spinEntry12(SB)
DATA ·spinEntries+104(SB)/8, $·spinEntry13(SB)
DATA ·spinEntries+112(SB)/8, $·spinEntry14(SB)
DATA ·spinEntries+120(SB)/8, $·spinEntry15(SB)
DATA ·spinEntries+128(SB)/8, $·spinEntry16(SB)
DATA ·spinEntries+136(SB)/8, $·spinEntry17(SB)
DATA ·spinEntries+144(SB)/8, $·spinEntry18(SB)
DATA ·spinEntries+152(SB)/8, $·spinEntry19(SB)
DATA ·spinEntries+160(SB)/8, $·spinEntry20(SB)
DATA ·spinEntries+168(SB)/8, $·spinEntry21(SB)
DATA ·spinEntries+176(SB)/8, $·spinEntry22(SB)
DATA ·spinEntries+184(SB)/8, $·spinEntry23(SB)
DATA ·spinEntries+192(SB)/8, $·spinEntry24(SB)
DATA ·spinEntries+200(SB)/8, $·spinEntry25(SB)
DATA ·spinEntries+208(SB)/8, $·spinEntry26(SB)
DATA ·spinEntries+216(SB)/8, $·spinEntry27(SB)
DATA ·spinEntries+224(SB)/8, $·spinEntry28(SB)
DATA ·spinEntries+232(SB)/8, $·spinEntry29(SB)
DATA ·spinEntries+240(SB)/8, $·spinEntry30(SB)
DATA ·spinEntries+248(SB)/8, $·spinEntry31(SB)
GLOBL ·spinEntries(SB), RODATA, $256

// func spinEntryPC(core int) uintptr
TEXT ·spinEntryPC(SB),NOSPLIT,$0-16
	MOVD	core+0(FP), R0
	MOVD	$·spinEntries(SB), R1
	MOVD	(R1)(R0<<3), R0
	MOVD	R0, ret+8(FP)
	RET

// func publishRelease(va uintptr, entry uint64)
// Stores entry at va (the release address, through its Device alias),
// cleans the line to the point of coherency, waits for both to complete
// (DSB SY) and wakes the cores waiting in WFE (SEV).
TEXT ·publishRelease(SB),NOSPLIT,$0-16
	MOVD	va+0(FP), R0
	MOVD	entry+8(FP), R1
	MOVD	R1, (R0)
	DSB	$15
	DC	CIVAC, R0
	DSB	$15
	SEV
	RET

// func cleanLines(start, end uintptr)
// DC CIVAC over [start, end) by the smallest data cache line (CTR_EL0
// DminLine, D24.2.34), then DSB SY and ISB: the lines are in memory, where
// a core with its MMU and caches still off reads them, and no cache holds
// a dirty copy that its DC IVAC (mmuOn) could discard.
TEXT ·cleanLines(SB),NOSPLIT,$0-16
	MOVD	start+0(FP), R0
	MOVD	end+8(FP), R1
	MRS	CTR_EL0, R2
	UBFX	$16, R2, $4, R2
	MOVD	$4, R3
	LSL	R2, R3, R3	// smallest data cache line, bytes
	SUB	$1, R3, R4
	BIC	R4, R0, R0
clean:
	CMP	R1, R0
	BHS	cleaned
	DC	CIVAC, R0
	ADD	R3, R0, R0
	B	clean
cleaned:
	DSB	$15
	ISB	$15
	RET
