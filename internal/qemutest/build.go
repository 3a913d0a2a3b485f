//go:build !tamago

package qemutest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yolkos/yolk/internal/target"
)

// Build compiles the package pkg (a path relative to the repository root,
// e.g. "./test/guest") for board/qemu-virt with the TamaGo toolchain and
// returns the ELF's path in a temporary directory. It fails the test when
// the toolchain is missing: the tests are meaningless without it.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	root := RepoRoot(t)
	out, err := exec.Command("go", "tool", "-n", target.TamagoTool).Output()
	if err != nil {
		t.Fatalf("the TamaGo toolchain is not available (go tool -n ... tamago: %v); run `go tool tamago version` to install it", err)
	}
	tamago := strings.TrimSpace(string(out))
	elf := filepath.Join(t.TempDir(), filepath.Base(pkg)+".elf")
	args := append([]string{"build"}, target.QEMUVirt.BuildFlags("", "")...)
	cmd := exec.Command(tamago, append(args, "-o", elf, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), target.Env()...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s for the target: %v\n%s", pkg, err, b)
	}
	return elf
}
