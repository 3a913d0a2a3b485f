//go:build tamago

package qemuvirt

import (
	_ "unsafe" // go:linkname

	"github.com/yolkos/yolk/drivers/pl011"
)

// console is the PL011 the device tree's first arm,pl011 node names
// (set in hwinit0; output before that is dropped).
var console pl011.UART

// printk is runtime/goos.Printk: every byte of print, panic and crash
// output. It adds a carriage return before each newline, as a serial
// terminal expects.
//
//go:linkname printk runtime/goos.Printk
//go:nosplit
func printk(c byte) {
	if c == '\n' {
		console.Putc('\r')
	}
	console.Putc(c)
}
