package mmu

import (
	"testing"
	"unsafe"
)

// pool returns n page-aligned pages of Go memory, filled with garbage so
// that the builder's own clearing is exercised.
func pool(t *testing.T, n int) (uintptr, uintptr) {
	buf := make([]uint64, (n+1)*PageSize/8)
	for i := range buf {
		buf[i] = 0xdeadbeefdeadbeef
	}
	t.Cleanup(func() { _ = buf[0] })
	p := uintptr(unsafe.Pointer(&buf[0]))
	p = (p + PageSize - 1) &^ (PageSize - 1)
	return p, uintptr(n * PageSize)
}

func TestVirtLayout(t *testing.T) {
	var tb Tables
	p, n := pool(t, 16)
	if !tb.Init(p, n) {
		t.Fatal("Init failed")
	}
	const ram, text, rodata, data, ramEnd = 0x4000_0000, 0x4020_0000, 0x4035_3000, 0x4048_1000, 0x6000_0000
	steps := []struct {
		base, size uint64
		k          Kind
	}{
		{0x0800_0000, 0x3800_0000, Device},
		{ram, text - ram, ReadWrite},
		{text, rodata - text, Code},
		{rodata, data - rodata, ReadOnly},
		{data, ramEnd - data, ReadWrite},
	}
	for _, s := range steps {
		if !tb.Map(s.base, s.size, s.k) {
			t.Fatalf("Map(%#x, %#x, %d) failed", s.base, s.size, s.k)
		}
	}
	checks := []struct {
		a     uint64
		k     Kind
		level int
	}{
		{0x0900_0000, Device, 2},
		{0x0800_0000, Device, 2},
		{0x3fff_f000, Device, 2},
		{ram, ReadWrite, 2},
		{text, Code, 3},
		{rodata - 8, Code, 3},
		{rodata, ReadOnly, 3},
		{data - 1, ReadOnly, 3},
		{data, ReadWrite, 3},
		{0x4060_0000, ReadWrite, 2},
		{ramEnd - 1, ReadWrite, 2},
	}
	for _, c := range checks {
		d, level, ok := tb.Lookup(c.a)
		if !ok || KindOf(d) != c.k || level != c.level {
			t.Errorf("%#x: desc %#x level %d ok %v kind %d; want kind %d level %d", c.a, d, level, ok, KindOf(d), c.k, c.level)
		}
		if ok && d&addrMask != c.a&^(1<<(39-9*uint(level))-1)&addrMask {
			t.Errorf("%#x: output address %#x is not the identity", c.a, d&addrMask)
		}
	}
	for _, a := range []uint64{0, 8, 0x7ff_ffff, ramEnd, 0x1_0000_0000} {
		if _, _, ok := tb.Lookup(a); ok {
			t.Errorf("%#x is mapped, want unmapped", a)
		}
	}
	if got := tb.Used(); got > 6*PageSize {
		t.Errorf("used %d pages, want at most 6", got/PageSize)
	}
}

func TestPageZeroNeverMapped(t *testing.T) {
	var tb Tables
	p, n := pool(t, 8)
	tb.Init(p, n)
	// A board whose RAM starts at 0 (the Raspberry Pi 4).
	if !tb.Map(0, 0x4000_0000, ReadWrite) {
		t.Fatal("Map failed")
	}
	if _, _, ok := tb.Lookup(0); ok {
		t.Error("page 0 mapped")
	}
	if _, _, ok := tb.Lookup(0xfff); ok {
		t.Error("page 0 mapped")
	}
	if d, level, ok := tb.Lookup(0x1000); !ok || level != 3 || KindOf(d) != ReadWrite {
		t.Errorf("0x1000: %#x level %d ok %v", d, level, ok)
	}
	if _, level, ok := tb.Lookup(0x20_0000); !ok || level != 2 {
		t.Errorf("0x200000 should be a 2 MiB block, level %d ok %v", level, ok)
	}
}

func TestGigabyteBlocks(t *testing.T) {
	var tb Tables
	p, n := pool(t, 2)
	tb.Init(p, n)
	if !tb.Map(0x4000_0000, 0x8000_0000, ReadWrite) {
		t.Fatal("Map failed")
	}
	if tb.Used() != PageSize {
		t.Errorf("used %d bytes, want only the root table", tb.Used())
	}
	if _, level, ok := tb.Lookup(0x8000_0000); !ok || level != 1 {
		t.Errorf("level %d ok %v", level, ok)
	}
}

func TestRejects(t *testing.T) {
	var tb Tables
	p, n := pool(t, 3)
	tb.Init(p, n)
	if tb.Map(0x1234, 0x1000, Device) {
		t.Error("unaligned base accepted")
	}
	if tb.Map(0x1000, 0x10, Device) {
		t.Error("unaligned size accepted")
	}
	if tb.Map(AddrLimit-PageSize, 2*PageSize, Device) {
		t.Error("range past the address space accepted")
	}
	if tb.Map(0x1000, 0x1000, 0) {
		t.Error("kind 0 accepted")
	}
	if !tb.Map(0x1000, 0x1000, Device) {
		t.Fatal("Map failed")
	}
	if tb.Map(0x1000, 0x1000, ReadWrite) {
		t.Error("overlapping map accepted")
	}
	// Pool exhaustion: 3 pages = root + L2 + L3 already used.
	if tb.Map(0x8000_1000, 0x1000, Device) {
		t.Error("map beyond the pool accepted")
	}
}

func TestAttributes(t *testing.T) {
	// W^X: nothing writable is executable; code is not writable.
	for k := Device; k <= ReadWrite; k++ {
		a := Attributes(k)
		writable := a&apReadOnly == 0
		exec := a&privNoExec == 0
		if writable && exec {
			t.Errorf("kind %d is writable and executable", k)
		}
		if a&accessFlag == 0 {
			t.Errorf("kind %d lacks the access flag", k)
		}
		if a&unprivNoExec == 0 {
			t.Errorf("kind %d executable at EL0", k)
		}
	}
	if Attributes(Code)&privNoExec != 0 {
		t.Error("code is not executable")
	}
}
