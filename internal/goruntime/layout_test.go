//go:build !tamago

package goruntime

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/build"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/yolkos/yolk/internal/asmcheck"
	"github.com/yolkos/yolk/internal/target"
)

// The tamago toolchain go.mod selects: its go command and GOROOT.
var toolchain struct {
	once          sync.Once
	gocmd, goroot string
	err           error
}

func tamago(t *testing.T) (gocmd, goroot string) {
	t.Helper()
	toolchain.once.Do(func() {
		out, err := exec.Command("go", "tool", "-n", target.TamagoTool).Output()
		if err != nil {
			toolchain.err = err
			return
		}
		toolchain.gocmd = strings.TrimSpace(string(out))
		out, err = exec.Command(toolchain.gocmd, "env", "GOROOT").Output()
		toolchain.goroot, toolchain.err = strings.TrimSpace(string(out)), err
	})
	if toolchain.err != nil {
		t.Fatalf("the tamago toolchain (go tool tamago) is needed: %v", toolchain.err)
	}
	return toolchain.gocmd, toolchain.goroot
}

// TestToolchainVersion: the offsets are those of the toolchain in use.
func TestToolchainVersion(t *testing.T) {
	gocmd, _ := tamago(t)
	out, err := exec.Command(gocmd, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(out)); len(f) < 3 || f[2] != Version {
		t.Fatalf("toolchain %q; the runtime internals are pinned to %s", strings.TrimSpace(string(out)), Version)
	}
}

// asmDefines builds the runtime for GOOS=tamago, GOARCH=arm64 and returns
// the #defines of its go_asm.h, which the compiler writes (-asmhdr) for
// the runtime's assembly: every struct field's offset, as type_field.
func asmDefines(t *testing.T) map[string]int64 {
	t.Helper()
	gocmd, _ := tamago(t)
	// -a: a cached runtime leaves no go_asm.h behind.
	cmd := exec.Command(gocmd, "build", "-a", "-work", "runtime")
	cmd.Env = append(os.Environ(), target.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("building the runtime: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^WORK=(.+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no WORK= in the build's output:\n%s", out)
	}
	work := string(m[1])
	defer os.RemoveAll(work)
	hdrs, _ := filepath.Glob(filepath.Join(work, "*", "go_asm.h"))
	for _, h := range hdrs {
		b, err := os.ReadFile(h)
		if err != nil || !bytes.Contains(b, []byte("#define g_stackguard0 ")) {
			continue
		}
		defs := map[string]int64{}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "#define" {
				if v, err := strconv.ParseInt(f[2], 0, 64); err == nil {
					defs[f[1]] = v
				}
			}
		}
		return defs
	}
	t.Fatalf("no runtime go_asm.h among %v", hdrs)
	return nil
}

// TestLayout: every offset yolk uses is the runtime's (go_asm.h).
func TestLayout(t *testing.T) {
	defs := asmDefines(t)
	for _, f := range asmhdr {
		var sum int64
		for _, n := range f.names {
			v, ok := defs[n]
			if !ok {
				t.Errorf("go_asm.h has no %s", n)
			}
			sum += v
		}
		if sum != int64(f.offset) {
			t.Errorf("%s: the runtime says %d, goruntime says %d", strings.Join(f.names, "+"), sum, f.offset)
		}
	}
}

// runtimeFiles parses the runtime's source files that build for
// GOOS=tamago, GOARCH=arm64.
func runtimeFiles(t *testing.T) []*ast.File {
	t.Helper()
	_, goroot := tamago(t)
	dir := filepath.Join(goroot, "src", "runtime")
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "tamago", "arm64", false
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, n); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func typeString(t *testing.T, n ast.Node) string {
	var b bytes.Buffer
	if err := format.Node(&b, token.NewFileSet(), n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLinknameSignatures: the runtime functions and variables goruntime
// binds to have the types it assumes. (yolk's declarations use
// unsafe.Pointer for the runtime's *g.)
func TestLinknameSignatures(t *testing.T) {
	funcs := map[string]string{
		"throw":            "func(s string)",
		"wantAsyncPreempt": "func(gp *g) bool",
		"isAsyncSafePoint": "func(gp *g, pc, sp, lr uintptr) (bool, uintptr)",
		"semasleep":        "func(ns int64) int",
		"procPin":          "func() int",
		"procUnpin":        "func()",
		"suspendG":         "func(gp *g) suspendGState",
		"asyncPreempt":     "func()",
	}
	vars := map[string]string{
		"numCPUStartup": "int32",
		"sched":         "schedt",
	}
	found := map[string]bool{}
	for _, f := range runtimeFiles(t) {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.Name == "sigpanic" && d.Recv == nil {
					found["sigpanic"] = true
				}
				want, ok := funcs[d.Name.Name]
				if !ok || d.Recv != nil {
					continue
				}
				found[d.Name.Name] = true
				if got := typeString(t, d.Type); got != want {
					t.Errorf("runtime.%s is %s; goruntime assumes %s", d.Name.Name, got, want)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok || d.Tok != token.VAR {
						continue
					}
					for _, n := range vs.Names {
						want, ok := vars[n.Name]
						if !ok || vs.Type == nil {
							continue
						}
						found[n.Name] = true
						if got := typeString(t, vs.Type); got != want {
							t.Errorf("runtime.%s is a %s; goruntime assumes %s", n.Name, got, want)
						}
					}
				}
			}
		}
	}
	// yolk defines runtime.sigpanic (linkname.go): the runtime must not,
	// for tamago, or the link would have two.
	if found["sigpanic"] {
		t.Error("the runtime defines sigpanic for tamago: goruntime's would be a second one")
	}
	for name := range funcs {
		if !found[name] {
			t.Errorf("runtime.%s not found in the runtime's source for tamago/arm64", name)
		}
	}
	for name := range vars {
		if !found[name] {
			t.Errorf("runtime.%s not found in the runtime's source for tamago/arm64", name)
		}
	}
}

// TestStackPreempt: go_asm.h has no entry for stackPreempt; its source
// defines it as uintptrMask & -1314.
func TestStackPreempt(t *testing.T) {
	_, goroot := tamago(t)
	src, err := os.ReadFile(filepath.Join(goroot, "src", "runtime", "stack.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\bstackPreempt\s*=\s*uintptrMask\s*&\s*(-\d+)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("stack.go does not define stackPreempt as uintptrMask & -N")
	}
	v, _ := strconv.ParseInt(string(m[1]), 10, 64)
	if uint64(v) != StackPreempt {
		t.Errorf("stackPreempt is %#x; goruntime says %#x", uint64(v), uint64(StackPreempt))
	}
}

// TestWaitLoopEncodings: the patterns findWaitLoop matches are the
// instructions they claim to be, and it finds the loop only where one is.
func TestWaitLoopEncodings(t *testing.T) {
	ldar := uint32(ldarW32 | 1<<5 | 2) // LDAR W2, [X1]
	cbz := uint32(cbzBack1W | 2)       // CBZ W2, back one
	if got := asmcheck.Disassemble(ldar); got != "ldar w2, [x1]" {
		t.Errorf("%#x is %q, not ldar w2, [x1]", ldar, got)
	}
	// arm64asm prints the branch back by one instruction as .+(-4).
	if got := asmcheck.Disassemble(cbz); got != "cbz w2, .+0xfffffffffffffffc" {
		t.Errorf("%#x is %q, not cbz w2, .-4", cbz, got)
	}
	nop := uint32(0xd503201f)
	for _, c := range []struct {
		code []uint32
		want int
	}{
		{[]uint32{nop, ldar, cbz, nop}, 1},
		{[]uint32{ldar, cbz | 1}, -1},    // CBZ on another register
		{[]uint32{ldar, 0x34ffffc2}, -1}, // CBZ W2 back two instructions
		{[]uint32{cbz, ldar}, -1},
		{[]uint32{ldar}, -1},
	} {
		if got := findWaitLoop(c.code); got != c.want {
			t.Errorf("findWaitLoop(%#x) = %d, want %d", c.code, got, c.want)
		}
	}
}
