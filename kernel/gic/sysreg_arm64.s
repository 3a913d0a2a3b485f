#include "textflag.h"

// GICv3 CPU interface System registers (IHI 0069 12.2, "AArch64 System
// register descriptions of the CPU interface"). A write to one of them
// takes effect after a context synchronization event: ISB.

TEXT ·readSRE(SB),NOSPLIT,$0-8
	MRS	ICC_SRE_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·writeSRE(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_SRE_EL1
	ISB	$15
	RET

TEXT ·writePMR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_PMR_EL1
	ISB	$15
	RET

TEXT ·writeBPR1(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_BPR1_EL1
	ISB	$15
	RET

TEXT ·readCTLR(SB),NOSPLIT,$0-8
	MRS	ICC_CTLR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·writeCTLR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_CTLR_EL1
	ISB	$15
	RET

TEXT ·writeIGRPEN1(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_IGRPEN1_EL1
	ISB	$15
	RET

// Reads of ICC_IAR1_EL1 are self-synchronising while interrupts are
// masked (IHI 0069, ICC_IAR1_EL1), as they are in the IRQ handler.
TEXT ·readIAR1(SB),NOSPLIT,$0-8
	MRS	ICC_IAR1_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·writeEOIR1(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_EOIR1_EL1
	RET

// A DMB does not order a System register write after earlier memory
// accesses; a DSB completes them first, so what this core wrote before
// the SGI is visible to the core that takes it.
TEXT ·writeSGI1R(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	DSB	$11	// ISH
	MSR	R0, ICC_SGI1R_EL1
	ISB	$15
	RET

TEXT ·dsb(SB),NOSPLIT,$0-0
	DSB	$11	// ISH
	RET
