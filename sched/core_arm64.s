//go:build tamago

#include "textflag.h"

// func enterM(sp, gp, fn, excTop uintptr)
// Leaves the exception stack for good: SP_EL1 is reset to its top, the
// core switches to SP_EL0 = sp, g = gp, and jumps to the M's entry (mstart)
// with IRQs enabled.
TEXT ·enterM(SB),NOSPLIT|NOFRAME,$0-32
	MOVD	sp+0(FP), R0
	MOVD	gp+8(FP), R1
	MOVD	fn+16(FP), R2
	MOVD	excTop+24(FP), R3
	MOVD	R3, RSP
	MSR	$0, SPSel
	MOVD	R0, RSP
	MOVD	R1, g
	MOVD	$0, R29
	MOVD	$0, R30
	MSR	$2, DAIFClr
	JMP	(R2)

// func saveFP(p *fpState)
// The IRQ path itself never touches FP/SIMD registers (checked by
// TestHandlersUseNoFP), so at a switch they still hold the interrupted
// M's values.
TEXT ·saveFP(SB),NOSPLIT,$0-8
	MOVD	p+0(FP), R0
	VST1.P	[V0.D2, V1.D2, V2.D2, V3.D2], 64(R0)
	VST1.P	[V4.D2, V5.D2, V6.D2, V7.D2], 64(R0)
	VST1.P	[V8.D2, V9.D2, V10.D2, V11.D2], 64(R0)
	VST1.P	[V12.D2, V13.D2, V14.D2, V15.D2], 64(R0)
	VST1.P	[V16.D2, V17.D2, V18.D2, V19.D2], 64(R0)
	VST1.P	[V20.D2, V21.D2, V22.D2, V23.D2], 64(R0)
	VST1.P	[V24.D2, V25.D2, V26.D2, V27.D2], 64(R0)
	VST1.P	[V28.D2, V29.D2, V30.D2, V31.D2], 64(R0)
	MRS	FPSR, R1
	MOVD	R1, (R0)
	MRS	FPCR, R1
	MOVD	R1, 8(R0)
	RET

// func restoreFP(p *fpState)
TEXT ·restoreFP(SB),NOSPLIT,$0-8
	MOVD	p+0(FP), R0
	VLD1.P	64(R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P	64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1.P	64(R0), [V8.D2, V9.D2, V10.D2, V11.D2]
	VLD1.P	64(R0), [V12.D2, V13.D2, V14.D2, V15.D2]
	VLD1.P	64(R0), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1.P	64(R0), [V20.D2, V21.D2, V22.D2, V23.D2]
	VLD1.P	64(R0), [V24.D2, V25.D2, V26.D2, V27.D2]
	VLD1.P	64(R0), [V28.D2, V29.D2, V30.D2, V31.D2]
	MOVD	(R0), R1
	MSR	R1, FPSR
	MOVD	8(R0), R1
	MSR	R1, FPCR
	RET
