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
	// ReservedCut is RAM given up at the top of the image's range because
	// the device tree reserves a region there (0 if none).
	ReservedCut uint64
	// GoBase and GoEnd bound the runtime's memory (goos.RamStart and
	// RamSize; below 4 GiB, see heapLimit): from the image's range's base,
	// or, if a larger stretch of RAM lies elsewhere, that stretch, which
	// then holds the heap.
	GoBase, GoEnd uint64
	UART          uint64 // console found in the device tree
	TablesUsed    uint64 // bytes of translation tables
	TTBR0         uint64
}

var info Info

// BootInfo reports what boot found.
func BootInfo() Info { return info }

// DTBAddr is BootInfo().DTB and UARTBase BootInfo().UART, for hwinit0,
// whose nosplit frame has no room for a copy of Info.
//
//go:nosplit
func DTBAddr() uintptr { return info.DTB }

//go:nosplit
func UARTBase() uint64 { return info.UART }

var console pl011.UART

// fail reports a boot failure on the console and stops the machine (an
// empty msg ends a message already written).
//
//go:nosplit
func fail(msg string) {
	if msg != "" {
		console.WriteString("yolk: boot failed: ")
		console.WriteString(msg)
	}
	console.WriteString("\n")
	semihosting.Exit(70)
	for {
	}
}

// failNoDTB says where boot looked for the device tree and what it found
// there, and stops: x0 (what the loader passed) and the board's fallback
// address, with the room below the image when the fallback lies there (a
// loader that places the blob there, as QEMU does for an ELF image, skips
// one that does not fit).
//
//go:nosplit
//go:noinline
func failNoDTB(cfg *Config, x0 uintptr) {
	console.WriteString("yolk: boot failed: no device tree: x0 ")
	console.WriteHex(uint64(x0))
	if x0 != 0 {
		console.WriteString(": ")
		console.WriteString(devicetree.EarlyProblem(unsafe.Pointer(x0)))
	}
	if fb := cfg.FallbackDTB; fb != 0 {
		console.WriteString("; the board's fallback address ")
		console.WriteHex(fb)
		console.WriteString(": ")
		console.WriteString(devicetree.EarlyProblem(unsafe.Pointer(uintptr(fb))))
		if text, _, _, _ := imageLayout(); uint64(text) > fb {
			console.WriteString(" (QEMU puts a -dtb there only if it fits in the ")
			console.WriteDec((uint64(text) - fb) >> 10)
			console.WriteString(" KiB below the image, at twice the file's size plus 10000 bytes; dtc -I dtb -O dtb compacts a padded file)")
		}
	} else {
		console.WriteString(" (the board has no fallback address)")
	}
	fail("")
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
		x0 := dtb
		dtb = uintptr(cfg.FallbackDTB)
		if dtb == 0 || !devicetree.EarlyValid(unsafe.Pointer(dtb)) {
			failNoDTB(cfg, x0)
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
	plan = bootPlan{cfg: cfg, dtb: dtb, base: base, size: size,
		text: uint64(text), rodata: uint64(rodata), data: uint64(data), end: uint64(end)}
}

// bootPlan carries what early found to the steps entry_arm64.s calls after
// it (planRAM, earlyTables): each is its own call from assembly, so that
// the linker's bound on nosplit call chains holds for each.
type bootPlan struct {
	cfg                     *Config
	dtb                     uintptr
	base, size              uint64 // the device tree's first memory range
	text, rodata, data, end uint64 // the image's segments
	imageRAMEnd             uint64 // RAM mapped after the image ends here
}

var plan bootPlan

// earlyTables builds the translation tables for the memory planRAM chose
// and the devices, and sets up the exception stacks.
//
//go:nosplit
func earlyTables() {
	cfg, base := plan.cfg, plan.base
	text, rodata, data := plan.text, plan.rodata, plan.data
	goBase, ramEnd := info.GoBase, info.GoEnd
	excBase := uintptr(ramEnd - topReserve)

	pool := uintptr(ramEnd - tablePool)
	var t mmu.Tables
	ok := t.Init(pool, tablePool)
	for i := 0; ok && i < len(cfg.Devices); i++ {
		if w := cfg.Devices[i]; w.Size != 0 {
			ok = t.Map(w.Base, w.Size, mmu.Device)
		}
	}
	ok = ok &&
		t.Map(base, text-base, mmu.ReadWrite) &&
		t.Map(text, rodata-text, mmu.Code) &&
		t.Map(rodata, data-rodata, mmu.ReadOnly) &&
		t.Map(data, plan.imageRAMEnd-data, mmu.ReadWrite)
	if ok && goBase != base {
		ok = t.Map(goBase, ramEnd-goBase, mmu.ReadWrite)
	}
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

// planRAM decides the runtime's memory, in info.GoBase/GoEnd and the
// goos variables: what follows the image in its range, up to the first
// reservation, unless a larger stretch of RAM lies elsewhere (the Pi 4's
// RAM above 1 GiB, or above a reservation); the heap then starts there
// (goos.Bloc), with the stacks and tables at its top.
//
//go:nosplit
func planRAM() {
	cfg, dtb, base, size, text, end := plan.cfg, plan.dtb, plan.base, plan.size, plan.text, plan.end
	n, _ := devicetree.EarlyTotalSize(unsafe.Pointer(dtb))
	dtbLo = uint64(dtb) &^ (mmu.PageSize - 1)
	dtbHi = (uint64(dtb) + uint64(n) + mmu.PageSize - 1) &^ (mmu.PageSize - 1)
	ramEnd := limitByReservations(cfg, dtb, text, end, base+size)
	if text < base || end+topReserve+1<<20 > ramEnd {
		fail("the image does not fit in the RAM the device tree describes")
	}
	if ramEnd > heapLimit {
		fail("RAM extends above 4 GiB, which GOOS=tamago's 32-bit heap addresses cannot reach: give QEMU at most 3G (-m 3G)")
	}
	plan.imageRAMEnd = ramEnd
	goBase := base
	if lo, hi := largerStretch(cfg, dtb, base, ramEnd, ramEnd-end); hi != 0 {
		goBase, ramEnd = lo, hi
		goos.Bloc = uintptr(lo)
	}
	info.GoBase, info.GoEnd = goBase, ramEnd
	goos.RamStart = uint(goBase)
	goos.RamSize = uint(ramEnd - goBase)
	goos.RamStackOffset = topReserve
}

// limitByReservations returns where the runtime's RAM must end: at
// ramEnd, or below the first region above the image that the device tree
// reserves (the runtime's heap is one contiguous range, so memory above a
// reservation is given up). A reservation overlapping the image stops the
// boot.
//
//go:nosplit
//go:noinline
func limitByReservations(cfg *Config, dtb uintptr, text, end, ramEnd uint64) uint64 {
	floor, _ := reservedFloor(cfg, dtb, text, ramEnd)
	if floor < end {
		fail("the device tree reserves memory inside the loaded image")
	}
	if floor < ramEnd {
		info.ReservedCut = ramEnd - floor&^(mmu.PageSize-1)
	}
	return floor &^ (mmu.PageSize - 1)
}

// reservedFloor is devicetree.EarlyReservedFloor over [lo, hi) with the
// device tree's own pages counted as reserved, unless the board copies
// the blob before the runtime allocates (Config.CopiesDTB).
//
//go:nosplit
//go:noinline
func reservedFloor(cfg *Config, dtb uintptr, lo, hi uint64) (floor, end uint64) {
	var skipLo, skipHi uint64
	if cfg.CopiesDTB {
		skipLo, skipHi = dtbLo, dtbHi
	}
	floor, end, ok := devicetree.EarlyReservedFloor(unsafe.Pointer(dtb), lo, hi, skipLo, skipHi)
	if !ok {
		fail("the device tree's memory reservations are malformed")
	}
	if !cfg.CopiesDTB && dtbHi > lo && dtbLo < hi {
		switch start := max(dtbLo, lo); {
		case start < floor:
			floor, end = start, dtbHi
		case start == floor:
			end = max(end, dtbHi)
		}
	}
	return floor, end
}

// dtbLo and dtbHi bound the device tree's pages (set by planRAM).
var dtbLo, dtbHi uint64

// Bounds on largerStretch's search (it runs before the runtime, on the
// boot stack).
const (
	maxRAMRanges = 8
	maxStretches = 16
)

// largerStretch returns the largest stretch of RAM below 4 GiB that is
// larger than have bytes and that no reservation touches, outside the
// image's stretch (which ends at imageEnd, in the memory range starting
// at imageBase): every memory range the device tree lists, split at its
// reservations. hi is 0 if there is none.
//
//go:nosplit
//go:noinline
func largerStretch(cfg *Config, dtb uintptr, imageBase, imageEnd, have uint64) (lo, hi uint64) {
	const page = mmu.PageSize
	best := have
	for i := 0; i < maxRAMRanges; i++ {
		b, s, ok := devicetree.EarlyMemoryN(unsafe.Pointer(dtb), i)
		if !ok {
			break
		}
		from := (b + page - 1) &^ (page - 1)
		to := min(b+s, heapLimit) &^ (page - 1)
		if b+s < b {
			continue // wraps around
		}
		if b == imageBase {
			from = imageEnd // above the image's stretch only
		}
		for k := 0; k < maxStretches && from < to; k++ {
			floor, end := reservedFloor(cfg, dtb, from, to)
			if f := floor &^ (page - 1); f > from && f-from > best {
				best, lo, hi = f-from, from, f
			}
			from = (end + page - 1) &^ (page - 1)
		}
	}
	return lo, hi
}

// MillisSinceReset is the time from the first instruction to now, in ms
// (the banner's boot-to-main when called from a package initialiser).
func MillisSinceReset() float64 {
	return float64(timer.CountsToNanos(cpu.Counter()-info.ResetCount)) / 1e6
}
