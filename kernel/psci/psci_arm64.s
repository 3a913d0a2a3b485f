#include "textflag.h"

// SMC Calling Convention (Arm DEN 0028): function ID in w0, arguments in
// x1-x3, result in x0.

// func hvc(fn, a1, a2, a3 uint64) int64
TEXT ·hvc(SB),NOSPLIT,$0-40
	MOVD	fn+0(FP), R0
	MOVD	a1+8(FP), R1
	MOVD	a2+16(FP), R2
	MOVD	a3+24(FP), R3
	WORD	$0xd4000002	// hvc #0
	MOVD	R0, ret+32(FP)
	RET

// func smc(fn, a1, a2, a3 uint64) int64
TEXT ·smc(SB),NOSPLIT,$0-40
	MOVD	fn+0(FP), R0
	MOVD	a1+8(FP), R1
	MOVD	a2+16(FP), R2
	MOVD	a3+24(FP), R3
	WORD	$0xd4000003	// smc #0
	MOVD	R0, ret+32(FP)
	RET
