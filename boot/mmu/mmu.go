// Package mmu builds yolk's stage 1 translation tables: an identity map
// with a 4 KiB granule and a 39-bit address space (three levels, starting
// at level 1), ARM ARM D8.2 "Translation tables and the translation
// process" and D8.3 "Translation table descriptor formats".
//
// The builder runs before the Go runtime exists, with the MMU off, so every
// function is nosplit, allocates nothing and touches memory only with
// aligned 64-bit stores. Tables come from a pool of pages the caller owns.
// The same code runs on the host in tests, over a pool in Go memory.
package mmu

import "unsafe"

// Kind says how a range of addresses may be used.
type Kind uint8

const (
	// Device is MMIO: Device-nGnRE, never executable.
	Device Kind = iota + 1
	// Code is normal memory, read-only and executable.
	Code
	// ReadOnly is normal memory, read-only, never executable.
	ReadOnly
	// ReadWrite is normal memory, read-write, never executable.
	ReadWrite
)

// MAIR is the MAIR_EL1 value the descriptors index (D19.2.97 MAIR_EL1):
// attribute 0 Device-nGnRE, 1 Normal write-back read/write-allocate,
// 2 Normal non-cacheable.
const MAIR = 0x04 | 0xff<<8 | 0x44<<16

const (
	attrDevice = 0 << 2
	attrNormal = 1 << 2

	apReadOnly   = 2 << 6 // AP[2:1] = 0b10: read-only at EL1, no EL0 access
	shInner      = 3 << 8 // inner shareable
	accessFlag   = 1 << 10
	privNoExec   = 1 << 53 // PXN
	unprivNoExec = 1 << 54 // UXN

	validBlock = 0b01 // level 1 and 2 block
	validTable = 0b11 // table at level 1 and 2, page at level 3

	addrMask = 0x0000_ffff_ffff_f000
)

// Sizes mapped by one entry at each level.
const (
	PageSize  = 1 << 12
	L2Block   = 1 << 21
	L1Block   = 1 << 30
	AddrLimit = 1 << 39 // the address space TCR_EL1.T0SZ = 25 gives
)

// Attributes returns the lower and upper descriptor attributes for k.
//
//go:nosplit
func Attributes(k Kind) uint64 {
	switch k {
	case Device:
		return attrDevice | accessFlag | privNoExec | unprivNoExec
	case Code:
		return attrNormal | apReadOnly | shInner | accessFlag | unprivNoExec
	case ReadOnly:
		return attrNormal | apReadOnly | shInner | accessFlag | privNoExec | unprivNoExec
	case ReadWrite:
		return attrNormal | shInner | accessFlag | privNoExec | unprivNoExec
	}
	return 0
}

// Tables is a set of translation tables being built in a page pool.
type Tables struct {
	next, end uintptr // unused part of the pool
	root      uintptr // level 1 table
}

//go:nosplit
func load(a uintptr) uint64 { return *(*uint64)(unsafe.Pointer(a)) }

//go:nosplit
func store(a uintptr, v uint64) { *(*uint64)(unsafe.Pointer(a)) = v }

// Init prepares t to allocate tables from the page-aligned pool
// [pool, pool+size) and allocates the root table.
//
//go:nosplit
func (t *Tables) Init(pool, size uintptr) bool {
	if pool%PageSize != 0 || size < PageSize {
		return false
	}
	t.next, t.end = pool, pool+size
	t.root = t.alloc()
	return t.root != 0
}

// Root is the TTBR0_EL1 value.
//
//go:nosplit
func (t *Tables) Root() uint64 { return uint64(t.root) }

// Used is the number of pool bytes the tables occupy.
//
//go:nosplit
func (t *Tables) Used() uintptr { return t.next - t.root }

//go:nosplit
func (t *Tables) alloc() uintptr {
	if t.end-t.next < PageSize {
		return 0
	}
	p := t.next
	t.next += PageSize
	// A plain store loop: the runtime's memclr may use DC ZVA, which
	// faults on Device memory (all memory is Device while the MMU is off).
	for off := uintptr(0); off < PageSize; off += 8 {
		store(p+off, 0)
	}
	return p
}

// child returns the table an entry points to, creating it if the entry is
// invalid; 0 if the entry is a block or the pool is empty.
//
//go:nosplit
func (t *Tables) child(entry uintptr) uintptr {
	d := load(entry)
	if d&1 == 0 {
		c := t.alloc()
		if c != 0 {
			store(entry, uint64(c)|validTable)
		}
		return c
	}
	if d&0b11 != validTable {
		return 0
	}
	return uintptr(d & addrMask)
}

//go:nosplit
func index(a uint64, shift uint) uintptr { return uintptr(a>>shift&511) * 8 }

// Map identity-maps [base, base+size) as k, with the largest blocks that
// fit. Page 0 is never mapped, so NULL dereferences fault. Ranges must be
// page aligned and must not overlap what is already mapped.
//
//go:nosplit
func (t *Tables) Map(base, size uint64, k Kind) bool {
	attrs := Attributes(k)
	end := base + size
	if attrs == 0 || base%PageSize != 0 || size%PageSize != 0 || end < base || end > AddrLimit {
		return false
	}
	if base < PageSize {
		base = PageSize
	}
	for a := base; a < end; {
		// Walk down from level 1 to the first level whose entry covers
		// an aligned part of the range (a block), or to a level 3 page.
		table := t.root
		for level := 1; ; level++ {
			shift := 39 - 9*uint(level)
			size := uint64(1) << shift
			e := table + index(a, shift)
			if level == 3 || (a%size == 0 && end-a >= size) {
				if load(e)&1 != 0 {
					return false
				}
				leaf := uint64(validBlock)
				if level == 3 {
					leaf = validTable // a page descriptor
				}
				store(e, a|attrs|leaf)
				a += size
				break
			}
			if table = t.child(e); table == 0 {
				return false
			}
		}
	}
	return true
}

// Lookup walks the tables for address a and returns the descriptor that
// maps it and its level, or ok=false if a is not mapped.
//
//go:nosplit
func (t *Tables) Lookup(a uint64) (desc uint64, level int, ok bool) {
	return Walk(t.root, a)
}

// Walk is Lookup over the tables rooted at root (a TTBR0_EL1 value).
//
//go:nosplit
func Walk(root uintptr, a uint64) (desc uint64, level int, ok bool) {
	if a >= AddrLimit || root == 0 {
		return 0, 0, false
	}
	table := root
	for level = 1; level <= 3; level++ {
		desc = load(table + index(a, 39-9*uint(level)))
		switch {
		case desc&1 == 0:
			return desc, level, false
		case level == 3 || desc&0b11 == validBlock:
			return desc, level, true
		}
		table = uintptr(desc & addrMask)
	}
	return 0, 0, false
}

// KindOf decodes the Kind of a leaf descriptor (0 if unknown).
//
//go:nosplit
func KindOf(desc uint64) Kind {
	for k := Device; k <= ReadWrite; k++ {
		a := Attributes(k)
		if desc&a == a && desc&(apReadOnly|privNoExec|7<<2) == a&(apReadOnly|privNoExec|7<<2) {
			return k
		}
	}
	return 0
}
