//go:build !linux

package devicetree

import (
	"testing"
	"unsafe"
)

// guardedCopy copies data into a 4-aligned buffer (without a guard page on
// this OS) of the size the early reader may touch.
func guardedCopy(tb testing.TB, data []byte) unsafe.Pointer {
	buf := make([]uint32, earlyExtent(data)/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*4), data)
	return unsafe.Pointer(&buf[0])
}
