// Package board is the board-neutral face of yolk: a program imports it
// instead of a particular board and runs on whichever board it is built
// for. `go tool yolk build -board rpi4` (the build tag yolk_rpi4) links
// board/rpi4; without a board tag it links board/qemu-virt.
//
//	import _ "github.com/yolkos/yolk/board" // boot, console, clock, cores
//
//	fmt.Print(board.Banner())
//	for _, c := range board.InterruptCounts(0) { ... }
//
// board/network starts the network the same way on every board. A program
// may import a board package directly instead (board/qemu-virt,
// board/rpi4); it then builds for that board only.
package board
