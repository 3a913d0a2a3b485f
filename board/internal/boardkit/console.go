//go:build tamago

package boardkit

import (
	_ "unsafe" // go:linkname

	"github.com/yolkos/yolk/drivers/pl011"
	"github.com/yolkos/yolk/kernel/exception"
)

// Console is the board's PL011 UART. The board sets its Base in hwinit0;
// output before that is dropped.
var Console pl011.UART

// printk is runtime/goos.Printk: every byte of print, panic and crash
// output. It adds a carriage return before each newline, as a serial
// terminal expects (the host tool removes it again when the output goes
// to a pipe, see internal/target), and bounds a crash's tracebacks
// (exception.ConsoleFilter).
//
//go:linkname printk runtime/goos.Printk
//go:nosplit
func printk(c byte) {
	keep, note := exception.ConsoleFilter(c)
	if !keep {
		return
	}
	if c == '\n' {
		Console.Putc('\r')
	}
	Console.Putc(c)
	Console.WriteString(note)
}

// crashEnd says how many goroutines' tracebacks a crash left out, if any.
//
//go:nosplit
func crashEnd() {
	if n := exception.CrashDropped(); n > 0 {
		Console.WriteString("yolk: ")
		Console.WriteDec(n)
		Console.WriteString(" goroutine tracebacks left out\n")
	}
}

// Puts prints s on the console without allocating: it works before the
// heap exists and from any context.
//
//go:nosplit
func Puts(s string) {
	for i := 0; i < len(s); i++ {
		printk(s[i])
	}
}

// PutInt prints v in decimal, without allocating.
//
//go:nosplit
func PutInt(v int64) {
	var digits [20]byte
	n := len(digits)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for {
		n--
		digits[n] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		printk('-')
	}
	for _, c := range digits[n:] {
		printk(c)
	}
}
