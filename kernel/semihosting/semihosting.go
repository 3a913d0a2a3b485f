//go:build tamago

// Package semihosting makes Arm semihosting calls (the "Semihosting for
// AArch32 and AArch64" specification): HLT #0xF000 with the operation in
// x0 and its parameter block in x1. QEMU serves them when started with
// -semihosting; yolk uses them to report exit status to the host.
//
// When the emulator does not serve semihosting, HLT is an undefined
// instruction. The call site is registered with the exception handler,
// which skips it and returns ^0, so Available can probe safely.
package semihosting

import (
	"unsafe"

	"github.com/yolkos/yolk/kernel/exception"
)

const (
	sysErrno = 0x13
	sysExit  = 0x18

	adpStoppedApplicationExit = 0x20026
)

// call executes HLT #0xF000 (semihosting_arm64.s).
//
//go:noescape
func hlt(op uint64, arg unsafe.Pointer) uint64

// Call makes semihosting call op with parameter block arg and returns x0;
// ^0 if the host serves no semihosting (the HLT is then skipped).
//
//go:nosplit
func Call(op uint64, arg unsafe.Pointer) uint64 {
	exception.SkipIfUndefined(TrapPC())
	return hlt(op, arg)
}

// TrapPC is the address of the HLT instruction, for the exception handler.
func TrapPC() uintptr

var probed, available bool

// Available reports whether the host serves semihosting calls. It needs
// the exception vectors installed (see kernel/exception).
//
//go:nosplit
func Available() bool {
	if !probed {
		available = Call(sysErrno, nil) != ^uint64(0)
		probed = true
	}
	return available
}

// Exit asks the host to stop the machine with the given status (SYS_EXIT
// with ADP_Stopped_ApplicationExit, which carries the status on AArch64).
// It returns only if semihosting is unavailable.
//
//go:nosplit
func Exit(code int32) {
	block := [2]uint64{adpStoppedApplicationExit, uint64(uint32(code))}
	Call(sysExit, unsafe.Pointer(&block))
}
