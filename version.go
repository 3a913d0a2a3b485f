// Package yolk is a bare-metal Go unikernel runtime for arm64: an ordinary
// Go program that imports one board package (board/qemu-virt,
// board/rpi4) runs directly on the machine's cores, built with TamaGo
// (GOOS=tamago).
package yolk

// Version of yolk.
const Version = "0.1.0"
