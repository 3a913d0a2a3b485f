package devicetree

import "fmt"

// GIC interrupt specifier types: the first of its three cells.
const (
	IntSPI  = 0 // shared peripheral interrupt, INTID 32+n
	IntPPI  = 1 // private peripheral interrupt, INTID 16+n
	IntESPI = 2 // GICv3.1 extended SPI, INTID 4096+n
	IntEPPI = 3 // GICv3.1 extended PPI, INTID 1056+n
)

// gicCompatibles lists the GIC bindings decoded, with their architecture
// version.
var gicCompatibles = []struct {
	compatible string
	version    int
}{
	{"arm,gic-v3", 3},
	{"arm,gic-400", 2},
	{"arm,cortex-a15-gic", 2},
	{"arm,cortex-a7-gic", 2},
}

// gicVersion returns the matched compatible and version if n is a GIC.
func gicVersion(n *Node) (string, int) {
	for _, g := range gicCompatibles {
		if n.IsCompatible(g.compatible) {
			return g.compatible, g.version
		}
	}
	return "", 0
}

// Interrupt is one interrupt specifier of a device.
type Interrupt struct {
	Controller *Node    // the interrupt parent that decodes Cells
	Cells      []uint32 // the raw specifier, #interrupt-cells long

	// Decoded for GIC controllers (GIC is true): Type is IntSPI, IntPPI,
	// IntESPI or IntEPPI; Flags holds the trigger type (bits 0-3) and, for
	// GICv2 PPIs, the CPU mask (bits 8-15).
	GIC                 bool
	Type, Number, Flags uint32
}

// ID returns the GIC interrupt ID (INTID) of a GIC interrupt, or 0 (an SGI,
// which never appears in a devicetree) for other controllers.
func (i Interrupt) ID() uint32 {
	if !i.GIC {
		return 0
	}
	switch i.Type {
	case IntSPI:
		return 32 + i.Number
	case IntPPI:
		return 16 + i.Number
	case IntESPI:
		return 4096 + i.Number
	case IntEPPI:
		return 1056 + i.Number
	}
	return 0
}

// InterruptParent returns the interrupt controller that n's interrupts are
// wired to (2.4.1.2): the node named by interrupt-parent or, when it is
// missing, the devicetree parent; the walk continues from there until it
// reaches a node with #interrupt-cells. This makes interrupt-parent on an
// ancestor (typically the root) apply to its descendants.
func (n *Node) InterruptParent() (*Node, error) {
	cur := n
	for range len(n.tree.nodes) + 1 {
		next := cur.Parent
		if v, ok := cur.Prop("interrupt-parent"); ok {
			if len(v) != 4 {
				return nil, fmt.Errorf("devicetree: %s: interrupt-parent is %d bytes, want 4", cur.Path(), len(v))
			}
			if next = n.tree.ByPhandle(be32(v)); next == nil {
				return nil, fmt.Errorf("devicetree: %s: interrupt-parent %#x matches no phandle", cur.Path(), be32(v))
			}
		}
		if next == nil {
			return nil, fmt.Errorf("devicetree: %s has no interrupt parent", n.Path())
		}
		if _, ok := next.Prop("#interrupt-cells"); ok {
			return next, nil
		}
		cur = next
	}
	return nil, fmt.Errorf("devicetree: %s: interrupt-parent chain loops", n.Path())
}

// Interrupts decodes the node's interrupts-extended (2.4.1.3) or, when that
// is absent, its interrupts property (2.4.1.1). It returns nil, nil when the
// node has neither. Interrupt nexus nodes (interrupt-map, 2.4.3) are not
// followed.
func (n *Node) Interrupts() ([]Interrupt, error) {
	if v, ok := n.Prop("interrupts-extended"); ok {
		var out []Interrupt
		for len(v) > 0 {
			if len(v) < 4 {
				return nil, fmt.Errorf("devicetree: %s: truncated interrupts-extended", n.Path())
			}
			ctrl := n.tree.ByPhandle(be32(v))
			if ctrl == nil {
				return nil, fmt.Errorf("devicetree: %s: interrupts-extended phandle %#x matches no node", n.Path(), be32(v))
			}
			irq, rest, err := decodeInterrupt(n, ctrl, v[4:])
			if err != nil {
				return nil, err
			}
			out, v = append(out, irq), rest
		}
		return out, nil
	}
	v, ok := n.Prop("interrupts")
	if !ok || len(v) == 0 {
		return nil, nil
	}
	ctrl, err := n.InterruptParent()
	if err != nil {
		return nil, err
	}
	var out []Interrupt
	for len(v) > 0 {
		irq, rest, err := decodeInterrupt(n, ctrl, v)
		if err != nil {
			return nil, err
		}
		out, v = append(out, irq), rest
	}
	return out, nil
}

// decodeInterrupt takes one specifier for controller ctrl off the front of v.
func decodeInterrupt(n, ctrl *Node, v []byte) (Interrupt, []byte, error) {
	ncells, ok := ctrl.U32("#interrupt-cells")
	if !ok || ncells == 0 || ncells > 16 {
		return Interrupt{}, nil, fmt.Errorf("devicetree: %s: interrupt controller %s has unusable #interrupt-cells", n.Path(), ctrl.Path())
	}
	if _, ok := ctrl.Prop("interrupt-controller"); !ok {
		return Interrupt{}, nil, fmt.Errorf("devicetree: %s: interrupt parent %s is a nexus (interrupt-map), which is not supported", n.Path(), ctrl.Path())
	}
	size := 4 * int(ncells)
	if len(v) < size {
		return Interrupt{}, nil, fmt.Errorf("devicetree: %s: interrupt specifier is %d bytes, want %d (#interrupt-cells of %s)", n.Path(), len(v), size, ctrl.Path())
	}
	irq := Interrupt{Controller: ctrl, Cells: make([]uint32, ncells)}
	for i := range irq.Cells {
		irq.Cells[i] = be32(v[4*i:])
	}
	if _, ver := gicVersion(ctrl); ver != 0 && ncells >= 3 {
		irq.GIC = true
		irq.Type, irq.Number, irq.Flags = irq.Cells[0], irq.Cells[1], irq.Cells[2]
		// Bounds from the GIC INTID map: SPIs 32-1019, PPIs 16-31,
		// extended SPIs 4096-5119, extended PPIs 1056-1119 (GICv3 only).
		var limit uint32
		switch {
		case irq.Type == IntSPI:
			limit = 988
		case irq.Type == IntPPI:
			limit = 16
		case irq.Type == IntESPI && ver == 3:
			limit = 1024
		case irq.Type == IntEPPI && ver == 3:
			limit = 64
		}
		if irq.Number >= limit {
			return Interrupt{}, nil, fmt.Errorf("devicetree: %s: GIC interrupt type %d number %d out of range", n.Path(), irq.Type, irq.Number)
		}
	}
	return irq, v[size:], nil
}
