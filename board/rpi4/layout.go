package rpi4

import (
	"fmt"
	"slices"

	"github.com/yolkos/yolk/devicetree"
)

// Layout is what yolk takes from a Raspberry Pi 4 device tree: memory,
// cores and the devices the board package drives. It is plain Go, so the
// host tests check it against the real blobs in testdata.
type Layout struct {
	Memory   []devicetree.Range // RAM the ARM sees (every memory node's reg), sorted
	Reserved []devicetree.Range // the firmware's reservations: /memreserve/ and /reserved-memory regs
	Usable   []devicetree.Range // Memory without Reserved, page aligned

	Cores []Core // the /cpus nodes, in order

	UART    uint64 // PL011 UART0 ("arm,pl011")
	Mailbox uint64 // VideoCore mailbox ("brcm,bcm2835-mbox")
	GPIO    uint64 // "brcm,bcm2711-gpio"
	RNG     uint64 // RNG200 ("brcm,bcm2711-rng200"), 0 if absent (QEMU removes it)
	GENET   uint64 // Ethernet ("brcm,bcm2711-genet-v5"), 0 if absent (QEMU removes it)
}

// Core is one /cpus/cpu node.
type Core struct {
	MPIDR        uint64 // reg: the MPIDR affinity fields
	EnableMethod string
	ReleaseAddr  uint64 // cpu-release-addr (spin-table)
}

// Range is a span of physical addresses.
type Range = devicetree.Range

const page = 4096

// NewLayout summarises m (parsed from t). Every core must be started
// through a spin table with a release address, as the Pi's firmware and
// QEMU's raspi machines describe them.
func NewLayout(t *devicetree.Tree, m *devicetree.Machine) (*Layout, error) {
	l := &Layout{}
	l.Memory = slices.Clone(m.Memory)
	slices.SortFunc(l.Memory, func(a, b devicetree.Range) int { return cmpU64(a.Base, b.Base) })
	for _, r := range m.Reserved {
		if r.Size != 0 {
			l.Reserved = append(l.Reserved, r)
		}
	}
	l.Usable = Subtract(l.Memory, l.Reserved)
	if len(l.Usable) == 0 {
		return nil, fmt.Errorf("rpi4: no usable RAM: memory %v, reserved %v", l.Memory, l.Reserved)
	}
	if len(m.CPUs) == 0 {
		return nil, fmt.Errorf("rpi4: the device tree lists no cpus")
	}
	for _, c := range m.CPUs {
		l.Cores = append(l.Cores, Core{MPIDR: c.Reg, EnableMethod: c.EnableMethod, ReleaseAddr: c.ReleaseAddr})
		if len(m.CPUs) > 1 && (c.EnableMethod != "spin-table" || c.ReleaseAddr == 0) {
			return nil, fmt.Errorf("rpi4: cpu %#x: enable-method %q with cpu-release-addr %#x, want a spin table", c.Reg, c.EnableMethod, c.ReleaseAddr)
		}
	}
	if m.UART != nil {
		l.UART = m.UART.Reg.Base
	}
	var err error
	if l.Mailbox, err = firstReg(t, "brcm,bcm2835-mbox"); err != nil {
		return nil, err
	}
	if l.GPIO, err = firstReg(t, "brcm,bcm2711-gpio"); err != nil {
		return nil, err
	}
	if l.RNG, err = firstReg(t, "brcm,bcm2711-rng200"); err != nil {
		return nil, err
	}
	if l.GENET, err = firstReg(t, "brcm,bcm2711-genet-v5"); err != nil {
		return nil, err
	}
	return l, nil
}

// ReleaseAddrs maps each core's MPIDR to its release address.
func (l *Layout) ReleaseAddrs() map[uint64]uint64 {
	r := map[uint64]uint64{}
	for _, c := range l.Cores {
		r[c.MPIDR] = c.ReleaseAddr
	}
	return r
}

// firstReg is the CPU address of the first enabled node compatible with c.
func firstReg(t *devicetree.Tree, c string) (uint64, error) {
	for _, n := range t.Compatible(c) {
		if !n.Enabled() {
			continue
		}
		regs, err := n.Reg()
		if err != nil {
			return 0, err
		}
		if len(regs) > 0 {
			return regs[0].Base, nil
		}
	}
	return 0, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Subtract returns the parts of mem outside every range of holes, with
// each part shrunk to whole pages. The result is sorted.
func Subtract(mem, holes []devicetree.Range) []devicetree.Range {
	var out []devicetree.Range
	for _, m := range mem {
		parts := []devicetree.Range{m}
		for _, h := range holes {
			if h.Size == 0 {
				continue
			}
			hEnd := h.Base + h.Size
			var next []devicetree.Range
			for _, p := range parts {
				pEnd := p.Base + p.Size
				if hEnd <= p.Base || h.Base >= pEnd {
					next = append(next, p)
					continue
				}
				if h.Base > p.Base {
					next = append(next, devicetree.Range{Base: p.Base, Size: h.Base - p.Base})
				}
				if hEnd < pEnd {
					next = append(next, devicetree.Range{Base: hEnd, Size: pEnd - hEnd})
				}
			}
			parts = next
		}
		for _, p := range parts {
			b := (p.Base + page - 1) &^ (page - 1)
			e := (p.Base + p.Size) &^ (page - 1)
			if e > b {
				out = append(out, devicetree.Range{Base: b, Size: e - b})
			}
		}
	}
	slices.SortFunc(out, func(a, b devicetree.Range) int { return cmpU64(a.Base, b.Base) })
	return out
}

// Within reports whether [base, base+size) lies inside one of ranges.
func Within(ranges []devicetree.Range, base, size uint64) bool {
	for _, r := range ranges {
		if base >= r.Base && base+size <= r.Base+r.Size {
			return true
		}
	}
	return false
}

// ReservedConflicts returns the reserved ranges that overlap used, except
// those lying entirely inside ignore (e.g. the loader's copy of the device
// tree, no longer needed once copied).
func ReservedConflicts(reserved []Range, used, ignore Range) []Range {
	var out []Range
	for _, r := range reserved {
		if r.Size == 0 || r.Base >= used.Base+used.Size || r.Base+r.Size <= used.Base {
			continue
		}
		if ignore.Size != 0 && r.Base >= ignore.Base && r.Base+r.Size <= ignore.Base+ignore.Size {
			continue
		}
		out = append(out, r)
	}
	return out
}
