//go:build !tamago

package qemutest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// DefaultLDFlags links an image for board/qemu-virt: text 2 MiB plus one
// page above RAM's base (the device tree sits at the base), segments page
// aligned, and sched's reference to runtime.numCPUStartup allowed. The Makefile exports YOLK_LDFLAGS with the same value
// (TestMakefileLDFlags keeps them equal).
const DefaultLDFlags = "-T 0x40210000 -R 0x1000 -checklinkname=0"

// LDFlags returns the linker flags for guest images.
func LDFlags() string {
	if f := os.Getenv("YOLK_LDFLAGS"); f != "" {
		return f
	}
	return DefaultLDFlags
}

// Build compiles the package pkg (a path relative to the repository root,
// e.g. "./test/guest") for GOOS=tamago GOARCH=arm64 with the TamaGo
// toolchain and returns the ELF's path in a temporary directory. It fails
// the test when the toolchain is missing: the tests are meaningless
// without it.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	root := RepoRoot(t)
	out, err := exec.Command("go", "tool", "-n", "github.com/usbarmory/tamago/cmd/tamago").Output()
	if err != nil {
		t.Fatalf("the TamaGo toolchain is not available (go tool -n ... tamago: %v); run `go tool tamago version` to install it", err)
	}
	tamago := strings.TrimSpace(string(out))
	elf := filepath.Join(t.TempDir(), filepath.Base(pkg)+".elf")
	cmd := exec.Command(tamago, "build", "-ldflags", LDFlags(), "-o", elf, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=tamago", "GOARCH=arm64", "GOOSPKG=github.com/usbarmory/tamago")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s for the target: %v\n%s", pkg, err, b)
	}
	return elf
}
