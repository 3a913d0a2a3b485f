//go:build !tamago

package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/yolkos/yolk/internal/target"
)

// newFlags is a flag set whose errors come back to run as usage errors.
func newFlags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go tool yolk %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitError{0}
		}
		return exitError{2} // the flag package printed the message
	}
	return nil
}

// A build is one program built for a board.
type build struct {
	board   target.Board
	pkg     *pkg   // the main package
	elf     string // the ELF written
	sd      string // rpi4: the SD card directory
	tags    string
	ldflags string
}

func cmdBuild(args []string) error {
	fs := newFlags("build", "[-board B] [-o OUT] [-tags T] [-ldflags F] [-firmware DIR] [pkg]")
	board := fs.String("board", "", "the board: "+target.Names()+" (default: the one the program imports, else qemu-virt)")
	out := fs.String("o", "", "output: the ELF, or for rpi4 the SD card directory (default: named after the package)")
	tags := fs.String("tags", "", "extra build tags, comma-separated")
	ldflags := fs.String("ldflags", "", "extra linker flags, e.g. \"-s -w\"")
	firmware := fs.String("firmware", "", "rpi4: a directory holding start4.elf and fixup4.dat, copied onto the card after checking them")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("build takes one package, not %q", fs.Args())
	}
	p := "."
	if fs.NArg() == 1 {
		p = fs.Arg(0)
	}
	m, err := findModule()
	if err != nil {
		return err
	}
	b, err := m.build(p, *board, *out, *tags, *ldflags, *firmware, true)
	if err != nil {
		return err
	}
	if b.sd != "" {
		fmt.Printf("%s for %s: SD card files in %s\n", b.pkg.ImportPath, b.board.Name, b.sd)
	} else {
		fmt.Printf("%s for %s: %s\n", b.pkg.ImportPath, b.board.Name, b.elf)
	}
	return nil
}

// mainPackage lists the main package p for board want ("" for the one
// the program picks) and returns it with its board.
func (m *module) mainPackage(p, want, tags string) (*pkg, target.Board, error) {
	flags, err := listFlags(want, tags)
	if err != nil {
		return nil, target.Board{}, err
	}
	pkgs, err := m.list(append(flags, "-deps"), p)
	if err != nil {
		return nil, target.Board{}, err
	}
	var root []*pkg
	for _, q := range pkgs {
		if !q.DepOnly {
			root = append(root, q)
		}
	}
	if len(root) != 1 {
		return nil, target.Board{}, usagef("%q names %d packages: give one main package", p, len(root))
	}
	r := root[0]
	if r.Error != nil {
		return nil, target.Board{}, fmt.Errorf("%s", strings.TrimSpace(r.Error.Err))
	}
	if r.Name != "main" {
		return nil, target.Board{}, fmt.Errorf("%s is package %s, not a main package: build or run a command (test a library with 'go tool yolk test')", r.ImportPath, r.Name)
	}
	b, err := boardsOf(pkgs).choose(want, r.ImportPath)
	return r, b, err
}

// listFlags are go list's flags for the board want ("" for the one the
// program picks) and the user's tags.
func listFlags(want, tags string) ([]string, error) {
	if want == "" {
		if tags == "" {
			return nil, nil
		}
		return []string{"-tags", tags}, nil
	}
	b, err := target.Lookup(want)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return b.BuildFlags(tags, "")[:2], nil
}

// build builds the main package p for the board want into out: an ELF,
// or with sd on a board that boots a raw image, the SD card directory
// (with the ELF in it).
func (m *module) build(p, want, out, tags, ldflags, firmware string, sd bool) (*build, error) {
	r, b, err := m.mainPackage(p, want, tags)
	if err != nil {
		return nil, err
	}
	bd := &build{board: b, pkg: r, tags: tags, ldflags: ldflags}
	name := path.Base(r.ImportPath)
	if r.Module != nil && r.ImportPath == r.Module.Path {
		name = path.Base(r.Module.Path)
	}
	if b.Image == 0 || !sd {
		bd.elf = out
		if bd.elf == "" {
			bd.elf = name + ".elf"
		}
	} else {
		bd.sd = out
		if bd.sd == "" {
			bd.sd = name + "-" + b.Name
		}
		if err := os.MkdirAll(bd.sd, 0o755); err != nil {
			return nil, err
		}
		bd.elf = filepath.Join(bd.sd, "kernel8.elf")
	}
	if err := m.goBuild(b, r.ImportPath, bd.elf, tags, ldflags); err != nil {
		return nil, err
	}
	if bd.sd != "" {
		if err := m.sdcard(bd, firmware); err != nil {
			return nil, err
		}
	}
	return bd, nil
}

// goBuild runs go build for the target.
func (m *module) goBuild(b target.Board, p, elf, tags, ldflags string) error {
	args := append([]string{"build"}, b.BuildFlags(tags, ldflags)...)
	cmd := m.tamago(append(args, "-o", elf, p)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s for %s failed:\n%s", p, b.Name, strings.TrimSpace(out.String()))
	}
	return nil
}
