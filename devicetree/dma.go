package devicetree

import "fmt"

// DMAWindow says that a device's bus masters reach CPU (physical) address
// CPU+d by putting Bus+d on their bus, for d < Size.
type DMAWindow struct {
	Bus, CPU, Size uint64
}

// maxAddr stands for "every address" in an identity window.
const maxAddr = ^uint64(0)

// DMAWindows returns how the node's DMA addresses map to CPU addresses:
// the dma-ranges property (2.3.9) of every ancestor bus, composed from the
// node's parent up to the root. Each dma-ranges entry is (child-bus-address,
// parent-bus-address, length) in the cells of the bus and of its parent.
// An empty dma-ranges is an identity mapping. A bus without one is taken
// as identity too, as Linux does (the spec would read it as "no DMA"): the
// Pi 4's /scb, where GENET sits, has none, and GENET reaches all of RAM.
func (n *Node) DMAWindows() ([]DMAWindow, error) {
	wins := []DMAWindow{{Bus: 0, CPU: 0, Size: maxAddr}}
	for bus := n.Parent; bus != nil && bus.Parent != nil; bus = bus.Parent {
		v, ok := bus.Prop("dma-ranges")
		if !ok || len(v) == 0 {
			continue
		}
		cac, csc, err := bus.busCells()
		if err != nil {
			return nil, err
		}
		pac, _, err := bus.Parent.busCells()
		if err != nil {
			return nil, err
		}
		stride := 4 * (cac + pac + csc)
		if len(v)%stride != 0 {
			return nil, fmt.Errorf("devicetree: %s: dma-ranges is %d bytes, not a multiple of %d", bus.Path(), len(v), stride)
		}
		// wins maps the device's addresses to this bus's child addresses;
		// each entry of bus's dma-ranges maps a stretch of those to its
		// parent's. Keep the overlaps.
		var next []DMAWindow
		for _, w := range wins {
			for off := 0; off < len(v); off += stride {
				child := cells(v[off:], cac)
				parent := cells(v[off+4*cac:], pac)
				size := cells(v[off+4*(cac+pac):], csc)
				lo, hi := max(w.CPU, child), min(end(w.CPU, w.Size), end(child, size))
				if lo >= hi {
					continue
				}
				next = append(next, DMAWindow{Bus: w.Bus + (lo - w.CPU), CPU: parent + (lo - child), Size: hi - lo})
			}
		}
		if len(next) == 0 {
			return nil, fmt.Errorf("devicetree: %s: no DMA window reaches the CPU through %s's dma-ranges", n.Path(), bus.Path())
		}
		wins = next
	}
	return wins, nil
}

// end is base+size, saturating at the top of the address space.
func end(base, size uint64) uint64 {
	if base+size < base {
		return maxAddr
	}
	return base + size
}
