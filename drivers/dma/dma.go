// Package dma is how yolk's drivers share memory with devices that read
// and write it themselves (bus masters): the address a device must be
// given for a buffer, the cache maintenance that makes the buffer's
// contents visible to it and back, and buffers laid out so that the
// maintenance never touches anything else.
//
// Addresses: a device does not always see RAM where the CPU does. The
// device tree's dma-ranges say where it does (devicetree.Node.DMAWindows):
// on the Pi 4 the VideoCore mailbox under /soc sees the first GiB at bus
// address 0xc0000000, and GENET under /scb sees CPU addresses unchanged.
// A Bus holds those windows and translates; a buffer no window covers is
// an error, never a silently wrong address.
//
// Caches: the BCM2711's DMA masters do not snoop the Cortex-A72 caches.
// Before a device reads a buffer, the CPU's writes must be cleaned from
// the data cache to the point of coherency (ForDevice); after a device
// wrote one, the lines the CPU may hold, fetched before or speculatively
// during the transfer, must be invalidated (ForCPU). QEMU models no
// caches, so there the maintenance is harmless and invisible: only the
// real board tests it.
//
// An invalidate works on whole cache lines, so a line must never hold a
// buffer and something else: a write to the other thing would be lost.
// Pool hands out buffers that start on a cache writeback granule
// (CTR_EL0.CWG) and fill whole granules.
//
// Drivers call ForDevice before the register write that hands a buffer to
// the device, and ForCPU after the device hands it back and before
// reading it; both end with DSB SY, and kernel/reg orders the register
// accesses against memory. Nothing else in yolk maintains caches for
// devices.
package dma

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/yolkos/yolk/devicetree"
)

// MaxWindows is how many dma-ranges windows a Bus keeps.
const MaxWindows = 4

// Bus translates CPU addresses into one device's bus addresses. The zero
// Bus translates nothing; Identity sees every address unchanged. It is a
// value without pointers, usable before the runtime exists.
type Bus struct {
	n   int
	win [MaxWindows]devicetree.DMAWindow
}

// Identity is the Bus of a device that sees CPU addresses unchanged.
func Identity() Bus {
	return Bus{n: 1, win: [MaxWindows]devicetree.DMAWindow{{Size: ^uint64(0)}}}
}

// Window is the Bus of one window: CPU address cpu+d is bus address
// bus+d for d < size. It allocates nothing (for code before the heap).
//
//go:nosplit
func Window(bus, cpu, size uint64) Bus {
	return Bus{n: 1, win: [MaxWindows]devicetree.DMAWindow{{Bus: bus, CPU: cpu, Size: size}}}
}

// NewBus makes a Bus of windows (at most MaxWindows).
func NewBus(windows []devicetree.DMAWindow) (Bus, error) {
	var b Bus
	if len(windows) == 0 || len(windows) > MaxWindows {
		return b, fmt.Errorf("dma: %d DMA windows (1 to %d supported)", len(windows), MaxWindows)
	}
	b.n = copy(b.win[:], windows)
	return b, nil
}

// BusOf is the Bus of the device tree node n, from its ancestors'
// dma-ranges.
func BusOf(n *devicetree.Node) (Bus, error) {
	w, err := n.DMAWindows()
	if err != nil {
		return Bus{}, err
	}
	return NewBus(w)
}

// Windows returns the Bus's windows.
func (b *Bus) Windows() []devicetree.DMAWindow { return b.win[:b.n] }

// Addr is the bus address of [cpu, cpu+size): ok is false when no
// window holds all of it.
//
//go:nosplit
func (b *Bus) Addr(cpu uintptr, size uintptr) (bus uint64, ok bool) {
	a := uint64(cpu)
	for i := 0; i < b.n; i++ {
		w := &b.win[i]
		if d := a - w.CPU; a >= w.CPU && d < w.Size && uint64(size) <= w.Size-d {
			return w.Bus + d, true
		}
	}
	return 0, false
}

// ForDevice makes the CPU's writes to b visible to a device (clean to the
// point of coherency).
//
//go:nosplit
func ForDevice(b []byte) {
	if len(b) > 0 {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		clean(p, p+uintptr(len(b)))
	}
}

// ForCPU makes a device's writes to b visible to the CPU (clean and
// invalidate: the lines are clean while the device owns the buffer, so
// nothing of the CPU's is written back over the device's data).
//
//go:nosplit
func ForCPU(b []byte) {
	if len(b) > 0 {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		cleanInvalidate(p, p+uintptr(len(b)))
	}
}

// Granule is the cache writeback granule: the most memory one cache
// maintenance operation may touch (CTR_EL0.CWG).
func Granule() int { return int(writebackGranule()) }

// Pool is a set of equal buffers for one device, carved from one block
// of Go memory that stays allocated (and unmoved: Go's heap does not
// move objects) as long as the Pool is referenced.
type Pool struct {
	mem  []byte
	size int
	n    int
	base uint64 // bus address of buffer 0
}

// ErrUnreachable is the error of a pool the device cannot address.
var ErrUnreachable = errors.New("dma: the device cannot reach the buffer memory (outside its dma-ranges)")

// NewPool allocates n buffers of at least size bytes, each starting on
// and filling whole cache writeback granules, and checks that the device
// behind bus reaches all of them.
func NewPool(bus Bus, n, size int) (*Pool, error) {
	if n <= 0 || size <= 0 {
		return nil, fmt.Errorf("dma: a pool of %d buffers of %d bytes", n, size)
	}
	g := Granule()
	size = (size + g - 1) &^ (g - 1)
	mem := make([]byte, n*size+g)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	off := int((uintptr(g) - p%uintptr(g)) % uintptr(g))
	mem = mem[off : off+n*size : off+n*size]
	start := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	base, ok := bus.Addr(start, uintptr(len(mem)))
	if !ok {
		return nil, fmt.Errorf("%w: [%#x, +%#x)", ErrUnreachable, start, len(mem))
	}
	// Nothing of the CPU's may be dirty in the pool when a device first
	// writes to it.
	ForCPU(mem)
	return &Pool{mem: mem, size: size, n: n, base: base}, nil
}

// Len is the number of buffers.
func (p *Pool) Len() int { return p.n }

// Size is the length of each buffer.
func (p *Pool) Size() int { return p.size }

// Buf is buffer i.
func (p *Pool) Buf(i int) []byte { return p.mem[i*p.size : (i+1)*p.size : (i+1)*p.size] }

// Addr is the bus address of byte off of buffer i.
func (p *Pool) Addr(i, off int) uint64 { return p.base + uint64(i*p.size+off) }
