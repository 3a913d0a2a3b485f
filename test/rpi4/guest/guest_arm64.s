//go:build tamago

#include "textflag.h"

TEXT ·undefined(SB),NOSPLIT,$0-0
	WORD	$0x00000000	// udf #0
	RET
