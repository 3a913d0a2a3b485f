// Package boardkit is what the board packages (board/qemu-virt,
// board/rpi4) share: the runtime/goos hooks that do not depend on the
// machine (console output, the clock, the RNDR loop, exit and halt), the
// banner's common lines, and the record of the board that was linked,
// which the board-neutral packages (board, board/network) read.
//
// Exactly one board is linked into a program, so the hooks bound here with
// go:linkname are defined once.
package boardkit
