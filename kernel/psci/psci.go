//go:build tamago

// Package psci calls the Power State Coordination Interface firmware
// (Arm DEN 0022, "Arm Power State Coordination Interface"), through HVC or
// SMC as the device tree's /psci "method" says.
package psci

// Function IDs (DEN 0022 5.1, SMC64 where the call takes addresses).
const (
	fnVersion   = 0x8400_0000
	fnCPUOn     = 0xc400_0003
	fnSystemOff = 0x8400_0008
	fnReset     = 0x8400_0009
)

// Return codes (DEN 0022 5.2.2).
const (
	Success         = 0
	NotSupported    = -1
	InvalidParams   = -2
	Denied          = -3
	AlreadyOn       = -4
	OnPending       = -5
	InternalFailure = -6
	NotPresent      = -7
	Disabled        = -8
	InvalidAddress  = -9
)

// Conduit is how the firmware is reached.
type Conduit int

const (
	None Conduit = iota
	HVC
	SMC
)

// Method is the conduit found in the device tree; set by the board.
var Method Conduit

// ParseMethod maps the device tree's method string to a Conduit.
func ParseMethod(s string) Conduit {
	switch s {
	case "hvc":
		return HVC
	case "smc":
		return SMC
	}
	return None
}

func hvc(fn, a1, a2, a3 uint64) int64
func smc(fn, a1, a2, a3 uint64) int64

//go:nosplit
func call(fn, a1, a2, a3 uint64) int64 {
	switch Method {
	case HVC:
		return hvc(fn, a1, a2, a3)
	case SMC:
		return smc(fn, a1, a2, a3)
	}
	return NotSupported
}

// Version returns the PSCI major and minor version.
func Version() (major, minor int) {
	v := call(fnVersion, 0, 0, 0)
	return int(v >> 16), int(v & 0xffff)
}

// CPUOn starts the core with affinity mpidr at entry (a physical address)
// with x0 = context.
func CPUOn(mpidr, entry, context uint64) int64 {
	return call(fnCPUOn, mpidr, entry, context)
}

// SystemOff powers the machine off; it returns only on failure.
//
//go:nosplit
func SystemOff() int64 { return call(fnSystemOff, 0, 0, 0) }

// SystemReset resets the machine; it returns only on failure.
func SystemReset() int64 { return call(fnReset, 0, 0, 0) }
