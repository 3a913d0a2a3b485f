// Package goruntime is the one place where yolk reaches into the Go
// runtime beyond its runtime/goos hooks: offsets of fields of the
// runtime's g, m, p and schedt structures, the runtime functions and
// variables yolk calls or sets through go:linkname and assembly, the
// runtime function yolk provides (runtime.sigpanic), and the shape of
// one piece of runtime code (semasleep's wait loop).
//
// All of it is pinned to the toolchain go.mod selects, tamago-go1.26.0
// (Version), and checked mechanically against it:
//
//   - every offset and constant against the runtime's generated go_asm.h
//     (the compiler's -asmhdr output, which lists every field offset of
//     every runtime type), or against its source where go_asm.h has no
//     entry (stackPreempt);
//   - every linknamed function's signature against its declaration in
//     the runtime's source;
//   - the instruction patterns against their encodings (arm64asm)
//
// by TestLayout and its neighbours on the host (they build the runtime
// with the tamago toolchain), and under QEMU by the tests in qemu_test.go,
// which observe the offsets in a running runtime.
//
// Hooks keep the shape of upstream TamaGo's newer runtime API, where the
// runtime calls goos.Idle(until) and goos.Wake(procid) (tamago-go 1.27):
// see Wake.
package goruntime
