#include "textflag.h"

// The EL1 virtual timer registers (ARM ARM D12, "The Generic Timer";
// CNTV_CTL_EL0 and CNTV_CVAL_EL0 register descriptions). Writes to a
// System register take effect after a context synchronization event,
// hence the ISB after each write.

TEXT ·getCTL(SB),NOSPLIT,$0-8
	MRS	CNTV_CTL_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·setCTL(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, CNTV_CTL_EL0
	ISB	$15
	RET

TEXT ·getCVAL(SB),NOSPLIT,$0-8
	MRS	CNTV_CVAL_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

TEXT ·setCVAL(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, CNTV_CVAL_EL0
	ISB	$15
	RET
