//go:build !tamago

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yolkos/yolk/internal/target"
)

// These tests use yolk as a user outside the repository does: a module of
// its own in a temporary directory that requires yolk (replaced by this
// checkout), made by `yolk new` and given a library whose tests pass,
// fail and panic, a command that shows its arguments and environment,
// and a dependency from the module cache. They build for both boards and
// boot QEMU (virt and raspi4b) a dozen times.

var (
	setupOnce sync.Once
	yolkBin   string // the yolk command, built once
	modDir    string // the user's module
	setupErr  error
)

// The library: the MODE environment variable (given with -env) picks
// what its tests do, so one build covers passing, failing and panicking.
const libSrc = `package lib

// Double doubles n.
func Double(n int) int { return 2 * n }
`

const libTestSrc = `package lib

import (
	"os"
	"testing"
)

func TestDouble(t *testing.T) {
	if Double(21) != 42 {
		t.Fatal("Double(21) != 42")
	}
}

func TestMode(t *testing.T) {
	switch os.Getenv("MODE") {
	case "fail":
		t.Errorf("failing on purpose")
	case "panic":
		panic("panicking on purpose")
	}
}

func TestShort(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
}

func BenchmarkDouble(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Double(i)
	}
}
`

// The command prints its arguments and GREETING, then exits with its
// first argument as status.
const argsSrc = `//go:build tamago

package main

import (
	"fmt"
	"os"
	"strconv"

	_ "github.com/yolkos/yolk/board"
)

func main() {
	fmt.Printf("args=%q greeting=%q\n", os.Args[1:], os.Getenv("GREETING"))
	code, _ := strconv.Atoi(os.Args[1])
	os.Exit(code)
}
`

// A main package that imports no board.
const noBoardSrc = `package main

func main() {}
`

func setup(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() { setupErr = doSetup() })
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

func doSetup() error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "yolk-user")
	if err != nil {
		return err
	}
	yolkBin = filepath.Join(tmp, "yolk")
	if out, err := exec.Command("go", "build", "-o", yolkBin, ".").CombinedOutput(); err != nil {
		return &setupError{"go build ./cmd/yolk", err, out}
	}
	modDir = filepath.Join(tmp, "mod")
	if err := os.MkdirAll(modDir, 0o755); err != nil {
		return err
	}
	gomod := "module example.com/user\n\ngo " + target.GoVersion + "\n\nrequire " + target.Module + " v0.0.0\n\nreplace " + target.Module + " => " + root + "\n"
	files := map[string]string{
		"go.mod":              gomod,
		"lib/lib.go":          libSrc,
		"lib/lib_test.go":     libTestSrc,
		"cmd/args/main.go":    argsSrc,
		"cmd/noboard/main.go": noBoardSrc,
	}
	for name, src := range files {
		p := filepath.Join(modDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return err
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = modDir
		if out, err := cmd.CombinedOutput(); err != nil {
			return &setupError{"go mod tidy", err, out}
		}
	}
	cmd := exec.Command(yolkBin, "new", ".")
	cmd.Dir = modDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return &setupError{"yolk new .", err, out}
	}
	return nil
}

type setupError struct {
	what string
	err  error
	out  []byte
}

func (e *setupError) Error() string { return e.what + ": " + e.err.Error() + "\n" + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if modDir != "" {
		os.RemoveAll(filepath.Dir(modDir))
	}
	os.Exit(code)
}

type result struct {
	out, stderr string
	code        int
}

// yolk runs the yolk command in the user's module with env added.
func yolk(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(yolkBin, args...)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{out: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("yolk %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("yolk %s: exit status %d", strings.Join(args, " "), r.code)
	return r
}

func (r result) expect(t *testing.T, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.out, r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.out+r.stderr, w) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, r.out, r.stderr)
		}
	}
}

// The template that yolk new made builds, tests and vets on the host too.
func TestNewModuleOnHost(t *testing.T) {
	setup(t)
	for _, args := range [][]string{{"vet", "./..."}, {"test", "./..."}, {"build", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = modDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s on the host: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b, _ := os.ReadFile(filepath.Join(modDir, "go.mod"))
	for _, w := range []string{"go " + target.GoVersion + "\n", target.TamagoModule + " " + target.TamagoVersion, "tool " + target.Module + "/cmd/yolk"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("go.mod lacks %q:\n%s", w, b)
		}
	}
}

func TestBuildAndRun(t *testing.T) {
	setup(t)
	elf := filepath.Join(t.TempDir(), "args.elf")
	yolk(t, nil, "build", "-o", elf, "./cmd/args").expect(t, 0, "for qemu-virt")
	if err := target.CheckELF(elf, target.QEMUVirt); err != nil {
		t.Error(err)
	}
	// Arguments, -env NAME=value and -env NAME (copied from the host),
	// the guest's exit status, "\n" line ends on a pipe.
	r := yolk(t, []string{"GREETING=hello"}, "run", "-smp", "2", "-env", "GREETING", elf, "--", "3", "a=b", "-x")
	r.expect(t, 3, `args=["3" "a=b" "-x"] greeting="hello"`, "yolk "+"0.1.0 on qemu-virt", "2 core(s)")
	if strings.Contains(r.out, "\r") {
		t.Errorf("carriage returns in the output: %q", r.out)
	}
	// A package is built first; -env NAME=value.
	yolk(t, nil, "run", "-env", "GREETING=hi", "./cmd/args", "--", "0").expect(t, 0, `args=["0"] greeting="hi"`)
}

func TestTestStatuses(t *testing.T) {
	setup(t)
	r := yolk(t, nil, "test", "./lib")
	r.expect(t, 0, "ok  \texample.com/user/lib\t")
	r = yolk(t, nil, "test", "-env", "MODE=fail", "./lib")
	r.expect(t, 1, "--- FAIL: TestMode", "failing on purpose", "FAIL\texample.com/user/lib")
	r = yolk(t, nil, "test", "-env", "MODE=panic", "./lib")
	r.expect(t, 1, "panic: panicking on purpose", "example.com/user/lib.TestMode(", "FAIL\texample.com/user/lib")
}

func TestTestFlags(t *testing.T) {
	setup(t)
	r := yolk(t, nil, "test", "-v", "-count=2", "-run", "TestDouble|TestShort", "-short", "./lib")
	r.expect(t, 0, "--- SKIP: TestShort", "--- PASS: TestDouble")
	if n := strings.Count(r.out, "=== RUN   TestDouble\n"); n != 2 {
		t.Errorf("TestDouble ran %d times, want 2 (-count=2)", n)
	}
	if strings.Contains(r.out, "TestMode") || strings.Contains(r.out, "\r") || strings.Contains(r.out, "yolk 0.1.0 on") {
		t.Errorf("-run let TestMode run, or the output has carriage returns or the banner:\n%q", r.out)
	}
	r = yolk(t, nil, "test", "-run", "^$", "-bench", ".", "-benchtime", "100x", "./lib")
	r.expect(t, 0, "BenchmarkDouble", "100\t")

	// -json: every line is an event of go test's; no banner.
	r = yolk(t, nil, "test", "-json", "-timeout", "5m", "./lib")
	r.expect(t, 0)
	pass := false
	sc := bufio.NewScanner(strings.NewReader(r.out))
	for sc.Scan() {
		var ev struct{ Action, Test, Output string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		if strings.Contains(ev.Output, "yolk 0.1.0 on") || strings.Contains(ev.Output, "\r") {
			t.Errorf("output event %q", ev.Output)
		}
		if ev.Action == "pass" && ev.Test == "TestDouble" {
			pass = true
		}
	}
	if !pass {
		t.Errorf("no pass event for TestDouble:\n%s", r.out)
	}
	// The template's own tests: qemu_test.go asks package board.
	yolk(t, nil, "test", "-smp", "2", ".").expect(t, 0, "ok  \texample.com/user\t")
}

// The template's server, on QEMU's user network with a port forward: the
// page a new user opens first. SIGTERM stops yolk and QEMU with it.
func TestServe(t *testing.T) {
	setup(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(yolkBin, "run", "-net", "-fwd", fmt.Sprintf("%d:80", port), ".")
	cmd.Dir = modDir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("yolk did not stop on SIGTERM")
		}
		if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
			t.Errorf("exit status %d after SIGTERM, want %d", code, 128+int(syscall.SIGTERM))
		}
		if t.Failed() {
			t.Logf("output:\n%s", out.String())
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.HasPrefix(string(body), "hello from user (go1.26.0 on tamago/arm64)") {
				t.Errorf("page %q", body)
			}
			return
		}
		select {
		case <-done:
			t.Fatalf("yolk run ended before serving: %v", cmd.ProcessState)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no page within 3 minutes: %v", err)
		}
	}
}

// A dependency's tests, from the read-only module cache: yolk test gives
// the test binary a board through a copy of the module.
func TestDependencyTests(t *testing.T) {
	setup(t)
	r := yolk(t, nil, "test", "-v", "-run", "^TestDeleteMin$", "github.com/google/btree")
	r.expect(t, 0, "--- PASS: TestDeleteMin", "ok  \tgithub.com/google/btree\t")
}

// The Pi: an SD card directory, booted on QEMU's raspi4b.
func TestRPi4(t *testing.T) {
	setup(t)
	sd := filepath.Join(t.TempDir(), "sd")
	yolk(t, nil, "build", "-board", "rpi4", "-o", sd, "./cmd/args").expect(t, 0, "for rpi4", "fetch it with")
	for _, f := range []string{"kernel8.img", "kernel8.elf", "config.txt", "cmdline.txt", "bcm2711-rpi-4-b.dtb", "README.txt"} {
		if _, err := os.Stat(filepath.Join(sd, f)); err != nil {
			t.Error(err)
		}
	}
	r := yolk(t, nil, "run", "-env", "GREETING=pi", sd, "--", "5")
	r.expect(t, 5, "on rpi4 (Raspberry Pi 4 Model B)", "4 core(s) of 4", `args=["5"] greeting="pi"`)
	if strings.Contains(r.stderr, "has been disabled") {
		t.Errorf("QEMU's notes about disabled devices reached the output:\n%s", r.stderr)
	}
	yolk(t, nil, "test", "-board", "rpi4", "-run", "TestDouble", "./lib").expect(t, 0, "ok  \texample.com/user/lib")

	// The wrong board's image.
	yolk(t, nil, "run", "-board", "qemu-virt", filepath.Join(sd, "kernel8.elf")).expect(t, 1,
		"is linked for rpi4", "-board qemu-virt")
}

// Each mistake gets one line that says what to do.
func TestMistakes(t *testing.T) {
	setup(t)
	elf := filepath.Join(t.TempDir(), "args.elf")
	yolk(t, nil, "build", "-o", elf, "./cmd/args").expect(t, 0)
	host := filepath.Join(t.TempDir(), "host")
	cmd := exec.Command("go", "build", "-o", host, "./cmd/noboard")
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"build", "./cmd/noboard"}, 1, `does not import a board: add  import _ "github.com/yolkos/yolk/board"`},
		{[]string{"run", "-m", "4G", elf}, 2, "-m 4G: yolk on qemu-virt can use at most 3G"},
		{[]string{"run", "-board", "rpi4", elf}, 1, "is linked for qemu-virt (code at 0x40210000, not 0x81000); build it with -board rpi4"},
		{[]string{"run", host}, 1, "an ELF for EM_X86_64, not a 64-bit little-endian arm64 (AArch64) ELF"},
		{[]string{"build", "-board", "pi5", "./cmd/args"}, 2, `unknown board "pi5": want qemu-virt or rpi4`},
		{[]string{"build", "./lib"}, 1, "is package lib, not a main package"},
		{[]string{"test", "-exec", "x", "./lib"}, 2, "yolk test sets -exec itself"},
		{[]string{"run", "-env", "YOLK_TEST_UNSET_VARIABLE", elf}, 2, "-env YOLK_TEST_UNSET_VARIABLE: YOLK_TEST_UNSET_VARIABLE is not set on the host"},
	} {
		r := yolk(t, nil, tc.args...)
		r.expect(t, tc.code, tc.msg)
		if lines := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; lines != 1 || !strings.HasPrefix(r.stderr, "yolk: ") {
			t.Errorf("yolk %s: want one line starting yolk:, got\n%s", strings.Join(tc.args, " "), r.stderr)
		}
	}
}

// Module settings the toolchain refuses, and no module at all.
func TestModuleMistakes(t *testing.T) {
	setup(t)
	dir := t.TempDir()
	run := func(wd string, args ...string) result {
		cmd := exec.Command(yolkBin, args...)
		cmd.Dir = wd
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
	}
	run(dir, "build").expect(t, 1, "not in a Go module: run 'go tool yolk new DIR' or 'go mod init NAME' first")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(dir, "build").expect(t, 1, "says 'go 1.26.8', newer than the TamaGo toolchain's go1.26.0: run 'go mod edit -go=1.26.0 -toolchain=none'")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(dir, "build").expect(t, 1, "does not require github.com/yolkos/yolk: run 'go get github.com/yolkos/yolk/board'")
}

// doctor names what is missing and how to get it.
func TestDoctor(t *testing.T) {
	setup(t)
	yolk(t, nil, "doctor").expect(t, 0, "ok    qemu", "ok    tamago")
	r := yolk(t, []string{"QEMU=" + filepath.Join(t.TempDir(), "no-qemu")}, "doctor")
	r.expect(t, 1, "FAIL  qemu", "not found", "fix: install QEMU >= 9", "1 required check(s) failed")
	if !regexp.MustCompile(`(?m)^ok    go +go1\.`).MatchString(r.out) {
		t.Errorf("doctor does not report Go:\n%s", r.out)
	}
}
