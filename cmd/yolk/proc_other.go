//go:build !tamago && !linux

package main

import (
	"os"
	"os/exec"
)

func setProcAttr(cmd *exec.Cmd) {}

// isTerminal reports whether f is a character device other than
// /dev/null, close enough to a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
