// Package virtiorng reads entropy from a virtio entropy device (Virtual
// I/O Device Specification 1.2, 5.4): the source behind crypto/rand and
// the runtime's seeds on a CPU without RNDR.
//
// The runtime asks for random bytes in schedinit, before the heap and
// before package variables are initialised, so everything here lives in
// static memory, allocates nothing and reports failures as constant
// strings. Requests are synchronous: one buffer is posted and the used
// ring is watched until the device fills it (QEMU answers in
// microseconds; a device that does not answer within a second fails).
package virtiorng

import (
	"sync/atomic"
	"unsafe"

	"github.com/yolkos/yolk/drivers/virtio"
	"github.com/yolkos/yolk/kernel/cpu"
)

const (
	queueSize = 2
	memSize   = 256 // >= virtio.QueueBytes(queueSize), checked in Init
	chunk     = 64  // bytes asked for per request
)

// RNG is one virtio entropy device. Use it from a static variable.
type RNG struct {
	t     virtio.Transport
	q     virtio.Queue
	mem   [memSize]byte
	buf   [chunk]byte
	lock  atomic.Uint32
	ready bool

	// Requests counts completed requests, Bytes the bytes they brought.
	Requests, Bytes atomic.Uint64
}

// Init drives the device at base; fail is "" on success.
func (r *RNG) Init(base uintptr) (fail string) {
	r.t = virtio.Transport{Base: base}
	version, id, ok := r.t.Identify()
	switch {
	case !ok:
		return "no virtio-mmio transport"
	case version != 2:
		return "not a modern (version 2) virtio-mmio transport"
	case id != virtio.DeviceEntropy:
		return "not an entropy device"
	}
	if virtio.QueueBytes(queueSize) > memSize {
		return "queue memory too small"
	}
	if _, fail := r.t.NegotiateNoAlloc(0); fail != "" {
		return fail
	}
	if r.q.Init(r.mem[:], queueSize) != nil {
		return "queue set-up"
	}
	r.q.SetInterrupts(false)
	if fail := r.t.SetQueueNoAlloc(0, &r.q); fail != "" {
		r.t.Fail()
		return fail
	}
	r.t.Start()
	r.ready = true
	return ""
}

// Find initialises the first entropy device among the transports at the
// addresses that next returns (ok false ends the list); fail is "" when
// one was found.
func (r *RNG) Find(next func(i int) (base uintptr, ok bool)) (fail string) {
	fail = "no virtio entropy device"
	for i := 0; ; i++ {
		base, ok := next(i)
		if !ok {
			return fail
		}
		t := virtio.Transport{Base: base}
		if v, id, ok := t.Identify(); !ok || v != 2 || id != virtio.DeviceEntropy {
			if ok && v == 1 {
				fail = "no modern virtio entropy device (QEMU: -global virtio-mmio.force-legacy=false)"
			}
			continue
		}
		return r.Init(base)
	}
}

// Ready reports whether Init succeeded.
func (r *RNG) Ready() bool { return r.ready }

// Read fills b; fail is "" on success. Safe on any core and in any
// context that may spin briefly.
func (r *RNG) Read(b []byte) (fail string) {
	if !r.ready {
		return "virtio-rng not initialised"
	}
	for !r.lock.CompareAndSwap(0, 1) {
	}
	defer r.lock.Store(0)
	for len(b) > 0 {
		n, fail := r.request()
		if fail != "" {
			return fail
		}
		k := copy(b, r.buf[:n])
		clear(r.buf[:])
		b = b[k:]
	}
	return ""
}

// request posts the buffer and waits for the device to fill it.
func (r *RNG) request() (int, string) {
	if _, err := r.q.Add(virtio.Buffer{Addr: uintptr(unsafe.Pointer(&r.buf[0])), Len: chunk, Writable: true}); err != nil {
		return 0, "virtio-rng queue full"
	}
	r.q.Publish()
	r.t.Notify(0)
	deadline := cpu.Counter() + cpu.CounterFreq() // one second
	for {
		_, n, ok, err := r.q.Used()
		if ok && err == nil && n > 0 {
			r.Requests.Add(1)
			r.Bytes.Add(uint64(n))
			return int(n), ""
		}
		if ok || r.q.Broken() {
			r.t.Fail()
			r.ready = false
			return 0, "virtio-rng device error (bad used ring entry)"
		}
		if cpu.Counter() > deadline {
			r.ready = false
			return 0, "virtio-rng device does not answer"
		}
	}
}
