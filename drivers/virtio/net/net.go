// Package virtionet drives a virtio network device (Virtual I/O Device
// Specification 1.2, 5.1) over the virtio-mmio transport: one receive
// and one transmit queue, the MAC address and link status from the
// configuration space, and every receive buffer kept posted.
//
// The driver does not wait for anything itself. Its owner calls Interrupt
// from the device's interrupt handler and wakes a goroutine, which calls
// Receive and Reclaim; Send fails with virtio.ErrQueueFull when every
// transmit buffer is in flight, after asking the device to interrupt when
// one comes back.
package virtionet

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/yolkos/yolk/drivers/virtio"
)

// Feature bits (5.1.3).
const (
	featMAC    = 1 << 5
	featStatus = 1 << 16
)

// Configuration space (5.1.4): mac[6], then status.
const (
	cfgMAC    = 0
	cfgStatus = 6

	statusLinkUp = 1
)

// Queue indices (5.1.2).
const (
	rxQueue = 0
	txQueue = 1
)

const (
	// HeaderLen is struct virtio_net_hdr with VIRTIO_F_VERSION_1 (5.1.6).
	HeaderLen = 12
	// MaxFrame is the largest Ethernet frame sent or received: a 1500
	// byte MTU plus the 14-byte header (no VLAN tag, no FCS).
	MaxFrame = 1514
	// EthernetHeaderLen is the smallest acceptable frame.
	EthernetHeaderLen = 14

	bufSize   = 2048 // one receive or transmit buffer, header included
	queueSize = 256  // entries per queue, fewer if the device allows fewer
)

// Stats are the device's counters; every field may be read at any time.
type Stats struct {
	RxFrames, RxBytes, RxDrops, RxErrors atomic.Uint64
	TxFrames, TxBytes, TxDrops, TxErrors atomic.Uint64
	Interrupts                           atomic.Uint64
}

// Device is one virtio network device.
type Device struct {
	t   *virtio.Transport
	mac net.HardwareAddr
	// features accepted by both sides
	features uint64

	rxMu   sync.Mutex
	rx     virtio.Queue
	rxMem  []byte
	rxBufs [][]byte // by head descriptor

	txMu   sync.Mutex
	tx     virtio.Queue
	txMem  []byte
	txBufs [][]byte // by head descriptor
	txFree [][]byte // buffers not in flight

	Stats Stats
	err   atomic.Pointer[error] // first fatal device error
}

// New initialises the device behind t (3.1.1): features, queues, receive
// buffers posted, DRIVER_OK.
func New(t *virtio.Transport) (*Device, error) {
	id, err := t.Probe()
	if err != nil {
		return nil, err
	}
	if id != virtio.DeviceNet {
		return nil, fmt.Errorf("virtionet: device at %#x is virtio device %d, not a network device", t.Base, id)
	}
	features, err := t.Negotiate(featMAC | featStatus)
	if err != nil {
		return nil, err
	}
	if features&featMAC == 0 {
		t.Fail()
		return nil, fmt.Errorf("virtionet: device at %#x has no MAC address (VIRTIO_NET_F_MAC)", t.Base)
	}
	d := &Device{t: t, features: features}
	d.mac = make(net.HardwareAddr, 6)
	for i := range d.mac {
		d.mac[i] = byte(t.Config(cfgMAC+uintptr(i), 1))
	}
	if err := d.setupQueue(rxQueue, &d.rx, &d.rxMem, &d.rxBufs); err != nil {
		t.Fail()
		return nil, err
	}
	if err := d.setupQueue(txQueue, &d.tx, &d.txMem, &d.txBufs); err != nil {
		t.Fail()
		return nil, err
	}
	// Receive buffers: every descriptor holds one.
	for range d.rx.Size() {
		if err := d.postRX(make([]byte, bufSize)); err != nil {
			t.Fail()
			return nil, err
		}
	}
	d.rx.Publish()
	for range d.tx.Size() {
		d.txFree = append(d.txFree, make([]byte, bufSize))
	}
	// Completed transmissions are collected on the next Send; an
	// interrupt is only wanted when the ring is full (see Send).
	d.tx.SetInterrupts(false)
	t.Start()
	t.Notify(rxQueue)
	return d, nil
}

func (d *Device) setupQueue(idx int, q *virtio.Queue, mem *[]byte, bufs *[][]byte) error {
	n := min(queueSize, d.t.MaxQueueSize(idx))
	for n&(n-1) != 0 { // a power of 2 (2.7)
		n &= n - 1
	}
	if n == 0 {
		return fmt.Errorf("virtionet: device at %#x has no queue %d", d.t.Base, idx)
	}
	*mem = make([]byte, virtio.QueueBytes(n))
	if err := q.Init(*mem, n); err != nil {
		return err
	}
	*bufs = make([][]byte, n)
	return d.t.SetQueue(idx, q)
}

func (d *Device) postRX(b []byte) error {
	head, err := d.rx.Add(virtio.BufferOf(b, true))
	if err != nil {
		return err
	}
	d.rxBufs[head] = b
	return nil
}

// HardwareAddr is the MAC address the device reports.
func (d *Device) HardwareAddr() net.HardwareAddr { return d.mac }

// MTU is the largest IP packet: MaxFrame without the Ethernet header.
func (d *Device) MTU() int { return MaxFrame - EthernetHeaderLen }

// LinkUp reports the link status, up when the device does not report it
// (5.1.4: status exists only with VIRTIO_NET_F_STATUS).
func (d *Device) LinkUp() bool {
	if d.features&featStatus == 0 {
		return true
	}
	return d.t.Config(cfgStatus, 2)&statusLinkUp != 0
}

// Interrupt acknowledges the device's interrupt and reports whether it
// had anything to say. Called in the interrupt handler: no allocation,
// no lock.
func (d *Device) Interrupt() bool {
	if d.t.AckInterrupt() == 0 {
		return false
	}
	d.Stats.Interrupts.Add(1)
	return true
}

// Err is the device error that stopped the driver, if any.
func (d *Device) Err() error {
	if p := d.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (d *Device) fail(err error) error {
	d.err.CompareAndSwap(nil, &err)
	d.t.Fail()
	return err
}

// Receive hands every received frame to deliver, in order, and posts the
// buffers again. The frame is only valid during the call. Malformed
// frames are counted and dropped; a device that breaks its ring stops
// the driver with an error.
func (d *Device) Receive(deliver func(frame []byte)) (int, error) {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	if err := d.Err(); err != nil {
		return 0, err
	}
	frames, posted := 0, false
	for {
		head, n, ok, err := d.rx.Used()
		if !ok {
			if errors.Is(err, virtio.ErrBadID) {
				d.Stats.RxErrors.Add(1)
				continue
			}
			if err != nil {
				return frames, d.fail(err)
			}
			break
		}
		buf := d.rxBufs[head]
		d.rxBufs[head] = nil
		if err == nil {
			var frame []byte
			if frame, err = Frame(buf, n); err == nil {
				d.Stats.RxFrames.Add(1)
				d.Stats.RxBytes.Add(uint64(len(frame)))
				deliver(frame)
				frames++
			}
		}
		if err != nil {
			d.Stats.RxErrors.Add(1)
			d.Stats.RxDrops.Add(1)
		}
		if err := d.postRX(buf); err != nil {
			return frames, d.fail(err)
		}
		posted = true
	}
	if posted {
		d.rx.Publish()
		if d.rx.NeedsNotify() {
			d.t.Notify(rxQueue)
		}
	}
	return frames, nil
}

// Frame validates what the device wrote into a receive buffer (n bytes,
// header included) and returns the Ethernet frame in it.
func Frame(buf []byte, n uint32) ([]byte, error) {
	if n > uint32(len(buf)) {
		return nil, fmt.Errorf("virtionet: %d bytes received into a %d-byte buffer", n, len(buf))
	}
	if n < HeaderLen+EthernetHeaderLen {
		return nil, fmt.Errorf("virtionet: %d-byte receive is shorter than the headers", n)
	}
	if n > HeaderLen+MaxFrame {
		return nil, fmt.Errorf("virtionet: %d-byte frame exceeds %d bytes", n-HeaderLen, MaxFrame)
	}
	// flags (checksum offload) and gso_type need features yolk does not
	// accept (5.1.6.4): a device setting them is not following the
	// negotiation.
	if flags, gso := buf[0], buf[1]; flags&^2 != 0 || gso != 0 {
		return nil, fmt.Errorf("virtionet: header flags %#x, gso_type %#x without the features for them", flags, gso)
	}
	return buf[HeaderLen:n], nil
}

// Send queues one Ethernet frame for transmission (copied: the caller
// keeps frame). It returns virtio.ErrQueueFull when every buffer is in
// flight: the device then interrupts when one comes back.
func (d *Device) Send(frame ...[]byte) error {
	size := 0
	for _, f := range frame {
		size += len(f)
	}
	if size < EthernetHeaderLen || size > MaxFrame {
		d.Stats.TxErrors.Add(1)
		d.Stats.TxDrops.Add(1)
		return fmt.Errorf("virtionet: cannot send a %d-byte frame (%d to %d bytes)", size, EthernetHeaderLen, MaxFrame)
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if err := d.Err(); err != nil {
		return err
	}
	if len(d.txFree) == 0 {
		if err := d.reclaim(); err != nil {
			return err
		}
	}
	if len(d.txFree) == 0 {
		// Interrupt when a buffer comes back, then look once more so a
		// completion between the two is not missed.
		d.tx.SetInterrupts(true)
		if err := d.reclaim(); err != nil {
			return err
		}
		if len(d.txFree) == 0 {
			return virtio.ErrQueueFull
		}
		d.tx.SetInterrupts(false)
	}
	buf := d.txFree[len(d.txFree)-1]
	clear(buf[:HeaderLen])
	n := HeaderLen
	for _, f := range frame {
		n += copy(buf[n:], f)
	}
	head, err := d.tx.Add(virtio.BufferOf(buf[:n], false))
	if err != nil {
		return d.fail(err)
	}
	d.txFree = d.txFree[:len(d.txFree)-1]
	d.txBufs[head] = buf
	d.tx.Publish()
	if d.tx.NeedsNotify() {
		d.t.Notify(txQueue)
	}
	d.Stats.TxFrames.Add(1)
	d.Stats.TxBytes.Add(uint64(size))
	return nil
}

// Reclaim collects the transmit buffers the device is done with.
func (d *Device) Reclaim() error {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	return d.reclaim()
}

func (d *Device) reclaim() error {
	for {
		head, _, ok, err := d.tx.Used()
		if !ok {
			if errors.Is(err, virtio.ErrBadID) {
				d.Stats.TxErrors.Add(1)
				continue
			}
			if err != nil {
				return d.fail(err)
			}
			return nil
		}
		// A length on a transmit chain means nothing (it has no writable
		// part); ErrBadLength only says the device claimed one.
		if err != nil {
			d.Stats.TxErrors.Add(1)
		}
		d.txFree = append(d.txFree, d.txBufs[head])
		d.txBufs[head] = nil
	}
}
