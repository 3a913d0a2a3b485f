//go:build linux

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// bootNanos is CLOCK_BOOTTIME when the guest runs as init (the kernel's
// clock starts early in its boot); -1 as an ordinary process.
func bootNanos() int64 {
	const clockBoottime = 7
	var ts syscall.Timespec
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockBoottime, uintptr(unsafe.Pointer(&ts)), 0)
	if os.Getpid() != 1 || e != 0 {
		return -1
	}
	return ts.Nano()
}

// exit powers the machine off when the guest is init (init must not
// return: the kernel would panic), and exits otherwise.
func exit() {
	if os.Getpid() == 1 {
		syscall.Sync()
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	}
	os.Exit(0)
}
