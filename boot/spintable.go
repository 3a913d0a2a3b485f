//go:build tamago

package boot

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/yolkos/yolk/boot/mmu"
	"github.com/yolkos/yolk/kernel/exception"
)

// SpinTable starts cores by the device tree's "spin-table" enable method
// (Devicetree Specification 3.8.1; the Raspberry Pi firmware's armstub
// and QEMU's raspi boot code): each secondary core waits in a WFE loop,
// with its MMU off, until its cpu-release-addr holds a non-zero address,
// then jumps there.
//
// Start writes the address of the core's own trampoline
// (spintable_arm64.s), which supplies the core index that PSCI passes in
// x0, cleans the line to the point of coherency and sends an event.
//
// Release addresses usually lie in page 0 (0xd8..0xf0 on the Pi 4),
// which yolk never maps. Start reaches them through an alias: a Device
// mapping of the page at a high virtual address (the last GiB of the
// 39-bit space), made in tables taken from the rest of boot's table pool
// and cleaned to the point of coherency before any core is released. The
// alias stays: it covers only the pages holding release addresses.
type SpinTable struct {
	// ReleaseAddr maps a core's MPIDR affinity (the reg of its cpu node)
	// to its cpu-release-addr.
	ReleaseAddr map[uint64]uint64
}

const (
	aliasSlot = 511 // level 1 index of the alias window
	aliasBase = aliasSlot * mmu.L1Block
)

var spinMu sync.Mutex

var (
	poolNext    uintptr // next free page of the table pool, 0 until first use
	aliasRegion uint64  // physical GiB the alias window maps, once set
	aliasUsed   bool
)

// spinEntryPC returns the address of core's trampoline (spintable_arm64.s).
func spinEntryPC(core int) uintptr

func publishRelease(va uintptr, entry uint64)

func cleanLines(start, end uintptr)

// Start releases core (its yolk index) with MPIDR affinity mpidr.
func (s SpinTable) Start(core int, mpidr uint64) error {
	addr, ok := s.ReleaseAddr[mpidr]
	if !ok {
		return fmt.Errorf("spin table: no cpu-release-addr for mpidr %#x", mpidr)
	}
	if addr == 0 || addr%8 != 0 || addr >= mmu.AddrLimit {
		return fmt.Errorf("spin table: cpu-release-addr %#x of mpidr %#x is not an aligned address below %#x", addr, mpidr, uint64(mmu.AddrLimit))
	}
	if core <= 0 || core >= exception.MaxCores {
		return fmt.Errorf("spin table: core index %d out of range", core)
	}
	spinMu.Lock()
	defer spinMu.Unlock()
	va, err := releaseAlias(addr)
	if err != nil {
		return err
	}
	publishRelease(va, uint64(spinEntryPC(core)))
	return nil
}

// SpinEntry is the address a spin-table core with the given index is
// released to (for tests and diagnostics).
func SpinEntry(core int) uintptr {
	if core < 0 || core >= exception.MaxCores {
		return 0
	}
	return spinEntryPC(core)
}

func loadDesc(a uintptr) uint64     { return *(*uint64)(unsafe.Pointer(a)) }
func storeDesc(a uintptr, v uint64) { *(*uint64)(unsafe.Pointer(a)) = v }

// allocTable takes a zeroed page from the table pool above what early
// used.
func allocTable() (uintptr, error) {
	if poolNext == 0 {
		poolNext = uintptr(handoff.poolBase) + uintptr(info.TablesUsed)
	}
	if poolNext+mmu.PageSize > uintptr(handoff.poolEnd) {
		return 0, fmt.Errorf("spin table: boot's translation table pool is full")
	}
	p := poolNext
	poolNext += mmu.PageSize
	for off := uintptr(0); off < mmu.PageSize; off += 8 {
		storeDesc(p+off, 0)
	}
	return p, nil
}

// child returns the next-level table an entry points to, creating it.
func child(entry uintptr) (uintptr, error) {
	d := loadDesc(entry)
	if d&1 == 0 {
		t, err := allocTable()
		if err != nil {
			return 0, err
		}
		cleanLines(t, t+mmu.PageSize)
		storeDesc(entry, uint64(t)|0b11)
		cleanLines(entry, entry+8)
		return t, nil
	}
	if d&0b11 != 0b11 {
		return 0, fmt.Errorf("spin table: the alias window at %#x is already mapped", uint64(aliasBase))
	}
	return uintptr(d & 0x0000_ffff_ffff_f000), nil
}

// releaseAlias returns a virtual address at which the 8 bytes at physical
// address addr are mapped as Device memory, mapping the page if needed.
func releaseAlias(addr uint64) (uintptr, error) {
	region := addr &^ (mmu.L1Block - 1)
	if aliasUsed && region != aliasRegion {
		return 0, fmt.Errorf("spin table: release addresses %#x and %#x lie in different GiBs", aliasRegion, addr)
	}
	root := uintptr(info.TTBR0)
	if root == 0 {
		return 0, fmt.Errorf("spin table: no translation tables")
	}
	l2, err := child(root + aliasSlot*8)
	if err != nil {
		return 0, err
	}
	aliasRegion, aliasUsed = region, true
	l3, err := child(l2 + uintptr(addr>>21&511)*8)
	if err != nil {
		return 0, err
	}
	pte := l3 + uintptr(addr>>12&511)*8
	page := addr &^ (mmu.PageSize - 1)
	want := page | mmu.Attributes(mmu.Device) | 0b11
	if d := loadDesc(pte); d&1 == 0 {
		storeDesc(pte, want)
		cleanLines(pte, pte+8)
	} else if d != want {
		return 0, fmt.Errorf("spin table: alias page for %#x holds %#x", addr, d)
	}
	return uintptr(aliasBase + addr - region), nil
}
