//go:build !tamago

// Package rpi4 tests the Raspberry Pi 4 board from the host: guest programs
// booted as kernel8.img under qemu-system-aarch64 -M raspi4b (as the
// firmware would: raw image at 0x80000, EL2, device tree in x0), the SD
// card image, and the safety checks of `make flash`.
package rpi4

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	ytarget "github.com/yolkos/yolk/internal/target"
)

var (
	root   string // repository root
	guest  string // test/rpi4/guest as kernel8.img
	guestE string // its ELF
	tmp    string
	dtb    string
)

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/rpi4:", err)
		os.Exit(1)
	}
	code = m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func setup() (int, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 1, err
	}
	root = filepath.Join(wd, "..", "..")
	dtb = filepath.Join(root, "board/rpi4/testdata/bcm2711-rpi-4-b.dtb")
	if tmp, err = os.MkdirTemp("", "yolk-rpi4-test"); err != nil {
		return 1, err
	}
	guestE = filepath.Join(tmp, "guest.elf")
	if err := buildTamago("./test/rpi4/guest", guestE, nil); err != nil {
		return 1, err
	}
	guest = filepath.Join(tmp, "kernel8.img")
	return 0, mkimage(guestE, guest)
}

func tamago() (string, error) {
	out, err := exec.Command("go", "tool", "-n", ytarget.TamagoTool).Output()
	if err != nil {
		return "", fmt.Errorf("the TamaGo toolchain is not available (go tool -n ... tamago: %v); run `go tool tamago version`", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// buildTamago builds pkg for board/rpi4 as out, with extra go build (or
// test -c) arguments first: "test", "-c" builds a package's tests.
func buildTamago(pkg, out string, extra []string) error {
	t, err := tamago()
	if err != nil {
		return err
	}
	args := []string{"build"}
	if len(extra) > 0 {
		args = extra
	}
	args = append(args, ytarget.RPi4.BuildFlags("", "")...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command(t, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), ytarget.Env()...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s for board/rpi4: %v\n%s", pkg, err, b)
	}
	return nil
}

// mkimage turns the ELF into the raw image the Pi's firmware loads.
func mkimage(elfPath, img string) error {
	b, err := ytarget.RawImage(elfPath, ytarget.RPi4.Image)
	if err != nil {
		return fmt.Errorf("%s: %v", elfPath, err)
	}
	return os.WriteFile(img, b, 0o644)
}

type result struct {
	Output   string
	ExitCode int
	Elapsed  time.Duration
}

// bootLimit is how long boot lets QEMU run.
const bootLimit = 120 * time.Second

// boot runs img under QEMU's raspi4b with the kernel command line args.
func boot(t *testing.T, img string, args ...string) result {
	t.Helper()
	return bootWithin(t, bootLimit, img, args...)
}

// bootWithin is boot with another limit for the QEMU run.
func bootWithin(t *testing.T, limit time.Duration, img string, args ...string) result {
	t.Helper()
	return bootDTB(t, limit, dtb, img, args...)
}

// bootDTB is bootWithin with another device tree.
func bootDTB(t *testing.T, limit time.Duration, dtb, img string, args ...string) result {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-aarch64"); err != nil {
		t.Fatalf("qemu-system-aarch64 is needed (bash .ci/install-qemu.sh): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	q := ytarget.QEMU{Board: ytarget.RPi4, DTB: dtb, Kernel: img, Cmdline: strings.Join(args, " ")}
	qargs, err := q.Args()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, ytarget.QEMUBinary, qargs...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	r := result{Output: strings.ReplaceAll(out.String(), "\r", ""), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("QEMU timed out after %v:\n%s", r.Elapsed, r.Output)
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("QEMU: %v\n%s", err, r.Output)
	}
	return r
}

func expect(t *testing.T, r result, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Output, w) {
			t.Errorf("output lacks %q:\n%s", w, r.Output)
			return
		}
	}
}

func expectExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.ExitCode != code {
		t.Errorf("exit status %d, want %d:\n%s", r.ExitCode, code, r.Output)
	}
}

// No check of the guest may fail (they print FAIL and exit 1).
func expectAllOK(t *testing.T, r result) {
	t.Helper()
	expectExit(t, r, 0)
	if strings.Contains(r.Output, "FAIL:") || !strings.Contains(r.Output, "guest: all checks passed") {
		t.Errorf("guest checks failed:\n%s", r.Output)
	}
}

func TestQEMUBootBanner(t *testing.T) {
	r := boot(t, guest)
	expectExit(t, r, 0)
	expect(t, r, "yolk ", "on rpi4 (Raspberry Pi 4 Model B)",
		"board:  Raspberry Pi 4B rev", "BCM2711",
		"cpu:    Arm Cortex-A72", "4 core(s) of 4, entered at EL2",
		"gic:    GICv2", "ram:    960 MiB at 0x0 for Go",
		"console 115200 8N1 from the", "temp:   25.0 °C",
		"random: the emulator's host through semihosting",
		"net:    none: the device tree has no GENET Ethernet", "ms to main")
	if m := regexp.MustCompile(`boot: +([0-9.]+) ms to main`).FindStringSubmatch(r.Output); m != nil {
		t.Logf("boot to main on raspi4b: %s ms (QEMU run %v)", m[1], r.Elapsed.Round(time.Millisecond))
	}
}

// A region the firmware reserves above the image cuts the runtime's RAM
// short below it (the heap is one range): here a /memreserve/ at 512 MiB
// added to the firmware's device tree.
func TestQEMUReservationLimitsRAM(t *testing.T) {
	if _, err := exec.LookPath("dtc"); err != nil {
		t.Fatalf("dtc is needed (package device-tree-compiler): %v", err)
	}
	dir := t.TempDir()
	dts, err := exec.Command("dtc", "-q", "-I", "dtb", "-O", "dts", dtb).Output()
	if err != nil {
		t.Fatalf("dtc: %v", err)
	}
	src := strings.Replace(string(dts), "/memreserve/", "/memreserve/\t0x20000000 0x100000;\n/memreserve/", 1)
	if src == string(dts) {
		t.Fatal("the firmware's device tree has no /memreserve/ line to add one next to")
	}
	reserved := filepath.Join(dir, "reserved.dtb")
	cmd := exec.Command("dtc", "-q", "-I", "dts", "-O", "dtb", "-o", reserved)
	cmd.Stdin = strings.NewReader(src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dtc: %v\n%s", err, out)
	}
	r := bootDTB(t, bootLimit, reserved, guest)
	expectExit(t, r, 0)
	expect(t, r, "ram:    512 MiB at 0x0 for Go", "(448 MiB above a firmware reservation at 0x20000000 left unused)")
}

// The firmware's device tree with an overlay applied and padding after it
// (the firmware leaves room; QEMU hands a -dtb over at twice its size plus
// 10000 bytes, here about 6 MiB): yolk boots from it, copies the part
// that is used, and the overlay's node is in the tree.
func TestQEMUFirmwareTreeWithOverlay(t *testing.T) {
	for _, tool := range []string{"dtc", "fdtoverlay"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (package device-tree-compiler): %v", tool, err)
		}
	}
	dir := t.TempDir()
	overlay := filepath.Join(dir, "yolk-test.dtbo")
	cmd := exec.Command("dtc", "-q", "-@", "-I", "dts", "-O", "dtb", "-o", overlay)
	cmd.Stdin = strings.NewReader(`/dts-v1/;
/plugin/;
/ {
	fragment@0 {
		target-path = "/";
		__overlay__ {
			yolk-overlay {
				compatible = "yolk,test-overlay";
			};
		};
	};
};
`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dtc: %v\n%s", err, out)
	}
	merged := filepath.Join(dir, "merged.dtb")
	if out, err := exec.Command("fdtoverlay", "-i", dtb, "-o", merged, overlay).CombinedOutput(); err != nil {
		t.Fatalf("fdtoverlay: %v\n%s", err, out)
	}
	padded := filepath.Join(dir, "padded.dtb")
	if out, err := exec.Command("dtc", "-q", "-I", "dtb", "-O", "dtb", "-p", "3145728", "-o", padded, merged).CombinedOutput(); err != nil {
		t.Fatalf("dtc -p: %v\n%s", err, out)
	}
	st, err := os.Stat(padded)
	if err != nil || st.Size() < 3<<20 {
		t.Fatalf("padded blob: %v, %v", st, err)
	}
	r := bootDTB(t, bootLimit, padded, guest, "yolk.quiet=1", "info", "dtnode", "/yolk-overlay", "yolk,test-overlay")
	expectAllOK(t, r)
	want := fmt.Sprintf("dtb: %d bytes at 0x8000000, copied to", 2*(st.Size()+10000))
	expect(t, r, want, "ok: device tree node /yolk-overlay compatible with yolk,test-overlay")
}

func TestQEMUBoardInfo(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "info")
	expectAllOK(t, r)
	expect(t, r, "dtb: 74772 bytes at 0x8000000, copied to", "firmware errors: []")
}

func TestQEMUAllCoresRunGoroutines(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "cores")
	expectAllOK(t, r)
	expect(t, r, "goroutines ran on cores [0 1 2 3]")
}

func TestQEMUFewerCores(t *testing.T) {
	r := boot(t, guest, "yolk.cpus=2")
	expectExit(t, r, 0)
	expect(t, r, "2 core(s) of 4")
}

func TestQEMUTimers(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "timers")
	expectAllOK(t, r)
}

func TestQEMUEntropy(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "entropy")
	expectAllOK(t, r)
}

func TestQEMUMailbox(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "mailbox")
	expectAllOK(t, r)
	expect(t, r, "board revision 0xb03115: Raspberry Pi 4B rev 1.5, 2048 MiB, BCM2711",
		"memory split ARM 960 MiB at 0x0, VideoCore 64 MiB at 0x3c000000")
}

// The activity LED (GPIO 42): a heartbeat while the cores idle, fast
// blinking while they are busy.
func TestQEMUActivityLED(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "led")
	expectAllOK(t, r)
}

func TestQEMUNilDereferenceRecovers(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "nil-recover")
	expectAllOK(t, r)
}

func TestQEMUCrashReport(t *testing.T) {
	r := boot(t, guest, "yolk.quiet=1", "undefined")
	expectExit(t, r, 2)
	expect(t, r, "*** yolk: fatal exception on cpu 0", "EC 0x00 unknown reason", "ESR 0x02000000",
		"fatal error: undefined instruction", "main.undefined()")

	r = boot(t, guest, "yolk.quiet=1", "write-text")
	expectExit(t, r, 2)
	expect(t, r, "data abort, same EL: permission fault", "fatal error: write to read-only memory")
}

func TestQEMUExitStatus(t *testing.T) {
	for _, code := range []int{0, 3, 77} {
		r := boot(t, guest, "yolk.quiet=1", "exit", fmt.Sprint(code))
		expectExit(t, r, code)
		expect(t, r, fmt.Sprintf("exiting with %d", code))
	}
	r := boot(t, guest, "yolk.quiet=1", "panic")
	expectExit(t, r, 2)
	expect(t, r, "panic: guest panics on purpose", "goroutine 1 [running]:\nmain.main()")
}

// The image the firmware loads: its first word branches to the ELF's
// entry point, and the rest is the segments at their addresses - 0x80000.
func TestImageLayout(t *testing.T) {
	img, err := os.ReadFile(guest)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(guestE)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := binary.LittleEndian.Uint32(img)
	if w>>26 != 0b000101 || 0x80000+uint64(w&0x03ff_ffff)*4 != f.Entry {
		t.Errorf("first word %#x is not b %#x", w, f.Entry)
	}
	text := f.Section(".text")
	if text.Addr != 0x81000 {
		t.Errorf(".text at %#x, want 0x81000 (one page above the load address)", text.Addr)
	}
	b, _ := text.Data()
	if !bytes.Equal(img[text.Addr-0x80000:][:len(b)], b) {
		t.Error(".text is not at its address - 0x80000 in the image")
	}
	t.Logf("kernel8.img: %d bytes", len(img))
}

// The default application, built for the Pi by `go tool yolk build
// -board rpi4` as a user would (make rpi4 runs the same), boots too.
func TestQEMUDefaultApp(t *testing.T) {
	out := filepath.Join(tmp, "app")
	cmd := exec.Command("go", "tool", "yolk", "build", "-board", "rpi4", "-o", out, "./cmd/demo")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("yolk build: %v\n%s", err, b)
	} else if !bytes.Contains(b, []byte("fetch it with")) {
		t.Errorf("yolk build does not say that the firmware is missing:\n%s", b)
	}
	for _, f := range []string{"kernel8.img", "kernel8.elf", "config.txt", "cmdline.txt", "bcm2711-rpi-4-b.dtb", "README.txt"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(out, "README.txt"))
	for _, w := range []string{"start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "SHA-256", "MISSING: start4.elf fixup4.dat"} {
		if !bytes.Contains(readme, []byte(w)) {
			t.Errorf("README.txt lacks %q:\n%s", w, readme)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(out, "config.txt"))
	for _, w := range []string{"arm_64bit=1", "enable_uart=1", "kernel=kernel8.img", "kernel_address=0x80000"} {
		if !bytes.Contains(cfg, []byte(w)) {
			t.Errorf("config.txt lacks %q", w)
		}
	}
	// Without a GENET node (mainline QEMU has none) the demo cannot serve: it says so and
	// exits with status 1, as with any configuration it cannot use.
	r := boot(t, filepath.Join(out, "kernel8.img"))
	expectExit(t, r, 1)
	expect(t, r, "on rpi4 (Raspberry Pi 4 Model B)", "hello from Go", "on 4 core(s)",
		"demo: network: no enabled brcm,bcm2711-genet-v5 node in the device tree",
		"no network: the servers are not started")
}
