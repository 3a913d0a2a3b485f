//go:build !tamago

package qemutest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options select the run-qemu.sh options for one boot. The zero value boots
// the script's defaults (virt, 1 CPU, 512M, GICv2, EL1, no network), which
// the YOLK_* environment variables can change unless Isolated is set.
type Options struct {
	SMP     int           // -smp N; 0 leaves the default
	Mem     string        // -m SIZE, e.g. "1G"; "" leaves the default
	GIC     int           // -gic 2|3; 0 leaves the default
	EL2     bool          // -el2: boot at EL2 (virt,virtualization=on)
	Machine string        // -machine NAME; "" leaves the default (virt)
	Net     bool          // -net: user networking, virtio-net-device
	Timeout time.Duration // -timeout, rounded up to seconds; 0 leaves the default

	// Env holds extra KEY=VALUE variables for run-qemu.sh, e.g.
	// "QEMU_EXTRA=-d guest_errors" or "YOLK_HOSTFWD=tcp:127.0.0.1:8081-:80".
	Env []string
	// Isolated drops inherited YOLK_*, QEMU and QEMU_EXTRA variables, so
	// only Options and Env steer the script.
	Isolated bool
	// Stdin, when set, is fed to the guest's serial port (YOLK_STDIN=1).
	// Otherwise the guest reads nothing.
	Stdin io.Reader
	// Script is the run-qemu.sh to use; "" means the repository's.
	Script string
}

// Args returns the run-qemu.sh options that o stands for.
func (o Options) Args() []string {
	var a []string
	if o.SMP != 0 {
		a = append(a, "-smp", strconv.Itoa(o.SMP))
	}
	if o.Mem != "" {
		a = append(a, "-m", o.Mem)
	}
	if o.GIC != 0 {
		a = append(a, "-gic", strconv.Itoa(o.GIC))
	}
	if o.EL2 {
		a = append(a, "-el2")
	}
	if o.Machine != "" {
		a = append(a, "-machine", o.Machine)
	}
	if o.Net {
		a = append(a, "-net")
	}
	if o.Timeout > 0 {
		s := (o.Timeout + time.Second - 1) / time.Second
		a = append(a, "-timeout", strconv.FormatInt(int64(s), 10))
	}
	return a
}

// Result is what one boot produced.
type Result struct {
	// Output is the guest's serial output (stdout) and the messages of
	// QEMU and run-qemu.sh (stderr), interleaved in the order written.
	Output string
	Stdout string // stdout only: the guest's serial port
	Stderr string // stderr only: QEMU's and run-qemu.sh's messages
	// ExitCode is the script's exit status: the guest's exit status, 2 if
	// QEMU could not be started, 124 on timeout, -1 if it was killed.
	ExitCode int
	Duration time.Duration
}

// TimedOut reports whether run-qemu.sh killed QEMU on its timeout.
func (r Result) TimedOut() bool {
	return r.ExitCode == 124 && strings.Contains(r.Stderr, "run-qemu.sh: timeout after ")
}

// Run boots elf with args as its command line through run-qemu.sh and waits
// for it to finish. A non-zero exit is not a test failure: check
// Result.ExitCode. Run fails the test only if the script cannot be run, or
// if the test's deadline comes first (the script is then sent SIGTERM,
// which stops QEMU). When the test fails, the output is logged.
func Run(t testing.TB, elf string, opts Options, args ...string) Result {
	t.Helper()
	script, argv := command(t, elf, opts, args)
	return runScript(t, script, argv, opts)
}

// command returns the script and its arguments that boot elf with args.
func command(t testing.TB, elf string, opts Options, args []string) (string, []string) {
	t.Helper()
	script := opts.Script
	if script == "" {
		script = Script(t)
	}
	argv := append(opts.Args(), "--", elf)
	return script, append(argv, args...)
}

func runScript(t testing.TB, script string, argv []string, opts Options) Result {
	t.Helper()
	ctx := context.Background()
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := tt.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
			defer cancel()
		}
	}

	cmd := exec.CommandContext(ctx, script, argv...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second // > run-qemu.sh's TERM-to-KILL grace
	setProcAttr(cmd)
	cmd.Env = environ(opts)
	if opts.Stdin != nil {
		cmd.Stdin = opts.Stdin
		cmd.Env = append(cmd.Env, "YOLK_STDIN=1")
	}
	var all, stdout, stderr lockedBuffer
	cmd.Stdout = &teeWriter{&all, &stdout}
	cmd.Stderr = &teeWriter{&all, &stderr}

	start := time.Now()
	err := cmd.Run()
	res := Result{
		Output:   all.String(),
		Stdout:   stdout.String(),
		Stderr:   stderr.String(),
		ExitCode: cmd.ProcessState.ExitCode(),
		Duration: time.Since(start),
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("qemutest: running %s: %v\n%s", script, err, res.Output)
	}
	name := filepath.Base(script)
	t.Logf("%s %s: exit status %d after %v", name, strings.Join(argv, " "), res.ExitCode, res.Duration.Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Errorf("qemutest: %s stopped: the test's deadline is near", name)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of %s %s:\n%s", name, strings.Join(argv, " "), res.Output)
		}
	})
	return res
}

// environ returns the script's environment for opts.
func environ(opts Options) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if opts.Isolated && (strings.HasPrefix(k, "YOLK_") || k == "QEMU" || k == "QEMU_EXTRA") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, opts.Env...)
}

// RepoRoot returns the repository root: the nearest directory, from the
// working directory up, that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("qemutest: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("qemutest: no go.mod in %s or above", dir)
		}
	}
}

// Script returns the path of the repository's run-qemu.sh.
func Script(t testing.TB) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "run-qemu.sh")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("qemutest: %v", err)
	}
	return p
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// teeWriter writes to the combined buffer and to one stream's buffer, under
// the combined buffer's lock so the two stay in the same order.
type teeWriter struct {
	all, one *lockedBuffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.all.mu.Lock()
	defer w.all.mu.Unlock()
	w.all.b.Write(p)
	return w.one.Write(p)
}
