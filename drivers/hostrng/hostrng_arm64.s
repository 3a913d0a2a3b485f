//go:build tamago

#include "textflag.h"

// func hlt(op uint64, arg unsafe.Pointer) uint64
TEXT ·hlt(SB),NOSPLIT,$16-24
	MOVD	op+0(FP), R0
	MOVD	arg+8(FP), R1
	BL	·trap(SB)
	MOVD	R0, ret+16(FP)
	RET

// trap is the semihosting call alone, so that an undefined HLT (no host)
// is skipped by the exception handler with x0 = ^0.
TEXT ·trap(SB),NOSPLIT|NOFRAME,$0
	WORD	$0xd45e0000	// hlt #0xf000
	RET

TEXT ·trapPC(SB),NOSPLIT,$0-8
	MOVD	$·trap(SB), R0
	MOVD	R0, ret+0(FP)
	RET
