#include "textflag.h"

// Data cache maintenance by virtual address to the point of coherency
// (ARM ARM D7.5.9 "Data cache maintenance instructions"), over [start,
// end) in steps of the smallest data cache line (CTR_EL0.DminLine [19:16],
// log2 of words, D24.2.34), then DSB SY so that the maintenance is
// complete before any later access, a register write to a device
// included.
#define BY_LINE(op) \
	MOVD	start+0(FP), R0 \
	MOVD	end+8(FP), R1 \
	MRS	CTR_EL0, R2 \
	UBFX	$16, R2, $4, R2 \
	MOVD	$4, R3 \
	LSL	R2, R3, R3 \
	SUB	$1, R3, R4 \
	BIC	R4, R0, R0 \
loop: \
	CMP	R1, R0 \
	BHS	done \
	DC	op, R0 \
	ADD	R3, R0, R0 \
	B	loop \
done: \
	DSB	$15 \
	RET

// func clean(start, end uintptr)
TEXT ·clean(SB),NOSPLIT,$0-16
	BY_LINE(CVAC)

// func cleanInvalidate(start, end uintptr)
TEXT ·cleanInvalidate(SB),NOSPLIT,$0-16
	BY_LINE(CIVAC)

// func writebackGranule() uintptr
// CTR_EL0.CWG [27:24]: log2 of the cache writeback granule in words; 0
// means "not given", and the architectural maximum, 2 KiB, applies.
TEXT ·writebackGranule(SB),NOSPLIT,$0-8
	MRS	CTR_EL0, R0
	UBFX	$24, R0, $4, R0
	CBNZ	R0, known
	MOVD	$9, R0
known:
	MOVD	$4, R1
	LSL	R0, R1, R0
	MOVD	R0, ret+0(FP)
	RET
