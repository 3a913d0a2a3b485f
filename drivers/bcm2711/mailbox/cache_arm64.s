#include "textflag.h"

// func cleanInvalidate(start, end uintptr)
// DC CIVAC over [start, end) by the smallest data cache line (CTR_EL0
// DminLine, ARM ARM D24.2.34), then DSB SY so that the maintenance is
// complete before a following write to the mailbox (Device memory).
TEXT ·cleanInvalidate(SB),NOSPLIT,$0-16
	MOVD	start+0(FP), R0
	MOVD	end+8(FP), R1
	MRS	CTR_EL0, R2
	UBFX	$16, R2, $4, R2
	MOVD	$4, R3
	LSL	R2, R3, R3	// line size in bytes
	SUB	$1, R3, R4
	BIC	R4, R0, R0
loop:
	CMP	R1, R0
	BHS	done
	DC	CIVAC, R0
	ADD	R3, R0, R0
	B	loop
done:
	DSB	$15
	RET
