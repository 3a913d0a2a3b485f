package devicetree

import (
	"errors"
	"fmt"
	"strings"
)

// Machine summarises what a kernel needs from the devicetree of an arm64
// board. Optional parts are nil or empty when the tree does not describe
// them.
type Machine struct {
	Model      string   // root model (3.2)
	Compatible []string // root compatible

	Memory   []Range // reg of every device_type = "memory" node (3.4)
	Reserved []Range // memory reservation block (5.3) and /reserved-memory children with reg (3.5)

	CPUs       []CPU  // /cpus/cpu* nodes (3.8)
	PSCIMethod string // "hvc", "smc" or "" (method of the /psci node)

	Bootargs      string // /chosen bootargs (3.6)
	StdoutPath    string // /chosen stdout-path as written, e.g. "serial0:115200n8"
	Stdout        *Node  // the node it names, or nil
	StdoutOptions string // the part after ':', e.g. "115200n8"

	GIC        *GIC
	Timer      *Timer
	UART       *Device // first arm,pl011
	RTC        *Device // first arm,pl031
	VirtioMMIO []Device
}

// CPU is one /cpus/cpu* node (3.8.1).
type CPU struct {
	Node         *Node
	Reg          uint64 // MPIDR affinity fields, from reg
	EnableMethod string // first enable-method string: "psci", "spin-table" or ""
	ReleaseAddr  uint64 // cpu-release-addr, for spin-table
}

// GIC describes the interrupt controller.
type GIC struct {
	Node           *Node
	Compatible     string // the matched compatible, e.g. "arm,gic-v3"
	Version        int    // 2 or 3
	Distributor    Range  // GICD
	Redistributors []Range
	CPUInterface   Range  // GICC (always on v2, optional on v3)
	HypInterface   Range  // GICH, virtualization extensions only
	VCPUInterface  Range  // GICV, virtualization extensions only
	Maintenance    uint32 // INTID of the maintenance interrupt, 0 if none
}

// Timer is the ARM generic timer (arm,armv8-timer). Fields are GIC INTIDs,
// 0 when not described.
type Timer struct {
	Node          *Node
	Interrupts    []Interrupt
	SecurePhys    uint32
	NonSecurePhys uint32
	Virtual       uint32
	HypPhys       uint32
	HypVirtual    uint32
	Frequency     uint32 // clock-frequency, 0 if absent (read CNTFRQ_EL0 then)
}

// Device is a memory-mapped device with one interrupt.
type Device struct {
	Node *Node
	Reg  Range  // first reg range, as a CPU address
	IRQ  uint32 // GIC INTID of the first interrupt, 0 if none
}

// Machine extracts the board summary. It fails when the tree describes no
// memory or when a node it uses is malformed.
func (t *Tree) Machine() (*Machine, error) {
	m := &Machine{Compatible: t.Root.Strings("compatible")}
	m.Model, _ = t.Root.String("model")

	for _, n := range t.nodes {
		if dt, _ := n.String("device_type"); dt != "memory" || !n.Enabled() {
			continue
		}
		regs, err := n.Reg()
		if err != nil {
			return nil, err
		}
		for _, r := range regs {
			if r.Size != 0 {
				m.Memory = append(m.Memory, r)
			}
		}
	}
	if len(m.Memory) == 0 {
		return nil, errors.New("devicetree: no memory node (device_type = \"memory\") with a non-empty reg")
	}

	m.Reserved = append(m.Reserved, t.MemReserve...)
	if rm := t.Lookup("/reserved-memory"); rm != nil {
		for _, c := range rm.Children {
			if !c.Enabled() {
				continue
			}
			regs, err := c.Reg()
			if err != nil {
				return nil, err
			}
			m.Reserved = append(m.Reserved, regs...)
		}
	}

	if err := t.cpus(m); err != nil {
		return nil, err
	}
	psci := t.Lookup("/psci")
	for _, c := range []string{"arm,psci-1.0", "arm,psci-0.2", "arm,psci"} {
		if l := t.Compatible(c); psci == nil && len(l) > 0 {
			psci = l[0]
		}
	}
	if psci != nil {
		m.PSCIMethod, _ = psci.String("method")
	}

	if ch := t.Lookup("/chosen"); ch != nil {
		m.Bootargs, _ = ch.String("bootargs")
		sp, ok := ch.String("stdout-path")
		if !ok {
			sp, _ = ch.String("linux,stdout-path") // older name (3.6)
		}
		// ':' ends the path; what follows are console options (3.6).
		path, opts, _ := strings.Cut(sp, ":")
		m.StdoutPath, m.StdoutOptions = sp, opts
		if path != "" {
			m.Stdout = t.Lookup(path)
		}
	}

	var err error
	if m.GIC, err = t.gic(); err != nil {
		return nil, err
	}
	if m.Timer, err = t.timer(); err != nil {
		return nil, err
	}
	if m.UART, err = t.firstDevice("arm,pl011"); err != nil {
		return nil, err
	}
	if m.RTC, err = t.firstDevice("arm,pl031"); err != nil {
		return nil, err
	}
	for _, n := range t.Compatible("virtio,mmio") {
		if !n.Enabled() {
			continue
		}
		d, err := device(n)
		if err != nil {
			return nil, err
		}
		m.VirtioMMIO = append(m.VirtioMMIO, *d)
	}
	return m, nil
}

// cpus fills m.CPUs from the /cpus children with device_type "cpu". Disabled
// CPUs are kept: "disabled" means waiting to be started (3.8.1).
func (t *Tree) cpus(m *Machine) error {
	cpus := t.Lookup("/cpus")
	if cpus == nil {
		return nil
	}
	for _, n := range cpus.Children {
		if dt, _ := n.String("device_type"); dt != "cpu" {
			continue // e.g. cpu-map
		}
		// A CPU's reg is its ID, not an address: no translation.
		regs, err := n.RawReg()
		if err != nil {
			return err
		}
		if len(regs) == 0 {
			return fmt.Errorf("devicetree: %s has no reg", n.Path())
		}
		c := CPU{Node: n, Reg: regs[0].Base}
		c.EnableMethod, _ = n.String("enable-method")
		if a, ok := n.U64("cpu-release-addr"); ok {
			c.ReleaseAddr = a
		} else if a, ok := n.U32("cpu-release-addr"); ok {
			c.ReleaseAddr = uint64(a)
		}
		m.CPUs = append(m.CPUs, c)
	}
	return nil
}

// gic describes the first enabled GIC node.
func (t *Tree) gic() (*GIC, error) {
	for _, n := range t.nodes {
		comp, ver := gicVersion(n)
		if ver == 0 || !n.Enabled() {
			continue
		}
		regs, err := n.Reg()
		if err != nil {
			return nil, err
		}
		g := &GIC{Node: n, Compatible: comp, Version: ver}
		// reg: GICD, then GICR regions on v3, then GICC, GICH, GICV.
		nredist := 0
		if ver == 3 {
			nredist = 1
			if v, ok := n.U32("#redistributor-regions"); ok {
				nredist = int(min(v, 1<<16))
			}
		}
		if len(regs) < 1+nredist || (ver == 2 && len(regs) < 2) {
			return nil, fmt.Errorf("devicetree: %s: reg has %d ranges, too few for a GICv%d", n.Path(), len(regs), ver)
		}
		g.Distributor = regs[0]
		g.Redistributors = regs[1 : 1+nredist]
		rest := regs[1+nredist:]
		for i, p := range []*Range{&g.CPUInterface, &g.HypInterface, &g.VCPUInterface} {
			if i < len(rest) {
				*p = rest[i]
			}
		}
		irqs, err := n.Interrupts()
		if err != nil {
			return nil, err
		}
		if len(irqs) > 0 {
			g.Maintenance = irqs[0].ID()
		}
		return g, nil
	}
	return nil, nil
}

// timer describes the first enabled generic timer node. Its interrupts are,
// in order: secure physical, non-secure physical, virtual, hypervisor
// physical and (optionally) hypervisor virtual timer PPIs.
func (t *Tree) timer() (*Timer, error) {
	var n *Node
	for _, c := range []string{"arm,armv8-timer", "arm,armv7-timer"} {
		for _, x := range t.Compatible(c) {
			if n == nil && x.Enabled() {
				n = x
			}
		}
	}
	if n == nil {
		return nil, nil
	}
	irqs, err := n.Interrupts()
	if err != nil {
		return nil, err
	}
	tm := &Timer{Node: n, Interrupts: irqs}
	tm.Frequency, _ = n.U32("clock-frequency")
	for i, p := range []*uint32{&tm.SecurePhys, &tm.NonSecurePhys, &tm.Virtual, &tm.HypPhys, &tm.HypVirtual} {
		if i < len(irqs) {
			*p = irqs[i].ID()
		}
	}
	return tm, nil
}

// firstDevice describes the first enabled node compatible with c.
func (t *Tree) firstDevice(c string) (*Device, error) {
	for _, n := range t.Compatible(c) {
		if n.Enabled() {
			return device(n)
		}
	}
	return nil, nil
}

func device(n *Node) (*Device, error) {
	regs, err := n.Reg()
	if err != nil {
		return nil, err
	}
	if len(regs) == 0 {
		return nil, fmt.Errorf("devicetree: %s has no reg", n.Path())
	}
	d := &Device{Node: n, Reg: regs[0]}
	irqs, err := n.Interrupts()
	if err != nil {
		return nil, err
	}
	if len(irqs) > 0 {
		d.IRQ = irqs[0].ID()
	}
	return d, nil
}
