//go:build tamago

// Package hostrng reads entropy from the host of an emulator through Arm
// semihosting ("Semihosting for AArch32 and AArch64": SYS_OPEN, SYS_READ
// of the host's random device). It stands in for a hardware generator
// where the emulated machine has none, as QEMU's raspi4b lacks the
// BCM2711's RNG200 and its Cortex-A72 has no RNDR: the role virtio-rng
// plays on other machines. Real hardware has no semihosting host, and
// Open fails there.
package hostrng

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"github.com/yolkos/yolk/kernel/semihosting"
)

const (
	sysOpen = 0x01
	sysRead = 0x06

	modeReadBinary = 1 // "rb"
)

// hostDevice is the host's non-blocking random device.
const hostDevice = "/dev/urandom"

var (
	ErrNoHost = errors.New("hostrng: no semihosting host (not running under an emulator with -semihosting)")
	ErrOpen   = errors.New("hostrng: the host refused to open its random device")
	ErrRead   = errors.New("hostrng: short read from the host's random device")
)

var (
	handle uint64
	opened bool
	name   [len(hostDevice) + 1]byte
)

// Open opens the host's random device. It allocates nothing and may run
// before the runtime's heap exists.
//
//go:nosplit
func Open() error {
	if opened {
		return nil
	}
	if !semihosting.Available() {
		return ErrNoHost
	}
	for i := 0; i < len(hostDevice); i++ {
		name[i] = hostDevice[i]
	}
	block := [3]uint64{uint64(uintptr(unsafe.Pointer(&name[0]))), modeReadBinary, uint64(len(hostDevice))}
	h := semihosting.Call(sysOpen, unsafe.Pointer(&block))
	if int64(h) < 0 {
		return ErrOpen
	}
	handle, opened = h, true
	return nil
}

var lock atomic.Uint32

// Read fills b from the host's random device (Open first). Calls from
// several cores are serialised.
//
//go:nosplit
func Read(b []byte) error {
	if !opened {
		return ErrNoHost
	}
	for !lock.CompareAndSwap(0, 1) {
	}
	err := read(b)
	lock.Store(0)
	return err
}

//go:nosplit
func read(b []byte) error {
	for len(b) > 0 {
		block := [3]uint64{handle, uint64(uintptr(unsafe.Pointer(&b[0]))), uint64(len(b))}
		left := semihosting.Call(sysRead, unsafe.Pointer(&block)) // bytes not read
		if left >= uint64(len(b)) {
			return ErrRead
		}
		b = b[uint64(len(b))-left:]
	}
	return nil
}
