//go:build !tamago

package main

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// setProcAttr makes the kernel send QEMU SIGTERM if yolk dies first (a
// go test timeout, a kill), so that no emulator is left running.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// isTerminal reports whether f is a terminal (/dev/null is a character
// device too, hence the termios request).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
