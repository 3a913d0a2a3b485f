//go:build !tamago

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/yolkos/yolk/internal/target"
)

// A module is the Go module yolk works in (the working directory's).
type module struct {
	Path  string // module path
	Dir   string // its root
	GoMod string // its go.mod
	Yolk  string // the directory of the yolk module it uses
	Go    string // the TamaGo go command
}

// hostGo runs the host's go command in dir and returns its standard
// output; on failure the error holds its standard error.
func hostGo(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := output(cmd)
	if err != nil {
		return out, fmt.Errorf("go %s: %v", strings.Join(args, " "), err)
	}
	return out, nil
}

// output runs cmd and returns its standard output; on failure the error
// is its standard error.
func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return string(out), errors.New(msg)
	}
	return string(out), nil
}

// findModule finds the module of the working directory, the yolk module
// it requires and the TamaGo toolchain, installing the toolchain if need
// be. Each failure says how to fix it.
func findModule() (*module, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return nil, errors.New("the go command is not on PATH: install Go >= 1.26 from https://go.dev/dl/")
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	gomod, err := hostGo(wd, "env", "GOMOD")
	if err != nil {
		return nil, err
	}
	gomod = strings.TrimSpace(gomod)
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("not in a Go module: run 'go tool yolk new DIR' or 'go mod init NAME' first")
	}
	m := &module{GoMod: gomod, Dir: filepath.Dir(gomod)}
	var mf struct {
		Module struct{ Path string }
		Go     string
	}
	out, err := hostGo(m.Dir, "mod", "edit", "-json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(out), &mf); err != nil {
		return nil, fmt.Errorf("reading %s: %v", gomod, err)
	}
	m.Path = mf.Module.Path
	if mf.Go != "" && versionLess(target.GoVersion, mf.Go) {
		return nil, fmt.Errorf("%s says 'go %s', newer than the TamaGo toolchain's go%s: run 'go mod edit -go=%s -toolchain=none'", gomod, mf.Go, target.GoVersion, target.GoVersion)
	}
	if m.Path == target.Module {
		m.Yolk = m.Dir
	} else {
		dir, err := hostGo(m.Dir, "list", "-m", "-f", "{{.Dir}}", target.Module)
		if err != nil || strings.TrimSpace(dir) == "" {
			return nil, fmt.Errorf("%s does not require %s: run 'go get %s', or for a checkout of yolk in DIR 'go mod edit -require=%s@v0.0.0 -replace=%s=DIR && go mod tidy'", gomod, target.Module, target.BoardPackage, target.Module, target.Module)
		}
		m.Yolk = strings.TrimSpace(dir)
	}
	v, err := hostGo(m.Dir, "list", "-m", "-f", "{{.Version}}", target.TamagoModule)
	v = strings.TrimSpace(v)
	switch {
	case err != nil || v == "":
		return nil, fmt.Errorf("the TamaGo module is not in %s's requirements: run 'go get %s@%s'", gomod, target.TamagoModule, target.TamagoVersion)
	case v != target.TamagoVersion:
		return nil, fmt.Errorf("%s requires %s %s, but yolk is pinned to %s: run 'go get %s@%s'", gomod, target.TamagoModule, v, target.TamagoVersion, target.TamagoModule, target.TamagoVersion)
	}
	if m.Go, err = tamagoGo(m.Dir); err != nil {
		return nil, err
	}
	return m, nil
}

// versionLess compares Go versions such as 1.26 and 1.26.8.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// tamagoRoot is where `go tool tamago` keeps the toolchain matching
// TamagoVersion (cmd/tamago's goroot: the user cache's tamago-go/tamago-goX).
func tamagoRoot() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "tamago-go", "tamago-go"+strings.TrimPrefix(target.TamagoVersion, "v")), nil
}

// tamagoGo returns the TamaGo go command, installing the toolchain the
// way `go tool tamago` does (it is that program) if it is missing.
func tamagoGo(dir string) (string, error) {
	root, err := tamagoRoot()
	if err != nil {
		return "", err
	}
	gobin := filepath.Join(root, "bin", "go")
	if _, err := os.Stat(gobin); err == nil {
		return gobin, nil
	}
	fmt.Fprintf(os.Stderr, "yolk: installing the TamaGo toolchain (tamago-go%s) into %s; this takes a few minutes, once\n", strings.TrimPrefix(target.TamagoVersion, "v"), root)
	cmd := exec.Command("go", "run", target.TamagoTool, "version")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("installing the TamaGo toolchain with 'go run %s' failed (%v): it needs git and network access to github.com/usbarmory/tamago-go", target.TamagoTool, err)
	}
	if _, err := os.Stat(gobin); err != nil {
		return "", fmt.Errorf("the TamaGo toolchain is not at %s after installing it", gobin)
	}
	return gobin, nil
}

// goEnv is the environment of the TamaGo go command: its GOROOT first on
// PATH, the target, and GOTOOLCHAIN=local so that a toolchain line in
// go.mod cannot switch to a go command without tamago.
func (m *module) goEnv() []string {
	root := filepath.Dir(filepath.Dir(m.Go))
	env := append(os.Environ(), "GOROOT="+root, "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"), "GOTOOLCHAIN=local")
	return append(env, target.Env()...)
}

// tamago returns the TamaGo go command with args, to run in the working
// directory (package patterns are relative to it).
func (m *module) tamago(args ...string) *exec.Cmd {
	cmd := exec.Command(m.Go, args...)
	cmd.Env = m.goEnv()
	return cmd
}

// tamagoOut runs the TamaGo go command and returns its standard output.
func (m *module) tamagoOut(args ...string) (string, error) { return output(m.tamago(args...)) }
