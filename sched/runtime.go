//go:build tamago

package sched

import rt "github.com/yolkos/yolk/internal/goruntime"

// What the scheduler glue asks of the runtime's state; the offsets and
// linknames behind it are in internal/goruntime.

// goroutineP returns the P of the M running g, if g is an ordinary
// goroutine (not a g0, not a handler g); 0 otherwise.
//
//go:nosplit
func goroutineP(g uintptr) uintptr {
	if m := rt.Goroutine(g); m != 0 {
		return rt.P(m)
	}
	return 0
}

// queued reports whether goroutines wait to run on P p or globally.
//
//go:nosplit
func queued(p uintptr) bool {
	return p != 0 && !rt.RunqEmpty(p) || !rt.GlobalRunqEmpty()
}
