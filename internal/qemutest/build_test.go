//go:build !tamago

package qemutest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestMakefileLDFlags(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^TEXT_START\s*:?=\s*(\S+)`).FindSubmatch(b)
	flags := regexp.MustCompile(`(?m)^LDFLAGS\s*:?=\s*(.+)$`).FindSubmatch(b)
	if text == nil || flags == nil {
		t.Fatal("Makefile has no TEXT_START or LDFLAGS")
	}
	got := regexp.MustCompile(`\$\(TEXT_START\)`).ReplaceAllString(string(flags[1]), string(text[1]))
	if got != DefaultLDFlags {
		t.Errorf("Makefile links with %q, qemutest.DefaultLDFlags is %q", got, DefaultLDFlags)
	}
}
