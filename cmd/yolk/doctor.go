//go:build !tamago

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/yolkos/yolk/internal/target"
)

// A check is one thing doctor looks at.
type check struct {
	name     string
	required bool // yolk cannot build or run without it
	run      func() (string, error)
	fix      string
}

func cmdDoctor(args []string) error {
	fs := newFlags("doctor", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	checks := []check{
		{"go", true, func() (string, error) {
			v, err := hostGo(".", "env", "GOVERSION")
			v = strings.TrimSpace(v)
			if err != nil {
				return "", err
			}
			if versionLess(strings.TrimPrefix(v, "go"), "1.26") {
				return v, fmt.Errorf("%s is older than Go 1.26", v)
			}
			return v, nil
		}, "install Go >= 1.26 from https://go.dev/dl/"},
		{"module", false, func() (string, error) {
			_, err := findModuleOnly()
			if err != nil {
				return "", err
			}
			return "the working directory's module builds for yolk", nil
		}, "the message says how; 'go tool yolk new DIR' makes a module that does"},
		{"tamago", true, func() (string, error) {
			root, err := tamagoRoot()
			if err != nil {
				return "", err
			}
			gobin := filepath.Join(root, "bin", "go")
			out, err := exec.Command(gobin, "version").Output()
			if err != nil {
				return "", fmt.Errorf("no TamaGo toolchain at %s", root)
			}
			return strings.TrimSpace(string(out)) + " (" + root + ")", nil
		}, "any 'go tool yolk build' installs it (about 5 minutes, needs git); or run 'go run " + target.TamagoTool + "@" + target.TamagoVersion + " version'"},
		{"qemu", true, func() (string, error) {
			q, err := qemuBinary(prog)
			if err != nil {
				return "", err
			}
			out, err := exec.Command(q, "--version").Output()
			if err != nil {
				return "", fmt.Errorf("%s --version: %v", q, err)
			}
			m := regexp.MustCompile(`version (\d+)\.(\d+)\.?(\d*)`).FindStringSubmatch(string(out))
			if m == nil {
				return "", fmt.Errorf("cannot read %s's version", q)
			}
			if major, _ := strconv.Atoi(m[1]); major < 9 {
				return "", fmt.Errorf("%s is QEMU %s.%s, older than 9", q, m[1], m[2])
			}
			machines, err := exec.Command(q, "-machine", "help").Output()
			if err != nil {
				return "", fmt.Errorf("%s -machine help: %v", q, err)
			}
			for _, b := range target.Boards {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(b.Machine) + `\s`).Match(machines) {
					return "", fmt.Errorf("%s has no %s machine (board %s)", q, b.Machine, b.Name)
				}
			}
			return fmt.Sprintf("%s: QEMU %s.%s with the virt and raspi4b machines", q, m[1], m[2]), nil
		}, "install QEMU >= 9 with qemu-system-aarch64 (Debian: apt-get install qemu-system-arm; on bookworm from bookworm-backports, which the yolk repository's .ci/install-qemu.sh sets up), or set QEMU to its path"},
		{"dtc", false, tool("dtc", "--version"), "apt-get install device-tree-compiler (yolk's own host tests use it)"},
		{"sd card tools", false, func() (string, error) {
			var missing []string
			for _, t := range []string{"sfdisk", "mkfs.vfat", "mcopy"} {
				if _, err := exec.LookPath(t); err != nil {
					missing = append(missing, t)
				}
			}
			if len(missing) > 0 {
				return "", fmt.Errorf("%s not found (needed by image and flash)", strings.Join(missing, ", "))
			}
			return "sfdisk, mkfs.vfat, mcopy", nil
		}, "apt-get install fdisk dosfstools mtools"},
	}
	failed := 0
	for _, c := range checks {
		v, err := c.run()
		switch {
		case err == nil:
			fmt.Printf("ok    %-14s %s\n", c.name, v)
		case c.required:
			failed++
			fmt.Printf("FAIL  %-14s %v\n      %-14s fix: %s\n", c.name, err, "", c.fix)
		default:
			fmt.Printf("warn  %-14s %v\n      %-14s fix: %s\n", c.name, err, "", c.fix)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d required check(s) failed; each FAIL line above says how to fix it", failed)
	}
	return nil
}

// tool checks that a program runs and returns its first line.
func tool(name string, args ...string) func() (string, error) {
	return func() (string, error) {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s not found", name)
		}
		out, err := exec.Command(p, args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s: %v", p, err)
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return first, nil
	}
}

// findModuleOnly is findModule without installing the toolchain.
func findModuleOnly() (*module, error) {
	root, err := tamagoRoot()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "go")); err != nil {
		return nil, fmt.Errorf("no TamaGo toolchain yet (see the tamago line)")
	}
	return findModule()
}
