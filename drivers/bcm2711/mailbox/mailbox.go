package mailbox

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/yolkos/yolk/kernel/reg"
)

// Mailbox registers, offsets from the mailbox block (the device tree's
// "brcm,bcm2835-mbox" node, 0xfe00b880 on the Pi 4 in low-peripheral
// mode). The ARM reads mailbox 0 and writes mailbox 1.
const (
	regRead    = 0x00 // mailbox 0: read
	regStatus0 = 0x18 // mailbox 0: status
	regWrite   = 0x20 // mailbox 1: write
	regStatus1 = 0x38 // mailbox 1: status

	statusFull  = 1 << 31
	statusEmpty = 1 << 30

	// ChannelProperty is the property-tag channel, ARM to VideoCore.
	ChannelProperty = 8

	// BusAlias is what the VideoCore adds to an ARM physical address
	// below 1 GiB to reach it uncached (the /soc dma-ranges of the
	// BCM2711 device tree: bus 0xc0000000 = ARM 0).
	BusAlias = 0xc000_0000
)

// Mailbox is the VideoCore mailbox block at a physical address (identity
// mapped, Device memory).
type Mailbox struct {
	Base uintptr
}

// One message buffer, shared by every call under a spin lock: calls may
// run before the heap exists. The firmware needs it 16-byte aligned; it
// must also lie in the first GiB (see BusAlias), which an image's .bss on
// the Pi does.
var (
	raw  [MaxMessageWords + 16]uint32
	busy atomic.Uint32
)

//go:nosplit
func msgBuf() []uint32 {
	p := uintptr(unsafe.Pointer(&raw[0]))
	off := (16 - p&15) & 15 / 4
	return raw[off : off+MaxMessageWords]
}

//go:nosplit
func (m *Mailbox) load(off uintptr) uint32 { return reg.Read32(m.Base + off) }

//go:nosplit
func (m *Mailbox) store(off uintptr, v uint32) { reg.Write32(m.Base+off, v) }

// Call sends a message with the single tag id and request values req and
// copies the answer's value words into resp (at most 8 words either way).
// It returns the number of bytes the firmware answered with. It does not
// allocate and may run on any core; calls are serialised.
//
//go:nosplit
func (m *Mailbox) Call(id uint32, req, resp []uint32) (int, error) {
	for !busy.CompareAndSwap(0, 1) {
	}
	n, err := m.call(id, req, resp)
	busy.Store(0)
	return n, err
}

//go:nosplit
func (m *Mailbox) call(id uint32, req, resp []uint32) (int, error) {
	buf := msgBuf()
	n, err := Encode(buf, id, req, len(resp))
	if err != nil {
		return 0, err
	}
	start := uintptr(unsafe.Pointer(&buf[0]))
	end := start + uintptr(4*n)
	if start >= 1<<30 {
		return 0, ErrTooLong
	}
	// The firmware reads and writes memory behind the ARM caches: clean
	// the request to the point of coherency, and discard any line a
	// speculative read may have brought back before reading the answer.
	cleanInvalidate(start, end)
	addr := uint32(start) | BusAlias
	if !m.wait(regStatus1, statusFull) {
		return 0, ErrTimeout
	}
	m.store(regWrite, addr|ChannelProperty)
	for {
		if !m.wait(regStatus0, statusEmpty) {
			return 0, ErrTimeout
		}
		if v := m.load(regRead); v == addr|ChannelProperty {
			break
		}
		// An answer for another channel or message: not ours, drop it.
	}
	cleanInvalidate(start, end)
	return Decode(buf[:n], id, resp)
}

// wait polls the status register until flag clears, for at most 1s.
//
//go:nosplit
func (m *Mailbox) wait(off uintptr, flag uint32) bool {
	return reg.Wait(m.Base+off, flag, 0, time.Second)
}
