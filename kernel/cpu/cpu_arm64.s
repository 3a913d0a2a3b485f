#include "textflag.h"

TEXT ·MIDR(SB),NOSPLIT,$0-8
	MRS	MIDR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·MPIDR(SB),NOSPLIT,$0-8
	MRS	MPIDR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·CurrentEL(SB),NOSPLIT,$0-8
	MRS	CurrentEL, R0
	UBFX	$2, R0, $2, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·ISAR0(SB),NOSPLIT,$0-8
	MRS	ID_AA64ISAR0_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·PFR0(SB),NOSPLIT,$0-8
	MRS	ID_AA64PFR0_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·CounterFreq(SB),NOSPLIT,$0-8
	MRS	CNTFRQ_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

// The ISB keeps the read from being performed ahead of earlier
// instructions (D12.1.2, reads of the counter are not ordered).
TEXT ·Counter(SB),NOSPLIT,$0-8
	ISB	$15
	MRS	CNTVCT_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·rndr(SB),NOSPLIT,$0-9
	MRS	RNDR, R0
	CSET	NE, R1	// Z is set on failure
	MOVD	R0, v+0(FP)
	MOVB	R1, ok+8(FP)
	RET

TEXT ·WaitForInterrupt(SB),NOSPLIT,$0-0
	DSB	$15
	WFI
	RET

TEXT ·DAIF(SB),NOSPLIT,$0-8
	MRS	DAIF, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·Index(SB),NOSPLIT,$0-8
	MRS	TPIDR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·TTBR0(SB),NOSPLIT,$0-8
	MRS	TTBR0_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·EnableIRQ(SB),NOSPLIT,$0-0
	MSR	$2, DAIFClr
	RET

TEXT ·DisableIRQ(SB),NOSPLIT,$0-1
	MRS	DAIF, R0
	MSR	$2, DAIFSet
	// DAIF.I is bit 7: enabled before if it was clear.
	UBFX	$7, R0, $1, R0
	EOR	$1, R0, R0
	MOVB	R0, wasEnabled+0(FP)
	RET
