//go:build !arm64

package reg

import (
	"sync/atomic"
	"unsafe"
)

// On other architectures the registers are fake blocks in Go memory (host
// tests): sync/atomic gives the same "every access happens, in order".

func Read8(addr uintptr) uint8 {
	w := atomic.LoadUint32((*uint32)(unsafe.Pointer(addr &^ 3)))
	return uint8(w >> (8 * (addr & 3)))
}

func Read16(addr uintptr) uint16 {
	w := atomic.LoadUint32((*uint32)(unsafe.Pointer(addr &^ 3)))
	return uint16(w >> (8 * (addr & 2)))
}

func Read32(addr uintptr) uint32 { return atomic.LoadUint32((*uint32)(unsafe.Pointer(addr))) }

func Write8(addr uintptr, v uint8) {
	p := (*uint32)(unsafe.Pointer(addr &^ 3))
	shift := 8 * (addr & 3)
	for {
		old := atomic.LoadUint32(p)
		if atomic.CompareAndSwapUint32(p, old, old&^(0xff<<shift)|uint32(v)<<shift) {
			return
		}
	}
}

func Write32(addr uintptr, v uint32) { atomic.StoreUint32((*uint32)(unsafe.Pointer(addr)), v) }

func Read32Relaxed(addr uintptr) uint32 { return Read32(addr) }

func Write32Relaxed(addr uintptr, v uint32) { Write32(addr, v) }
