package asmcheck

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RepoRoot walks up from dir to the first directory containing go.mod.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("asmcheck: no go.mod above " + dir)
		}
		dir = parent
	}
}

// Report is the result of CheckTree.
type Report struct {
	Files    int // .s files read
	Words    int // WORD $0x<hex> directives found
	Problems []Problem
}

// CheckTree checks every .s file under root. It skips root/build, vendor
// and testdata directories, hidden directories (".git", ...) and
// directories starting with "_", as the go command does. Problem paths are
// relative to root.
func CheckTree(root string) (Report, error) {
	var r Report
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "vendor" || rel == "build") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".s") || !d.Type().IsRegular() {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r.Files++
		words, probs := Scan(rel, src)
		r.Words += len(words)
		r.Problems = append(r.Problems, checkScanned(rel, words, probs)...)
		return nil
	})
	return r, err
}
