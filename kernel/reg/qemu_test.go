//go:build tamago

package reg_test

import (
	"testing"
	"time"
	"unsafe"

	_ "github.com/yolkos/yolk/board/qemu-virt"
	"github.com/yolkos/yolk/kernel/reg"
)

// The assembly accessors on the target, over Go memory, and Wait against
// the generic counter (the default Clock).
func TestTargetAccessors(t *testing.T) {
	var regs [2]uint32
	base := uintptr(unsafe.Pointer(&regs[0]))
	reg.Write32(base, 0x1122_3344)
	reg.Write8(base+4+1, 0xab)
	if regs[0] != 0x1122_3344 || regs[1] != 0xab00 {
		t.Fatalf("writes: %#x", regs)
	}
	if reg.Read32(base) != 0x1122_3344 || reg.Read16(base+2) != 0x1122 || reg.Read8(base+5) != 0xab {
		t.Error("reads")
	}
	reg.Write32Relaxed(base+4, 7)
	if regs[1] != 7 || reg.Read32Relaxed(base+4) != 7 {
		t.Errorf("relaxed: %#x", regs)
	}
	start := time.Now()
	if reg.Wait(base, 1<<31, 1<<31, 20*time.Millisecond) {
		t.Error("Wait: bit 31 is clear")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("Wait gave up after %v, before its 20ms", d)
	}
}
