//go:build !tamago

package main

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// setProcAttr makes the kernel kill QEMU if the harness dies first.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// cpuUse returns the CPU time the host's CPUs have spent busy (from
// /proc/stat) and the part of it that is the harness's and its children's
// (builds, QEMU): the difference between two readings is what other
// processes took.
func cpuUse() (host, ours time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	host, err = statBusy(string(b))
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	for _, r := range []syscall.Rusage{self, children} {
		ours += time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return host, ours, err
}
