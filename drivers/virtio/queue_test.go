package virtio

import (
	"encoding/binary"
	"errors"
	"sync/atomic"
	"testing"
	"unsafe"
)

// device plays the device's side of a queue, the way the specification
// lets a device touch it: reading the available ring and descriptors,
// writing the used ring.
type device struct {
	q         *Queue
	lastAvail uint16
	usedIdx   uint16
}

// take returns the next available chain's head and descriptors.
func (d *device) take() (uint16, []desc, bool) {
	idx := uint16(atomic.LoadUint32(d.q.availHdr) >> 16)
	if idx == d.lastAvail {
		return 0, nil, false
	}
	head := d.q.availRing[d.lastAvail%d.q.n]
	d.lastAvail++
	var chain []desc
	for i := head; ; {
		chain = append(chain, d.q.desc[i])
		if d.q.desc[i].flags&descNext == 0 {
			break
		}
		i = d.q.desc[i].next
	}
	return head, chain, true
}

// give writes a used element (any values: tests lie on purpose) and
// moves the used index by step.
func (d *device) give(id, n uint32, step uint16) {
	d.q.usedRing[d.usedIdx%d.q.n] = usedElem{id, n}
	d.usedIdx += step
	atomic.StoreUint32(d.q.usedHdr, uint32(d.usedIdx)<<16)
}

func newQueue(t testing.TB, n int) *Queue {
	var q Queue
	if err := q.Init(make([]byte, QueueBytes(n)), n); err != nil {
		t.Fatal(err)
	}
	return &q
}

func TestQueueLayout(t *testing.T) {
	q := newQueue(t, 8)
	desc, avail, used := q.Addresses()
	if desc%16 != 0 || avail%2 != 0 || used%4 != 0 {
		t.Fatalf("misaligned rings: desc %#x avail %#x used %#x (2.7: 16, 2, 4)", desc, avail, used)
	}
	if avail != desc+16*8 || used < avail+6+2*8 {
		t.Fatalf("rings overlap: desc %#x avail %#x used %#x", desc, avail, used)
	}
	for _, n := range []int{0, 3, 65536} {
		var q Queue
		if err := q.Init(make([]byte, 1<<20), n); err == nil {
			t.Errorf("Init(n=%d) accepted", n)
		}
	}
	if err := (&Queue{}).Init(make([]byte, QueueBytes(8)-1), 8); err == nil {
		t.Error("Init accepted too little memory")
	}
}

func TestQueueRoundTrip(t *testing.T) {
	q := newQueue(t, 4)
	d := &device{q: q}
	out := []byte("request")
	in := make([]byte, 64)
	head, err := q.Add(BufferOf(out, false), BufferOf(in, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := d.take(); ok {
		t.Fatal("device saw the chain before Publish")
	}
	q.Publish()
	h, chain, ok := d.take()
	if !ok || h != head || len(chain) != 2 {
		t.Fatalf("device took %v %d %v", ok, h, chain)
	}
	if chain[0].flags != descNext || chain[1].flags != descWrite || chain[0].len != 7 || chain[1].len != 64 {
		t.Fatalf("chain %+v", chain)
	}
	if chain[0].addr != uint64(uintptr(unsafe.Pointer(&out[0]))) {
		t.Fatal("wrong buffer address")
	}
	if q.Free() != 2 {
		t.Fatalf("Free = %d, want 2", q.Free())
	}
	if _, _, ok, err := q.Used(); ok || err != nil {
		t.Fatalf("Used before the device answered: %v %v", ok, err)
	}
	d.give(uint32(head), 10, 1)
	h2, n, ok, err := q.Used()
	if !ok || err != nil || h2 != head || n != 10 {
		t.Fatalf("Used = %d %d %v %v", h2, n, ok, err)
	}
	if q.Free() != 4 {
		t.Fatalf("Free = %d after the chain came back, want 4", q.Free())
	}
}

func TestQueueFullAndReuse(t *testing.T) {
	q := newQueue(t, 4)
	d := &device{q: q}
	buf := make([]byte, 16)
	for round := 0; round < 10; round++ {
		var heads []uint16
		for range 4 {
			h, err := q.Add(BufferOf(buf, true))
			if err != nil {
				t.Fatal(err)
			}
			heads = append(heads, h)
		}
		if _, err := q.Add(BufferOf(buf, true)); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("fifth Add: %v, want ErrQueueFull", err)
		}
		q.Publish()
		// Completed out of order.
		for i := len(heads) - 1; i >= 0; i-- {
			h, _, _ := d.take()
			_ = h
			d.give(uint32(heads[i]), 16, 1)
		}
		for range 4 {
			if _, _, ok, err := q.Used(); !ok || err != nil {
				t.Fatalf("round %d: Used %v %v", round, ok, err)
			}
		}
	}
}

func TestQueueDeviceErrors(t *testing.T) {
	buf := make([]byte, 100)
	t.Run("bad id", func(t *testing.T) {
		q := newQueue(t, 4)
		d := &device{q: q}
		head, _ := q.Add(BufferOf(buf, true))
		q.Publish()
		d.give(3, 1, 1) // 3 is not in flight
		if _, _, ok, err := q.Used(); ok || !errors.Is(err, ErrBadID) {
			t.Fatalf("Used = %v %v, want ErrBadID", ok, err)
		}
		d.give(99, 1, 1) // out of range
		if _, _, _, err := q.Used(); !errors.Is(err, ErrBadID) {
			t.Fatalf("out of range id: %v", err)
		}
		if q.BadID.Load() != 2 {
			t.Fatalf("BadID = %d", q.BadID.Load())
		}
		// The genuine chain still comes back.
		d.give(uint32(head), 5, 1)
		if h, n, ok, err := q.Used(); !ok || err != nil || h != head || n != 5 {
			t.Fatalf("Used = %d %d %v %v", h, n, ok, err)
		}
		// Once back, nothing is in flight: another element is a jump.
		d.give(uint32(head), 5, 1)
		if _, _, _, err := q.Used(); !errors.Is(err, ErrIndexJump) {
			t.Fatalf("element with nothing in flight: %v", err)
		}
	})
	t.Run("bad length", func(t *testing.T) {
		q := newQueue(t, 4)
		d := &device{q: q}
		head, _ := q.Add(BufferOf(buf[:10], false), BufferOf(buf, true))
		q.Publish()
		d.give(uint32(head), 101, 1)
		if h, _, ok, err := q.Used(); !ok || h != head || !errors.Is(err, ErrBadLength) {
			t.Fatalf("Used = %d %v %v, want the chain with ErrBadLength", h, ok, err)
		}
		if q.Free() != 4 || q.BadLength.Load() != 1 {
			t.Fatalf("Free %d BadLength %d", q.Free(), q.BadLength.Load())
		}
	})
	t.Run("index jump", func(t *testing.T) {
		q := newQueue(t, 8)
		d := &device{q: q}
		head, _ := q.Add(BufferOf(buf, true))
		q.Publish()
		d.give(uint32(head), 1, 2) // two used for one in flight
		if _, _, ok, err := q.Used(); ok || !errors.Is(err, ErrIndexJump) {
			t.Fatalf("Used = %v %v, want ErrIndexJump", ok, err)
		}
		if _, _, _, err := q.Used(); !errors.Is(err, ErrIndexJump) || !q.Broken() {
			t.Fatal("queue not broken for good")
		}
	})
}

// FuzzQueue lets the fuzzer play a hostile device: each 8-byte record of
// the input is a used element (id, length) with the index step. Whatever
// it writes, the driver must not panic, must account for every
// descriptor, and must never report more bytes than a chain can hold.
func FuzzQueue(f *testing.F) {
	rec := func(id uint16, n uint32, step uint16) []byte {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint16(b, id)
		binary.LittleEndian.PutUint32(b[2:], n)
		binary.LittleEndian.PutUint16(b[6:], step)
		return b
	}
	f.Add(append(rec(0, 10, 1), rec(1, 100, 1)...))
	f.Add(rec(7, 1, 1))
	f.Add(rec(0, 1<<31, 1))
	f.Add(append(rec(0, 1, 0), rec(0, 1, 65535)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		const n = 8
		q := newQueue(t, n)
		d := &device{q: q}
		bufs := make([][]byte, n)
		lens := map[uint16]uint32{}
		post := func() {
			for q.Free() >= 2 {
				b := make([]byte, 32+len(lens)%3*16)
				h, err := q.Add(BufferOf([]byte("hdr"), false), BufferOf(b, true))
				if err != nil {
					t.Fatal(err)
				}
				bufs[h] = b
				lens[h] = uint32(len(b))
			}
			q.Publish()
		}
		post()
		for len(data) >= 8 {
			id := binary.LittleEndian.Uint16(data)
			ln := binary.LittleEndian.Uint32(data[2:])
			step := binary.LittleEndian.Uint16(data[6:])
			data = data[8:]
			d.give(uint32(id), ln, step)
			for range 2 * n {
				h, got, ok, err := q.Used()
				if ok {
					want, inflight := lens[h]
					if !inflight {
						t.Fatalf("chain %d came back but was not in flight", h)
					}
					if err == nil && got > want {
						t.Fatalf("length %d accepted for a %d-byte buffer", got, want)
					}
					delete(lens, h)
				}
				if !ok && err == nil {
					break
				}
				if errors.Is(err, ErrIndexJump) {
					break
				}
			}
			if q.Free()+2*len(lens) != n {
				t.Fatalf("descriptors lost: %d free, %d chains in flight", q.Free(), len(lens))
			}
			if q.Broken() {
				return
			}
			post()
		}
	})
}
