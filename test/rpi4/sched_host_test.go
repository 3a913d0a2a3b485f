//go:build !tamago

package rpi4

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// The sched package's target tests on the Raspberry Pi 4 board under
// raspi4b's four cores: the tests import package board, so the test
// binary built with board/rpi4's build tag links board/rpi4; it is booted
// as kernel8.img.
//
// YOLK_LONG=1 (set by `make test`) selects the full-length variants, as
// yolk.long=1 does in the Makefile's QEMU runs on virt.
func TestQEMUSchedSuite(t *testing.T) {
	const pkg = "sched"
	tests, err := targetTests(pkg)
	if err != nil {
		t.Fatal(err)
	}
	elf := filepath.Join(tmp, pkg+".test")
	if err := buildTamago("./"+pkg+"/", elf, []string{"test", "-c"}); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(tmp, pkg+".img")
	if err := mkimage(elf, img); err != nil {
		t.Fatal(err)
	}

	// The guest's own timeout fires first and prints its goroutines.
	timeout := 90 * time.Second
	args := []string{"-test.v"}
	if os.Getenv("YOLK_LONG") != "" {
		timeout = 4 * time.Minute
		args = append(args, "yolk.long=1")
	}
	args = append(args, "-test.timeout="+timeout.String())
	r := bootWithin(t, timeout+30*time.Second, img, args...)
	t.Logf("%s tests on raspi4b: QEMU ran %v", pkg, r.Elapsed.Round(time.Millisecond))

	// The guest's output is logged once, at the end, if anything failed.
	if r.ExitCode != 0 {
		t.Errorf("exit status %d, want 0", r.ExitCode)
	}
	if !regexp.MustCompile(`(?m)^PASS$`).MatchString(r.Output) || strings.Contains(r.Output, "--- FAIL") {
		t.Errorf("the %s tests failed", pkg)
	}
	// Every test of the package ran and passed: none was skipped.
	for _, name := range tests {
		if !strings.Contains(r.Output, "--- PASS: "+name+" (") {
			t.Errorf("%s did not pass (or did not run)", name)
		}
	}

	// The multi-core tests ran on the board's four cores.
	if !strings.Contains(r.Output, "4 core(s) of 4") {
		t.Error(`the banner lacks "4 core(s) of 4"`)
	}
	chunks := map[int]int{}
	for _, m := range regexp.MustCompile(`(?m)^ +\S+:\d+: core (\d+): (\d+) chunks`).FindAllStringSubmatch(r.Output, -1) {
		c, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		chunks[c] = n
	}
	if len(chunks) != 4 {
		t.Errorf("TestParallelJobUsesAllCores reported %d cores, want 4: %v", len(chunks), chunks)
	}
	for c := 0; c < 4; c++ {
		if chunks[c] == 0 {
			t.Errorf("core %d ran no chunk of TestParallelJobUsesAllCores", c)
		}
	}
	if !regexp.MustCompile(`(?m)^ +\S+:\d+: [1-9]\d* M switches$`).MatchString(r.Output) {
		t.Error("TestLockedThreadPingPong reported no M switches")
	}
	if t.Failed() {
		t.Logf("guest output:\n%s", r.Output)
	}
}

// targetTests lists the Test functions of the package dir's test files
// that a GOOS=tamago GOARCH=arm64 build includes.
func targetTests(dir string) ([]string, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "tamago", "arm64", false
	abs := filepath.Join(root, dir)
	files, err := filepath.Glob(filepath.Join(abs, "*_test.go"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		if ok, err := ctx.MatchFile(abs, filepath.Base(f)); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Recv == nil && isTestName(fn.Name.Name) {
				names = append(names, fn.Name.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no target tests in %s", dir)
	}
	sort.Strings(names)
	return names, nil
}

// isTestName reports whether go test runs a function of this name as a
// test: Test, or Test followed by anything but a lower-case letter.
func isTestName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Test")
	if !ok || name == "TestMain" {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}
