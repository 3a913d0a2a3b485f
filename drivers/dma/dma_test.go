package dma

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/yolkos/yolk/devicetree"
)

func TestBus(t *testing.T) {
	mbox, err := NewBus([]devicetree.DMAWindow{{Bus: 0xc000_0000, CPU: 0, Size: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := mbox.Addr(0x8_0000, 64); !ok || a != 0xc008_0000 {
		t.Errorf("mailbox window: %#x, %v", a, ok)
	}
	if _, ok := mbox.Addr(0x3fff_fff0, 64); ok {
		t.Error("a buffer straddling the end of the first GiB is reachable")
	}
	if _, ok := mbox.Addr(0x4000_0000, 1); ok {
		t.Error("RAM above 1 GiB is reachable through the mailbox window")
	}
	id := Identity()
	if a, ok := id.Addr(0x1_2345_6000, 4096); !ok || a != 0x1_2345_6000 {
		t.Errorf("identity: %#x, %v", a, ok)
	}
	var none Bus
	if _, ok := none.Addr(0x1000, 1); ok {
		t.Error("the zero Bus translates")
	}
	if _, err := NewBus(nil); err == nil {
		t.Error("a Bus of no windows")
	}
}

func TestPool(t *testing.T) {
	p, err := NewPool(Identity(), 8, 1500)
	if err != nil {
		t.Fatal(err)
	}
	g := Granule()
	if p.Size() < 1500 || p.Size()%g != 0 || p.Len() != 8 {
		t.Fatalf("size %d, len %d (granule %d)", p.Size(), p.Len(), g)
	}
	for i := range p.Len() {
		b := p.Buf(i)
		a := uintptr(unsafe.Pointer(&b[0]))
		if a%uintptr(g) != 0 || len(b) != p.Size() || cap(b) != p.Size() {
			t.Errorf("buffer %d at %#x, len %d cap %d", i, a, len(b), cap(b))
		}
		if p.Addr(i, 2) != uint64(a)+2 {
			t.Errorf("buffer %d: bus address %#x, CPU address %#x", i, p.Addr(i, 2), a)
		}
	}
	// A device that reaches nothing of the heap.
	far, _ := NewBus([]devicetree.DMAWindow{{Bus: 0, CPU: 1 << 62, Size: 4096}})
	if _, err := NewPool(far, 1, 64); !errors.Is(err, ErrUnreachable) {
		t.Errorf("unreachable pool: %v", err)
	}
}
