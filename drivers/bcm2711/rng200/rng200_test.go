package rng200

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/yolkos/yolk/kernel/reg"
)

func TestFakeBlock(t *testing.T) {
	var regs [0x28 / 4]uint32
	r := RNG{Base: uintptr(unsafe.Pointer(&regs[0]))}
	r.Init()
	if regs[regCtrl/4] != sampleDiv<<ctrlDivShift|ctrlEnable || regs[regThreshold/4] != warmupBits || regs[regFIFOCount/4] != fifoLevel<<8 {
		t.Fatalf("after Init: %#x", regs)
	}
	regs[regIntStatus/4] = 0 // write-1-to-clear in the block, plain memory here
	// A FIFO with words: Read takes them from the data register.
	regs[regFIFOCount/4] = 3
	regs[regFIFOData/4] = 0x04030201
	b := make([]byte, 6)
	if err := r.Read(b); err != nil {
		t.Fatal(err)
	}
	if string(b) != "\x01\x02\x03\x04\x01\x02" {
		t.Errorf("Read = %x", b)
	}
	// An empty FIFO times out after 1s of a fake counter.
	n := 0
	defer func(c reg.Counter) { reg.Clock = c }(reg.Clock)
	reg.Clock = reg.Counter{Count: func() uint64 { n++; return uint64(n) }, Hz: func() uint64 { return 1000 }}
	regs[regFIFOCount/4] = 0
	if _, err := r.Word(); !errors.Is(err, ErrTimeout) {
		t.Errorf("empty FIFO: %v", err)
	}
	if n < 1000 || n > 1010 {
		t.Errorf("gave up after %d counts of a 1000 Hz clock, want 1 s", n)
	}
	// A health-test failure resets the block, twice, then gives up.
	regs[regIntStatus/4] = statusNISTErr
	if _, err := r.Word(); !errors.Is(err, ErrFailed) {
		t.Errorf("failing block: %v", err)
	}
}
