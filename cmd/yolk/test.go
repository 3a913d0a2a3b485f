//go:build !tamago

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yolkos/yolk/internal/target"
)

// go test's flags (and the build flags it takes) that take a value, so
// that the value is not mistaken for a package.
var goTestValueFlags = map[string]bool{
	"run": true, "bench": true, "count": true, "timeout": true, "cpu": true, "benchtime": true,
	"parallel": true, "skip": true, "shuffle": true, "list": true, "fuzz": true, "fuzztime": true,
	"fuzzminimizetime": true, "coverprofile": true, "covermode": true, "coverpkg": true,
	"cpuprofile": true, "memprofile": true, "memprofilerate": true, "blockprofile": true,
	"blockprofilerate": true, "mutexprofile": true, "mutexprofilefraction": true, "outputdir": true,
	"trace": true, "o": true, "vet": true, "p": true, "C": true, "mod": true, "modfile": true,
	"overlay": true, "pgo": true, "tags": true, "ldflags": true, "gcflags": true, "asmflags": true,
	"gccgoflags": true, "buildmode": true, "compiler": true, "installsuffix": true, "pkgdir": true,
	"toolexec": true, "exec": true, "buildvcs": true, "fullpath": false,
}

// yolk's own flags in yolk test, and whether they take a value.
var yolkTestFlags = map[string]bool{"board": true, "smp": true, "m": true, "gic": true, "el2": false, "net": false, "fwd": true, "env": true}

// testArgs is yolk test's command line taken apart.
type testArgs struct {
	yolk     []string // yolk's flags, for a qemuFlags set
	goflags  []string // go test's flags but -tags, -ldflags
	pkgs     []string
	after    []string // -args and what follows
	tags, ld string
}

func splitTestArgs(args []string) (testArgs, error) {
	var t testArgs
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-args" || a == "--args" {
			t.after = args[i:]
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			t.pkgs = append(t.pkgs, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes, isYolk := yolkTestFlags[name]
		if !isYolk {
			takes = goTestValueFlags[name]
		}
		if takes && !hasVal {
			if i+1 >= len(args) {
				return t, usagef("flag -%s needs a value", name)
			}
			i++
			val = args[i]
		}
		switch {
		case isYolk:
			t.yolk = append(t.yolk, "-"+name)
			if takes {
				t.yolk = append(t.yolk, val)
			} else if hasVal {
				t.yolk[len(t.yolk)-1] += "=" + val
			}
		case name == "exec" || name == "toolexec" || name == "modfile" || name == "overlay":
			return t, usagef("yolk test sets -%s itself", name)
		case name == "tags":
			t.tags = val
		case name == "ldflags":
			t.ld = val
		case takes:
			t.goflags = append(t.goflags, "-"+name+"="+val)
		default:
			t.goflags = append(t.goflags, a)
		}
	}
	if len(t.pkgs) == 0 {
		t.pkgs = []string{"."}
	}
	return t, nil
}

func cmdTest(args []string) error {
	ta, err := splitTestArgs(args)
	if err != nil {
		return err
	}
	fs := newFlags("test", "[-board B] [-smp N] [-m SIZE] [-gic 2|3] [-el2] [-net] [-fwd RULE] [-env NAME[=value]] [go test flags] [packages] [-args ...]")
	var q qemuFlags
	q.register(fs)
	if err := parse(fs, ta.yolk); err != nil {
		return err
	}
	env, err := q.guestEnv()
	if err != nil {
		return err
	}
	m, err := findModule()
	if err != nil {
		return err
	}

	// Which board, and which test binaries link none.
	lflags, err := listFlags(q.board, ta.tags)
	if err != nil {
		return err
	}
	pkgs, err := m.list(append(lflags, "-test", "-deps"), ta.pkgs...)
	if err != nil {
		return err
	}
	if err := pkgErrors(pkgs); err != nil {
		return err
	}
	u := boardsOf(pkgs)
	u.neutral = true // a test binary without a board gets package board
	b, err := u.choose(q.board, "the packages under test")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "yolk-test")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	inject, err := m.injectBoard(pkgs, tmp)
	if err != nil {
		return err
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	execArgs := []string{self, "exec", "-board", b.Name}
	if q.smp != 0 {
		execArgs = append(execArgs, "-smp", strconv.Itoa(q.smp))
	}
	if q.mem != "" {
		execArgs = append(execArgs, "-m", q.mem)
	}
	if q.gic != 0 {
		execArgs = append(execArgs, "-gic", strconv.Itoa(q.gic))
	}
	if q.el2 {
		execArgs = append(execArgs, "-el2")
	}
	if q.net {
		execArgs = append(execArgs, "-net")
	}
	for _, f := range q.fwd {
		execArgs = append(execArgs, "-fwd", f)
	}
	for _, e := range env {
		execArgs = append(execArgs, "-env", e)
	}
	var dtb string
	if b.DTB != "" {
		dtb = filepath.Join(m.Yolk, b.DTB)
		execArgs = append(execArgs, "-dtb", dtb)
	}
	// Check the machine once here rather than in every test binary.
	mach, err := q.machine(b, "test.elf", dtb, nil)
	if err != nil {
		return err
	}
	if _, err := mach.Args(); err != nil {
		return usageError{err.Error()}
	}
	if _, err := qemuBinary(prog); err != nil {
		return err
	}

	goArgs := append([]string{"test"}, b.BuildFlags(ta.tags, ta.ld)...)
	goArgs = append(goArgs, inject...)
	goArgs = append(goArgs, "-exec", execQuote(execArgs))
	goArgs = append(goArgs, ta.goflags...)
	goArgs = append(goArgs, ta.pkgs...)
	goArgs = append(goArgs, ta.after...)
	cmd := m.tamago(goArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return exitError{ee.ExitCode()}
		}
		return err
	}
	return nil
}

// execQuote joins -exec's words the way the go command splits them.
func execQuote(args []string) string {
	var s []string
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"") {
			a = "'" + strings.ReplaceAll(a, "'", "") + "'"
		}
		s = append(s, a)
	}
	return strings.Join(s, " ")
}

// boardTest is the test file that gives a package's test binary a
// board. It is an external test file (package name_test), because the
// package may itself be one that the board imports.
func boardTest(name string) string {
	return "// Code generated by yolk test. DO NOT EDIT.\n\npackage " + name + "_test\n\nimport _ " + strconv.Quote(target.BoardPackage) + "\n"
}

const boardTestFile = "yolk_board_test.go"

// injectBoard gives each package under test whose test binary links no
// board one: a test file that imports package board. Packages in
// directories go may overlay get it through -overlay; go refuses overlays
// into the module cache, so a dependency's module is copied and replaced
// by the copy (-modfile). It returns the go test flags for that.
func (m *module) injectBoard(pkgs []*pkg, tmp string) ([]string, error) {
	modcache, err := hostGo(m.Dir, "env", "GOMODCACHE")
	if err != nil {
		return nil, err
	}
	modcache = strings.TrimSpace(modcache)
	tests := map[string]*pkg{}  // test mains by the package they test
	tested := map[string]*pkg{} // packages under test
	for _, p := range pkgs {
		if !p.DepOnly && p.ForTest == "" && !strings.HasSuffix(p.ImportPath, ".test") {
			tested[p.ImportPath] = p
		}
		if strings.HasSuffix(p.ImportPath, ".test") && p.Name == "main" {
			tests[strings.TrimSuffix(p.ImportPath, ".test")] = p
		}
	}
	overlay := map[string]string{}
	copies := map[string]string{} // module path@version -> copy
	for path, p := range tested {
		t := tests[path]
		if t == nil {
			continue // no test files: go test says so
		}
		if hasBoard(t.Deps) {
			continue
		}
		if p.Module == nil {
			return nil, fmt.Errorf("%s is part of the Go distribution: yolk test runs the tests of module packages only", path)
		}
		file := boardTest(p.Name)
		if !strings.HasPrefix(p.Dir, modcache+string(filepath.Separator)) {
			f := filepath.Join(tmp, "overlay", strings.ReplaceAll(path, "/", "_")+"_"+boardTestFile)
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(f, []byte(file), 0o644); err != nil {
				return nil, err
			}
			overlay[filepath.Join(p.Dir, boardTestFile)] = f
			continue
		}
		key := p.Module.Path + "@" + p.Module.Version
		dst, ok := copies[key]
		if !ok {
			dst = filepath.Join(tmp, "mod", strings.ReplaceAll(key, "/", "_"))
			if err := os.CopyFS(dst, os.DirFS(p.Module.Dir)); err != nil {
				return nil, fmt.Errorf("copying %s to add a board to its tests: %v", key, err)
			}
			copies[key] = dst
		}
		rel, err := filepath.Rel(p.Module.Dir, p.Dir)
		if err != nil {
			return nil, err
		}
		d := filepath.Join(dst, rel)
		os.Chmod(d, 0o755) // the module cache's directories are read-only
		if err := os.WriteFile(filepath.Join(d, boardTestFile), []byte(file), 0o644); err != nil {
			return nil, err
		}
	}
	var flags []string
	if len(overlay) > 0 {
		b, err := json.Marshal(map[string]any{"Replace": overlay})
		if err != nil {
			return nil, err
		}
		f := filepath.Join(tmp, "overlay.json")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			return nil, err
		}
		flags = append(flags, "-overlay", f)
	}
	if len(copies) > 0 {
		f, err := m.tempModfile(tmp, copies)
		if err != nil {
			return nil, err
		}
		flags = append(flags, "-modfile", f)
	}
	return flags, nil
}

func hasBoard(deps []string) bool {
	for _, d := range deps {
		if _, ok := target.ForPackage(d); ok {
			return true
		}
	}
	return false
}

// tempModfile writes a copy of the module's go.mod and go.sum into tmp
// with each module of copies replaced by its copy, and relative
// replacements made absolute (they are relative to the module's root).
func (m *module) tempModfile(tmp string, copies map[string]string) (string, error) {
	mf := filepath.Join(tmp, "go.mod")
	if err := copyFile(m.GoMod, mf); err != nil {
		return "", err
	}
	if sum := filepath.Join(m.Dir, "go.sum"); fileExists(sum) {
		if err := copyFile(sum, filepath.Join(tmp, "go.sum")); err != nil {
			return "", err
		}
	}
	out, err := hostGo(m.Dir, "mod", "edit", "-json", "-modfile="+mf)
	if err != nil {
		return "", err
	}
	var j struct {
		Replace []struct {
			Old, New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		return "", err
	}
	args := []string{"mod", "edit", "-modfile=" + mf}
	for _, r := range j.Replace {
		if r.New.Version == "" && !filepath.IsAbs(r.New.Path) {
			old := r.Old.Path
			if r.Old.Version != "" {
				old += "@" + r.Old.Version
			}
			args = append(args, "-replace="+old+"="+filepath.Join(m.Dir, r.New.Path))
		}
	}
	for key, dst := range copies {
		args = append(args, "-replace="+key+"="+dst)
	}
	if _, err := hostGo(m.Dir, args...); err != nil {
		return "", err
	}
	return mf, nil
}
