#include "textflag.h"

// cpuinit is where the image starts (runtime/goos.CPUInit; the tool's
// internal/target.RawImage puts a branch to it at the first byte of
// kernel8.img). The Pi firmware's
// armstub and QEMU's raspi boot code both enter at EL2 with the device
// tree's address in x0, which boot·entry takes as it is.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	MOVD	$·bootConfig(SB), R1
	B	github·com∕yolkos∕yolk∕boot·entry(SB)
