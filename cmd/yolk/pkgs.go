//go:build !tamago

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/yolkos/yolk/internal/target"
)

// A pkg is what go list says of a package.
type pkg struct {
	ImportPath string
	Name       string
	Dir        string
	ForTest    string
	DepOnly    bool
	Module     *struct {
		Path, Version, Dir string
		Main               bool
	}
	Imports                   []string
	Deps                      []string
	GoFiles                   []string
	TestGoFiles, XTestGoFiles []string
	Error                     *struct{ Err string }
	DepsErrors                []*struct{ Err string }
}

// list runs go list -json for the target with the build flags and
// patterns.
func (m *module) list(flags []string, patterns ...string) ([]*pkg, error) {
	args := append([]string{"list", "-e", "-json=ImportPath,Name,Dir,ForTest,DepOnly,Module,Imports,Deps,GoFiles,TestGoFiles,XTestGoFiles,Error,DepsErrors"}, flags...)
	out, err := m.tamagoOut(append(append(args, "--"), patterns...)...)
	if err != nil {
		return nil, fmt.Errorf("go list: %v", err)
	}
	var pkgs []*pkg
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %v", err)
		}
		pkgs = append(pkgs, &p)
	}
	return pkgs, nil
}

// boardUse is which boards a program (or a test binary) links.
type boardUse struct {
	neutral bool                    // it imports package board
	direct  map[string]target.Board // boards imported directly, by the importer
}

// boardsOf looks at a program's packages (its -deps listing): which board
// packages its own code imports.
func boardsOf(pkgs []*pkg) boardUse {
	u := boardUse{direct: map[string]target.Board{}}
	for _, p := range pkgs {
		if p.ImportPath == target.BoardPackage || strings.HasPrefix(p.ImportPath, target.BoardPackage+" ") {
			u.neutral = true
		}
		// The board packages import each other; only other code counts.
		if strings.HasPrefix(p.ImportPath, target.BoardPackage) {
			continue
		}
		for _, imp := range p.Imports {
			if b, ok := target.ForPackage(imp); ok {
				u.direct[p.ImportPath] = b
			}
		}
	}
	return u
}

// choose returns the board a program is built for: the one -board names
// (want, or "" for none), which must agree with a board the program
// imports directly. what names the program in messages.
func (u boardUse) choose(want, what string) (target.Board, error) {
	var importers []string
	boards := map[string]target.Board{}
	for imp, b := range u.direct {
		importers = append(importers, imp)
		boards[b.Name] = b
	}
	sort.Strings(importers)
	if len(boards) > 1 {
		return target.Board{}, fmt.Errorf("%s imports more than one board (%s): import %s instead and choose with -board", what, describe(u.direct, importers), target.BoardPackage)
	}
	if !u.neutral && len(boards) == 0 {
		return target.Board{}, fmt.Errorf("%s does not import a board: add  import _ %q  to it", what, target.BoardPackage)
	}
	var fixed target.Board
	for _, b := range boards {
		fixed = b
	}
	if want == "" {
		if fixed.Name != "" {
			return fixed, nil
		}
		return target.QEMUVirt, nil
	}
	b, err := target.Lookup(want)
	if err != nil {
		return b, usageError{err.Error()}
	}
	if fixed.Name != "" && fixed.Name != b.Name {
		return b, fmt.Errorf("%s imports %s, so it builds for %s only: import %s instead to choose the board with -board", what, describe(u.direct, importers), fixed.Name, target.BoardPackage)
	}
	return b, nil
}

func describe(direct map[string]target.Board, importers []string) string {
	var s []string
	for _, imp := range importers {
		s = append(s, direct[imp].Package+" (in "+imp+")")
	}
	return strings.Join(s, ", ")
}

// pkgErrors gathers go list's errors about pkgs.
func pkgErrors(pkgs []*pkg) error {
	var msgs []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			msgs = append(msgs, s)
		}
	}
	for _, p := range pkgs {
		if p.Error != nil {
			add(p.Error.Err)
		}
		for _, e := range p.DepsErrors {
			add(e.Err)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}
