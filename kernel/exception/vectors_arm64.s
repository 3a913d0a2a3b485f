#include "textflag.h"
#include "go_asm.h"

// The vector table (ARM ARM D1.3.1, "Exception vectors"): 16 entries of
// 128 bytes, 2 KiB aligned. Each entry reserves a Frame on SP_EL1 (the
// core's exception stack), saves x0/x1 and jumps to common with its index
// in x0. R27 (the assembler's temporary) is not used before it is saved.
//
// The frame is reserved and released with hand-encoded instructions: the
// assembler would otherwise count them against the Go stack of the
// interrupted code (its nosplit analysis), but they move SP_EL1, the
// exception stack. TestFrameSize pins Frame to the 0x130 bytes they use.
#define ENTRY(n) \
	PCALIGN	$128; \
	WORD	$0xd104c3ff; /* sub sp, sp, #0x130 */ \
	STP	(R0, R1), (RSP); \
	MOVD	$n, R0; \
	B	·common(SB)

TEXT ·vectors(SB),NOSPLIT|NOFRAME,$0
	PCALIGN	$2048
	ENTRY(0)	// current EL, SP_EL0: synchronous
	ENTRY(1)	// IRQ
	ENTRY(2)	// FIQ
	ENTRY(3)	// SError
	ENTRY(4)	// current EL, SP_ELx: synchronous
	ENTRY(5)
	ENTRY(6)
	ENTRY(7)
	ENTRY(8)	// lower EL, AArch64
	ENTRY(9)
	ENTRY(10)
	ENTRY(11)
	ENTRY(12)	// lower EL, AArch32
	ENTRY(13)
	ENTRY(14)
	ENTRY(15)

// common saves the rest of the interrupted context into the Frame, calls
// handle(*Frame) on the exception stack and returns to what the Frame then
// says: the handler may redirect ELR, SP and registers. The interrupted g
// is restored from the Frame.
TEXT ·common(SB),NOSPLIT|NOFRAME,$0
	STP	(R2, R3), 16(RSP)
	STP	(R4, R5), 32(RSP)
	STP	(R6, R7), 48(RSP)
	STP	(R8, R9), 64(RSP)
	STP	(R10, R11), 80(RSP)
	STP	(R12, R13), 96(RSP)
	STP	(R14, R15), 112(RSP)
	STP	(R16, R17), 128(RSP)
	STP	(R18_PLATFORM, R19), 144(RSP)
	STP	(R20, R21), 160(RSP)
	STP	(R22, R23), 176(RSP)
	STP	(R24, R25), 192(RSP)
	STP	(R26, R27), 208(RSP)
	STP	(g, R29), 224(RSP)
	MOVD	R30, Frame_X+240(RSP)
	MOVD	R0, Frame_Kind(RSP)
	// The interrupted SP: SP_EL0, or for entries 4-7 (taken on SP_EL1)
	// the exception stack just above this frame.
	MRS	SP_EL0, R1
	AND	$~3, R0, R2
	CMP	$4, R2
	BNE	gotsp
	ADD	$Frame__size, RSP, R1
gotsp:
	MOVD	R1, Frame_SP(RSP)
	MRS	ELR_EL1, R1
	MOVD	R1, Frame_ELR(RSP)
	MRS	SPSR_EL1, R1
	MOVD	R1, Frame_SPSR(RSP)
	MRS	ESR_EL1, R1
	MOVD	R1, Frame_ESR(RSP)
	MRS	FAR_EL1, R1
	MOVD	R1, Frame_FAR(RSP)

	// Run the handler as this core's handler g, whose stack bounds are
	// the exception stack (see handlerG in exception.go).
	MRS	TPIDR_EL1, R1
	LSL	$const_HandlerGShift, R1, R1
	MOVD	$·handlerGs(SB), R2
	ADD	R1, R2, g

	MOVD	RSP, R0
	SUB	$16, RSP
	MOVD	R0, 8(RSP)
	BL	·handle(SB)
	ADD	$16, RSP

	MOVD	Frame_ELR(RSP), R0
	MSR	R0, ELR_EL1
	MOVD	Frame_SPSR(RSP), R0
	MSR	R0, SPSR_EL1
	MOVD	Frame_Kind(RSP), R0
	AND	$~3, R0, R0
	CMP	$4, R0
	BEQ	restore
	MOVD	Frame_SP(RSP), R0
	MSR	R0, SP_EL0
restore:
	LDP	16(RSP), (R2, R3)
	LDP	32(RSP), (R4, R5)
	LDP	48(RSP), (R6, R7)
	LDP	64(RSP), (R8, R9)
	LDP	80(RSP), (R10, R11)
	LDP	96(RSP), (R12, R13)
	LDP	112(RSP), (R14, R15)
	LDP	128(RSP), (R16, R17)
	LDP	144(RSP), (R18_PLATFORM, R19)
	LDP	160(RSP), (R20, R21)
	LDP	176(RSP), (R22, R23)
	LDP	192(RSP), (R24, R25)
	LDP	208(RSP), (R26, R27)
	LDP	224(RSP), (g, R29)
	MOVD	Frame_X+240(RSP), R30
	LDP	(RSP), (R0, R1)
	WORD	$0x9104c3ff	// add sp, sp, #0x130
	ERET

// func VectorTable() uintptr
TEXT ·VectorTable(SB),NOSPLIT,$0-8
	MOVD	$·vectors(SB), R0
	MOVD	R0, ret+0(FP)
	RET
