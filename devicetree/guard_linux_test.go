package devicetree

import (
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

// guardedCopy copies data so that it ends, rounded up to 4 bytes, right at
// an inaccessible page, zero-filling up to the totalsize its header claims
// (the early reader may touch exactly that much), and returns where it
// starts. Blobs up to sharedGuard bytes share one mapping, cleared as far
// as each copy reaches; a larger claim gets a mapping of its own, which
// reserves no memory (only the pages the reader touches are ever backed)
// and is unmapped when the test ends.
func guardedCopy(tb testing.TB, data []byte) unsafe.Pointer {
	tb.Helper()
	n := earlyExtent(data)
	if n <= sharedGuard {
		shared.once.Do(func() { shared.mem, shared.err = guardedMap(sharedGuard) })
		if shared.err != nil {
			tb.Fatalf("guarded memory: %v", shared.err)
		}
		start := sharedGuard - n
		clear(shared.mem[start:])
		copy(shared.mem[start:], data)
		return unsafe.Pointer(&shared.mem[start])
	}
	m, err := guardedMap(n)
	if err != nil {
		tb.Fatalf("guarded memory of %d bytes: %v", n, err)
	}
	tb.Cleanup(func() { syscall.Munmap(m[:cap(m)]) })
	start := len(m) - n
	copy(m[start:], data)
	return unsafe.Pointer(&m[start])
}

const sharedGuard = 4 << 20

var shared struct {
	once sync.Once
	mem  []byte
	err  error
}

// guardedMap maps at least n accessible bytes followed by an inaccessible
// page; the slice ends where that page starts.
func guardedMap(n int) ([]byte, error) {
	page := syscall.Getpagesize()
	size := (n+page-1)/page*page + page
	m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, err
	}
	if err := syscall.Mprotect(m[size-page:], syscall.PROT_NONE); err != nil {
		syscall.Munmap(m)
		return nil, err
	}
	return m[:size-page], nil
}
