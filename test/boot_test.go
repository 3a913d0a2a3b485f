//go:build !tamago

// Package test boots guest programs (test/guest) in QEMU from the host and
// checks what a user would see: output, crash reports and exit statuses.
package test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yolkos/yolk/internal/qemutest"
)

var guest string // the guest ELF, built once by TestMain

func TestMain(m *testing.M) {
	os.Exit(runWithGuest(m))
}

func runWithGuest(m *testing.M) int {
	tb := &mainTB{}
	guest = qemutest.Build(tb, "./test/guest")
	demoELF = qemutest.Build(tb, "./cmd/demo")
	defer os.RemoveAll(tb.dir)
	return m.Run()
}

func boot(t *testing.T, opts qemutest.Options, args ...string) qemutest.Result {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 120 * time.Second
	}
	opts.Isolated = true
	r := qemutest.Run(t, guest, opts, append([]string{"yolk.quiet=1"}, args...)...)
	if r.TimedOut() {
		t.Fatalf("guest timed out:\n%s", r.Output)
	}
	return r
}

func expect(t *testing.T, r qemutest.Result, wants ...string) {
	t.Helper()
	out := strings.ReplaceAll(r.Output, "\r", "")
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
			return
		}
	}
}

func expectExit(t *testing.T, r qemutest.Result, code int) {
	t.Helper()
	if r.ExitCode != code {
		t.Errorf("exit status %d, want %d:\n%s", r.ExitCode, code, r.Output)
	}
}

// The crash report: exception class by name, ISS decoded, FAR, ELR, SPSR,
// every register, the instruction disassembled, a Go traceback, non-zero
// exit.
func checkReport(t *testing.T, r qemutest.Result) {
	t.Helper()
	checkReportOf(t, r, "fatal exception", "faulting instruction")
}

func checkReportOf(t *testing.T, r qemutest.Result, what, insn string) {
	t.Helper()
	if r.ExitCode == 0 {
		t.Errorf("a crash exited with status 0")
	}
	out := strings.ReplaceAll(r.Output, "\r", "")
	for i := 0; i <= 30; i++ {
		if !regexp.MustCompile(fmt.Sprintf(`\bx%d 0x[0-9a-f]{16}\b`, i)).MatchString(out) {
			t.Errorf("register x%d missing from the report:\n%s", i, out)
			return
		}
	}
	for _, re := range []string{`\*\*\* yolk: ` + regexp.QuoteMeta(what) + ` on cpu 0`, `ESR 0x[0-9a-f]{8}`, `FAR 0x[0-9a-f]{16}`, `ELR 0x[0-9a-f]{16}`, `SPSR 0x[0-9a-f]{8}`, `sp 0x[0-9a-f]{16}`, insn + `: `, `goroutine 1 .*\[running\]:`, `main\.main\(\)\n\t.*test/guest/main\.go:\d+`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("report lacks %s:\n%s", re, out)
		}
	}
}

func TestCrashReportUndefinedInstruction(t *testing.T) {
	r := boot(t, qemutest.Options{}, "undefined")
	checkReport(t, r)
	expectExit(t, r, 2)
	expect(t, r, "EC 0x00 unknown reason", "ESR 0x02000000", "instruction at ELR: 0x00000000",
		"fatal error: undefined instruction", "main.undefined()\n\t")
}

// An exception nothing handles (here an IRQ before any interrupt
// controller driver) crashes the goroutine it interrupted, with the same
// report and that goroutine's traceback.
func TestCrashReportUnexpectedIRQ(t *testing.T) {
	r := boot(t, qemutest.Options{}, "unexpected-irq")
	checkReportOf(t, r, "unexpected IRQ (no interrupt controller driver)", "interrupted instruction")
	expectExit(t, r, 2)
	expect(t, r, "(IRQ) ***", "no syndrome: an interrupt", "fatal error: unexpected IRQ", "main.unexpectedIRQ()\n\t")
	if strings.Contains(r.Output, "the IRQ was not taken") {
		t.Error("the goroutine went on after the unexpected IRQ")
	}
}

func TestWriteToTextFaults(t *testing.T) {
	r := boot(t, qemutest.Options{}, "write-text")
	checkReport(t, r)
	expect(t, r, "data abort, same EL: permission fault", "write", "faulting instruction: str",
		"fatal error: write to read-only memory")
}

func TestExecuteFromHeapFaults(t *testing.T) {
	r := boot(t, qemutest.Options{}, "exec-data")
	checkReport(t, r)
	expect(t, r, "instruction abort, same EL: permission fault", "fatal error: execute from non-executable memory")
}

func TestUnrecoveredNilDereference(t *testing.T) {
	r := boot(t, qemutest.Options{}, "nil-panic")
	expectExit(t, r, 2)
	expect(t, r, "panic: runtime error: invalid memory address or nil pointer dereference\n[signal 0xb code=0x96000",
		"addr=0x0 pc=0x", "goroutine 1 [running]:\nmain.main()")
}

func TestExitStatus(t *testing.T) {
	for _, code := range []int{0, 1, 3, 77, 255} {
		r := boot(t, qemutest.Options{}, "exit", fmt.Sprint(code))
		expectExit(t, r, code)
		expect(t, r, fmt.Sprintf("exiting with %d", code))
	}
}

func TestArgumentsAndEnvironment(t *testing.T) {
	r := boot(t, qemutest.Options{}, "args", "one", "-flag=2", "GUEST_A=x=y", "--", "GUEST_B=literal")
	expectExit(t, r, 0)
	expect(t, r, `args=["args" "one" "-flag=2" "GUEST_B=literal"]`, `env=["GUEST_A=x=y"]`)
}

// RAM comes from the device tree QEMU builds for -m; the banner shows it.
func TestMemorySizeFollowsQEMU(t *testing.T) {
	for _, m := range []struct {
		flag string
		mib  int
	}{{"256M", 256}, {"1G", 1024}, {"3G", 3072}} {
		r := qemutest.Run(t, guest, qemutest.Options{Mem: m.flag, Isolated: true, Timeout: 120 * time.Second}, "exit", "0")
		expectExit(t, r, 0)
		expect(t, r, fmt.Sprintf("ram:    %d MiB at 0x40000000", m.mib))
	}
}

// The tamago runtime cannot address a heap above 4 GiB: boot says so.
func TestTooMuchMemoryIsRefused(t *testing.T) {
	// The tools refuse -m 4G before QEMU starts...
	r := boot(t, qemutest.Options{Mem: "4G"}, "exit", "0")
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "-m 4G: yolk on qemu-virt can use at most 3G") {
		t.Errorf("-m 4G: exit status %d, stderr %q", r.ExitCode, r.Stderr)
	}
	// ...and boot stops when QEMU is given it all the same (the last -m
	// wins).
	r = boot(t, qemutest.Options{Mem: "3G", Env: []string{"QEMU_EXTRA=-m 4G"}}, "exit", "0")
	if r.ExitCode == 0 {
		t.Errorf("booting with 4G exited 0")
	}
	expect(t, r, "yolk: boot failed: RAM extends above 4 GiB", "-m 3G")
}

// With virtualization=on QEMU enters at EL2; boot drops to EL1.
func TestEntryAtEL2(t *testing.T) {
	r := qemutest.Run(t, guest, qemutest.Options{EL2: true, Isolated: true, Timeout: 120 * time.Second}, "exit", "5")
	expectExit(t, r, 5)
	expect(t, r, "entered at EL2")
}

// Without -semihosting the HLT of the exit call is undefined: the handler
// skips it, yolk says the status is lost and powers off through PSCI.
func TestExitWithoutSemihosting(t *testing.T) {
	qemu, err := exec.LookPath("qemu-system-aarch64")
	if err != nil {
		t.Fatal("qemu-system-aarch64 not found: install it with .ci/install-qemu.sh")
	}
	cmd := exec.Command(qemu, "-M", "virt", "-cpu", "max", "-m", "256M", "-nographic", "-monitor", "none",
		"-no-reboot", "-kernel", guest, "-append", "exit 9")
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(120 * time.Second):
			cmd.Process.Kill()
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	text := strings.ReplaceAll(string(out), "\r", "")
	if err != nil {
		t.Fatalf("QEMU: %v\n%s", err, text)
	}
	for _, want := range []string{"exiting with 9", "yolk: exit status is not passed to the host without -semihosting; powering off"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// mainTB lets TestMain use qemutest.Build, which reports through testing.TB.
type mainTB struct {
	testing.TB
	dir string
}

func (m *mainTB) Helper() {}
func (m *mainTB) TempDir() string {
	if m.dir == "" {
		m.dir, _ = os.MkdirTemp("", "yolk-guest")
	}
	return m.dir
}
func (m *mainTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// A CPU without FEAT_RNG (and no virtio-rng yet) is refused with a message
// naming the missing source, before the runtime seeds anything from it.
func TestNoEntropySourceIsRefused(t *testing.T) {
	r := boot(t, qemutest.Options{Env: []string{"QEMU_EXTRA=-cpu cortex-a72"}}, "exit", "0")
	expectExit(t, r, 70)
	expect(t, r, "no entropy source: the CPU lacks FEAT_RNG (RNDR)", "-cpu max")
	if strings.Contains(r.Output, "exiting with 0") {
		t.Error("the program ran without an entropy source")
	}
}

// Without RNDR, a virtio entropy device is the source: crypto/rand works
// and two reads differ.
func TestVirtioRNGEntropy(t *testing.T) {
	r := boot(t, qemutest.Options{Env: []string{"QEMU_EXTRA=-cpu cortex-a72 -device virtio-rng-device"}}, "random")
	expectExit(t, r, 0)
	m := regexp.MustCompile(`entropy from (\S+): ([0-9a-f]{64}) ([0-9a-f]{64})`).FindStringSubmatch(r.Output)
	if m == nil {
		t.Fatalf("no entropy line:\n%s", r.Output)
	}
	if m[1] != "virtio-rng" {
		t.Errorf("entropy from %s, want virtio-rng", m[1])
	}
	if m[2] == m[3] || m[2] == strings.Repeat("0", 64) {
		t.Errorf("two reads gave %s and %s", m[2], m[3])
	}
	// With RNDR, RNDR stays the source.
	r = boot(t, qemutest.Options{Env: []string{"QEMU_EXTRA=-device virtio-rng-device"}}, "random")
	expectExit(t, r, 0)
	expect(t, r, "entropy from RNDR")
}

// yolk.* settings are read in hwinit1, before package initialisers: valid
// ones boot, invalid ones stop with a message naming them.
func TestYolkBootargs(t *testing.T) {
	r := boot(t, qemutest.Options{SMP: 2}, "yolk.quantum=5ms", "yolk.tick=500us", "yolk.cpus=1", "yolk.idle=poll", "yolk.preempt=call", "yolk.haltpoll=off", "yolk.kick=tick", "yolk.wait=spin", "exit", "0")
	expectExit(t, r, 0)
	expect(t, r, "exiting with 0")
	for arg, msg := range map[string]string{
		"yolk.quantum=abc": "bootarg yolk.quantum=abc: want a positive duration",
		"yolk.tick=0s":     "bootarg yolk.tick=0s: want a positive duration",
		"yolk.idle=bogus":  "bootarg yolk.idle=bogus: want wfi or poll",
		"yolk.preempt=no":  "bootarg yolk.preempt=no: want async or call",
		"yolk.haltpoll=1":  "bootarg yolk.haltpoll=1: want on or off",
		"yolk.wait=sleep":  "bootarg yolk.wait=sleep: want nap or spin",
		"yolk.kick=now":    "bootarg yolk.kick=now: want queue or tick",
		"yolk.cpus=0":      `bootarg yolk.cpus="0": want a positive number`,
	} {
		r := boot(t, qemutest.Options{SMP: 2}, arg, "exit", "0")
		expectExit(t, r, 70)
		expect(t, r, msg)
	}
}

// virtDTB is QEMU virt's device tree for -m 1G, one core, with the
// /memreserve/ lines given added (dtc).
func virtDTB(t *testing.T, memreserve ...string) string {
	t.Helper()
	dir := t.TempDir()
	raw := filepath.Join(dir, "virt.dtb")
	if out, err := exec.Command("qemu-system-aarch64", "-M", "virt,dumpdtb="+raw, "-cpu", "max", "-smp", "1", "-m", "1G", "-nographic").CombinedOutput(); err != nil {
		t.Fatalf("dumpdtb: %v\n%s", err, out)
	}
	dts, err := exec.Command("dtc", "-q", "-I", "dtb", "-O", "dts", raw).Output()
	if err != nil {
		t.Fatalf("dtc: %v", err)
	}
	src := strings.Replace(string(dts), "/dts-v1/;\n", "/dts-v1/;\n"+strings.Join(memreserve, "\n")+"\n", 1)
	out := filepath.Join(dir, "reserved.dtb")
	cmd := exec.Command("dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out)
	cmd.Stdin = strings.NewReader(src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dtc: %v\n%s", err, b)
	}
	return out
}

// The runtime's memory is the largest stretch of RAM no reservation
// touches: above a reservation that splits RAM low, the heap moves there
// (and holds more than fits below it); below one that splits it high, the
// heap stays after the image and the rest is left unused.
func TestReservationsShapeTheHeap(t *testing.T) {
	low := virtDTB(t, "/memreserve/ 0x50000000 0x8000000;")
	r := boot(t, qemutest.Options{Mem: "1G", Env: []string{"QEMU_EXTRA=-dtb " + low}}, "alloc", "400")
	expectExit(t, r, 0)
	expect(t, r, "Go's memory [0x58000000, 0x80000000)")
	m := regexp.MustCompile(`allocated 400 MiB in \[(0x[0-9a-f]+), (0x[0-9a-f]+)\)`).FindStringSubmatch(r.Output)
	if m == nil {
		t.Fatalf("no allocation report:\n%s", r.Output)
	}
	lo, _ := strconv.ParseUint(m[1], 0, 64)
	hi, _ := strconv.ParseUint(m[2], 0, 64)
	if lo < 0x58000000 || hi > 0x80000000 {
		t.Errorf("the heap's blocks lie in [%#x, %#x), outside the stretch [0x58000000, 0x80000000)", lo, hi)
	}

	high := virtDTB(t, "/memreserve/ 0x70000000 0x1000;")
	r = boot(t, qemutest.Options{Mem: "1G", Env: []string{"QEMU_EXTRA=-dtb " + high}}, "alloc", "16")
	expectExit(t, r, 0)
	expect(t, r, "allocated 16 MiB", "Go's memory [0x40000000, 0x70000000), 256 MiB cut by a reservation")
}

// padTotalSize returns blob with zeros appended up to size bytes and its
// header's totalsize set to size: the free space a loader may leave.
func padTotalSize(blob []byte, size int) []byte {
	b := append(append([]byte(nil), blob...), make([]byte, size-len(blob))...)
	binary.BigEndian.PutUint32(b[4:], uint32(size))
	return b
}

// Any blob the loader hands over boots, however much padding follows the
// tree: QEMU's own dump passed back with -dtb (QEMU hands it over at
// twice the file's size plus 10000 bytes: 2117152 for the 1 MiB dump),
// and one padded further. A blob QEMU cannot place below the image is not
// handed over at all; boot says where it looked and how much room there is.
func TestDeviceTreeAsQEMUHandsItOver(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "virt.dtb")
	if out, err := exec.Command("qemu-system-aarch64", "-M", "virt,dumpdtb="+dump, "-cpu", "max", "-smp", "2", "-m", "512M", "-nographic").CombinedOutput(); err != nil {
		t.Fatalf("dumpdtb: %v\n%s", err, out)
	}
	blob, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if ts := binary.BigEndian.Uint32(blob[4:]); ts != uint32(len(blob)) || ts < 1<<20 {
		t.Fatalf("QEMU's dump: totalsize %d, %d bytes; want a padded blob of 1 MiB or more", ts, len(blob))
	}
	padded := filepath.Join(dir, "padded.dtb")
	tooBig := filepath.Join(dir, "too-big.dtb")
	if err := errors.Join(os.WriteFile(padded, padTotalSize(blob, 1060000), 0o644),
		os.WriteFile(tooBig, padTotalSize(blob, 1300000), 0o644)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{dump, padded} {
		r := boot(t, qemutest.Options{SMP: 2, Env: []string{"QEMU_EXTRA=-dtb " + f}}, "exit", "0")
		expectExit(t, r, 0)
		expect(t, r, "exiting with 0")
	}
	r := boot(t, qemutest.Options{SMP: 2, Env: []string{"QEMU_EXTRA=-dtb " + tooBig}}, "exit", "0")
	expectExit(t, r, 70)
	expect(t, r, "yolk: boot failed: no device tree: x0 0x0; the board's fallback address 0x40000000: no FDT magic (0xd00dfeed) there")
	if !regexp.MustCompile(`QEMU puts a -dtb there only if it fits in the 21\d\d KiB below the image, at twice the file's size plus 10000 bytes`).MatchString(r.Output) {
		t.Errorf("the message does not say how much room there is:\n%s", r.Output)
	}
}
