#include "textflag.h"

// cpuinit is the image's first instruction (runtime/goos.CPUInit jumps
// here). QEMU's ELF loader passes no device tree in x0 for a bare-metal
// image, so x0 is ignored and boot falls back to bootConfig.FallbackDTB.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	MOVD	$0, R0
	MOVD	$·bootConfig(SB), R1
	B	github·com∕yolkos∕yolk∕boot·entry(SB)
