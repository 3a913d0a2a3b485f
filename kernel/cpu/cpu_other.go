//go:build !arm64

package cpu

// On other architectures the package compiles so that the packages built on
// it can run their pure logic in host tests; touching the hardware panics.

const onlyArm64 = "cpu: arm64 only"

func MIDR() uint64         { panic(onlyArm64) }
func MPIDR() uint64        { panic(onlyArm64) }
func CurrentEL() int       { panic(onlyArm64) }
func ISAR0() uint64        { panic(onlyArm64) }
func PFR0() uint64         { panic(onlyArm64) }
func CounterFreq() uint64  { panic(onlyArm64) }
func Counter() uint64      { panic(onlyArm64) }
func rndr() (uint64, bool) { panic(onlyArm64) }
func WaitForInterrupt()    { panic(onlyArm64) }
func DAIF() uint64         { panic(onlyArm64) }

func Index() int    { panic(onlyArm64) }
func TTBR0() uint64 { panic(onlyArm64) }

func EnableIRQ()                 { panic(onlyArm64) }
func DisableIRQ() bool           { panic(onlyArm64) }
func RestoreIRQ(wasEnabled bool) { panic(onlyArm64) }
