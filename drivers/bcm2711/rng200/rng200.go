// Package rng200 drives the BCM2711's hardware random number generator,
// the Broadcom RNG200 block at the device tree's "brcm,bcm2711-rng200"
// node (0xfe104000 in low-peripheral mode): a noise source whose bits,
// after the block's own start-up and NIST health tests, fill a FIFO of
// 32-bit words.
//
// Register map of the block (word offsets in bytes):
//
//	0x00 control: bit 0 enables the generator, bits 20-13 divide its
//	     sample clock
//	0x04 RNG soft reset (bit 0), 0x08 RBG soft reset (bit 0)
//	0x0c total bit count, 0x10 total bit count threshold: the FIFO fills
//	     only once the generator has produced that many bits since reset
//	0x18 interrupt status: bit 31 master-fail lockup, bit 5 NIST test
//	     failure (write 1 to clear)
//	0x20 FIFO data, 0x24 FIFO count (bits 7-0 words ready, bits 15-8
//	     the level that raises the FIFO interrupt)
package rng200

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/kernel/reg"
)

const (
	regCtrl       = 0x00
	regRNGReset   = 0x04
	regRBGReset   = 0x08
	regBitCount   = 0x0c
	regThreshold  = 0x10
	regIntStatus  = 0x18
	regFIFOData   = 0x20
	regFIFOCount  = 0x24
	ctrlEnable    = 1
	ctrlDivShift  = 13
	statusLockup  = 1 << 31
	statusNISTErr = 1 << 5

	// warmupBits is how many bits the generator produces after reset
	// before the FIFO takes any: the first output of a noise source is
	// the least random.
	warmupBits = 0x40000
	fifoLevel  = 2
	sampleDiv  = 3
)

// Errors Read can report (preallocated: Read runs before the heap exists).
var (
	ErrTimeout = errors.New("rng200: no random words within 1s")
	ErrFailed  = errors.New("rng200: the generator failed its health tests twice")
)

// RNG is one RNG200 at a physical address (identity mapped).
type RNG struct {
	Base uintptr
}

//go:nosplit
func (r *RNG) load(off uintptr) uint32 { return reg.Read32(r.Base + off) }

//go:nosplit
func (r *RNG) store(off uintptr, v uint32) { reg.Write32(r.Base+off, v) }

// Init starts the generator unless the firmware already has. It does
// not wait for the warm-up; Read does.
//
//go:nosplit
func (r *RNG) Init() {
	if r.load(regCtrl)&ctrlEnable != 0 {
		return
	}
	r.start()
}

//go:nosplit
func (r *RNG) start() {
	r.store(regCtrl, 0)
	r.store(regRNGReset, 1)
	r.store(regRBGReset, 1)
	r.store(regRBGReset, 0)
	r.store(regRNGReset, 0)
	r.store(regIntStatus, ^uint32(0))
	r.store(regThreshold, warmupBits)
	r.store(regFIFOCount, fifoLevel<<8)
	r.store(regCtrl, sampleDiv<<ctrlDivShift|ctrlEnable)
}

// Enabled reports whether the generator runs.
//
//go:nosplit
func (r *RNG) Enabled() bool { return r.load(regCtrl)&ctrlEnable != 0 }

// Word returns the next 32 random bits, waiting up to 1s for them. After
// a health-test failure the block is reset and the wait starts again,
// once.
//
//go:nosplit
func (r *RNG) Word() (uint32, error) {
	for attempt := 0; attempt < 2; attempt++ {
		dl := reg.After(time.Second)
		for {
			if r.load(regIntStatus)&(statusLockup|statusNISTErr) != 0 {
				r.start()
				break
			}
			if r.load(regFIFOCount)&0xff != 0 {
				return r.load(regFIFOData), nil
			}
			if dl.Passed() {
				return 0, ErrTimeout
			}
		}
	}
	return 0, ErrFailed
}

// lock serialises readers: two cores seeing the same FIFO count could
// otherwise both pop it.
var lock atomic.Uint32

// Read fills b with random bytes. It may run on any core.
//
//go:nosplit
func (r *RNG) Read(b []byte) error {
	for !lock.CompareAndSwap(0, 1) {
	}
	err := r.read(b)
	lock.Store(0)
	return err
}

//go:nosplit
func (r *RNG) read(b []byte) error {
	for i := 0; i < len(b); {
		v, err := r.Word()
		if err != nil {
			return err
		}
		for j := 0; j < 4 && i < len(b); j++ {
			b[i] = byte(v)
			v >>= 8
			i++
		}
	}
	return nil
}

// BitCount is the number of bits generated since the last reset.
//
//go:nosplit
func (r *RNG) BitCount() uint32 { return r.load(regBitCount) }
