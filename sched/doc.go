// Package sched is the glue between the Go scheduler and the cores: the
// runtime/goos hooks Task (start an M on a core) and Idle (sleep a core
// until its next timer or an interrupt), cross-core wake-ups, time
// slicing and interrupt-to-goroutine delivery.
//
// Its tests run under QEMU and check the runtime's behaviour on yolk:
// sleeping, timers, goroutines, channels, sync, garbage collection and
// crypto/rand.
package sched
