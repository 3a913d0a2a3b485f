//go:build tamago

package qemuvirt_test

import (
	"testing"
	_ "unsafe" // go:linkname
)

// What the Go library decided about the CPU: the flags its crypto and
// hash packages choose their code by, and the runtime's atomics flag.
var (
	//go:linkname hasAES crypto/internal/fips140deps/cpu.ARM64HasAES
	hasAES bool
	//go:linkname hasSHA2 crypto/internal/fips140deps/cpu.ARM64HasSHA2
	hasSHA2 bool
	//go:linkname hasPMULL crypto/internal/fips140deps/cpu.ARM64HasPMULL
	hasPMULL bool
	//go:linkname hasAtomics runtime.arm64HasATOMICS
	hasAtomics bool
)

//go:linkname isar0 internal/cpu.getisar0
func isar0() uint64

// TestCPUFeatures: the library uses the instructions the CPU has (QEMU's
// -cpu max has them all), as on Linux, instead of its generic code.
func TestCPUFeatures(t *testing.T) {
	r := isar0()
	field := func(lo uint) uint64 { return r >> lo & 0xf }
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"AES", hasAES, field(4) >= 1},
		{"PMULL", hasPMULL, field(4) >= 2},
		{"SHA2", hasSHA2, field(12) >= 1},
		{"LSE atomics", hasAtomics, field(20) >= 2},
	} {
		if c.got != c.want {
			t.Errorf("%s: the library says %v, ID_AA64ISAR0_EL1 (%#x) says %v", c.name, c.got, r, c.want)
		}
	}
	if !hasAES || !hasSHA2 {
		t.Errorf("QEMU's -cpu max has AES and SHA-2, the library uses neither (ID_AA64ISAR0_EL1 %#x)", r)
	}
}
