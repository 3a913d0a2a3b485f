package devicetree

import (
	"math/bits"
	"unsafe"
)

// The early reader runs before the Go runtime exists: no stack growth (every
// function is nosplit), no heap, no panics (no bounds, nil or divide checks
// that could fire: every offset is checked explicitly against the header's
// block limits), and, because the MMU is off and all memory is Device type,
// no unaligned access. It reads the blob only with aligned 32-bit loads;
// bytes are extracted from the aligned word that holds them. That word may
// extend up to 3 bytes past totalsize when totalsize is not a multiple of 4,
// so the caller must be able to read up to totalsize rounded up to 4, which
// an aligned word never crossing a page guarantees.
//
// It scans instead of validating: on a blob that Parse accepts, it gives the
// same answers as the full parser (the tests check this); on a malformed one
// it returns ok=false or some value, but never faults or loops.
//
// There is no limit on the blob's size (the specification sets none, and
// loaders pad: QEMU hands over its -dtb file with room to spare, twice its
// size plus 10000 bytes, and the Raspberry Pi firmware leaves room for
// overlays). Whatever totalsize says, the reader touches only the header,
// the memory reservation block up to its terminator, and the structure and
// strings blocks, which the header places inside totalsize.

// word loads the big-endian 32-bit word at off, which must be 4-aligned. A
// single aligned load followed by a byte swap (the CPU is little-endian).
//
//go:nosplit
func word(blob unsafe.Pointer, off uint) uint32 {
	return bits.ReverseBytes32(*(*uint32)(unsafe.Add(blob, off)))
}

// byteAt returns the byte at off, read through the aligned word holding it.
//
//go:nosplit
func byteAt(blob unsafe.Pointer, off uint) byte {
	return byte(word(blob, off&^3) >> (24 - 8*(off&3)))
}

// earlyHeader holds the validated block limits, as offsets into the blob.
type earlyHeader struct {
	size                 uint // totalsize
	structOff, structEnd uint
	strOff, strEnd       uint
}

// earlyHeaderOf checks the header (5.2) with the same rules as parseHeader,
// plus alignment of the blob (5.6 asks for 8; 4 is what the loads need).
// Fields past totalsize are never read. Offsets are 32-bit numbers held in
// 64-bit uints, so no sum of two of them wraps.
//
//go:nosplit
func earlyHeaderOf(blob unsafe.Pointer) (h earlyHeader, ok bool) {
	h, problem := earlyHeaderCheck(blob)
	return h, problem == ""
}

// earlyHeaderCheck is earlyHeaderOf, saying what is wrong ("" if nothing).
//
//go:nosplit
func earlyHeaderCheck(blob unsafe.Pointer) (h earlyHeader, problem string) {
	switch {
	case blob == nil:
		return h, "no address"
	case uintptr(blob)&3 != 0:
		return h, "not 4-byte aligned"
	case word(blob, 0) != fdtMagic:
		return h, "no FDT magic (0xd00dfeed) there"
	}
	size := uint(word(blob, 4))
	if size < headerSize {
		return h, "totalsize smaller than the 40-byte header"
	}
	version := word(blob, 20)
	if version < 16 || word(blob, 24) > 17 {
		return h, "version older than 16, or not compatible with 17"
	}
	hdr := uint(headerSize)
	if version == 16 {
		hdr = headerSizeV1
	}
	rsv := uint(word(blob, 16))
	if rsv < hdr || rsv&7 != 0 || rsv+16 > size {
		return h, "memory reservation block misplaced"
	}
	h.structOff = uint(word(blob, 8))
	if h.structOff < hdr || h.structOff&3 != 0 || h.structOff > size {
		return h, "structure block misplaced"
	}
	h.structEnd = size
	if version >= 17 {
		h.structEnd = h.structOff + uint(word(blob, 36))
	}
	h.strOff = uint(word(blob, 12))
	h.strEnd = h.strOff + uint(word(blob, 32))
	if h.structEnd > size || h.strOff < hdr || h.strEnd > size {
		return h, "structure or strings block outside totalsize"
	}
	h.size = size
	return h, ""
}

// EarlyValid reports whether blob points to a plausible DTB: 4-aligned,
// right magic, version >= 16, blocks inside totalsize. It reads at most
// the 40-byte header.
//
//go:nosplit
func EarlyValid(blob unsafe.Pointer) bool {
	_, ok := earlyHeaderOf(blob)
	return ok
}

// EarlyProblem says why EarlyValid is false for blob, in a few words
// (a constant: no allocation), or "" if it is true.
//
//go:nosplit
func EarlyProblem(blob unsafe.Pointer) string {
	_, problem := earlyHeaderCheck(blob)
	return problem
}

// EarlyUsedSize returns how many bytes from the blob's start hold
// something: the header, the memory reservation block to its terminator,
// the structure and strings blocks. Past that is padding (totalsize
// includes it). ok is false if the blob is not valid or its reservation
// block has no terminator inside totalsize. A copy of the first used
// bytes, with totalsize set to used, is the same tree.
//
//go:nosplit
func EarlyUsedSize(blob unsafe.Pointer) (used uint, ok bool) {
	h, ok := earlyHeaderOf(blob)
	if !ok {
		return 0, false
	}
	used = max(h.structEnd, h.strEnd, headerSize)
	for off := uint(word(blob, 16)); ; off += 16 {
		if off+16 > h.size {
			return 0, false
		}
		if earlyNumber(blob, off, 2) == 0 && earlyNumber(blob, off+8, 2) == 0 {
			return max(used, off+16), true
		}
	}
}

// EarlyTotalSize returns the blob's totalsize if EarlyValid holds.
//
//go:nosplit
func EarlyTotalSize(blob unsafe.Pointer) (size uint, ok bool) {
	h, ok := earlyHeaderOf(blob)
	return h.size, ok
}

// earlyNext decodes the structure block token at off (5.4.1) and returns it
// with the offset of the next token; for FDT_PROP also the value's offset and
// length and the name's offset in the strings block. Each token moves on by
// at least 4 bytes, which bounds every scan loop by the block size.
//
//go:nosplit
func earlyNext(blob unsafe.Pointer, h *earlyHeader, off uint) (tok uint32, next, val, vlen, name uint, ok bool) {
	if off+4 > h.structEnd {
		return
	}
	tok = word(blob, off)
	off += 4
	switch tok {
	case tokBeginNode:
		for ; ; off++ { // the name, NUL-terminated, then padding
			if off >= h.structEnd {
				return
			}
			if byteAt(blob, off) == 0 {
				break
			}
		}
		next = (off + 4) &^ 3
	case tokProp:
		if off+8 > h.structEnd {
			return
		}
		vlen, name, val = uint(word(blob, off)), uint(word(blob, off+4)), off+8
		if vlen > h.structEnd-val {
			return
		}
		next = (val + vlen + 3) &^ 3
	case tokEndNode, tokNop, tokEnd:
		next = off
	default:
		return
	}
	return tok, next, val, vlen, name, true
}

// earlyNameIs reports whether the strings block entry at nameoff is s.
//
//go:nosplit
func earlyNameIs(blob unsafe.Pointer, h *earlyHeader, nameoff uint, s string) bool {
	p := h.strOff + nameoff
	for i := 0; i < len(s); i++ {
		// Byte loads from s are naturally aligned.
		if p >= h.strEnd || byteAt(blob, p) != s[i] {
			return false
		}
		p++
	}
	return p < h.strEnd && byteAt(blob, p) == 0
}

// earlyFirstStringIs mirrors Node.String: the value is NUL-terminated and
// its first string is s.
//
//go:nosplit
func earlyFirstStringIs(blob unsafe.Pointer, val, vlen uint, s string) bool {
	if vlen <= uint(len(s)) || byteAt(blob, val+vlen-1) != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if byteAt(blob, val+uint(i)) != s[i] {
			return false
		}
	}
	return byteAt(blob, val+uint(len(s))) == 0
}

// earlyListHas mirrors Node.IsCompatible: the value is a NUL-terminated
// stringlist and one of its strings is s.
//
//go:nosplit
func earlyListHas(blob unsafe.Pointer, val, vlen uint, s string) bool {
	if vlen == 0 || byteAt(blob, val+vlen-1) != 0 {
		return false
	}
	for i := uint(0); i < vlen; {
		k, match := 0, true
		for ; i < vlen; i++ {
			c := byteAt(blob, val+i)
			if c == 0 {
				break
			}
			if uint(k) < uint(len(s)) && c == s[k] {
				k++
			} else {
				match = false
			}
		}
		i++ // the NUL
		if match && k == len(s) {
			return true
		}
	}
	return false
}

// earlyNode is what the scanner remembers about one node: the first
// occurrence of each property it cares about.
type earlyNode struct {
	reg, regLen       uint
	ranges, rangesLen uint
	ac, sc            uint // #address-cells, #size-cells for its children
	hasReg, hasRanges bool
	seenCompat        bool
	seenAC, seenSC    bool
	seenType          bool
	match             bool // compatible contains the wanted string, or device_type is "memory"
	decided           bool
}

//go:nosplit
func (n *earlyNode) reset() {
	*n = earlyNode{ac: 2, sc: 1} // defaults when absent (2.3.5)
}

// badCells marks a cell-count property that is not 4 bytes long.
const badCells = ^uint(0)

// earlyProp records the property at val if n needs it. With memory set it
// matches device_type "memory", otherwise compatible containing compat.
//
//go:nosplit
func earlyProp(blob unsafe.Pointer, h *earlyHeader, n *earlyNode, name, val, vlen uint, memory bool, compat string) {
	switch {
	case earlyNameIs(blob, h, name, "reg"):
		if !n.hasReg {
			n.hasReg, n.reg, n.regLen = true, val, vlen
		}
	case earlyNameIs(blob, h, name, "ranges"):
		if !n.hasRanges {
			n.hasRanges, n.ranges, n.rangesLen = true, val, vlen
		}
	case earlyNameIs(blob, h, name, "#address-cells"):
		earlyCellsProp(blob, val, vlen, &n.seenAC, &n.ac)
	case earlyNameIs(blob, h, name, "#size-cells"):
		earlyCellsProp(blob, val, vlen, &n.seenSC, &n.sc)
	case memory && earlyNameIs(blob, h, name, "device_type"):
		if !n.seenType {
			n.seenType = true
			n.match = earlyFirstStringIs(blob, val, vlen, "memory")
		}
	case !memory && earlyNameIs(blob, h, name, "compatible"):
		if !n.seenCompat {
			n.seenCompat = true
			n.match = earlyListHas(blob, val, vlen, compat)
		}
	}
}

// earlyCellsProp reads a #address-cells or #size-cells value into *v the
// first time the property appears (*seen): badCells if it is not 4 bytes.
//
//go:nosplit
func earlyCellsProp(blob unsafe.Pointer, val, vlen uint, seen *bool, v *uint) {
	if *seen {
		return
	}
	*seen, *v = true, badCells
	if vlen == 4 {
		*v = uint(word(blob, val))
	}
}

// earlyCellsOK mirrors Node.busCells.
//
//go:nosplit
func earlyCellsOK(ac, sc uint) bool {
	return ac >= 1 && ac <= 2 && sc <= 2
}

// earlyMultiple reports whether n bytes hold a whole number of entries of
// cells 32-bit cells (1 to 6). Constant divisors: no divide check.
//
//go:nosplit
func earlyMultiple(n, cells uint) bool {
	switch cells {
	case 1:
		return n%4 == 0
	case 2:
		return n%8 == 0
	case 3:
		return n%12 == 0
	case 4:
		return n%16 == 0
	case 5:
		return n%20 == 0
	case 6:
		return n%24 == 0
	}
	return false
}

// earlyNumber reads a number of n (0 to 2) cells at off.
//
//go:nosplit
func earlyNumber(blob unsafe.Pointer, off, n uint) uint64 {
	switch n {
	case 1:
		return uint64(word(blob, off))
	case 2:
		return uint64(word(blob, off))<<32 | uint64(word(blob, off+4))
	}
	return 0
}

// earlyTranslate mirrors Node.translate for one range through bus's ranges,
// bus being a child of the root (whose #address-cells is pac).
//
//go:nosplit
func earlyTranslate(blob unsafe.Pointer, bus *earlyNode, pac uint, base, size uint64) (uint64, bool) {
	stride := 4 * (bus.ac + pac + bus.sc)
	if stride == 0 {
		return 0, false
	}
	for off := bus.ranges; off < bus.ranges+bus.rangesLen; off += stride {
		child := earlyNumber(blob, off, bus.ac)
		parent := earlyNumber(blob, off+4*bus.ac, pac)
		wsize := earlyNumber(blob, off+4*(bus.ac+pac), bus.sc)
		if d := base - child; base >= child && d < wsize && size <= wsize-d {
			return parent + d, true
		}
	}
	return 0, false
}

// earlyReg mirrors Node.Reg for a child of the root (bus == nil) or of a
// child of the root (bus != nil): it decodes every reg entry, translating it
// through bus's ranges, and returns the first one.
//
//go:nosplit
func earlyReg(blob unsafe.Pointer, n, root, bus *earlyNode) (base, size uint64, ok bool) {
	if !n.hasReg || n.regLen == 0 {
		return 0, 0, false
	}
	parent := root
	if bus != nil {
		parent = bus
	}
	ac, sc := parent.ac, parent.sc
	if !earlyCellsOK(ac, sc) || !earlyMultiple(n.regLen, ac+sc) {
		return 0, 0, false
	}
	if bus != nil && !bus.hasRanges {
		return 0, 0, false // not mapped into the CPU address space
	}
	if bus != nil && bus.rangesLen != 0 {
		if !earlyCellsOK(root.ac, root.sc) || !earlyMultiple(bus.rangesLen, bus.ac+root.ac+bus.sc) {
			return 0, 0, false
		}
	}
	for off := n.reg; off < n.reg+n.regLen; off += 4 * (ac + sc) {
		b, s := earlyNumber(blob, off, ac), earlyNumber(blob, off+4*ac, sc)
		if bus != nil && bus.rangesLen != 0 {
			if b, ok = earlyTranslate(blob, bus, root.ac, b, s); !ok {
				return 0, 0, false
			}
		}
		if off == n.reg {
			base, size = b, s
		}
	}
	return base, size, true
}

// earlyFind scans the structure block for the first node, in document order,
// that matches (device_type "memory" if memory is set, else compatible
// containing compat) and has a usable reg, and returns its first reg range.
// Memory nodes are looked for among the root's children; compatible nodes
// among its children and grandchildren, translated through one bus.
//
//go:nosplit
func earlyFind(blob unsafe.Pointer, memory bool, compat string, skip int) (base, size uint64, ok bool) {
	h, ok := earlyHeaderOf(blob)
	if !ok {
		return 0, 0, false
	}
	var root, top, sub earlyNode // depth 1, 2 and 3
	depth := 0
	for off := h.structOff; ; {
		tok, next, val, vlen, name, good := earlyNext(blob, &h, off)
		if !good {
			return 0, 0, false
		}
		off = next
		switch tok {
		case tokBeginNode:
			depth++
			switch depth {
			case 1:
				root.reset()
			case 2:
				top.reset()
			case 3:
				// Properties precede subnodes (5.4.2): top is complete,
				// and comes before its children in document order.
				if !top.decided {
					top.decided = true
					if base, size, ok = earlyReg(blob, &top, &root, nil); top.match && ok {
						if skip == 0 {
							return base, size, true
						}
						skip--
					}
				}
				sub.reset()
			}
		case tokProp:
			switch depth {
			case 1:
				earlyProp(blob, &h, &root, name, val, vlen, memory, compat)
			case 2:
				earlyProp(blob, &h, &top, name, val, vlen, memory, compat)
			case 3:
				earlyProp(blob, &h, &sub, name, val, vlen, memory, compat)
			}
		case tokEndNode:
			switch depth {
			case 0:
				return 0, 0, false
			case 2:
				if !top.decided {
					top.decided = true
					if base, size, ok = earlyReg(blob, &top, &root, nil); top.match && ok {
						if skip == 0 {
							return base, size, true
						}
						skip--
					}
				}
			case 3:
				if !memory {
					if base, size, ok = earlyReg(blob, &sub, &root, &top); sub.match && ok {
						if skip == 0 {
							return base, size, true
						}
						skip--
					}
				}
			}
			depth--
		case tokEnd:
			return 0, 0, false
		}
	}
}

// EarlyMemory returns the first reg range of the first child of the root
// whose device_type is "memory" (3.4), decoded with the root's
// #address-cells and #size-cells.
//
//go:nosplit
func EarlyMemory(blob unsafe.Pointer) (base, size uint64, ok bool) {
	return earlyFind(blob, true, "", 0)
}

// EarlyCompatibleReg returns the first reg address of the first node whose
// compatible list contains compatible, among the root's children and
// grandchildren (translated through their parent's ranges), e.g. the PL011
// UART or PL031 RTC.
//
//go:nosplit
func EarlyCompatibleReg(blob unsafe.Pointer, compatible string) (base uint64, ok bool) {
	base, _, ok = earlyFind(blob, false, compatible, 0)
	return base, ok
}

// EarlyCompatibleRegN is EarlyCompatibleReg for the n-th such node (from
// 0, in document order), e.g. each of QEMU virt's virtio,mmio slots.
//
//go:nosplit
func EarlyCompatibleRegN(blob unsafe.Pointer, compatible string, n int) (base uint64, ok bool) {
	base, _, ok = earlyFind(blob, false, compatible, n)
	return base, ok
}

// earlyNodeNameIs reports whether the FDT_BEGIN_NODE token at off names
// the node s (no unit address).
//
//go:nosplit
func earlyNodeNameIs(blob unsafe.Pointer, h *earlyHeader, off uint, s string) bool {
	p := off + 4
	for i := 0; i < len(s); i++ {
		if p >= h.structEnd || byteAt(blob, p) != s[i] {
			return false
		}
		p++
	}
	return p < h.structEnd && byteAt(blob, p) == 0
}

// EarlyReservedFloor returns the lowest address in [lo, hi) that the
// device tree reserves, or hi if it reserves none there, and where that
// reservation ends (the furthest end among those starting there; hi if
// none), so that a caller can step over it: the entries of
// the memory reservation block (5.3) and every reg entry of the children
// of /reserved-memory (3.5.2; a disabled child counts too: leaving memory
// unused is the safe mistake), decoded as RawReg does (/reserved-memory's
// ranges is an identity mapping). A reservation that starts below lo and
// reaches into it yields lo. Reservations entirely inside [skipLo, skipHi)
// are ignored (a board that copies the device tree skips its own pages).
// ok is false if the blob is malformed.
//
//go:nosplit
func EarlyReservedFloor(blob unsafe.Pointer, lo, hi, skipLo, skipHi uint64) (floor, end uint64, ok bool) {
	h, ok := earlyHeaderOf(blob)
	if !ok {
		return 0, 0, false
	}
	r := earlyFloor{lo: lo, hi: hi, skipLo: skipLo, skipHi: skipHi, floor: hi, end: hi}
	// The memory reservation block: (address, size) pairs of 64-bit
	// big-endian numbers, up to an all-zero pair (5.3.2).
	for off := uint(word(blob, 16)); ; off += 16 {
		if off+16 > h.size {
			return 0, 0, false
		}
		b, s := earlyNumber(blob, off, 2), earlyNumber(blob, off+8, 2)
		if b == 0 && s == 0 {
			break
		}
		r.note(b, s)
	}
	// /reserved-memory's children. Only what is needed is kept (this
	// runs on the boot stack, in a nosplit chain the linker bounds).
	inRM := false
	var ac, sc, reg, regLen uint
	var seenAC, seenSC bool // the first of each property counts
	depth := 0
	for off := h.structOff; ; {
		tok, next, val, vlen, name, good := earlyNext(blob, &h, off)
		if !good {
			return 0, 0, false
		}
		switch tok {
		case tokBeginNode:
			depth++
			if depth == 2 {
				inRM = earlyNodeNameIs(blob, &h, off, "reserved-memory")
				ac, sc = 2, 1 // defaults when absent (2.3.5)
				seenAC, seenSC = false, false
			}
			if depth == 3 {
				regLen = 0
			}
		case tokProp:
			switch {
			case !inRM:
			case depth == 2 && earlyNameIs(blob, &h, name, "#address-cells"):
				earlyCellsProp(blob, val, vlen, &seenAC, &ac)
			case depth == 2 && earlyNameIs(blob, &h, name, "#size-cells"):
				earlyCellsProp(blob, val, vlen, &seenSC, &sc)
			case depth == 3 && regLen == 0 && earlyNameIs(blob, &h, name, "reg"):
				reg, regLen = val, vlen
			}
		case tokEndNode:
			if depth == 3 && inRM && regLen != 0 {
				if !earlyCellsOK(ac, sc) || !earlyMultiple(regLen, ac+sc) {
					return 0, 0, false
				}
				for o := reg; o < reg+regLen; o += 4 * (ac + sc) {
					r.note(earlyNumber(blob, o, ac), earlyNumber(blob, o+4*ac, sc))
				}
			}
			if depth == 0 {
				return 0, 0, false
			}
			depth--
		case tokEnd:
			return r.floor, r.end, true
		}
		off = next
	}
}

// earlyFloor is EarlyReservedFloor's search.
type earlyFloor struct {
	lo, hi, skipLo, skipHi, floor, end uint64
}

//go:nosplit
func (r *earlyFloor) note(b, s uint64) {
	e := b + s
	if s == 0 || e <= r.lo || b >= r.hi || (b >= r.skipLo && e <= r.skipHi) {
		return
	}
	switch start := max(b, r.lo); {
	case start < r.floor:
		r.floor, r.end = start, e
	case start == r.floor:
		r.end = max(r.end, e)
	}
}

// EarlyMemoryN returns the n-th (from 0) reg entry of the memory nodes
// (children of the root whose device_type is "memory", 3.4) in document
// order, decoded with the root's cells; nodes whose reg cannot be decoded
// are passed over, as EarlyMemory does.
//
//go:nosplit
func EarlyMemoryN(blob unsafe.Pointer, n int) (base, size uint64, ok bool) {
	h, ok := earlyHeaderOf(blob)
	if !ok {
		return 0, 0, false
	}
	var ac, sc uint = 2, 1 // the root's, defaults when absent (2.3.5)
	var reg, regLen uint
	var seenAC, seenSC, seenType, isMem bool // the first of each property counts
	depth := 0
	for off := h.structOff; ; {
		tok, next, val, vlen, name, good := earlyNext(blob, &h, off)
		if !good {
			return 0, 0, false
		}
		switch tok {
		case tokBeginNode:
			depth++
			if depth == 2 {
				seenType, isMem, regLen = false, false, 0
			}
		case tokProp:
			switch {
			case depth == 1 && earlyNameIs(blob, &h, name, "#address-cells"):
				earlyCellsProp(blob, val, vlen, &seenAC, &ac)
			case depth == 1 && earlyNameIs(blob, &h, name, "#size-cells"):
				earlyCellsProp(blob, val, vlen, &seenSC, &sc)
			case depth == 2 && !seenType && earlyNameIs(blob, &h, name, "device_type"):
				seenType, isMem = true, earlyFirstStringIs(blob, val, vlen, "memory")
			case depth == 2 && regLen == 0 && earlyNameIs(blob, &h, name, "reg"):
				reg, regLen = val, vlen
			}
		case tokEndNode:
			if depth == 2 && isMem && regLen != 0 && earlyCellsOK(ac, sc) && earlyMultiple(regLen, ac+sc) {
				for o := reg; o < reg+regLen; o += 4 * (ac + sc) {
					if n == 0 {
						return earlyNumber(blob, o, ac), earlyNumber(blob, o+4*ac, sc), true
					}
					n--
				}
			}
			if depth == 0 {
				return 0, 0, false
			}
			depth--
		case tokEnd:
			return 0, 0, false
		}
		off = next
	}
}
