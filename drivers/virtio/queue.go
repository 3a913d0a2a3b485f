package virtio

import (
	"errors"
	"sync/atomic"
	"unsafe"
)

// Descriptor flags (2.7.5).
const (
	descNext  = 1
	descWrite = 2
)

// Ring flags: VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7) and
// VIRTQ_USED_F_NO_NOTIFY (2.7.10).
const (
	availNoInterrupt = 1
	usedNoNotify     = 1
)

// Errors of a device that wrote something it must not have: each one is
// counted, and the element it concerns is not trusted.
var (
	// ErrIndexJump: the used index moved past the buffers the driver
	// made available. The ring cannot be trusted any more; the queue
	// stays broken.
	ErrIndexJump = errors.New("virtio: used index moved past the available buffers (device error)")
	// ErrBadID: a used element names a descriptor that is not the head
	// of a chain in flight. The element is skipped.
	ErrBadID = errors.New("virtio: used element names a descriptor not in flight (device error)")
	// ErrBadLength: the device claims to have written more than the
	// chain's writable buffers hold. The chain is given back with the
	// error; its data must be dropped.
	ErrBadLength = errors.New("virtio: used length exceeds the buffer (device error)")

	ErrQueueFull    = errors.New("virtio: no free descriptors")
	errEmptyChain   = errors.New("virtio: empty descriptor chain")
	errQueueSize    = errors.New("virtio: queue size must be a power of 2 between 1 and 32768")
	errQueueMemory  = errors.New("virtio: memory too small for the queue")
	errEventIdxSize = errors.New("virtio: event indexes need a queue of at least 2 entries")
)

// desc is a descriptor of the descriptor table (2.7.5).
type desc struct {
	addr  uint64
	len   uint32
	flags uint16
	next  uint16
}

// usedElem is an element of the used ring (2.7.8).
type usedElem struct {
	id  uint32
	len uint32
}

// meta is what the driver remembers about a chain, by head descriptor.
type meta struct {
	writable uint32 // bytes the device may write
	count    uint16 // descriptors in the chain
	inflight uint16 // 1 while the device owns the chain
}

// QueueBytes is the memory a queue of n entries needs, alignment slack
// included.
func QueueBytes(n int) int {
	used := align(16*n+6+2*n, 4)
	m := align(used+6+8*n, 8)
	return m + 8*n + 16
}

func align(x, a int) int { return (x + a - 1) &^ (a - 1) }

// Queue is a split virtqueue (2.7) laid out in memory the caller
// provides, so that it can live in a static array before the heap exists.
// It is not safe for concurrent use: a driver serialises its calls.
type Queue struct {
	n         uint16
	desc      []desc
	availHdr  *uint32 // flags (low half) and idx (high half)
	availRing []uint16
	usedHdr   *uint32 // flags (low half) and idx (high half)
	usedRing  []usedElem
	meta      []meta

	freeHead  uint16
	nfree     uint16
	nextAvail uint16 // the avail idx the driver will publish
	lastUsed  uint16 // the next used element to read
	availFlag uint16
	broken    bool

	// With VIRTIO_F_EVENT_IDX (2.7.7.2, 2.7.10.2): the driver's used_event
	// (after the available ring) and the device's avail_event (after the
	// used ring), each read and written as the aligned 32-bit word that
	// starts with it; notified is the avail idx at the last KickNeeded.
	eventIdx   bool
	usedEvent  *uint32
	availEvent *uint32
	notified   uint16

	// Device errors, by kind.
	BadID, BadLength, IndexJump atomic.Uint64
}

// Init lays out a queue of n entries in mem, which must be QueueBytes(n)
// long and stay allocated (and unmoved) while the device may use it.
// Init does not allocate.
func (q *Queue) Init(mem []byte, n int) error {
	if n < 1 || n > 32768 || n&(n-1) != 0 {
		return errQueueSize
	}
	if len(mem) < QueueBytes(n) {
		return errQueueMemory
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	start := uintptr(align(int(base), 16)) - base
	mem = mem[start:]
	clear(mem[:QueueBytes(n)-16])
	usedOff := align(16*n+6+2*n, 4)
	metaOff := align(usedOff+6+8*n, 8)
	p := unsafe.Pointer(unsafe.SliceData(mem))
	*q = Queue{
		n:         uint16(n),
		desc:      unsafe.Slice((*desc)(p), n),
		availHdr:  (*uint32)(unsafe.Add(p, 16*n)),
		availRing: unsafe.Slice((*uint16)(unsafe.Add(p, 16*n+4)), n),
		usedHdr:   (*uint32)(unsafe.Add(p, usedOff)),
		usedRing:  unsafe.Slice((*usedElem)(unsafe.Add(p, usedOff+4)), n),
		meta:      unsafe.Slice((*meta)(unsafe.Add(p, metaOff)), n),
		nfree:     uint16(n),
	}
	if n >= 2 { // the event words are 4-byte aligned for even n
		q.usedEvent = (*uint32)(unsafe.Add(p, 16*n+4+2*n))
		q.availEvent = (*uint32)(unsafe.Add(p, usedOff+4+8*n))
	}
	// The free descriptors form a list through their next fields.
	for i := range q.desc {
		q.desc[i].next = uint16(i + 1)
	}
	return nil
}

// Size is the number of entries.
func (q *Queue) Size() int { return int(q.n) }

// Free is the number of descriptors not in flight.
func (q *Queue) Free() int { return int(q.nfree) }

// Addresses are the physical addresses of the descriptor table, the
// available ring and the used ring, for the transport.
func (q *Queue) Addresses() (desc, avail, used uintptr) {
	return uintptr(unsafe.Pointer(&q.desc[0])), uintptr(unsafe.Pointer(q.availHdr)), uintptr(unsafe.Pointer(q.usedHdr))
}

// Buffer is one part of a descriptor chain: Len bytes at physical address
// Addr, which the device reads, or writes if Writable.
type Buffer struct {
	Addr     uintptr
	Len      uint32
	Writable bool
}

// BufferOf describes b (which must not be empty).
func BufferOf(b []byte, writable bool) Buffer {
	return Buffer{Addr: uintptr(unsafe.Pointer(unsafe.SliceData(b))), Len: uint32(len(b)), Writable: writable}
}

// Add chains bufs (device-readable parts first, 2.7.4.2) and puts the
// chain on the available ring, returning its head. The device sees it
// after Publish.
func (q *Queue) Add(bufs ...Buffer) (uint16, error) {
	if len(bufs) == 0 {
		return 0, errEmptyChain
	}
	if len(bufs) > int(q.nfree) {
		return 0, ErrQueueFull
	}
	head := q.freeHead
	var writable uint32
	i := head
	for k, b := range bufs {
		d := &q.desc[i]
		d.addr = uint64(b.Addr)
		d.len = b.Len
		d.flags = 0
		if b.Writable {
			d.flags = descWrite
			writable += b.Len
		}
		if k < len(bufs)-1 {
			d.flags |= descNext
			i = d.next
		} else {
			q.freeHead = d.next
		}
	}
	q.nfree -= uint16(len(bufs))
	q.meta[head] = meta{writable: writable, count: uint16(len(bufs)), inflight: 1}
	q.availRing[q.nextAvail%q.n] = head
	q.nextAvail++
	return head, nil
}

// Publish makes every chain added so far visible to the device: the
// store-release of the index orders the ring entries before it (2.7.13).
// The caller then notifies the device if NeedsNotify.
func (q *Queue) Publish() {
	atomic.StoreUint32(q.availHdr, uint32(q.availFlag)|uint32(q.nextAvail)<<16)
}

// UseEventIdx makes the queue use the event-index fields for both
// suppressions, as VIRTIO_F_EVENT_IDX prescribes once negotiated (2.7.7.2,
// 2.7.10.2). Call it before the device starts; it needs at least 2
// entries.
func (q *Queue) UseEventIdx() error {
	if q.usedEvent == nil {
		return errEventIdxSize
	}
	q.eventIdx = true
	q.availFlag = 0
	q.Publish()
	return nil
}

// KickNeeded reports whether the device wants to be notified of the
// chains published since the last call: with event indexes, when the
// available index passed the device's avail_event (2.7.10.2), else when
// the device has not set VIRTQ_USED_F_NO_NOTIFY (2.7.10.1). It reads the
// device's fields after Publish's store (both sequentially consistent),
// so a device that re-enabled notifications meanwhile is seen.
func (q *Queue) KickNeeded() bool {
	if !q.eventIdx {
		return uint16(atomic.LoadUint32(q.usedHdr))&usedNoNotify == 0
	}
	ev := uint16(atomic.LoadUint32(q.availEvent))
	old, cur := q.notified, q.nextAvail
	q.notified = cur
	return eventPassed(ev, cur, old)
}

// eventPassed reports whether moving an index from old to cur passed the
// event index ev (the specification's vring_need_event).
func eventPassed(ev, cur, old uint16) bool {
	return cur-ev-1 < cur-old
}

// SetInterrupts asks the device to interrupt (or not) when it uses a
// buffer; a hint the device may ignore (2.7.7). With event indexes, on
// means at the next used buffer, and off moves used_event just behind the
// last element read, which the device's index only passes again after a
// wrap of 65536 elements.
func (q *Queue) SetInterrupts(on bool) {
	if q.eventIdx {
		ev := q.lastUsed
		if !on {
			ev--
		}
		atomic.StoreUint32(q.usedEvent, uint32(ev))
		return
	}
	q.availFlag = 0
	if !on {
		q.availFlag = availNoInterrupt
	}
	q.Publish()
}

// Rearm turns interrupts on and reports whether used elements arrived
// before it took effect: the caller then reads them instead of waiting for
// an interrupt that may not come. The device's index is read after the
// store that re-enables (both sequentially consistent).
func (q *Queue) Rearm() (pending bool) {
	q.SetInterrupts(true)
	return q.HasUsed()
}

// HasUsed reports whether the device has given back elements not yet read.
func (q *Queue) HasUsed() bool {
	return uint16(atomic.LoadUint32(q.usedHdr)>>16) != q.lastUsed
}

// Used returns the next chain the device gave back: its head and the
// bytes written. ok is false when there is none. A device error is
// returned with ok true when the chain was nonetheless given back
// (ErrBadLength: drop its data), with ok false otherwise (ErrBadID: the
// element was skipped, call again; ErrIndexJump: the queue is broken).
func (q *Queue) Used() (head uint16, n uint32, ok bool, err error) {
	if q.broken {
		return 0, 0, false, ErrIndexJump
	}
	idx := uint16(atomic.LoadUint32(q.usedHdr) >> 16)
	pending := idx - q.lastUsed
	if pending == 0 {
		return 0, 0, false, nil
	}
	if pending > q.n-q.nfree {
		q.broken = true
		q.IndexJump.Add(1)
		return 0, 0, false, ErrIndexJump
	}
	e := q.usedRing[q.lastUsed%q.n]
	q.lastUsed++
	if e.id >= uint32(q.n) || q.meta[e.id].inflight == 0 {
		q.BadID.Add(1)
		return 0, 0, false, ErrBadID
	}
	head = uint16(e.id)
	m := q.meta[head]
	q.release(head, m.count)
	if e.len > m.writable {
		q.BadLength.Add(1)
		return head, 0, true, ErrBadLength
	}
	return head, e.len, true, nil
}

// release puts a chain of count descriptors back on the free list.
func (q *Queue) release(head, count uint16) {
	q.meta[head].inflight = 0
	last := head
	for i := uint16(1); i < count; i++ {
		last = q.desc[last].next
	}
	q.desc[last].next = q.freeHead
	q.freeHead = head
	q.nfree += count
}

// Broken reports a queue whose device moved the used index impossibly.
func (q *Queue) Broken() bool { return q.broken }
