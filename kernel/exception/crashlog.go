//go:build tamago

package exception

import (
	"sync/atomic"
	_ "unsafe" // go:linkname
)

// A fatal error thrown on a system stack (running out of memory while
// creating a goroutine is one) makes the runtime print the traceback of
// every goroutine. On Linux that is a second of output to stderr; through
// an emulated serial port, with tens of thousands of goroutines, it is
// many minutes of scrolling before the machine stops, which looks like a
// hang. So while the runtime is crashing, the console shows the
// tracebacks of the first CrashGoroutines goroutines (the crashing one
// comes first), drops the rest, and the board's exit says how many it
// dropped (CrashDropped).
const CrashGoroutines = 100 // CrashNote says so

// panicking is the runtime's count of Ms crashing the program (an
// unrecovered panic or a fatal error: startpanic_m in runtime/panic.go of
// tamago-go1.26.0; an atomic.Uint32, whose only field is the value). It
// is only read here. TestCrashTracebackBounded checks the effect.
//
//go:linkname panicking runtime.panicking
var panicking uint32

// crashLog is the console's view of a crash in progress. It is updated by
// whichever core prints; the runtime's print lock serializes a crash's
// output, and a race could only misplace the cut.
var crashLog struct {
	lineStart bool // the next byte starts a line
	match     int  // bytes of goroutineHeader matched at this line's start
	headers   int  // goroutine headers seen while crashing
	dropping  bool
	dropped   atomic.Int64 // goroutine headers dropped
}

const goroutineHeader = "goroutine "

// CrashNote is what the console writes where it starts to leave
// tracebacks out.
const CrashNote = "\nyolk: the console shows the first 100 goroutines' tracebacks of a crash; the others are left out"

// ConsoleFilter reports whether the board's console should print c, the
// next byte of output (board printk hooks call it first), and a note to
// write after it, directly to the device (a board's printk must not call
// itself). Outside a crash it always prints and has no note.
//
//go:nosplit
func ConsoleFilter(c byte) (keep bool, note string) {
	if atomic.LoadUint32(&panicking) == 0 {
		crashLog.lineStart = c == '\n'
		return true, ""
	}
	if crashLog.lineStart {
		crashLog.match = 0
	}
	crashLog.lineStart = c == '\n'
	if crashLog.match >= 0 && crashLog.match < len(goroutineHeader) {
		if c != goroutineHeader[crashLog.match] {
			crashLog.match = -1 // not a header line
		} else if crashLog.match++; crashLog.match == len(goroutineHeader) {
			crashLog.headers++
			if crashLog.dropping {
				crashLog.dropped.Add(1)
			}
		}
	}
	switch {
	case crashLog.dropping:
		return false, ""
	case c == '\n' && crashLog.headers > CrashGoroutines:
		// The header line of the first goroutine too many ends here:
		// say so and leave out what follows.
		crashLog.dropping = true
		crashLog.dropped.Add(1)
		return true, CrashNote[1:] + "\n"
	}
	return true, ""
}

// CrashDropped returns how many goroutines' tracebacks the console left
// out, and prints everything again (board exit hooks call it and say how
// many before ending the machine).
//
//go:nosplit
func CrashDropped() uint64 {
	crashLog.dropping = false
	return uint64(crashLog.dropped.Swap(0))
}
