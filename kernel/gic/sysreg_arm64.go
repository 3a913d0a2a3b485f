package gic

// Defined in sysreg_arm64.s: the GICv3 CPU interface System registers
// (IHI 0069 12.2) and barriers. Writes end with an ISB unless noted.

func readSRE() uint64
func writeSRE(v uint64)
func writePMR(v uint64)
func writeBPR1(v uint64)
func readCTLR() uint64
func writeCTLR(v uint64)
func writeIGRPEN1(v uint64)

// readIAR1 acknowledges the highest priority pending Group 1 interrupt.
func readIAR1() uint64

// writeEOIR1 ends it (no ISB: the exception return synchronizes).
func writeEOIR1(v uint64)

// writeSGI1R issues a DSB ISH (so this core's earlier memory accesses
// are complete for the other cores before the SGI can arrive), writes
// ICC_SGI1R_EL1, then an ISB.
func writeSGI1R(v uint64)

// dsb is DSB ISH: the barrier before a GICv2 GICD_SGIR write.
func dsb()
