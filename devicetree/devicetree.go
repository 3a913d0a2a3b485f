// Package devicetree reads Flattened Devicetree blobs (DTB) as defined by
// the Devicetree Specification v0.4, chapter 5 ("Flattened Devicetree (DTB)
// Format"). Section numbers in comments refer to that specification.
//
// The package has two layers:
//
//   - The full parser, Parse, runs once the Go runtime is up. It validates
//     the whole blob, returning a descriptive error for any malformed input,
//     and builds a heap-allocated Tree of Nodes with helpers for properties,
//     paths and aliases, phandles, address translation (reg/ranges),
//     interrupts, and a board summary (Tree.Machine).
//
//   - The early reader (EarlyValid, EarlyProblem, EarlyTotalSize,
//     EarlyUsedSize, EarlyMemory, EarlyCompatibleReg, in early.go) runs before the Go runtime exists,
//     with the MMU off. It is made of //go:nosplit functions that take a raw
//     pointer to the blob, never allocate, never panic, and read memory only
//     with aligned 32-bit loads, so that boot code can find RAM and the
//     console UART before anything else is set up.
package devicetree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// Header and token values (5.2, 5.4.1).
const (
	fdtMagic     = 0xd00dfeed
	tokBeginNode = 0x1
	tokEndNode   = 0x2
	tokProp      = 0x3
	tokNop       = 0x4
	tokEnd       = 0x9

	headerSize   = 40 // version 17 header; version 16 lacks size_dt_struct
	headerSizeV1 = 36
)

// MaxDepth bounds node nesting (the root is depth 1). The specification sets
// no limit; this one keeps tree walkers, and fuzzers, out of trouble.
const MaxDepth = 64

// Range is a span of addresses: in the CPU (root) address space when
// returned by Reg, or in the parent bus's address space when returned by
// RawReg.
type Range struct {
	Base, Size uint64
}

// Property is one property of a node. Value aliases the Tree's private copy
// of the blob.
type Property struct {
	Name  string
	Value []byte
}

// Node is a devicetree node.
type Node struct {
	Name     string // node name with unit address, e.g. "pl011@9000000"; "" for the root
	Props    []Property
	Children []*Node
	Parent   *Node

	tree *Tree
}

// Tree is a parsed devicetree.
type Tree struct {
	Root       *Node
	MemReserve []Range // memory reservation block entries (5.3)
	Version    uint32  // header version
	BootCPU    uint32  // header boot_cpuid_phys

	nodes    []*Node // every node, in document order
	phandles map[uint32]*Node
}

// header holds the validated header fields as offsets into the blob.
type header struct {
	totalSize            int
	structOff, structEnd int
	stringsOff, strEnd   int
	rsvOff               int
	version, bootCPU     uint32
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// parseHeader checks the header (5.2) and that every block lies inside the
// blob. The rules match earlyHeaderCheck in early.go, so a blob Parse
// accepts is also accepted by the early reader.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerSize {
		return h, fmt.Errorf("devicetree: blob is %d bytes, shorter than the %d-byte header", len(b), headerSize)
	}
	if m := be32(b); m != fdtMagic {
		return h, fmt.Errorf("devicetree: bad magic %#08x (want %#08x)", m, fdtMagic)
	}
	total := uint64(be32(b[4:]))
	if total < headerSize || total > uint64(len(b)) {
		return h, fmt.Errorf("devicetree: totalsize %d outside [%d, %d] (blob length)", total, headerSize, len(b))
	}
	h.version = be32(b[20:])
	if h.version < 16 {
		return h, fmt.Errorf("devicetree: version %d is older than 16", h.version)
	}
	if last := be32(b[24:]); last > 17 {
		return h, fmt.Errorf("devicetree: last_comp_version %d: not backwards compatible with version 17 (5.1)", last)
	}
	h.bootCPU = be32(b[28:])
	hdr := uint64(headerSize)
	if h.version == 16 {
		hdr = headerSizeV1
	}
	// Sums are done in 64 bits so that offset+size cannot wrap.
	rsv := uint64(be32(b[16:]))
	if rsv < hdr || rsv%8 != 0 || rsv+16 > total {
		return h, fmt.Errorf("devicetree: memory reservation block offset %#x is not 8-aligned inside [%#x, %#x) (5.3.2, 5.6)", rsv, hdr, total)
	}
	so := uint64(be32(b[8:]))
	if so < hdr || so%4 != 0 || so > total {
		return h, fmt.Errorf("devicetree: structure block offset %#x is not 4-aligned inside [%#x, %#x] (5.4, 5.6)", so, hdr, total)
	}
	se := total // version 16 has no size_dt_struct
	if h.version >= 17 {
		se = so + uint64(be32(b[36:]))
		if se > total {
			return h, fmt.Errorf("devicetree: structure block [%#x, %#x) overruns totalsize %#x", so, se, total)
		}
	}
	sto := uint64(be32(b[12:]))
	ste := sto + uint64(be32(b[32:]))
	if sto < hdr || ste > total {
		return h, fmt.Errorf("devicetree: strings block [%#x, %#x) is outside [%#x, %#x)", sto, ste, hdr, total)
	}
	h.totalSize, h.rsvOff = int(total), int(rsv)
	h.structOff, h.structEnd = int(so), int(se)
	h.stringsOff, h.strEnd = int(sto), int(ste)
	return h, nil
}

// Parse validates a DTB and returns its tree. The blob is copied, so the
// memory it came from may be reused afterwards. Bytes past the header's
// totalsize are ignored.
func Parse(blob []byte) (*Tree, error) {
	h, err := parseHeader(blob)
	if err != nil {
		return nil, err
	}
	// Copy what the blob uses: QEMU pads its blob to a 1 MiB totalsize,
	// and touching the padding costs more than parsing.
	used := max(h.structEnd, h.strEnd)
	if h.rsvOff >= used {
		used = h.totalSize
	}
	b := make([]byte, used)
	copy(b, blob)
	t := &Tree{Version: h.version, BootCPU: h.bootCPU, phandles: map[uint32]*Node{}}
	if err := t.parseReservations(b, h.rsvOff); err != nil {
		return nil, err
	}
	if err := t.parseStruct(b, h); err != nil {
		return nil, err
	}
	return t, nil
}

// ParseAt parses a blob in memory at p (for instance the pointer handed over
// by the boot loader), taking its size from the header.
func ParseAt(p unsafe.Pointer) (*Tree, error) {
	size, ok := EarlyTotalSize(p)
	if !ok {
		return nil, errors.New("devicetree: no valid header at the given address")
	}
	return Parse(unsafe.Slice((*byte)(p), size))
}

// parseReservations reads the (address, size) pairs up to the all-zero
// terminator (5.3.2).
func (t *Tree) parseReservations(b []byte, off int) error {
	for ; off+16 <= len(b); off += 16 {
		r := Range{binary.BigEndian.Uint64(b[off:]), binary.BigEndian.Uint64(b[off+8:])}
		if r == (Range{}) {
			return nil
		}
		t.MemReserve = append(t.MemReserve, r)
	}
	return fmt.Errorf("devicetree: memory reservation block has no terminating entry before totalsize (5.3.2)")
}

// parseStruct walks the structure block tokens (5.4) and builds the tree.
// Every token advances off by at least 4 bytes, so the loop always ends.
func (t *Tree) parseStruct(b []byte, h header) error {
	strs := b[h.stringsOff:h.strEnd]
	names := map[uint32]string{} // property names, shared by nameoff
	type sibling struct {
		parent *Node
		name   string
	}
	seen := map[sibling]bool{} // so that a path names one node
	var cur *Node
	depth := 0
	off, end := h.structOff, h.structEnd
	for {
		if end-off < 4 {
			return fmt.Errorf("devicetree: structure block ends at %#x without FDT_END", end)
		}
		at := off
		tok := be32(b[off:])
		off += 4
		switch tok {
		case tokBeginNode:
			if cur == nil && t.Root != nil {
				return fmt.Errorf("devicetree: second root node at %#x (5.4.2)", at)
			}
			i := bytes.IndexByte(b[off:end], 0)
			if i < 0 {
				return fmt.Errorf("devicetree: unterminated node name at %#x", at)
			}
			n := &Node{Name: string(b[off : off+i]), Parent: cur, tree: t}
			off = align4(off + i + 1)
			if depth++; depth > MaxDepth {
				return fmt.Errorf("devicetree: nodes nested deeper than %d at %#x", MaxDepth, at)
			}
			if err := checkNodeName(n); err != nil {
				return fmt.Errorf("devicetree: node at %#x: %w", at, err)
			}
			if cur == nil {
				t.Root = n
			} else {
				key := sibling{cur, n.Name}
				if seen[key] {
					return fmt.Errorf("devicetree: node at %#x: second node named %s (2.2.1: sibling names are unique)", at, n.Path())
				}
				seen[key] = true
				cur.Children = append(cur.Children, n)
			}
			t.nodes = append(t.nodes, n)
			cur = n
		case tokEndNode:
			if cur == nil {
				return fmt.Errorf("devicetree: FDT_END_NODE at %#x outside any node", at)
			}
			cur = cur.Parent
			depth--
		case tokProp:
			if cur == nil {
				return fmt.Errorf("devicetree: FDT_PROP at %#x outside any node", at)
			}
			if len(cur.Children) > 0 {
				return fmt.Errorf("devicetree: property at %#x of %s follows a child node (5.4.2)", at, cur.Path())
			}
			if end-off < 8 {
				return fmt.Errorf("devicetree: property header at %#x overruns the structure block", at)
			}
			vlen, nameoff := uint64(be32(b[off:])), be32(b[off+4:])
			off += 8
			if vlen > uint64(end-off) {
				return fmt.Errorf("devicetree: property at %#x: length %d overruns the structure block", at, vlen)
			}
			name, ok := names[nameoff]
			if !ok {
				if uint64(nameoff) >= uint64(len(strs)) {
					return fmt.Errorf("devicetree: property at %#x: name offset %#x outside the strings block", at, nameoff)
				}
				i := bytes.IndexByte(strs[nameoff:], 0)
				if i < 0 {
					return fmt.Errorf("devicetree: property at %#x: unterminated name at strings offset %#x", at, nameoff)
				}
				name = string(strs[nameoff : int(nameoff)+i])
				names[nameoff] = name
			}
			v := b[off : off+int(vlen) : off+int(vlen)]
			off = align4(off + int(vlen))
			cur.Props = append(cur.Props, Property{name, v})
			if err := t.addPhandle(cur, name, v); err != nil {
				return err
			}
		case tokNop:
		case tokEnd:
			if cur != nil {
				return fmt.Errorf("devicetree: FDT_END at %#x inside node %s", at, cur.Path())
			}
			if t.Root == nil {
				return errors.New("devicetree: structure block has no root node")
			}
			return nil
		default:
			return fmt.Errorf("devicetree: unknown token %#x at %#x", tok, at)
		}
	}
}

func align4(n int) int { return (n + 3) &^ 3 }

// checkNodeName enforces the shape the tree helpers rely on: an empty root
// name (5.4.2 names the root ""), and non-empty names without '/' elsewhere
// (2.2.1).
func checkNodeName(n *Node) error {
	switch {
	case n.Parent == nil && n.Name != "":
		return fmt.Errorf("root node has name %q", n.Name)
	case n.Parent != nil && n.Name == "":
		return fmt.Errorf("empty name under %s", n.Parent.Path())
	case strings.IndexByte(n.Name, '/') >= 0:
		return fmt.Errorf("name %q contains '/'", n.Name)
	}
	return nil
}

// addPhandle records the node's phandle (2.3.3); phandles must be unique.
func (t *Tree) addPhandle(n *Node, name string, v []byte) error {
	if name != "phandle" && name != "linux,phandle" {
		return nil
	}
	if len(v) != 4 {
		return fmt.Errorf("devicetree: %s: %s is %d bytes, want 4", n.Path(), name, len(v))
	}
	ph := be32(v)
	if old, ok := t.phandles[ph]; ok && old != n {
		return fmt.Errorf("devicetree: phandle %#x used by both %s and %s (2.3.3)", ph, old.Path(), n.Path())
	}
	t.phandles[ph] = n
	return nil
}
