//go:build tamago

package qemuvirt_test

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/yolkos/yolk/board/qemu-virt"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/kernel/cpu"
)

func TestBootInfo(t *testing.T) {
	info := boot.BootInfo()
	m := qemuvirt.Machine
	if len(m.Memory) == 0 || m.Memory[0].Base != info.RAMBase || m.Memory[0].Size != info.RAMSize {
		t.Errorf("boot found RAM %#x+%#x, the device tree says %v", info.RAMBase, info.RAMSize, m.Memory)
	}
	if info.RAMBase != 0x4000_0000 {
		t.Errorf("RAM base %#x, want QEMU virt's 0x40000000", info.RAMBase)
	}
	if info.EntryEL != 1 && info.EntryEL != 2 {
		t.Errorf("entry EL %d", info.EntryEL)
	}
	if el := cpu.CurrentEL(); el != 1 {
		t.Errorf("running at EL%d, want EL1", el)
	}
	if info.UART != 0x0900_0000 {
		t.Errorf("console UART %#x, want the device tree's PL011 at 0x9000000", info.UART)
	}
	if n := len(m.CPUs); n != runtime.NumCPU() && runtime.NumCPU() != 1 {
		t.Errorf("device tree has %d CPUs, runtime.NumCPU() = %d", n, runtime.NumCPU())
	}
}

func TestBanner(t *testing.T) {
	b := qemuvirt.Banner()
	for _, want := range []string{"yolk ", "qemu-virt", "cpu:", "core(s)", "ram:", "MiB", "timer:", " Hz", "boot:", "ms to main"} {
		if !strings.Contains(b, want) {
			t.Errorf("banner lacks %q:\n%s", want, b)
		}
	}
	if ms := boot.MillisSinceReset(); ms <= 0 || ms > 60_000 {
		t.Errorf("boot to main %.3f ms is not plausible", ms)
	}
}

// The wall clock comes from the PL031, which QEMU sets to the host's time.
func TestWallClock(t *testing.T) {
	now := time.Now()
	if now.Year() < 2025 {
		t.Errorf("time.Now() = %v: the RTC was not read", now)
	}
}

// go test passes its flags through run-qemu.sh and the kernel command line.
func TestArgsRoundTrip(t *testing.T) {
	found := false
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.timeout=") {
			found = true
		}
	}
	if !found {
		t.Errorf("os.Args = %q: the go test flags did not arrive", os.Args)
	}
}
