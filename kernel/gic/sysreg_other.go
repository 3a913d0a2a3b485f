//go:build !arm64

package gic

// On other architectures the package builds for host tests of its pure
// logic and of register programming against fake register files; the
// CPU interface System registers exist only on arm64.

const onlyArm64 = "gic: arm64 only"

func readSRE() uint64       { panic(onlyArm64) }
func writeSRE(v uint64)     { panic(onlyArm64) }
func writePMR(v uint64)     { panic(onlyArm64) }
func writeBPR1(v uint64)    { panic(onlyArm64) }
func readCTLR() uint64      { panic(onlyArm64) }
func writeCTLR(v uint64)    { panic(onlyArm64) }
func writeIGRPEN1(v uint64) { panic(onlyArm64) }
func readIAR1() uint64      { panic(onlyArm64) }
func writeEOIR1(v uint64)   { panic(onlyArm64) }
func writeSGI1R(v uint64)   { panic(onlyArm64) }
func dsb()                  { panic(onlyArm64) }
