//go:build !linux

package devicetree

import (
	"testing"
	"unsafe"
)

// guardedCopy copies data into a 4-aligned buffer (without a guard page on
// this OS) of the size the early reader may touch; blobs that claim more
// than 64 MiB are skipped here.
func guardedCopy(tb testing.TB, data []byte) unsafe.Pointer {
	n := earlyExtent(data)
	if n > 64<<20 {
		tb.Skipf("a blob claiming %d bytes needs the guarded memory of Linux", n)
	}
	buf := make([]uint32, n/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*4), data)
	return unsafe.Pointer(&buf[0])
}
