package reg

import (
	"testing"
	"time"
	"unsafe"
)

func TestAccessors(t *testing.T) {
	var regs [4]uint32
	base := uintptr(unsafe.Pointer(&regs[0]))
	Write32(base+4, 0xdead_beef)
	if regs[1] != 0xdead_beef || Read32(base+4) != 0xdead_beef {
		t.Fatalf("Write32/Read32: %#x", regs)
	}
	Write8(base+6, 0x11) // byte 2 of word 1 (little-endian)
	if regs[1] != 0xde11_beef {
		t.Errorf("Write8 touched its neighbours: %#x", regs[1])
	}
	if Read8(base+7) != 0xde || Read16(base+6) != 0xde11 || Read16(base+4) != 0xbeef {
		t.Errorf("Read8/Read16 of %#x", regs[1])
	}
}

func TestWait(t *testing.T) {
	var r [1]uint32
	addr := uintptr(unsafe.Pointer(&r[0]))
	old := Clock
	defer func() { Clock = old }()
	now := uint64(0)
	Clock = Counter{Count: func() uint64 { now += 10; return now }, Hz: func() uint64 { return 1000 }}
	r[0] = 0b110
	if !Wait(addr, 0b100, 0b100, time.Second) {
		t.Error("Wait: the bit is already set")
	}
	start := now
	if Wait(addr, 0b1, 0b1, time.Second) {
		t.Error("Wait: the bit never sets")
	}
	// 1 s at 1000 Hz is 1000 counts; the fake counter moves 10 per read.
	if got := now - start; got < 1000 || got > 1100 {
		t.Errorf("gave up after %d counts, want about 1000", got)
	}
	// No clock: bounded by polls.
	Clock = Counter{}
	d := After(time.Hour)
	n := 0
	for !d.Passed() {
		n++
	}
	if n != spinLimit {
		t.Errorf("%d polls without a clock, want %d", n, spinLimit)
	}
}
