package devicetree

import (
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

// guarded memory: EarlyMaxSize bytes followed by an inaccessible page, so an
// early reader that strays past a blob placed against it faults the test.
var guard struct {
	once sync.Once
	mem  []byte // the accessible part
	err  error
}

// guardedCopy copies data so that it ends, rounded up to 4 bytes, right at
// the guard page, zero-filling up to the totalsize its header claims (within
// EarlyMaxSize). The early reader may touch exactly that much.
func guardedCopy(tb testing.TB, data []byte) unsafe.Pointer {
	tb.Helper()
	guard.once.Do(func() {
		page := syscall.Getpagesize()
		var m []byte
		m, guard.err = syscall.Mmap(-1, 0, EarlyMaxSize+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if guard.err == nil {
			guard.err = syscall.Mprotect(m[EarlyMaxSize:], syscall.PROT_NONE)
			guard.mem = m[:EarlyMaxSize]
		}
	})
	if guard.err != nil {
		tb.Fatalf("guard page: %v", guard.err)
	}
	n := earlyExtent(data)
	start := EarlyMaxSize - n
	clear(guard.mem[start:])
	copy(guard.mem[start:], data)
	return unsafe.Pointer(&guard.mem[start])
}
