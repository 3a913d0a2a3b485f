package mailbox

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/yolkos/yolk/drivers/dma"
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
)

// Mailbox is the VideoCore mailbox block at a physical address (identity
// mapped, Device memory). DMA is how the VideoCore addresses the ARM's
// RAM (its node's dma-ranges); Call fails while it reaches nothing.
type Mailbox struct {
	Base uintptr
	DMA  dma.Bus
}

// SoCBus is what the Pi 4's device tree says of the VideoCore's view of
// RAM (the /soc dma-ranges: bus 0xc0000000 is ARM address 0, for 1 GiB,
// uncached). Boards use it before they can read the device tree's own.
//
//go:nosplit
func SoCBus() dma.Bus { return dma.Window(0xc000_0000, 0, 1<<30) }

// One message buffer, shared by every call under a spin lock: calls may
// run before the heap exists. The firmware needs it 16-byte aligned; it
// must also lie where the VideoCore reaches (the first GiB), which an
// image's .bss on the Pi does. It fills whole cache writeback granules of
// its own (2 KiB, the architectural maximum), so that invalidating it
// loses nothing else's writes.
const granuleMax = 2048

var (
	raw  [2 * granuleMax / 4]uint32
	busy atomic.Uint32
)

//go:nosplit
func msgBuf() []uint32 {
	p := uintptr(unsafe.Pointer(&raw[0]))
	off := (granuleMax - p%granuleMax) % granuleMax / 4
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
	bus, ok := m.DMA.Addr(start, uintptr(4*n))
	if !ok || bus >= 1<<32 {
		return 0, ErrUnreachable
	}
	// The firmware reads and writes memory behind the ARM caches: the
	// request goes to the point of coherency, and any line a speculative
	// read brought back is discarded before the answer is read.
	msg := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), 4*n)
	dma.ForDevice(msg)
	addr := uint32(bus)
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
	dma.ForCPU(msg)
	return Decode(buf[:n], id, resp)
}

// wait polls the status register until flag clears, for at most 1s.
//
//go:nosplit
func (m *Mailbox) wait(off uintptr, flag uint32) bool {
	return reg.Wait(m.Base+off, flag, 0, time.Second)
}
