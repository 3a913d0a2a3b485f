// Package virtionet drives a virtio network device (Virtual I/O Device
// Specification 1.2, 5.1) over the virtio-mmio transport: one receive and
// one transmit queue, the MAC address and link status from the
// configuration space, and, where the device offers them and the caller
// wants them, checksum and segmentation offloads both ways, merged
// receive buffers and event-index suppression of notifications and
// interrupts.
//
// The driver does not wait for anything itself. Its owner calls Interrupt
// from the device's interrupt handler and wakes one goroutine, which
// drains received frames with Poll in bounded batches (received frames go
// out in the buffers the device wrote them into: no copy), collects
// finished transmissions with Reclaim, and re-enables the interrupt with
// Rearm, polling again if frames arrived meanwhile. Transmit copies frames
// into the driver's buffers and reports how many it took when the ring is
// full; nothing blocks.
package virtionet

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"

	"github.com/yolkos/yolk/drivers/virtio"
	"github.com/yolkos/yolk/netstack/nic"
)

// Feature bits (5.1.3; event index: 6).
const (
	FeatCsum      = 1 << 0  // the device completes partial checksums we send
	FeatGuestCsum = 1 << 1  // we accept partial checksums
	FeatMAC       = 1 << 5  // the configuration space has a MAC address
	FeatGuestTSO4 = 1 << 7  // we accept TCP/IPv4 segments larger than the MTU
	FeatGuestTSO6 = 1 << 8  // we accept TCP/IPv6 segments larger than the MTU
	FeatHostTSO4  = 1 << 11 // the device segments TCP/IPv4 we send
	FeatHostTSO6  = 1 << 12 // the device segments TCP/IPv6 we send
	FeatMrgRxbuf  = 1 << 15 // a received frame may span several buffers
	FeatStatus    = 1 << 16 // the configuration space has the link status
	FeatEventIdx  = 1 << 29 // VIRTIO_F_EVENT_IDX (6)
)

// offloadFeatures are the features Options.Offloads asks for.
const offloadFeatures = FeatCsum | FeatGuestCsum | FeatGuestTSO4 | FeatGuestTSO6 | FeatHostTSO4 | FeatHostTSO6 | FeatMrgRxbuf

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
	// HeaderLen is struct virtio_net_hdr with VIRTIO_F_VERSION_1 (5.1.6):
	// num_buffers is always there.
	HeaderLen = 12
	// MaxFrame is the largest Ethernet frame sent or received without
	// segmentation offload: a 1500-byte MTU plus the 14-byte header (no
	// VLAN tag, no FCS).
	MaxFrame = 1514
	// MaxGSOFrame is the largest frame with segmentation offload: an IP
	// packet of 64 KiB and its Ethernet header.
	MaxGSOFrame = nic.MaxGSOFrame
	// EthernetHeaderLen is the smallest acceptable frame.
	EthernetHeaderLen = 14

	bufSize   = 2048 // one receive buffer, or one small transmit buffer, header included
	queueSize = 256  // entries per queue, fewer if the device allows fewer
)

// Header flags and GSO types (5.1.6).
const (
	hdrNeedsCsum = 1
	hdrDataValid = 2

	gsoNone  = 0
	gsoTCPv4 = 1
	gsoUDP   = 3
	gsoTCPv6 = 4
	gsoECN   = 0x80
)

// Transport is what the driver needs of its virtio transport
// (*virtio.Transport; tests play a device behind a fake one).
type Transport interface {
	Probe() (uint32, error)
	Negotiate(wanted uint64) (uint64, error)
	MaxQueueSize(idx int) int
	SetQueue(idx int, q *virtio.Queue) error
	Start()
	Fail()
	Broken() bool
	Notify(idx int)
	AckInterrupt() uint32
	Config(off uintptr, n int) uint32
	String() string
}

// Options say which optional mechanisms to negotiate, each only if the
// device offers it.
type Options struct {
	// Offloads: checksum offload both ways, TCP segmentation offload both
	// ways (with merged receive buffers for the large frames).
	Offloads bool
	// EventIdx: notification and interrupt suppression by event indexes.
	EventIdx bool
}

// Stats are the device's counters; every field may be read at any time.
type Stats struct {
	RxFrames, RxBytes, RxDrops, RxErrors atomic.Uint64
	// RxBadHeader counts frames dropped for a header field the device
	// must not write (5.1.6.4), RxBadLength those of impossible lengths.
	RxBadHeader, RxBadLength             atomic.Uint64
	TxFrames, TxBytes, TxDrops, TxErrors atomic.Uint64
	// TxFull counts Transmit calls that found every buffer in flight.
	TxFull     atomic.Uint64
	Interrupts atomic.Uint64
	// Kicks counts notifications sent to the device, Polls the batches
	// read from the receive queue, Resets the restarts after errors.
	Kicks, Polls, Resets atomic.Uint64
}

// Counters lists the device's counters (nic.Counting).
func (d *Device) Counters() []nic.Counter {
	s := &d.Stats
	var cs []nic.Counter
	for _, c := range []struct {
		name string
		v    *atomic.Uint64
	}{
		{"rx_frames", &s.RxFrames}, {"rx_bytes", &s.RxBytes}, {"rx_drops", &s.RxDrops}, {"rx_errors", &s.RxErrors},
		{"rx_bad_header", &s.RxBadHeader}, {"rx_bad_length", &s.RxBadLength},
		{"tx_frames", &s.TxFrames}, {"tx_bytes", &s.TxBytes}, {"tx_drops", &s.TxDrops}, {"tx_errors", &s.TxErrors},
		{"tx_full", &s.TxFull}, {"interrupts", &s.Interrupts}, {"kicks", &s.Kicks}, {"polls", &s.Polls},
		{"resets", &s.Resets},
	} {
		cs = append(cs, nic.Counter{Name: c.name, Value: c.v.Load()})
	}
	return cs
}

// Device is one virtio network device.
type Device struct {
	t      Transport
	wanted uint64 // features asked for
	mac    net.HardwareAddr
	// features accepted by both sides
	features uint64
	maxFrame int // largest frame received or sent, Ethernet header included

	rxMu    sync.Mutex
	rx      virtio.Queue
	rxMem   []byte
	rxViews []*buffer.View // by head descriptor

	txMu   sync.Mutex
	tx     virtio.Queue
	txMem  []byte
	txBufs [][]byte // by head descriptor
	txFree [][]byte // small buffers not in flight (one per descriptor)

	Stats Stats
	err   atomic.Pointer[error] // first fatal device error

	// Set by Interrupt on a configuration change (5.1.4: link status;
	// 2.1.2: DEVICE_NEEDS_RESET), for Poll and LinkChanged.
	configChanged, linkChanged, needsReset atomic.Bool
}

// bigBufs holds transmit buffers for segmentation-offload frames.
var bigBufs = sync.Pool{New: func() any { b := make([]byte, HeaderLen+MaxGSOFrame); return &b }}

// New initialises the device behind t (3.1.1): features, queues, receive
// buffers posted, DRIVER_OK.
func New(t Transport, opts Options) (*Device, error) {
	id, err := t.Probe()
	if err != nil {
		return nil, err
	}
	if id != virtio.DeviceNet {
		return nil, fmt.Errorf("virtionet: %v is virtio device %d, not a network device", t, id)
	}
	wanted := uint64(FeatMAC | FeatStatus)
	if opts.Offloads {
		wanted |= offloadFeatures
	}
	if opts.EventIdx {
		wanted |= FeatEventIdx
	}
	d := &Device{t: t, wanted: wanted}
	if err := d.start(); err != nil {
		return nil, err
	}
	return d, nil
}

// start runs the initialisation (3.1.1) from the reset on: the feature
// handshake, the queues in fresh memory, every receive buffer posted,
// DRIVER_OK. Reset runs it again, and must end with the same features.
func (d *Device) start() error {
	t := d.t
	features, err := t.Negotiate(d.wanted)
	if err != nil {
		return err
	}
	if features&FeatMAC == 0 {
		t.Fail()
		return fmt.Errorf("virtionet: %v has no MAC address (VIRTIO_NET_F_MAC)", t)
	}
	features = consistent(features)
	if d.mac != nil && features != d.features {
		t.Fail()
		return fmt.Errorf("virtionet: %v offers other features after a reset (%#x, was %#x)", t, features, d.features)
	}
	d.features, d.maxFrame = features, MaxFrame
	if d.features&(FeatHostTSO4|FeatHostTSO6|FeatGuestTSO4|FeatGuestTSO6) != 0 {
		d.maxFrame = MaxGSOFrame
	}
	if d.mac == nil {
		d.mac = make(net.HardwareAddr, 6)
		for i := range d.mac {
			d.mac[i] = byte(t.Config(cfgMAC+uintptr(i), 1))
		}
	}
	if err := d.setupQueue(rxQueue, &d.rx, &d.rxMem); err != nil {
		t.Fail()
		return err
	}
	if err := d.setupQueue(txQueue, &d.tx, &d.txMem); err != nil {
		t.Fail()
		return err
	}
	d.rxViews = make([]*buffer.View, d.rx.Size())
	d.txBufs = make([][]byte, d.tx.Size())
	for range d.rx.Size() {
		if err := d.postRX(); err != nil {
			t.Fail()
			return err
		}
	}
	d.rx.Publish()
	d.txFree = d.txFree[:0]
	for range d.tx.Size() {
		d.txFree = append(d.txFree, make([]byte, bufSize))
	}
	// Finished transmissions are collected by Transmit and Reclaim; the
	// transmit queue never interrupts.
	d.tx.SetInterrupts(false)
	t.Start()
	t.Notify(rxQueue)
	return nil
}

// Reset starts the device afresh after an error that stopped the driver
// (a broken ring, or the device's DEVICE_NEEDS_RESET): the frames in
// flight both ways are lost, everything else carries on. It fails if the
// device does not come back as it was.
func (d *Device) Reset() error {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	d.txMu.Lock()
	defer d.txMu.Unlock()
	// The device owns the old queues until the reset that start begins
	// with; only then may their buffers go.
	oldViews, oldBufs := d.rxViews, d.txBufs
	if err := d.start(); err != nil {
		d.err.Store(&err)
		return err
	}
	for _, v := range oldViews {
		if v != nil {
			v.Release()
		}
	}
	for _, b := range oldBufs {
		if b != nil && len(b) != bufSize {
			bigBufs.Put(&b)
		}
	}
	d.Stats.Resets.Add(1)
	d.err.Store(nil)
	d.needsReset.Store(false)
	return nil
}

// consistent drops accepted features whose prerequisites were not
// accepted (5.1.3.1): a device must not offer them so, and the driver
// must not rely on them then.
func consistent(f uint64) uint64 {
	if f&FeatGuestCsum == 0 || f&FeatMrgRxbuf == 0 {
		// Large received frames need merged buffers here: without them
		// every buffer would have to hold 64 KiB.
		f &^= FeatGuestTSO4 | FeatGuestTSO6
	}
	if f&FeatCsum == 0 {
		f &^= FeatHostTSO4 | FeatHostTSO6
	}
	return f
}

func (d *Device) setupQueue(idx int, q *virtio.Queue, mem *[]byte) error {
	n := min(queueSize, d.t.MaxQueueSize(idx))
	for n&(n-1) != 0 { // a power of 2 (2.7)
		n &= n - 1
	}
	if n == 0 {
		return fmt.Errorf("virtionet: %v has no queue %d", d.t, idx)
	}
	*mem = make([]byte, virtio.QueueBytes(n))
	if err := q.Init(*mem, n); err != nil {
		return err
	}
	if d.features&FeatEventIdx != 0 {
		if err := q.UseEventIdx(); err != nil {
			return err
		}
	}
	return d.t.SetQueue(idx, q)
}

// postRX gives the device a fresh receive buffer.
func (d *Device) postRX() error {
	v := buffer.NewViewSize(bufSize)
	head, err := d.rx.Add(virtio.BufferOf(v.AsSlice(), true))
	if err != nil {
		v.Release()
		return err
	}
	d.rxViews[head] = v
	return nil
}

// HardwareAddr is the MAC address the device reports.
func (d *Device) HardwareAddr() net.HardwareAddr { return d.mac }

// MTU is the largest IP packet without segmentation offload.
func (d *Device) MTU() int { return MaxFrame - EthernetHeaderLen }

// Features are the features both sides accepted.
func (d *Device) Features() uint64 { return d.features }

// featureNames name the optional features, in bit order.
var featureNames = []struct {
	bit  uint64
	name string
}{
	{FeatCsum, "csum"}, {FeatGuestCsum, "guest_csum"}, {FeatGuestTSO4, "guest_tso4"}, {FeatGuestTSO6, "guest_tso6"},
	{FeatHostTSO4, "host_tso4"}, {FeatHostTSO6, "host_tso6"}, {FeatMrgRxbuf, "mrg_rxbuf"}, {FeatEventIdx, "event_idx"},
}

// FeatureNames names the optional features in f (the specification's
// names, lower case, without VIRTIO_NET_F_ or VIRTIO_F_).
func FeatureNames(f uint64) []string {
	var names []string
	for _, n := range featureNames {
		if f&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	return names
}

// Offloads reports what the device does for the stack: checksums both
// ways and segmentation, as negotiated.
func (d *Device) Offloads() nic.Offloads {
	f := d.features
	return nic.Offloads{
		TXChecksum: f&FeatCsum != 0,
		RXChecksum: f&FeatGuestCsum != 0,
		TSO4:       f&FeatHostTSO4 != 0,
		TSO6:       f&FeatHostTSO6 != 0,
	}
}

// LinkUp reports the link status, up when the device does not report it
// (5.1.4: status exists only with VIRTIO_NET_F_STATUS).
func (d *Device) LinkUp() bool {
	if d.features&FeatStatus == 0 {
		return true
	}
	return d.t.Config(cfgStatus, 2)&statusLinkUp != 0
}

// Interrupt acknowledges the device's interrupt and reports whether it
// had anything to say. Called in the interrupt handler: no allocation,
// no lock.
func (d *Device) Interrupt() bool {
	isr := d.t.AckInterrupt()
	if isr == 0 {
		return false
	}
	if isr&virtio.InterruptConfigChange != 0 {
		d.configChanged.Store(true)
	}
	d.Stats.Interrupts.Add(1)
	return true
}

// configChange looks at the device after a configuration change
// interrupt: a device that needs a reset, or a link that changed.
func (d *Device) configChange() {
	if !d.configChanged.Swap(false) {
		return
	}
	if d.t.Broken() {
		d.needsReset.Store(true)
	}
	d.linkChanged.Store(true)
}

// LinkChanged reports whether the link may have changed since the last
// call (a configuration change interrupt came).
func (d *Device) LinkChanged() bool {
	d.configChange()
	return d.linkChanged.Swap(false)
}

// errNeedsReset is the error of a device that set DEVICE_NEEDS_RESET.
var errNeedsReset = errors.New("virtionet: the device needs a reset (DEVICE_NEEDS_RESET)")

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

// Poll hands up to budget received frames to deliver, in order, and gives
// the device new buffers for those it used. While it runs the receive
// interrupt is off; Rearm turns it back on. Frames with a header or
// length the device must not write are counted and dropped; a device that
// breaks its ring stops the driver with an error.
func (d *Device) Poll(budget int, deliver func(nic.Received)) (int, error) {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	if err := d.Err(); err != nil {
		return 0, err
	}
	d.configChange()
	if d.needsReset.Load() {
		return 0, d.fail(errNeedsReset)
	}
	d.Stats.Polls.Add(1)
	d.rx.SetInterrupts(false)
	frames, posted := 0, false
	defer func() {
		if posted {
			d.rx.Publish()
			d.kick(&d.rx, rxQueue)
		}
	}()
	for frames < budget {
		v, n, ok, err := d.usedRX()
		if err != nil {
			return frames, err
		}
		if !ok {
			break
		}
		posted = true
		r, err := d.frame(v, n)
		if err != nil {
			d.Stats.RxDrops.Add(1)
			if errors.Is(err, errBroken) {
				return frames, d.fail(err)
			}
			continue
		}
		d.Stats.RxFrames.Add(1)
		d.Stats.RxBytes.Add(uint64(r.Frame.Size()))
		frames++
		deliver(r)
	}
	return frames, nil
}

// usedRX takes the next used receive buffer (n bytes written) and posts a
// fresh one in its place. ok is false when there is none.
func (d *Device) usedRX() (v *buffer.View, n uint32, ok bool, err error) {
	for {
		head, n, ok, err := d.rx.Used()
		if !ok {
			if errors.Is(err, virtio.ErrBadID) {
				d.Stats.RxErrors.Add(1)
				continue
			}
			if err != nil {
				return nil, 0, false, d.fail(err)
			}
			return nil, 0, false, nil
		}
		v := d.rxViews[head]
		d.rxViews[head] = nil
		if perr := d.postRX(); perr != nil {
			v.Release()
			return nil, 0, false, d.fail(perr)
		}
		if err != nil { // ErrBadLength: the data is not to be trusted
			d.Stats.RxErrors.Add(1)
			d.Stats.RxBadLength.Add(1)
			v.Release()
			n = 0
		}
		return v, n, true, nil
	}
}

// errBroken marks receive errors after which the ring cannot be read on.
var errBroken = errors.New("virtionet: receive ring out of step")

// frame validates the frame whose first buffer is v (n bytes written,
// 0 if the buffer is already dropped) and gathers the rest of it from the
// following buffers (merged receive buffers).
func (d *Device) frame(v *buffer.View, n uint32) (nic.Received, error) {
	if n == 0 {
		return nic.Received{}, errBadLength
	}
	v.CapLength(int(n))
	h, err := ParseHeader(v.AsSlice(), d.features)
	if err != nil {
		d.Stats.RxErrors.Add(1)
		d.Stats.RxBadHeader.Add(1)
		v.Release()
		// The frame's other buffers are still in the ring: skip them, or
		// the next frame would start inside this one.
		return nic.Received{}, errors.Join(err, d.skipRX(h.buffers-1))
	}
	v.TrimFront(HeaderLen)
	r := nic.Received{Frame: buffer.MakeWithView(v), ChecksumOK: h.checksumOK}
	for i := 1; i < h.buffers; i++ {
		w, m, ok, err := d.usedRX()
		if err == nil && !ok {
			// The device must have used every buffer of a frame before
			// publishing it (5.1.6.4.1).
			err = fmt.Errorf("%w: frame of %d buffers, only %d used", errBroken, h.buffers, i)
		}
		if err != nil {
			r.Frame.Release()
			return nic.Received{}, err
		}
		if m == 0 {
			r.Frame.Release()
			return nic.Received{}, errors.Join(errBadLength, d.skipRX(h.buffers-1-i))
		}
		w.CapLength(int(m))
		r.Frame.Append(w)
	}
	if err := h.check(int(r.Frame.Size()), d.maxFrame); err != nil {
		d.Stats.RxErrors.Add(1)
		d.Stats.RxBadHeader.Add(1)
		r.Frame.Release()
		return nic.Received{}, err
	}
	return r, nil
}

// skipRX drops the next k used receive buffers (the rest of a dropped
// frame).
func (d *Device) skipRX(k int) error {
	for range k {
		w, _, ok, err := d.usedRX()
		if err == nil && !ok {
			err = fmt.Errorf("%w: a dropped frame's buffers are missing", errBroken)
		}
		if err != nil {
			return err
		}
		if w != nil {
			w.Release()
		}
	}
	return nil
}

var errBadLength = errors.New("virtionet: received length exceeds the buffer")

// Rearm turns the receive interrupt back on after a Poll that returned
// less than its budget, and reports whether frames arrived meanwhile
// (the caller polls again instead of waiting for an interrupt).
func (d *Device) Rearm() bool {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	return d.rx.Rearm()
}

// Pending reports whether received frames wait to be polled.
func (d *Device) Pending() bool {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	return d.rx.HasUsed()
}

// kick notifies the device of new buffers on queue q if it asked for it.
func (d *Device) kick(q *virtio.Queue, idx int) {
	if q.KickNeeded() {
		d.Stats.Kicks.Add(1)
		d.t.Notify(idx)
	}
}

// Transmit copies frames into the driver's buffers and queues them; Flush
// then tells the device, once for any number of frames. It returns how
// many it took: fewer than len(frames) when every buffer is in flight
// (the caller retries after Reclaim finds some back). A frame the device
// cannot take (too long, an offload not negotiated) is counted, dropped
// and reported as an error after the frames before it.
func (d *Device) Transmit(frames []nic.Frame) (int, error) {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if err := d.Err(); err != nil {
		return 0, err
	}
	if d.tx.Free() < len(frames) {
		if err := d.reclaim(); err != nil {
			return 0, err
		}
	}
	sent := 0
	var err error
	for _, f := range frames {
		if d.tx.Free() == 0 {
			d.Stats.TxFull.Add(1)
			break
		}
		if err = d.post(f); err != nil {
			d.Stats.TxErrors.Add(1)
			d.Stats.TxDrops.Add(1)
			break
		}
		sent++
	}
	if sent > 0 {
		d.tx.Publish()
	}
	return sent, err
}

// Flush tells the device about the frames Transmit queued since the last
// Flush, if it asked to be told (with event indexes, once it has caught
// up; else when it has not suppressed notifications).
func (d *Device) Flush() {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	d.kick(&d.tx, txQueue)
}

// post copies one frame, its header before it, into a buffer and adds it
// to the transmit queue, which has a free descriptor.
func (d *Device) post(f nic.Frame) error {
	size := 0
	for _, p := range f.Parts {
		size += len(p)
	}
	if size < EthernetHeaderLen || size > d.maxFrame || (f.GSO == nic.GSONone && size > MaxFrame) {
		return fmt.Errorf("virtionet: cannot send a %d-byte frame (%d to %d bytes)", size, EthernetHeaderLen, MaxFrame)
	}
	var hdr [HeaderLen]byte
	if err := d.header(&hdr, f, size); err != nil {
		return err
	}
	// Small buffers are one per descriptor, so one is free; a large
	// frame takes a buffer of the pool instead.
	small := HeaderLen+size <= bufSize
	var buf []byte
	if small {
		buf = d.txFree[len(d.txFree)-1]
	} else {
		buf = *bigBufs.Get().(*[]byte)
	}
	n := copy(buf, hdr[:])
	for _, p := range f.Parts {
		n += copy(buf[n:], p)
	}
	head, err := d.tx.Add(virtio.BufferOf(buf[:n], false))
	if err != nil {
		return d.fail(err)
	}
	if small {
		d.txFree = d.txFree[:len(d.txFree)-1]
	}
	d.txBufs[head] = buf
	d.Stats.TxFrames.Add(1)
	d.Stats.TxBytes.Add(uint64(size))
	return nil
}

// header fills in the virtio_net_hdr of frame f (size bytes) from its
// offload requests, refusing those the device did not accept.
func (d *Device) header(h *[HeaderLen]byte, f nic.Frame, size int) error {
	if f.CsumStart != 0 {
		if d.features&FeatCsum == 0 {
			return errors.New("virtionet: checksum offload requested but not negotiated")
		}
		if int(f.CsumStart)+int(f.CsumOffset)+2 > size {
			return fmt.Errorf("virtionet: checksum at %d+%d outside a %d-byte frame", f.CsumStart, f.CsumOffset, size)
		}
		h[0] = hdrNeedsCsum
		put16(h[6:], f.CsumStart)
		put16(h[8:], f.CsumOffset)
	}
	switch f.GSO {
	case nic.GSONone:
		return nil
	case nic.GSOTCPv4:
		if d.features&FeatHostTSO4 == 0 {
			return errors.New("virtionet: TCPv4 segmentation requested but not negotiated")
		}
		h[1] = gsoTCPv4
	case nic.GSOTCPv6:
		if d.features&FeatHostTSO6 == 0 {
			return errors.New("virtionet: TCPv6 segmentation requested but not negotiated")
		}
		h[1] = gsoTCPv6
	default:
		return fmt.Errorf("virtionet: unknown segmentation type %d", f.GSO)
	}
	if f.CsumStart == 0 || f.GSOSize == 0 || int(f.HdrLen) >= size {
		return fmt.Errorf("virtionet: segmentation needs a partial checksum, a segment size and headers shorter than the frame (csum %d, size %d, headers %d of %d)", f.CsumStart, f.GSOSize, f.HdrLen, size)
	}
	put16(h[2:], f.HdrLen)
	put16(h[4:], f.GSOSize)
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
		buf := d.txBufs[head]
		d.txBufs[head] = nil
		if len(buf) == bufSize {
			d.txFree = append(d.txFree, buf)
		} else {
			bigBufs.Put(&buf)
		}
	}
}

// TxRoom reports how many frames Transmit could take now without
// reclaiming.
func (d *Device) TxRoom() int {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	return d.tx.Free()
}

func put16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
func get16(b []byte) uint16    { return uint16(b[0]) | uint16(b[1])<<8 }
