// Package virtiotest plays the device's side of yolk's virtio drivers in
// host tests: a Transport that records what the driver negotiates and
// asks for, and a Ring that reads and writes a split virtqueue the way a
// device does, through the addresses the driver gave it (Virtual I/O
// Device Specification 1.2, 2.7), so that a test can lie to the driver
// exactly as a broken device could.
package virtiotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/yolkos/yolk/drivers/virtio"
)

// Transport is a fake virtio transport.
type Transport struct {
	ID       uint32 // device ID (virtio.DeviceNet, ...)
	Offered  uint64 // device features (VERSION_1 is added)
	Accepted uint64 // what the driver accepted, after Negotiate
	// RefuseFeatures makes the device clear FEATURES_OK.
	RefuseFeatures bool
	MaxSize        int // largest queue size (default 256)
	ConfigSpace    []byte

	Queues     map[int]*virtio.Queue
	Started    bool
	Failed     bool
	NeedsReset bool
	// Kicks counts notifications per queue; OnNotify, if set, runs on
	// each one.
	Kicks    map[int]int
	OnNotify func(idx int)
	// ISR is the interrupt status the next AckInterrupt returns.
	ISR atomic.Uint32
}

// NewTransport returns a transport for a device of the given ID and
// features, with a configuration space of config.
func NewTransport(id uint32, features uint64, config []byte) *Transport {
	return &Transport{ID: id, Offered: features | virtio.FeatureVersion1, ConfigSpace: config,
		Queues: map[int]*virtio.Queue{}, Kicks: map[int]int{}}
}

func (t *Transport) String() string { return "fake virtio device" }

func (t *Transport) Probe() (uint32, error) { return t.ID, nil }

func (t *Transport) Negotiate(wanted uint64) (uint64, error) {
	if t.RefuseFeatures {
		t.Failed = true
		return 0, errors.New("virtiotest: device refused the features")
	}
	// Negotiate begins with a reset: the device forgets its queues.
	t.Queues = map[int]*virtio.Queue{}
	t.Started, t.NeedsReset = false, false
	t.Accepted = t.Offered & (wanted | virtio.FeatureVersion1)
	return t.Accepted, nil
}

func (t *Transport) MaxQueueSize(int) int {
	if t.MaxSize == 0 {
		return 256
	}
	return t.MaxSize
}

func (t *Transport) SetQueue(idx int, q *virtio.Queue) error {
	if t.Queues[idx] != nil {
		return fmt.Errorf("virtiotest: queue %d set twice", idx)
	}
	t.Queues[idx] = q
	return nil
}

func (t *Transport) Start()       { t.Started = true }
func (t *Transport) Fail()        { t.Failed = true }
func (t *Transport) Broken() bool { return t.NeedsReset }

func (t *Transport) Notify(idx int) {
	t.Kicks[idx]++
	if t.OnNotify != nil {
		t.OnNotify(idx)
	}
}

func (t *Transport) AckInterrupt() uint32 { return t.ISR.Swap(0) }

func (t *Transport) Config(off uintptr, n int) uint32 {
	var v uint32
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint32(t.ConfigSpace[int(off)+i])
	}
	return v
}

// Desc is a descriptor as the device reads it (2.7.5).
type Desc struct {
	Addr  uint64
	Len   uint32
	Flags uint16
	Next  uint16
}

// Descriptor flags (2.7.5).
const (
	DescNext  = 1
	DescWrite = 2
)

// Bytes is the memory a descriptor describes.
func (d Desc) Bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(d.Addr))), d.Len)
}

// Ring is the device's view of a split virtqueue.
type Ring struct {
	n         uint16
	desc      unsafe.Pointer
	avail     unsafe.Pointer
	used      unsafe.Pointer
	lastAvail uint16 // next available element to take
	usedIdx   uint16 // the used index the device has written
	published uint16 // usedIdx when last published
	EventIdx  bool   // VIRTIO_F_EVENT_IDX negotiated
}

// NewRing attaches to q.
func NewRing(q *virtio.Queue) *Ring {
	d, a, u := q.Addresses()
	return &Ring{n: uint16(q.Size()), desc: unsafe.Pointer(d), avail: unsafe.Pointer(a), used: unsafe.Pointer(u)}
}

func (r *Ring) u16(p unsafe.Pointer, off uintptr) uint16 {
	return binary.LittleEndian.Uint16(unsafe.Slice((*byte)(unsafe.Add(p, off)), 2))
}

func (r *Ring) put16(p unsafe.Pointer, off uintptr, v uint16) {
	binary.LittleEndian.PutUint16(unsafe.Slice((*byte)(unsafe.Add(p, off)), 2), v)
}

// availIdx is the driver's published available index (read with the
// driver's store-release pairing: an atomic load of its word).
func (r *Ring) availIdx() uint16 {
	return uint16(atomic.LoadUint32((*uint32)(r.avail)) >> 16)
}

// Available is how many chains the driver has made available and the
// device not taken.
func (r *Ring) Available() int { return int(r.availIdx() - r.lastAvail) }

// Take returns the next available chain, if any.
func (r *Ring) Take() (head uint16, chain []Desc, ok bool) {
	if r.availIdx() == r.lastAvail {
		return 0, nil, false
	}
	head = r.u16(r.avail, 4+2*uintptr(r.lastAvail%r.n))
	r.lastAvail++
	for i, k := head, 0; k <= int(r.n); k++ {
		if i >= r.n {
			panic(fmt.Sprintf("virtiotest: descriptor %d out of a %d-entry table", i, r.n))
		}
		d := *(*Desc)(unsafe.Add(r.desc, 16*uintptr(i)))
		chain = append(chain, d)
		if d.Flags&DescNext == 0 {
			break
		}
		i = d.Next
	}
	if r.EventIdx {
		// avail_event: notify me again only after the next chain.
		r.put16(r.used, 4+8*uintptr(r.n), r.lastAvail)
	}
	return head, chain, true
}

// Put writes a used element (any values: tests lie on purpose) without
// publishing it.
func (r *Ring) Put(id, written uint32) {
	e := unsafe.Add(r.used, 4+8*uintptr(r.usedIdx%r.n))
	binary.LittleEndian.PutUint32(unsafe.Slice((*byte)(e), 4), id)
	binary.LittleEndian.PutUint32(unsafe.Slice((*byte)(unsafe.Add(e, 4)), 4), written)
	r.usedIdx++
}

// Publish moves the used index past the elements Put since the last
// Publish, plus skip more (a lie when not 0), and reports whether the
// driver asked for an interrupt for them (2.7.7).
func (r *Ring) Publish(skip uint16) bool {
	r.usedIdx += skip
	old := r.published
	r.published = r.usedIdx
	flagsIdx := uint32(r.usedIdx) << 16
	atomic.StoreUint32((*uint32)(r.used), flagsIdx|uint32(r.u16(r.used, 0)))
	if r.EventIdx {
		ev := r.u16(r.avail, 4+2*uintptr(r.n))
		return r.usedIdx-ev-1 < r.usedIdx-old
	}
	return r.u16(r.avail, 0)&1 == 0 // VIRTQ_AVAIL_F_NO_INTERRUPT
}

// SetNoNotify sets or clears VIRTQ_USED_F_NO_NOTIFY (without event
// indexes).
func (r *Ring) SetNoNotify(on bool) {
	var f uint16
	if on {
		f = 1
	}
	r.put16(r.used, 0, f)
}

// SetAvailEvent sets avail_event: the device wants a notification when
// the available index passes v.
func (r *Ring) SetAvailEvent(v uint16) { r.put16(r.used, 4+8*uintptr(r.n), v) }

// UsedEvent is the driver's used_event.
func (r *Ring) UsedEvent() uint16 { return r.u16(r.avail, 4+2*uintptr(r.n)) }
