//go:build tamago

#include "textflag.h"

// func GetG() uintptr
TEXT ·GetG(SB),NOSPLIT,$0-8
	MOVD	g, R0
	MOVD	R0, ret+0(FP)
	RET

// func schedAddr() uintptr
TEXT ·schedAddr(SB),NOSPLIT,$0-8
	MOVD	$runtime·sched(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// func SetNumCPU(n int32)
TEXT ·SetNumCPU(SB),NOSPLIT,$0-4
	MOVW	n+0(FP), R0
	MOVW	R0, runtime·numCPUStartup(SB)
	RET

// func AsyncPreemptPC() uintptr
TEXT ·AsyncPreemptPC(SB),NOSPLIT,$0-8
	MOVD	$runtime·asyncPreempt(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// func FramePointer() uintptr
TEXT ·FramePointer(SB),NOSPLIT|NOFRAME,$0-8
	MOVD	R29, ret+0(FP)
	RET
