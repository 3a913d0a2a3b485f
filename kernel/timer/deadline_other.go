//go:build !arm64

package timer

// On other architectures the package builds for host tests of its pure
// logic; the timer registers exist only on arm64.

const onlyArm64 = "timer: arm64 only"

func getCTL() uint64   { panic(onlyArm64) }
func setCTL(v uint64)  { panic(onlyArm64) }
func getCVAL() uint64  { panic(onlyArm64) }
func setCVAL(v uint64) { panic(onlyArm64) }
