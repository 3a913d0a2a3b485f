//go:build tamago

package boot

import (
	"runtime/goos"
	"unsafe"

	"github.com/yolkos/yolk/boot/mmu"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/drivers/pl011"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/semihosting"
	"github.com/yolkos/yolk/kernel/timer"
)

const (
	earlyStackSize = 8 << 10

	// The top of RAM holds the translation tables and, below them, the
	// exception stacks of every possible core; the runtime's stack
	// (goos.RamStackOffset) starts below both. Carving them from RAM
	// rather than .bss means they need no clearing at boot.
	tablePool  = 64 * mmu.PageSize
	excStacks  = exception.MaxCores * exception.StackSize
	topReserve = tablePool + excStacks

	// heapLimit: on tamago the runtime's heap addresses are 32 bits wide
	// (heapAddrBits in runtime/malloc.go), so RAM above 4 GiB is unusable.
	heapLimit = 1 << 32

	mair = mmu.MAIR
)

// Offsets into handoff, for entry_arm64.s.
const (
	hoTTBR0 = iota * 8
	hoStackTop
	hoExcStack
	hoPoolBase
	hoPoolEnd
	hoExcBase
)

// For entry_arm64.s.
const (
	excStackShift = exception.StackShift
	handlerGShift = exception.HandlerGShift
)

// handoff is what early leaves for the assembly that follows it.
var handoff struct {
	ttbr0, stackTop, excStack, poolBase, poolEnd, excBase uint64
}

var earlyStack [earlyStackSize / 8]uint64

// Info is what boot found.
type Info struct {
	DTB        uintptr // device tree blob in memory
	EntryEL    int     // exception level the loader entered us at
	ResetCount uint64  // generic counter value at the first instruction
	RAMBase    uint64  // RAM as the device tree describes it
	RAMSize    uint64
	UsableRAM  uint64 // what the runtime got (see heapLimit)
	// ReservedCut is RAM given up at the top of the range because the
	// device tree reserves a region there (0 if none).
	ReservedCut uint64
	UART        uint64 // console found in the device tree
	TablesUsed  uint64 // bytes of translation tables
	TTBR0       uint64
}

var info Info

// BootInfo reports what boot found.
func BootInfo() Info { return info }

var console pl011.UART

// fail reports a boot failure on the console and stops the machine.
//
//go:nosplit
func fail(msg string) {
	console.WriteString("yolk: boot failed: ")
	console.WriteString(msg)
	console.WriteString("\n")
	semihosting.Exit(70)
	for {
	}
}

// Image layout from the linker (entry_arm64.s would be the other place;
// these are linker-defined symbols the runtime also uses).
func imageLayout() (text, rodata, data, end uintptr)

// early finds the device tree and RAM, sizes the runtime's memory and
// builds the translation tables. It runs on the boot core with the MMU off
// and no Go runtime: nosplit, no heap, aligned accesses only.
//
//go:nosplit
func early(cfg *Config, dtb uintptr, resetCount uint64, el uint64) {
	console.Base = uintptr(cfg.UART)
	info.EntryEL = int(el)
	info.ResetCount = resetCount
	if el != 1 && el != 2 {
		fail("entered at an exception level other than EL1 or EL2")
	}

	if dtb == 0 || !devicetree.EarlyValid(unsafe.Pointer(dtb)) {
		dtb = uintptr(cfg.FallbackDTB)
		if dtb == 0 || !devicetree.EarlyValid(unsafe.Pointer(dtb)) {
			fail("no device tree (neither in x0 nor at the board's fallback address)")
		}
	}
	info.DTB = dtb
	if uart, ok := devicetree.EarlyCompatibleReg(unsafe.Pointer(dtb), "arm,pl011"); ok {
		console.Base = uintptr(uart)
		info.UART = uart
	}

	base, size, ok := devicetree.EarlyMemory(unsafe.Pointer(dtb))
	if !ok || size == 0 {
		fail("the device tree describes no memory")
	}
	info.RAMBase, info.RAMSize = base, size
	text, rodata, data, end := imageLayout()
	data &^= mmu.PageSize - 1 // the segment starts with .go.buildinfo
	if text%mmu.PageSize != 0 || rodata%mmu.PageSize != 0 || !(text < rodata && rodata <= data) {
		fail("the image's segments are not page aligned (link with -R 0x1000)")
	}
	ramEnd := limitByReservations(cfg, dtb, uint64(text), uint64(end), base+size)
	if uint64(text) < base || uint64(end)+topReserve+1<<20 > ramEnd {
		fail("the image does not fit in the RAM the device tree describes")
	}
	if ramEnd > heapLimit {
		fail("RAM extends above 4 GiB, which GOOS=tamago's 32-bit heap addresses cannot reach: give QEMU at most 3G (-m 3G)")
	}
	info.UsableRAM = ramEnd - base
	goos.RamStart = uint(base)
	goos.RamSize = uint(ramEnd - base)
	goos.RamStackOffset = topReserve
	excBase := uintptr(ramEnd - topReserve)

	pool := uintptr(ramEnd - tablePool)
	var t mmu.Tables
	ok = t.Init(pool, tablePool)
	for i := 0; ok && i < len(cfg.Devices); i++ {
		if w := cfg.Devices[i]; w.Size != 0 {
			ok = t.Map(w.Base, w.Size, mmu.Device)
		}
	}
	ok = ok &&
		t.Map(base, uint64(text)-base, mmu.ReadWrite) &&
		t.Map(uint64(text), uint64(rodata-text), mmu.Code) &&
		t.Map(uint64(rodata), uint64(data-rodata), mmu.ReadOnly) &&
		t.Map(uint64(data), ramEnd-uint64(data), mmu.ReadWrite)
	if !ok {
		fail("cannot build the translation tables (overlapping or unaligned regions, or the pool is full)")
	}
	info.TablesUsed = uint64(t.Used())
	info.TTBR0 = t.Root()

	timer.SetFrequency(cpu.CounterFreq())
	handoff.ttbr0 = t.Root()
	handoff.poolBase, handoff.poolEnd = uint64(pool), ramEnd
	handoff.stackTop = ramEnd - topReserve
	handoff.excBase = uint64(excBase)
	for core := 0; core < exception.MaxCores; core++ {
		exception.InitCore(core, excBase+uintptr(core)*exception.StackSize)
	}
	handoff.excStack = uint64(exception.StackTop(0))
}

// limitByReservations returns where the runtime's RAM must end: at
// ramEnd, or below the first region above the image that the device tree
// reserves (the runtime's heap is one contiguous range, so memory above a
// reservation is given up). A reservation overlapping the image stops the
// boot.
//
//go:nosplit
func limitByReservations(cfg *Config, dtb uintptr, text, end, ramEnd uint64) uint64 {
	var skipLo, skipHi uint64
	if cfg.CopiesDTB {
		n, _ := devicetree.EarlyTotalSize(unsafe.Pointer(dtb))
		skipLo = uint64(dtb) &^ (mmu.PageSize - 1)
		skipHi = (uint64(dtb) + uint64(n) + mmu.PageSize - 1) &^ (mmu.PageSize - 1)
	}
	floor, ok := devicetree.EarlyReservedFloor(unsafe.Pointer(dtb), text, ramEnd, skipLo, skipHi)
	if !ok {
		fail("the device tree's memory reservations are malformed")
	}
	if floor < end {
		fail("the device tree reserves memory inside the loaded image")
	}
	if floor < ramEnd {
		info.ReservedCut = ramEnd - floor&^(mmu.PageSize-1)
	}
	return floor &^ (mmu.PageSize - 1)
}

// MillisSinceReset is the time from the first instruction to now, in ms
// (the banner's boot-to-main when called from a package initialiser).
func MillisSinceReset() float64 {
	return float64(timer.CountsToNanos(cpu.Counter()-info.ResetCount)) / 1e6
}
