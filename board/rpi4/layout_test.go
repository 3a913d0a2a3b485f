//go:build !tamago

package rpi4

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/yolkos/yolk/devicetree"
)

func load(t *testing.T, name string) (*devicetree.Tree, *devicetree.Machine, error) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := devicetree.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, err := tree.Machine()
	return tree, m, err
}

var piCores = []Core{
	{0, "spin-table", 0xd8},
	{1, "spin-table", 0xe0},
	{2, "spin-table", 0xe8},
	{3, "spin-table", 0xf0},
}

// The raw blob has an empty memory node, which the firmware fills in.
func TestDebianBlobHasNoMemory(t *testing.T) {
	_, _, err := load(t, "bcm2711-rpi-4-b.dtb")
	if err == nil || !strings.Contains(err.Error(), "no memory") {
		t.Errorf("Machine() = %v, want a no-memory error", err)
	}
}

func TestQEMULayout(t *testing.T) {
	tree, m, err := load(t, "qemu-raspi4b.dtb")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLayout(tree, m)
	if err != nil {
		t.Fatal(err)
	}
	want := &Layout{
		Memory:   []Range{rg(0, 0x3c00_0000)},
		Reserved: []Range{rg(0, 0x1000)},
		Usable:   []Range{rg(0x1000, 0x3c00_0000-0x1000)},
		Cores:    piCores,
		UART:     0xfe20_1000,
		Mailbox:  0xfe00_b880,
		GPIO:     0xfe20_0000,
		RNG:      0, // QEMU deletes the node
		GENET:    0, // and this one
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("layout\n%+v\nwant\n%+v", l, want)
	}
	if m.GIC == nil || m.GIC.Version != 2 || m.GIC.Distributor.Base != 0xff84_1000 || m.GIC.CPUInterface.Base != 0xff84_2000 {
		t.Errorf("GIC %+v", m.GIC)
	}
	if m.Timer == nil || m.Timer.Virtual != 27 || m.Timer.NonSecurePhys != 30 {
		t.Errorf("timer %+v", m.Timer)
	}
	if got := l.ReleaseAddrs(); !reflect.DeepEqual(got, map[uint64]uint64{0: 0xd8, 1: 0xe0, 2: 0xe8, 3: 0xf0}) {
		t.Errorf("release addresses %v", got)
	}
}

func TestFirmware8GLayout(t *testing.T) {
	tree, m, err := load(t, "rpi4-8g-firmware.dtb")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLayout(tree, m)
	if err != nil {
		t.Fatal(err)
	}
	wantMem := []Range{rg(0, 0x3b40_0000), rg(0x4000_0000, 0xbc00_0000), rg(0x1_0000_0000, 0x8000_0000), rg(0x1_8000_0000, 0x8000_0000)}
	if !reflect.DeepEqual(l.Memory, wantMem) {
		t.Errorf("memory %#x, want %#x", l.Memory, wantMem)
	}
	wantUsable := append([]Range{rg(0x1000, 0x3b40_0000-0x1000)}, wantMem[1:]...)
	if !reflect.DeepEqual(l.Usable, wantUsable) {
		t.Errorf("usable %#x, want %#x", l.Usable, wantUsable)
	}
	if !reflect.DeepEqual(l.Cores, piCores) || l.RNG != 0xfe10_4000 || l.UART != 0xfe20_1000 || l.GENET != 0xfd58_0000 {
		t.Errorf("layout %+v", l)
	}
	// The runtime gets the first range from the image up: allowed.
	if !Within(l.Usable, 0x81000, 0x3b40_0000-0x81000) || Within(l.Usable, 0, 0x3b40_0000) {
		t.Error("Within")
	}
}

func TestSpinTableRequired(t *testing.T) {
	tree, m, err := load(t, "qemu-raspi4b.dtb")
	if err != nil {
		t.Fatal(err)
	}
	m.CPUs[2].EnableMethod = "psci"
	if _, err := NewLayout(tree, m); err == nil || !strings.Contains(err.Error(), "spin table") {
		t.Errorf("a psci core: %v", err)
	}
}

func TestSubtract(t *testing.T) {
	mem := []Range{rg(0, 0x10000), rg(0x20000, 0x10000)}
	for _, c := range []struct {
		holes, want []Range
	}{
		{nil, mem},
		{[]Range{rg(0, 0x1000)}, []Range{rg(0x1000, 0xf000), rg(0x20000, 0x10000)}},
		{[]Range{rg(0x8000, 0x20000)}, []Range{rg(0, 0x8000), rg(0x28000, 0x8000)}},
		{[]Range{rg(0x100, 0x10)}, []Range{rg(0, 0), rg(0x1000, 0xf000), rg(0x20000, 0x10000)}[1:]}, // page rounding drops [0, 0x100)
		{[]Range{rg(0, 0x40000)}, nil},
		{[]Range{rg(0x2000, 0x1000), rg(0x4000, 0x0)}, []Range{rg(0, 0x2000), rg(0x3000, 0xd000), rg(0x20000, 0x10000)}},
	} {
		if got := Subtract(mem, c.holes); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Subtract(%#x) = %#x, want %#x", c.holes, got, c.want)
		}
	}
}

func rg(base, size uint64) Range { return Range{Base: base, Size: size} }

func TestReservedConflicts(t *testing.T) {
	res := []Range{rg(0, 0x1000), rg(0x2eff_0000, 0x8000), rg(0x3000_0000, 0x1000)}
	used := rg(0x81000, 0x3b40_0000-0x81000)
	got := ReservedConflicts(res, used, rg(0x2eff_0000, 0x10000))
	if !reflect.DeepEqual(got, []Range{rg(0x3000_0000, 0x1000)}) {
		t.Errorf("conflicts %#x", got)
	}
	if got := ReservedConflicts(res[:1], used, Range{}); got != nil {
		t.Errorf("page 0 conflicts with %#x", got)
	}
}

// What boot's early reader sees on the 8 GiB Pi's device tree: every
// memory range, and no reservation in the range above 1 GiB, which is
// the stretch boot.planRAM gives the heap (3008 MiB, larger than the
// first range's 948 MiB).
func TestFirmware8GEarlyMemory(t *testing.T) {
	b, err := os.ReadFile("testdata/rpi4-8g-firmware.dtb")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]uint64, (len(b)+7)/8) // 8-aligned, as the loader leaves it
	p := unsafe.Pointer(&buf[0])
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	var got []Range
	for n := 0; ; n++ {
		base, size, ok := devicetree.EarlyMemoryN(p, n)
		if !ok {
			break
		}
		got = append(got, rg(base, size))
	}
	want := []Range{rg(0, 0x3b40_0000), rg(0x4000_0000, 0xbc00_0000), rg(0x1_0000_0000, 0x8000_0000), rg(0x1_8000_0000, 0x8000_0000)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EarlyMemoryN: %#x, want %#x", got, want)
	}
	if f, e, ok := devicetree.EarlyReservedFloor(p, 0x4000_0000, 0xfc00_0000, 0, 0); !ok || f != 0xfc00_0000 || e != 0xfc00_0000 {
		t.Errorf("reservations above 1 GiB: floor %#x, end %#x, %v; want none", f, e, ok)
	}
	if f, e, ok := devicetree.EarlyReservedFloor(p, 0, 0x3b40_0000, 0, 0); !ok || f != 0 || e != 0x1000 {
		t.Errorf("the first range: floor %#x, end %#x, %v; want the spin tables' page [0, 0x1000)", f, e, ok)
	}
}
