package devicetree

import "fmt"

// busCells returns the #address-cells and #size-cells that n's children use
// (2.3.5). They are not inherited; when missing the defaults are 2 and 1.
// Only addresses and sizes that fit in 64 bits (at most 2 cells) are
// supported, and an address needs at least one cell. The early reader applies
// the same rules (earlyCellsOK).
func (n *Node) busCells() (ac, sc int, err error) {
	get := func(name string, def int) (int, error) {
		v, ok := n.Prop(name)
		if !ok {
			return def, nil
		}
		if len(v) != 4 {
			return 0, fmt.Errorf("devicetree: %s: %s is %d bytes, want 4", n.Path(), name, len(v))
		}
		return int(min(be32(v), 1<<16)), nil
	}
	if ac, err = get("#address-cells", 2); err != nil {
		return 0, 0, err
	}
	if sc, err = get("#size-cells", 1); err != nil {
		return 0, 0, err
	}
	if ac < 1 || ac > 2 || sc > 2 {
		return 0, 0, fmt.Errorf("devicetree: %s: #address-cells %d / #size-cells %d unsupported (want 1-2 / 0-2)", n.Path(), ac, sc)
	}
	return ac, sc, nil
}

// cells reads a big-endian number of n (at most 2) 32-bit cells.
func cells(v []byte, n int) uint64 {
	var x uint64
	for i := range n {
		x = x<<32 | uint64(be32(v[4*i:]))
	}
	return x
}

// RawReg decodes the node's reg property (2.3.6) with its parent's
// #address-cells and #size-cells, without translating the addresses out of
// the parent bus. It returns nil, nil when reg is absent or empty.
func (n *Node) RawReg() ([]Range, error) {
	v, ok := n.Prop("reg")
	if !ok || len(v) == 0 {
		return nil, nil
	}
	if n.Parent == nil {
		return nil, fmt.Errorf("devicetree: the root node has a reg property")
	}
	ac, sc, err := n.Parent.busCells()
	if err != nil {
		return nil, err
	}
	stride := 4 * (ac + sc)
	if len(v)%stride != 0 {
		return nil, fmt.Errorf("devicetree: %s: reg is %d bytes, not a multiple of %d (#address-cells %d, #size-cells %d)", n.Path(), len(v), stride, ac, sc)
	}
	regs := make([]Range, 0, len(v)/stride)
	for off := 0; off < len(v); off += stride {
		regs = append(regs, Range{cells(v[off:], ac), cells(v[off+4*ac:], sc)})
	}
	return regs, nil
}

// Reg returns the node's reg ranges translated to CPU (root) addresses by
// applying the ranges property (2.3.8) of every ancestor bus. An empty ranges
// is an identity mapping; a bus without ranges is not mapped into its
// parent's address space, and Reg returns an error.
func (n *Node) Reg() ([]Range, error) {
	regs, err := n.RawReg()
	if err != nil || len(regs) == 0 {
		return nil, err
	}
	for bus := n.Parent; bus.Parent != nil; bus = bus.Parent {
		if err := bus.translate(n, regs); err != nil {
			return nil, err
		}
	}
	return regs, nil
}

// translate maps regs from bus's child address space into its parent's,
// using bus's (child-address, parent-address, length) triplets (2.3.8). A
// range must lie entirely inside one window. node is for error messages.
func (bus *Node) translate(node *Node, regs []Range) error {
	v, ok := bus.Prop("ranges")
	if !ok {
		return fmt.Errorf("devicetree: %s: parent bus %s has no ranges, so its addresses are not CPU addresses (2.3.8)", node.Path(), bus.Path())
	}
	if len(v) == 0 {
		return nil // identity mapping
	}
	cac, csc, err := bus.busCells()
	if err != nil {
		return err
	}
	pac, _, err := bus.Parent.busCells()
	if err != nil {
		return err
	}
	stride := 4 * (cac + pac + csc)
	if len(v)%stride != 0 {
		return fmt.Errorf("devicetree: %s: ranges is %d bytes, not a multiple of %d", bus.Path(), len(v), stride)
	}
next:
	for i := range regs {
		r := &regs[i]
		for off := 0; off < len(v); off += stride {
			child := cells(v[off:], cac)
			parent := cells(v[off+4*cac:], pac)
			size := cells(v[off+4*(cac+pac):], csc)
			if d := r.Base - child; r.Base >= child && d < size && r.Size <= size-d {
				r.Base = parent + d
				continue next
			}
		}
		return fmt.Errorf("devicetree: %s: [%#x, +%#x) is outside every window of %s's ranges", node.Path(), r.Base, r.Size, bus.Path())
	}
	return nil
}
