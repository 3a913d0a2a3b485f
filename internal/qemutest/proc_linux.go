//go:build !tamago

package qemutest

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel send run-qemu.sh SIGTERM if the test process
// dies first (e.g. on a go test timeout panic), so that its trap stops QEMU.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
