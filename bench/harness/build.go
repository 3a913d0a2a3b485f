//go:build !tamago

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	ytarget "github.com/yolkos/yolk/internal/target"
)

// The guest program and where the harness keeps what it builds and
// downloads (relative to the repository root, like every path it shows).
// The network rows boot images of their own, built with -tags benchnet
// (see bench/guest/net.go).
const (
	guestPkg      = "github.com/yolkos/yolk/bench/guest"
	buildDir      = "build/bench"
	yolkImage     = buildDir + "/guest-yolk.elf"
	linuxGuest    = buildDir + "/guest-linux"
	initramfs     = buildDir + "/initramfs.cpio.gz"
	yolkNetImage  = buildDir + "/guest-yolk-net.elf"
	linuxNetGuest = buildDir + "/guest-linux-net"
	initramfsNet  = buildDir + "/initramfs-net.cpio.gz"
	netTag        = "benchnet"
)

// repoRoot is the nearest directory from the working directory up that
// holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above", dir)
		}
	}
}

// enterRoot makes the repository root the working directory, with its
// build directory: every path the harness uses or shows is relative to
// the root.
func enterRoot() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	return os.MkdirAll(buildDir, 0o755)
}

// command runs name with args in the repository root (the working
// directory, see main) and returns its combined output.
func command(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// tamagoGo is the TamaGo toolchain's go command.
func tamagoGo() (string, error) {
	out, err := command(nil, "go", "tool", "-n", "github.com/usbarmory/tamago/cmd/tamago")
	if err != nil {
		return "", fmt.Errorf("the TamaGo toolchain is not available (run `go tool tamago version`): %v", err)
	}
	return strings.TrimSpace(out), nil
}

// Both guests are linked without symbol tables and DWARF (-s -w), so the
// size row compares code and data.

// buildYolk builds the guest for board/qemu-virt as elf, with the build
// tags (comma-separated) if any.
func buildYolk(elf, tags string) error {
	return buildYolkPkg(elf, guestPkg, tags)
}

// buildYolkPkg builds the package pkg for board/qemu-virt as elf.
func buildYolkPkg(elf, pkg, tags string) error {
	gocmd, err := tamagoGo()
	if err != nil {
		return err
	}
	args := append([]string{"build"}, ytarget.QEMUVirt.BuildFlags(tags, "-s -w")...)
	_, err = command(ytarget.Env(), gocmd, append(args, "-o", elf, pkg)...)
	return err
}

// buildLinux builds the guest as bin, a static linux/arm64 binary, with
// the build tags if any, and packs it as /init into the initramfs initrd
// with the extra entries.
func buildLinux(bin, initrd, tags string, extra ...cpioEntry) error {
	if _, err := command([]string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"},
		"go", "build", "-tags", tags, "-ldflags", "-s -w", "-o", bin, guestPkg); err != nil {
		return err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	f, err := os.Create(initrd)
	if err != nil {
		return err
	}
	return errors.Join(writeInitramfs(f, b, extra...), f.Close())
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
