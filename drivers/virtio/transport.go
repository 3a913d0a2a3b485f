// Package virtio is the device-independent half of yolk's virtio drivers:
// the virtio-mmio transport (Virtual I/O Device Specification 1.2, 4.2)
// in its modern form (version 2), the device initialisation sequence (3.1)
// and split virtqueues (2.7) that check what the device writes back.
//
// Memory shared with a device is ordinary Go memory: yolk identity-maps
// RAM (virtual address = physical address), Go's heap never moves an
// object, and QEMU's virtio devices are cache-coherent. Whoever posts a
// buffer keeps a reference to it until the device gives it back.
package virtio

import (
	"errors"
	"fmt"

	"github.com/yolkos/yolk/kernel/reg"
)

// virtio-mmio registers (4.2.2).
const (
	regMagic          = 0x000
	regVersion        = 0x004
	regDeviceID       = 0x008
	regVendorID       = 0x00c
	regDeviceFeatures = 0x010
	regDeviceFeatSel  = 0x014
	regDriverFeatures = 0x020
	regDriverFeatSel  = 0x024
	regQueueSel       = 0x030
	regQueueNumMax    = 0x034
	regQueueNum       = 0x038
	regQueueReady     = 0x044
	regQueueNotify    = 0x050
	regInterruptStat  = 0x060
	regInterruptACK   = 0x064
	regStatus         = 0x070
	regQueueDescLow   = 0x080
	regQueueDescHigh  = 0x084
	regQueueAvailLow  = 0x090
	regQueueAvailHigh = 0x094
	regQueueUsedLow   = 0x0a0
	regQueueUsedHigh  = 0x0a4
	regConfigGen      = 0x0fc
	regConfig         = 0x100

	magic = 0x74726976 // "virt", little-endian
)

// Device status bits (2.1).
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusNeedsReset  = 64
	StatusFailed      = 128
)

// FeatureVersion1 is VIRTIO_F_VERSION_1 (6): the modern interface. yolk
// drives no legacy device.
const FeatureVersion1 = 1 << 32

// Interrupt status bits (4.2.2, InterruptStatus).
const (
	InterruptUsedBuffer   = 1
	InterruptConfigChange = 2
)

// Device IDs (5).
const (
	DeviceNet     = 1
	DeviceBlock   = 2
	DeviceConsole = 3
	DeviceEntropy = 4
)

// ErrNoDevice means a transport slot exists but holds no device (QEMU's
// virt has 32 slots, most empty: device ID 0).
var ErrNoDevice = errors.New("virtio: no device in this virtio-mmio slot")

// Transport is one virtio-mmio register window, at a physical address
// that is identity mapped as device memory.
type Transport struct {
	Base uintptr
}

// String names the transport for messages.
func (t *Transport) String() string { return fmt.Sprintf("virtio-mmio device at %#x", t.Base) }

// Register accesses go through kernel/reg: the compiler neither merges
// nor elides them, and a write is ordered after every earlier memory
// access, so ring updates are in memory before a notification reaches the
// device.
func (t *Transport) read(off uintptr) uint32 { return reg.Read32(t.Base + off) }

func (t *Transport) write(off uintptr, v uint32) { reg.Write32(t.Base+off, v) }

// Probe identifies the device behind the transport: its device ID, or an
// error for a window that is not virtio-mmio, a legacy (version 1)
// transport, or an empty slot.
func (t *Transport) Probe() (uint32, error) {
	if m := t.read(regMagic); m != magic {
		return 0, fmt.Errorf("virtio: no virtio-mmio transport at %#x (magic %#x)", t.Base, m)
	}
	switch v := t.read(regVersion); v {
	case 2:
	case 1:
		return 0, fmt.Errorf("virtio: legacy virtio-mmio transport at %#x; yolk drives version 2 only (QEMU: -global virtio-mmio.force-legacy=false)", t.Base)
	default:
		return 0, fmt.Errorf("virtio: unknown virtio-mmio version %d at %#x", v, t.Base)
	}
	id := t.read(regDeviceID)
	if id == 0 {
		return 0, ErrNoDevice
	}
	return id, nil
}

// Status is the device status register.
func (t *Transport) Status() uint32 { return t.read(regStatus) }

// Identify reads the transport's version and device ID; ok is false when
// the window is not virtio-mmio. It does not allocate (see NoAlloc).
func (t *Transport) Identify() (version, id uint32, ok bool) {
	if t.read(regMagic) != magic {
		return 0, 0, false
	}
	return t.read(regVersion), t.read(regDeviceID), true
}

// Reset writes 0 to the status and waits until the device reads back 0
// (4.2.3.1.1: the reset is complete then).
func (t *Transport) Reset() error {
	if !t.reset() {
		return fmt.Errorf("virtio: device at %#x does not complete its reset", t.Base)
	}
	return nil
}

func (t *Transport) reset() bool {
	t.write(regStatus, 0)
	for i := 0; i < 1_000_000; i++ {
		if t.read(regStatus) == 0 {
			return true
		}
	}
	return false
}

// Negotiate runs steps 1 to 6 of the initialisation (3.1.1): reset,
// ACKNOWLEDGE, DRIVER, the feature handshake and FEATURES_OK. The driver
// accepts VERSION_1 plus the wanted features the device offers, and gets
// them back. A device without VERSION_1 or refusing the features is
// marked FAILED.
func (t *Transport) Negotiate(wanted uint64) (uint64, error) {
	accepted, fail := t.NegotiateNoAlloc(wanted)
	if fail != "" {
		return 0, fmt.Errorf("virtio: device at %#x %s", t.Base, fail)
	}
	return accepted, nil
}

// NegotiateNoAlloc is Negotiate for code that runs before the heap and
// the package variables exist (an entropy source in the runtime's
// Hwinit0): it reports failure as a constant string, "" on success.
func (t *Transport) NegotiateNoAlloc(wanted uint64) (accepted uint64, fail string) {
	if !t.reset() {
		return 0, "does not complete its reset"
	}
	t.write(regStatus, StatusAcknowledge)
	t.write(regStatus, StatusAcknowledge|StatusDriver)
	offered := t.features(regDeviceFeatSel, regDeviceFeatures)
	if offered&FeatureVersion1 == 0 {
		t.Fail()
		return 0, "does not offer VIRTIO_F_VERSION_1"
	}
	accepted = offered & (wanted | FeatureVersion1)
	t.write(regDriverFeatSel, 0)
	t.write(regDriverFeatures, uint32(accepted))
	t.write(regDriverFeatSel, 1)
	t.write(regDriverFeatures, uint32(accepted>>32))
	t.write(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	if t.read(regStatus)&StatusFeaturesOK == 0 {
		t.Fail()
		return 0, "refused the driver's features"
	}
	return accepted, ""
}

func (t *Transport) features(sel, reg uintptr) uint64 {
	t.write(sel, 0)
	lo := t.read(reg)
	t.write(sel, 1)
	return uint64(t.read(reg))<<32 | uint64(lo)
}

// SetQueue gives the device queue idx (4.2.3.2).
func (t *Transport) SetQueue(idx int, q *Queue) error {
	if fail := t.SetQueueNoAlloc(idx, q); fail != "" {
		return fmt.Errorf("virtio: queue %d of the device at %#x: %s (%d entries)", idx, t.Base, fail, q.Size())
	}
	return nil
}

// SetQueueNoAlloc is SetQueue without allocation (see NegotiateNoAlloc).
func (t *Transport) SetQueueNoAlloc(idx int, q *Queue) (fail string) {
	t.write(regQueueSel, uint32(idx))
	if t.read(regQueueReady) != 0 {
		return "already in use"
	}
	max := t.read(regQueueNumMax)
	if max == 0 {
		return "does not exist"
	}
	if uint32(q.Size()) > max {
		return "larger than the device allows"
	}
	desc, avail, used := q.Addresses()
	t.write(regQueueNum, uint32(q.Size()))
	t.write(regQueueDescLow, uint32(desc))
	t.write(regQueueDescHigh, uint32(uint64(desc)>>32))
	t.write(regQueueAvailLow, uint32(avail))
	t.write(regQueueAvailHigh, uint32(uint64(avail)>>32))
	t.write(regQueueUsedLow, uint32(used))
	t.write(regQueueUsedHigh, uint32(uint64(used)>>32))
	t.write(regQueueReady, 1)
	return ""
}

// MaxQueueSize is the largest size the device allows for queue idx, 0 if
// the queue does not exist.
func (t *Transport) MaxQueueSize(idx int) int {
	t.write(regQueueSel, uint32(idx))
	return int(t.read(regQueueNumMax))
}

// Start sets DRIVER_OK (3.1.1 step 8): the device may now use its queues.
func (t *Transport) Start() {
	t.write(regStatus, t.read(regStatus)|StatusDriverOK)
}

// Fail tells the device the driver gave up on it.
func (t *Transport) Fail() {
	t.write(regStatus, t.read(regStatus)|StatusFailed)
}

// Broken reports a device that signalled DEVICE_NEEDS_RESET (2.1.1).
func (t *Transport) Broken() bool { return t.read(regStatus)&StatusNeedsReset != 0 }

// Notify tells the device that queue idx has new available buffers.
func (t *Transport) Notify(idx int) { t.write(regQueueNotify, uint32(idx)) }

// AckInterrupt acknowledges and returns the pending interrupt causes
// (InterruptUsedBuffer, InterruptConfigChange). Safe in an interrupt
// handler: two register accesses, no allocation.
func (t *Transport) AckInterrupt() uint32 {
	s := t.read(regInterruptStat)
	if s != 0 {
		t.write(regInterruptACK, s)
	}
	return s
}

// Config reads n bytes (1, 2 or 4, naturally aligned) of the device
// configuration space at off, retrying while the device changes it
// (4.2.2, ConfigGeneration).
func (t *Transport) Config(off uintptr, n int) uint32 {
	for {
		gen := t.read(regConfigGen)
		var v uint32
		a := t.Base + regConfig + off
		switch n {
		case 1:
			v = uint32(reg.Read8(a))
		case 2:
			v = uint32(reg.Read16(a))
		default:
			v = reg.Read32(a)
		}
		if t.read(regConfigGen) == gen {
			return v
		}
	}
}
