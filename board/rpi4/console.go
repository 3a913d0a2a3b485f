//go:build tamago

package rpi4

import (
	_ "unsafe" // go:linkname

	"github.com/yolkos/yolk/drivers/pl011"
)

// console is UART0, the device tree's first arm,pl011 (set in hwinit0;
// output before that is dropped).
var console pl011.UART

// printk is runtime/goos.Printk: every byte of print, panic and crash
// output, with a carriage return before each newline.
//
//go:linkname printk runtime/goos.Printk
//go:nosplit
func printk(c byte) {
	if c == '\n' {
		console.Putc('\r')
	}
	console.Putc(c)
}
