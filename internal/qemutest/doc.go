// Package qemutest runs yolk guest programs (GOOS=tamago GOARCH=arm64 ELF
// files) under QEMU from host-side Go tests, through the repository's
// run-qemu.sh, and captures what they print and how they exit.
//
// It is host-only: everything but this package comment is built with
// //go:build !tamago, so the package is empty in a tamago build.
//
//	res := qemutest.Run(t, elf, qemutest.Options{SMP: 2}, "-test.v")
//	if res.ExitCode != 0 || !strings.Contains(res.Output, "PASS") { ... }
package qemutest
