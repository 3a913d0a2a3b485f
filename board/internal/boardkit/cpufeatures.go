//go:build tamago

package boardkit

import _ "unsafe" // go:linkname

// The Go library picks its fastest code for AES, GCM, SHA-1, SHA-2,
// SHA-3, CRC-32 and atomics from internal/cpu's feature flags, which on
// GOOS=tamago nobody sets (internal/cpu/cpu_arm64_other.go: an OS there
// is assumed unable to read the ID registers). yolk runs at EL1 and can:
// DetectCPUFeatures reads ID_AA64ISAR0_EL1 and ID_AA64PFR0_EL1 with
// internal/cpu's own code, in hwinit0, before the runtime copies the
// atomics flag (cpuinit, in schedinit) and before any package initialiser
// reads the others. GODEBUG=cpu.* still turns them off afterwards.
// Pinned to tamago-go1.26.0's internal/cpu (cpu_arm64.go, cpu_arm64.s).

//go:linkname cpuISAR0 internal/cpu.getisar0
func cpuISAR0() uint64

//go:linkname cpuPFR0 internal/cpu.getpfr0
func cpuPFR0() uint64

//go:linkname parseARM64SystemRegisters internal/cpu.parseARM64SystemRegisters
func parseARM64SystemRegisters(isar0, pfr0 uint64)

// DetectCPUFeatures sets internal/cpu's arm64 feature flags from the ID
// registers. Called by each board's hwinit0.
//
//go:nosplit
func DetectCPUFeatures() {
	parseARM64SystemRegisters(cpuISAR0(), cpuPFR0())
}
