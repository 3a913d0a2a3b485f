//go:build !tamago && unix

package qemutest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tests that boot tiny semihosting programs under the real QEMU. They never
// skip: CI installs QEMU (.ci/install-qemu.sh) before running them.

func requireQEMU(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-aarch64"); err != nil {
		t.Fatal("qemu-system-aarch64 not found: install it with 'bash .ci/install-qemu.sh'")
	}
}

func realOpts() Options {
	return Options{Isolated: true, Timeout: 60 * time.Second}
}

func TestRealQEMUExitStatusAndCmdline(t *testing.T) {
	requireQEMU(t)
	for _, tc := range []struct {
		name string
		code uint64
		opts func(*Options)
	}{
		{"default", 0, func(*Options) {}},
		{"smp2 gic3", 1, func(o *Options) { o.SMP, o.GIC = 2, 3 }},
		{"el2", 3, func(o *Options) { o.EL2 = true }},
		{"gic3 el2 1G", 77, func(o *Options) { o.GIC, o.EL2, o.Mem = 3, true, "1G" }},
		{"net", 0, func(o *Options) {
			o.Net = true
			o.Env = []string{"YOLK_HOSTFWD="} // no host ports taken
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			elf := writeFile(t, "echo.elf", echoExitELF(tc.code), 0o644)
			opts := realOpts()
			tc.opts(&opts)
			args := []string{"-test.paniconexit0", "-test.timeout=10m0s", "-test.v=true", "-test.run=^TestX$"}
			r := Run(t, elf, opts, args...)
			if r.ExitCode != int(tc.code) {
				t.Errorf("exit status %d, want %d", r.ExitCode, tc.code)
			}
			// Semihosting's command line is the kernel file, then -append.
			want := "cmdline=[" + elf + " " + strings.Join(args, " ") + "]\n"
			if !strings.Contains(r.Output, want) {
				t.Errorf("output %q does not contain %q", r.Output, want)
			}
		})
	}
}

func TestRealQEMUTimeout(t *testing.T) {
	requireQEMU(t)
	elf := writeFile(t, "loop.elf", loopELF(), 0o644)
	opts := realOpts()
	opts.Timeout = 2 * time.Second
	r := Run(t, elf, opts)
	if r.ExitCode != 124 || !r.TimedOut() {
		t.Errorf("exit status %d, stderr %q: want 124 and the timeout message", r.ExitCode, r.Stderr)
	}
	if r.Duration > 15*time.Second {
		t.Errorf("took %v", r.Duration)
	}
}

func TestRealQEMUNoELF(t *testing.T) {
	requireQEMU(t)
	r := Run(t, filepath.Join(t.TempDir(), "missing.elf"), realOpts())
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "run-qemu.sh: cannot boot") {
		t.Errorf("exit status %d, stderr %q: want 2 and a message", r.ExitCode, r.Stderr)
	}
}

func TestRealQEMUStartFailure(t *testing.T) {
	// QEMU refusing its arguments exits 1 with its own message.
	requireQEMU(t)
	elf := writeFile(t, "echo.elf", echoExitELF(0), 0o644)
	opts := realOpts()
	opts.Env = []string{"QEMU_EXTRA=-no-such-qemu-option"}
	r := Run(t, elf, opts)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "no-such-qemu-option") {
		t.Errorf("exit status %d, stderr %q: want failure and QEMU's message", r.ExitCode, r.Stderr)
	}
}
