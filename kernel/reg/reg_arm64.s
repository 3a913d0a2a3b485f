#include "textflag.h"

// Register accessors: see the package comment for their guarantees.
// DMB options (ARM ARM C6.2.81 DMB): $3 OSH (all accesses, outer
// shareable), $1 OSHLD (loads before the barrier against loads and stores
// after it).

// func Read8(addr uintptr) uint8
TEXT ·Read8(SB),NOSPLIT,$0-9
	MOVD	addr+0(FP), R0
	MOVBU	(R0), R1
	DMB	$1	// DMB OSHLD
	MOVB	R1, ret+8(FP)
	RET

// func Read16(addr uintptr) uint16
TEXT ·Read16(SB),NOSPLIT,$0-10
	MOVD	addr+0(FP), R0
	MOVHU	(R0), R1
	DMB	$1	// DMB OSHLD
	MOVH	R1, ret+8(FP)
	RET

// func Read32(addr uintptr) uint32
TEXT ·Read32(SB),NOSPLIT,$0-12
	MOVD	addr+0(FP), R0
	MOVWU	(R0), R1
	DMB	$1	// DMB OSHLD
	MOVW	R1, ret+8(FP)
	RET

// func Write8(addr uintptr, v uint8)
TEXT ·Write8(SB),NOSPLIT,$0-9
	MOVD	addr+0(FP), R0
	MOVBU	v+8(FP), R1
	DMB	$3	// DMB OSH
	MOVB	R1, (R0)
	RET

// func Write32(addr uintptr, v uint32)
TEXT ·Write32(SB),NOSPLIT,$0-12
	MOVD	addr+0(FP), R0
	MOVWU	v+8(FP), R1
	DMB	$3	// DMB OSH
	MOVW	R1, (R0)
	RET

// func Read32Relaxed(addr uintptr) uint32
TEXT ·Read32Relaxed(SB),NOSPLIT,$0-12
	MOVD	addr+0(FP), R0
	MOVWU	(R0), R1
	MOVW	R1, ret+8(FP)
	RET

// func Write32Relaxed(addr uintptr, v uint32)
TEXT ·Write32Relaxed(SB),NOSPLIT,$0-12
	MOVD	addr+0(FP), R0
	MOVWU	v+8(FP), R1
	MOVW	R1, (R0)
	RET
