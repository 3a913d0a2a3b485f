//go:build !tamago && unix

package qemutest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests of run-qemu.sh against a fake QEMU that records its arguments.

const fakeQEMU = `#!/bin/sh
# Fake qemu-system-aarch64 for run-qemu.sh's tests.
echo $$ > "$FAKE_DIR/pid.tmp" && mv "$FAKE_DIR/pid.tmp" "$FAKE_DIR/pid"
: > "$FAKE_DIR/argv"
for a in "$@"; do printf '%s\0' "$a" >> "$FAKE_DIR/argv"; done
cat > "$FAKE_DIR/stdin"
echo "fake guest output"
if [ -n "${FAKE_IGNORE_TERM:-}" ]; then trap '' TERM; fi
if [ -n "${FAKE_SLEEP:-}" ]; then exec sleep "$FAKE_SLEEP"; fi
exit "${FAKE_EXIT:-0}"
`

type fake struct {
	t    *testing.T
	dir  string
	qemu string
	elf  string
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{t: t, dir: t.TempDir()}
	f.qemu = filepath.Join(f.dir, "fake-qemu")
	if err := os.WriteFile(f.qemu, []byte(fakeQEMU), 0o755); err != nil {
		t.Fatal(err)
	}
	f.elf = filepath.Join(f.dir, "guest.elf")
	if err := os.WriteFile(f.elf, elfFile(emAArch64, make([]byte, 16)), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// opts returns isolated options that point the script at the fake. The
// environment has the target's GOOS and GOARCH, as when go test runs the
// script as its -exec.
func (f *fake) opts(env ...string) Options {
	return Options{
		Isolated: true,
		Env: append([]string{"QEMU=" + f.qemu, "FAKE_DIR=" + f.dir,
			"GOOS=tamago", "GOARCH=arm64", "GOOSPKG=github.com/usbarmory/tamago"}, env...),
	}
}

// run runs run-qemu.sh with raw arguments.
func (f *fake) run(opts Options, args ...string) Result {
	f.t.Helper()
	return runScript(f.t, Script(f.t), args, opts)
}

// argv returns the arguments the fake QEMU was started with, or nil if it
// was not started.
func (f *fake) argv() []string {
	b, err := os.ReadFile(filepath.Join(f.dir, "argv"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		f.t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

func (f *fake) pid() int {
	b, err := os.ReadFile(filepath.Join(f.dir, "pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// want is the QEMU argv that the script should produce on virt: -M
// machine, then mid (-smp/-m), the modern virtio-mmio transport, the
// network options in tail (those before any other option), the fixed
// options, -append cmdline, and the rest of tail (QEMU_EXTRA).
func (f *fake) want(machine string, mid []string, cmdline string, tail ...string) []string {
	w := []string{"-M", machine, "-cpu", "max"}
	w = append(w, mid...)
	w = append(w, "-global", "virtio-mmio.force-legacy=false")
	if len(tail) >= 4 && tail[0] == "-netdev" {
		w = append(w, tail[:4]...)
		tail = tail[4:]
	}
	w = append(w, "-nographic", "-monitor", "none", "-serial", "stdio",
		"-semihosting", "-no-reboot", "-kernel", f.elf, "-append", cmdline)
	return append(w, tail...)
}

var defMid = []string{"-smp", "1", "-m", "512M"}

func expectExit(t *testing.T, r Result, code int, msg string) {
	t.Helper()
	if r.ExitCode != code {
		t.Errorf("exit status %d, want %d; output:\n%s", r.ExitCode, code, r.Output)
	}
	if msg != "" && !strings.Contains(r.Stderr, msg) {
		t.Errorf("stderr %q does not contain %q", r.Stderr, msg)
	}
}

func TestDefaultArgv(t *testing.T) {
	f := newFake(t)
	r := f.run(f.opts(), f.elf)
	expectExit(t, r, 0, "")
	if got, want := f.argv(), f.want("virt", defMid, ""); !reflect.DeepEqual(got, want) {
		t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
	}
	if r.Stdout != "fake guest output\n" {
		t.Errorf("stdout %q, want the fake's output", r.Stdout)
	}
	if r.Stderr != "" {
		t.Errorf("unexpected stderr %q", r.Stderr)
	}
}

func TestOptionsArgv(t *testing.T) {
	const fwd = "hostfwd=tcp:127.0.0.1:8080-:80"
	netTail := []string{"-netdev", "user,id=n0," + fwd, "-device", "virtio-net-device,netdev=n0"}
	tests := []struct {
		name    string
		args    []string // script options
		env     []string
		machine string
		mid     []string
		tail    []string
	}{
		{"smp", []string{"-smp", "4"}, nil, "virt", []string{"-smp", "4", "-m", "512M"}, nil},
		{"mem", []string{"-m", "1G"}, nil, "virt", []string{"-smp", "1", "-m", "1G"}, nil},
		{"gic2", []string{"-gic", "2"}, nil, "virt", defMid, nil},
		{"gic3", []string{"-gic", "3"}, nil, "virt,gic-version=3", defMid, nil},
		{"el2", []string{"-el2"}, nil, "virt,virtualization=on", defMid, nil},
		{"gic3+el2", []string{"-el2", "-gic", "3"}, nil, "virt,gic-version=3,virtualization=on", defMid, nil},
		{"machine virt", []string{"-machine", "virt", "-gic", "3"}, nil, "virt,gic-version=3", defMid, nil},
		{"net", []string{"-net"}, nil, "virt", defMid, netTail},
		{"net+hostfwd", []string{"-net"}, []string{"YOLK_HOSTFWD=tcp:127.0.0.1:2222-:22 udp::5353-:53"}, "virt", defMid,
			[]string{"-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-:53", "-device", "virtio-net-device,netdev=n0"}},
		{"extra", nil, []string{"QEMU_EXTRA=-d guest_errors  -s"}, "virt", defMid, []string{"-d", "guest_errors", "-s"}},
		{"net+extra", []string{"-net"}, []string{"QEMU_EXTRA=-S"}, "virt", defMid, append(netTail[:4:4], "-S")},
		{"timeout", []string{"-timeout", "30"}, nil, "virt", defMid, nil},
		{"all", []string{"-smp", "2", "-m", "256M", "-gic", "3", "-el2", "-net", "-timeout", "9"}, nil,
			"virt,gic-version=3,virtualization=on", []string{"-smp", "2", "-m", "256M"}, netTail},
		{"env", nil, []string{"YOLK_SMP=3", "YOLK_MEM=768M", "YOLK_GIC=3", "YOLK_EL2=1", "YOLK_NET=1"},
			"virt,gic-version=3,virtualization=on", []string{"-smp", "3", "-m", "768M"}, netTail},
		{"options beat env", []string{"-smp", "2", "-m", "1G", "-gic", "2"}, []string{"YOLK_SMP=3", "YOLK_MEM=768M", "YOLK_GIC=3"},
			"virt", []string{"-smp", "2", "-m", "1G"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			args := append(append([]string{}, tc.args...), f.elf)
			r := f.run(f.opts(tc.env...), args...)
			expectExit(t, r, 0, "")
			if got, want := f.argv(), f.want(tc.machine, tc.mid, "", tc.tail...); !reflect.DeepEqual(got, want) {
				t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
			}
		})
	}
}

// On raspi4b the ELF boots as the Pi's kernel8.img, with the Pi's device
// tree; the machine's cores and RAM are fixed.
func TestRaspi4bArgv(t *testing.T) {
	f := newFake(t)
	// An image linked for board/rpi4: headers at 0x80000.
	f.elf = writeFile(t, "pi.elf", elfFileAt(emAArch64, 0x80000, make([]byte, 16)), 0o644)
	for _, env := range [][]string{nil, {"YOLK_MACHINE=raspi4b"}} {
		args := []string{f.elf, "x"}
		if env == nil {
			args = append([]string{"-machine", "raspi4b", "-smp", "4"}, args...)
		}
		r := f.run(f.opts(env...), args...)
		expectExit(t, r, 0, "")
		got := f.argv()
		dtb := filepath.Join(RepoRoot(t), "board/rpi4/testdata/bcm2711-rpi-4-b.dtb")
		want := []string{"-M", "raspi4b", "-dtb", dtb, "-nographic", "-monitor", "none", "-serial", "stdio",
			"-semihosting", "-no-reboot", "-kernel", "KERNEL", "-append", "x"}
		if i := slices.Index(got, "-kernel"); i > 0 && i+1 < len(got) && strings.HasSuffix(got[i+1], "/kernel8.img") {
			got[i+1] = "KERNEL"
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
		}
	}
	// A virt image is refused, as are options the machine fixes.
	g := newFake(t)
	expectExit(t, g.run(g.opts(), "-machine", "raspi4b", g.elf), 2, "link with -T 0x81000")
	expectExit(t, g.run(g.opts(), "-machine", "raspi4b", "-smp", "2", f.elf), 2, "always has 4 cores")
	expectExit(t, g.run(g.opts(), "-machine", "raspi4b", "-m", "1G", f.elf), 2, "always has 2G")
	if g.argv() != nil {
		t.Errorf("QEMU was started")
	}
}

func TestRunOptions(t *testing.T) {
	f := newFake(t)
	opts := f.opts()
	opts.SMP, opts.Mem, opts.GIC, opts.EL2, opts.Net, opts.Timeout = 2, "1G", 3, true, true, 1500*time.Millisecond
	if got, want := opts.Args(), []string{"-smp", "2", "-m", "1G", "-gic", "3", "-el2", "-net", "-timeout", "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Options.Args() = %q, want %q", got, want)
	}
	r := Run(t, f.elf, opts, "-test.v=true")
	expectExit(t, r, 0, "")
	want := f.want("virt,gic-version=3,virtualization=on", []string{"-smp", "2", "-m", "1G"}, "-test.v=true",
		"-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80", "-device", "virtio-net-device,netdev=n0")
	if got := f.argv(); !reflect.DeepEqual(got, want) {
		t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
	}
	if r.Duration <= 0 || r.Duration > time.Minute {
		t.Errorf("implausible Duration %v", r.Duration)
	}
}

func TestAppend(t *testing.T) {
	f := newFake(t)
	// What go test -exec passes; options after the ELF belong to the guest.
	args := []string{"-test.paniconexit0", "-test.timeout=10m0s", "-test.v=true",
		"-test.run=^TestX$|Y", "-smp", "4", "--", "é=ü", "a'b"}
	r := f.run(f.opts(), append([]string{f.elf}, args...)...)
	expectExit(t, r, 0, "")
	if got, want := f.argv(), f.want("virt", defMid, strings.Join(args, " ")); !reflect.DeepEqual(got, want) {
		t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
	}

	// "--" ends the options, so an ELF may start with "-".
	f = newFake(t)
	dash := filepath.Join(f.dir, "-guest")
	if err := os.Rename(f.elf, dash); err != nil {
		t.Fatal(err)
	}
	f.elf = dash
	// A relative "-guest" is looked for (in the working directory, where
	// it is not), not parsed as an option.
	expectExit(t, f.run(f.opts(), "-smp", "2", "--", "-guest", "x"), 2, "cannot boot '-guest': no such file")
	r = f.run(f.opts(), "-smp", "2", "--", dash, "x")
	expectExit(t, r, 0, "")
	if got, want := f.argv(), f.want("virt", []string{"-smp", "2", "-m", "512M"}, "x"); !reflect.DeepEqual(got, want) {
		t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
	}
}

func TestRefusedArgs(t *testing.T) {
	for _, arg := range []string{"a b", "a\"b", "a\nb", "a\tb", "\"", " ", ""} {
		t.Run(strconv.Quote(arg), func(t *testing.T) {
			f := newFake(t)
			r := f.run(f.opts(), f.elf, "-test.v=true", arg)
			expectExit(t, r, 2, "run-qemu.sh: refusing ")
			if f.argv() != nil {
				t.Errorf("QEMU was started")
			}
		})
	}
}

func TestCmdlineLength(t *testing.T) {
	f := newFake(t)
	long := strings.Repeat("x", 1000)
	// 1000 + 1 + 1000 + 1 + 46 = 2048 bytes: allowed.
	ok := []string{long, long, strings.Repeat("y", 46)}
	expectExit(t, f.run(f.opts(), append([]string{f.elf}, ok...)...), 0, "")
	got := f.argv()
	i := slices.Index(got, "-append")
	if i < 0 || i+1 >= len(got) || len(got[i+1]) != 2048 {
		t.Errorf("want a 2048-byte -append value, got argv %q", got)
	}

	f = newFake(t)
	tooLong := []string{long, long, strings.Repeat("y", 47)}
	expectExit(t, f.run(f.opts(), append([]string{f.elf}, tooLong...)...), 2, "2049 bytes")
	if f.argv() != nil {
		t.Errorf("QEMU was started")
	}

	// Bytes, not characters: 1024 two-byte characters are 2048 bytes.
	f = newFake(t)
	expectExit(t, f.run(f.opts(), f.elf, strings.Repeat("é", 1024)), 0, "")
	f = newFake(t)
	expectExit(t, f.run(f.opts(), f.elf, strings.Repeat("é", 1024)+"x"), 2, "2049 bytes")
}

func TestExitStatus(t *testing.T) {
	for _, code := range []int{0, 1, 3, 77, 124, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			f := newFake(t)
			r := f.run(f.opts("FAKE_EXIT="+strconv.Itoa(code)), f.elf)
			expectExit(t, r, code, "")
			if r.TimedOut() {
				t.Errorf("TimedOut() for an exit status of %d", code)
			}
		})
	}
}

func alive(pid int) bool {
	// The fake is not our child, and init reaps it once it is dead.
	err := syscall.Kill(pid, 0)
	if err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) // no /proc: trust kill
	}
	// A zombie waiting to be reaped is dead too.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) == 0 || f[0] != "Z"
}

func TestTimeout(t *testing.T) {
	f := newFake(t)
	r := f.run(f.opts("FAKE_SLEEP=100"), "-timeout", "1", f.elf)
	expectExit(t, r, 124, "run-qemu.sh: timeout after 1s, QEMU killed\n")
	if !r.TimedOut() {
		t.Errorf("TimedOut() = false")
	}
	if r.Duration > 10*time.Second {
		t.Errorf("took %v", r.Duration)
	}
	if pid := f.pid(); pid == 0 || alive(pid) {
		t.Errorf("fake QEMU (pid %d) not started or still running", pid)
	}
}

func TestTimeoutEscalatesToKill(t *testing.T) {
	f := newFake(t)
	r := f.run(f.opts("FAKE_SLEEP=100", "FAKE_IGNORE_TERM=1"), "-timeout", "1", f.elf)
	expectExit(t, r, 124, "run-qemu.sh: timeout after 1s, QEMU killed\n")
	if r.Duration < 5*time.Second || r.Duration > 15*time.Second {
		t.Errorf("took %v, want about 1s + the 5s TERM grace", r.Duration)
	}
	if pid := f.pid(); pid == 0 || alive(pid) {
		t.Errorf("fake QEMU (pid %d) not started or still running", pid)
	}
}

func TestTimeoutZeroDisables(t *testing.T) {
	f := newFake(t)
	r := f.run(f.opts("FAKE_SLEEP=2", "YOLK_DEBUG=1"), "-timeout", "0", f.elf)
	expectExit(t, r, 0, "run-qemu.sh: timeout=0s")
}

func TestComputedTimeout(t *testing.T) {
	tests := []struct {
		name string
		opts []string
		env  []string
		args []string
		want string
	}{
		{"default", nil, nil, nil, "timeout=600s"},
		{"go test", nil, nil, []string{"-test.paniconexit0", "-test.timeout=2m0s", "-test.v=true"}, "timeout=150s"},
		{"go test 10m", nil, nil, []string{"-test.timeout=10m0s"}, "timeout=630s"},
		{"go test 1h", nil, nil, []string{"-test.timeout=1h0m0s"}, "timeout=3630s"},
		{"go test fraction", nil, nil, []string{"-test.timeout=1.5s"}, "timeout=32s"},
		{"go test ms", nil, nil, []string{"-test.timeout=2500ms"}, "timeout=33s"},
		{"go test separate", nil, nil, []string{"-test.timeout", "90s"}, "timeout=120s"},
		{"go test zero", nil, nil, []string{"-test.timeout=0s"}, "timeout=600s"},
		{"env", nil, []string{"YOLK_TIMEOUT=42"}, nil, "timeout=42s"},
		{"env beats go test", nil, []string{"YOLK_TIMEOUT=42"}, []string{"-test.timeout=2m0s"}, "timeout=42s"},
		{"option", []string{"-timeout", "7"}, []string{"YOLK_TIMEOUT=42"}, []string{"-test.timeout=2m0s"}, "timeout=7s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			args := append(append(append([]string{}, tc.opts...), f.elf), tc.args...)
			r := f.run(f.opts(append([]string{"YOLK_DEBUG=1"}, tc.env...)...), args...)
			expectExit(t, r, 0, "run-qemu.sh: "+tc.want+" ")
		})
	}
	// Without YOLK_DEBUG the script says nothing.
	f := newFake(t)
	if r := f.run(f.opts(), f.elf); r.Stderr != "" {
		t.Errorf("stderr %q without YOLK_DEBUG", r.Stderr)
	}
}

func TestMissingQEMU(t *testing.T) {
	f := newFake(t)
	opts := f.opts("QEMU=" + filepath.Join(f.dir, "no-such-qemu"))
	r := f.run(opts, f.elf)
	expectExit(t, r, 2, ".ci/install-qemu.sh")
	expectExit(t, r, 2, "no-such-qemu' not found")

	// Also when looked up on PATH.
	opts = f.opts("QEMU=no-such-qemu-system-aarch64")
	expectExit(t, f.run(opts, f.elf), 2, "install")
}

func TestBadELF(t *testing.T) {
	tests := []struct {
		name, msg string
		make      func(f *fake) string
	}{
		{"missing", "no such file", func(f *fake) string { return filepath.Join(f.dir, "nope.elf") }},
		{"directory", "not a regular file", func(f *fake) string { return f.dir }},
		{"empty", "not an ELF file", func(f *fake) string { return writeFile(f.t, "empty", nil, 0o644) }},
		{"text", "not an ELF file", func(f *fake) string { return writeFile(f.t, "text", []byte("#!/bin/sh\necho hi\n"), 0o755) }},
		{"x86-64", "not a 64-bit little-endian arm64", func(f *fake) string {
			return writeFile(f.t, "amd64.elf", elfFile(emX86_64, make([]byte, 16)), 0o755)
		}},
		{"32-bit", "not a 64-bit little-endian arm64", func(f *fake) string {
			b := elfFile(emAArch64, make([]byte, 16))
			b[4] = 1
			return writeFile(f.t, "elf32", b, 0o644)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			r := f.run(f.opts(), tc.make(f))
			expectExit(t, r, 2, tc.msg)
			if f.argv() != nil {
				t.Errorf("QEMU was started")
			}
		})
	}
	if os.Geteuid() != 0 { // root reads anything
		f := newFake(t)
		p := writeFile(t, "unreadable.elf", elfFile(emAArch64, nil), 0o000)
		expectExit(t, f.run(f.opts(), p), 2, "not readable")
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string // "ELF" is replaced by the fake ELF
		env  []string
		msg  string
	}{
		{"no ELF", nil, nil, "missing ELF"},
		{"unknown option", []string{"-frobnicate", "ELF"}, nil, "unknown option -frobnicate"},
		{"missing value", []string{"-smp"}, nil, "needs an argument"},
		{"bad smp", []string{"-smp", "0", "ELF"}, nil, "bad -smp"},
		{"bad smp text", []string{"-smp", "two", "ELF"}, nil, "bad -smp"},
		{"bad env smp", []string{"ELF"}, []string{"YOLK_SMP=x"}, "bad -smp"},
		{"bad mem", []string{"-m", "lots", "ELF"}, nil, "bad -m"},
		{"bad gic", []string{"-gic", "4", "ELF"}, nil, "bad -gic"},
		{"bad env gic", []string{"ELF"}, []string{"YOLK_GIC=1"}, "bad -gic"},
		{"bad timeout", []string{"-timeout", "1m", "ELF"}, nil, "bad -timeout"},
		{"bad env timeout", []string{"ELF"}, []string{"YOLK_TIMEOUT=soon"}, "bad YOLK_TIMEOUT"},
		{"bad test.timeout", []string{"ELF", "-test.timeout=forever"}, nil, "bad -test.timeout"},
		{"gic off virt", []string{"-machine", "raspi4b", "-gic", "3", "ELF"}, nil, "only supported on the virt"},
		{"el2 off virt", []string{"-machine", "raspi4b", "-el2", "ELF"}, nil, "only supported on the virt"},
		{"hostfwd comma", []string{"-net", "ELF"}, []string{"YOLK_HOSTFWD=tcp::1-:2,x=y"}, "bad YOLK_HOSTFWD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			args := append([]string{}, tc.args...)
			for i := range args {
				if args[i] == "ELF" {
					args[i] = f.elf
				}
			}
			expectExit(t, f.run(f.opts(tc.env...), args...), 2, tc.msg)
			if f.argv() != nil {
				t.Errorf("QEMU was started")
			}
		})
	}
	f := newFake(t)
	r := f.run(f.opts(), "-h")
	expectExit(t, r, 0, "Usage:")
}

func TestStdin(t *testing.T) {
	// A non-terminal stdin is not handed to QEMU by default...
	f := newFake(t)
	cmd := exec.Command(Script(t), f.elf)
	cmd.Env = environ(f.opts())
	cmd.Stdin = strings.NewReader("keep me\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "stdin")); len(b) != 0 {
		t.Errorf("QEMU read stdin %q without YOLK_STDIN=1", b)
	}

	// ...but is with YOLK_STDIN=1, which Options.Stdin sets.
	f = newFake(t)
	opts := f.opts()
	opts.Stdin = strings.NewReader("for the guest\n")
	expectExit(t, Run(t, f.elf, opts), 0, "")
	if b, _ := os.ReadFile(filepath.Join(f.dir, "stdin")); string(b) != "for the guest\n" {
		t.Errorf("QEMU read stdin %q, want the input", b)
	}
	if got, want := f.argv(), f.want("virt", defMid, ""); !reflect.DeepEqual(got, want) {
		t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
	}
}

func TestTerminal(t *testing.T) {
	// With a terminal on stdin the serial port is mon:stdio (Ctrl-A X).
	// script(1) from util-linux provides one.
	scriptCmd, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) not installed")
	}
	f := newFake(t)
	cmd := exec.Command(scriptCmd, "-qec", Script(t)+" "+f.elf+" x", "/dev/null")
	cmd.Env = environ(f.opts())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := f.want("virt", defMid, "x")
	want[slices.Index(want, "-serial")+1] = "mon:stdio"
	if got := f.argv(); !reflect.DeepEqual(got, want) {
		t.Errorf("QEMU argv\n got %q\nwant %q", got, want)
	}
}

func TestSignalStopsQEMU(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFake(t)
			cmd := exec.Command(Script(t), f.elf)
			cmd.Env = environ(f.opts("FAKE_SLEEP=100"))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.WaitDelay = 20 * time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for f.pid() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			pid := f.pid()
			if pid == 0 {
				cmd.Process.Kill()
				t.Fatal("fake QEMU did not start")
			}
			start := time.Now()
			cmd.Process.Signal(sig)
			cmd.Wait()
			if got, want := cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
				t.Errorf("exit status %d, want %d; output:\n%s", got, want, out.String())
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to stop", d)
			}
			if alive(pid) {
				t.Errorf("fake QEMU (pid %d) still running", pid)
			}
		})
	}
}

func TestFastExitDoesNotWaitForTimer(t *testing.T) {
	// A QEMU that exits at once: the script must stop its timeout timer
	// (started just before) without waiting for it, every time.
	f := newFake(t)
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	opts := f.opts("QEMU=" + truePath)
	for i := 0; i < 30; i++ {
		r := Run(t, f.elf, opts)
		expectExit(t, r, 0, "")
		if r.Duration > 5*time.Second {
			t.Fatalf("run %d took %v", i, r.Duration)
		}
	}
}
