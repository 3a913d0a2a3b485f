package devicetree

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtures are the QEMU virt blobs in testdata (see testdata/README). The
// expected values were read from `dtc -I dtb -O dts`.
var fixtures = []struct {
	file          string
	mem           uint64
	cpus          int
	enableMethod  string // of every CPU; the single-CPU tree has none
	psci          string
	gicVersion    int
	timerFlags    uint32 // third cell of the timer interrupts
	hypVirtTimer  uint32 // INTID, only with virtualization=on
	msiCompatible string // the GIC's child node
	msiBase       uint64
}{
	{"qemu-virt-smp1.dtb", 512 << 20, 1, "", "hvc", 2, 0x104, 0, "arm,gic-v2m-frame", 0x8020000},
	{"qemu-virt-smp4.dtb", 1 << 30, 4, "psci", "hvc", 2, 0xf04, 0, "arm,gic-v2m-frame", 0x8020000},
	{"qemu-virt-gicv3-smp8.dtb", 2 << 30, 8, "psci", "hvc", 3, 0x4, 0, "arm,gic-v3-its", 0x8080000},
	{"qemu-virt-el2.dtb", 1 << 30, 2, "psci", "smc", 2, 0x304, 28, "arm,gic-v2m-frame", 0x8020000},
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestFixtureMachine(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			tree, err := Parse(readFixture(t, fx.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := tree.Machine()
			if err != nil {
				t.Fatal(err)
			}
			if m.Model != "linux,dummy-virt" || len(m.Compatible) != 1 || m.Compatible[0] != "linux,dummy-virt" {
				t.Errorf("model %q compatible %q", m.Model, m.Compatible)
			}
			if len(m.Memory) != 1 || m.Memory[0] != (Range{0x40000000, fx.mem}) {
				t.Errorf("Memory = %#x, want [{0x40000000 %#x}]", m.Memory, fx.mem)
			}
			if len(m.Reserved) != 0 || len(tree.MemReserve) != 0 {
				t.Errorf("Reserved = %#x, want none", m.Reserved)
			}
			if len(m.CPUs) != fx.cpus {
				t.Fatalf("%d CPUs, want %d", len(m.CPUs), fx.cpus)
			}
			for i, c := range m.CPUs {
				if c.Reg != uint64(i) || c.EnableMethod != fx.enableMethod || c.ReleaseAddr != 0 {
					t.Errorf("CPU %d = %+v", i, c)
				}
			}
			if m.PSCIMethod != fx.psci {
				t.Errorf("PSCIMethod = %q, want %q", m.PSCIMethod, fx.psci)
			}
			if m.Bootargs != "" {
				t.Errorf("Bootargs = %q", m.Bootargs)
			}
			if m.StdoutPath != "/pl011@9000000" || m.Stdout == nil || m.Stdout != m.UART.Node || m.StdoutOptions != "" {
				t.Errorf("stdout %q -> %v", m.StdoutPath, m.Stdout)
			}

			g := m.GIC
			if g == nil || g.Version != fx.gicVersion || g.Distributor != (Range{0x8000000, 0x10000}) {
				t.Fatalf("GIC = %+v", g)
			}
			switch {
			case fx.gicVersion == 3:
				if g.Compatible != "arm,gic-v3" || len(g.Redistributors) != 1 ||
					g.Redistributors[0] != (Range{0x80a0000, 0xf60000}) || g.CPUInterface != (Range{}) {
					t.Errorf("GICv3 = %+v", g)
				}
			case g.Compatible != "arm,cortex-a15-gic" || len(g.Redistributors) != 0 || g.CPUInterface != (Range{0x8010000, 0x10000}):
				t.Errorf("GICv2 = %+v", g)
			}
			if fx.hypVirtTimer != 0 { // virtualization=on: GICH, GICV and the maintenance PPI 9
				if g.HypInterface != (Range{0x8030000, 0x10000}) || g.VCPUInterface != (Range{0x8040000, 0x10000}) || g.Maintenance != 25 {
					t.Errorf("GIC virtualization = %+v", g)
				}
			} else if g.HypInterface != (Range{}) || g.Maintenance != 0 {
				t.Errorf("GIC = %+v", g)
			}

			tm := m.Timer
			if tm == nil || tm.SecurePhys != 29 || tm.NonSecurePhys != 30 || tm.Virtual != 27 || tm.HypPhys != 26 ||
				tm.HypVirtual != fx.hypVirtTimer || tm.Frequency != 0 {
				t.Fatalf("Timer = %+v", tm)
			}
			for _, irq := range tm.Interrupts {
				if !irq.GIC || irq.Type != IntPPI || irq.Flags != fx.timerFlags || irq.Controller != g.Node {
					t.Errorf("timer interrupt %+v", irq)
				}
			}

			if m.UART == nil || m.UART.Reg != (Range{0x9000000, 0x1000}) || m.UART.IRQ != 33 {
				t.Errorf("UART = %+v", m.UART)
			}
			if m.RTC == nil || m.RTC.Reg != (Range{0x9010000, 0x1000}) || m.RTC.IRQ != 34 {
				t.Errorf("RTC = %+v", m.RTC)
			}
			if len(m.VirtioMMIO) != 32 {
				t.Fatalf("%d virtio,mmio devices, want 32", len(m.VirtioMMIO))
			}
			for i, d := range m.VirtioMMIO {
				if d.Reg != (Range{0xa000000 + 0x200*uint64(i), 0x200}) || d.IRQ != 48+uint32(i) {
					t.Errorf("virtio %d = %+v", i, d)
				}
			}
		})
	}
}

func TestFixtureTree(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			tree, err := Parse(readFixture(t, fx.file))
			if err != nil {
				t.Fatal(err)
			}
			if tree.Version != 17 || tree.BootCPU != 0 || tree.Root.Name != "" || tree.Root.Path() != "/" {
				t.Errorf("tree header: %+v", tree)
			}
			uart := tree.Lookup("/pl011@9000000")
			if uart == nil || uart.Name != "pl011@9000000" || uart.Parent != tree.Root {
				t.Fatalf("Lookup(/pl011@9000000) = %v", uart)
			}
			for _, p := range []string{"serial0", "/pl011", "serial0/", "/pl011@9000000/"} {
				if n := tree.Lookup(p); n != uart {
					t.Errorf("Lookup(%q) = %v", p, n)
				}
			}
			for _, p := range []string{"", "serial1", "/pl011@9000001", "/virtio_mmio", "/nope", "serial0/x"} {
				if n := tree.Lookup(p); n != nil {
					t.Errorf("Lookup(%q) = %s, want nil (virtio_mmio is ambiguous)", p, n.Path())
				}
			}
			msi, msiPath := "/intc/v2m", "/intc@8000000/v2m@8020000"
			if fx.gicVersion == 3 {
				msi, msiPath = "/intc/its", "/intc@8000000/its@8080000"
			}
			if n := tree.Lookup(msi); n == nil || n.Path() != msiPath {
				t.Errorf("Lookup(%s) = %v", msi, n)
			}
			if n := tree.Lookup("/cpus/cpu@0"); n == nil || n.Path() != "/cpus/cpu@0" {
				t.Errorf("Lookup(/cpus/cpu@0) = %v", n)
			}
			for _, n := range tree.Nodes() {
				if got := tree.Lookup(n.Path()); got != n {
					t.Errorf("Lookup(%s) = %v", n.Path(), got)
				}
			}
			if c := tree.Compatible("virtio,mmio"); len(c) != 32 {
				t.Errorf("Compatible(virtio,mmio) = %d nodes", len(c))
			}
			if c := tree.Compatible("arm,primecell"); len(c) != 3 { // pl061, pl031, pl011
				t.Errorf("Compatible(arm,primecell) = %d nodes", len(c))
			}

			// Every node's interrupts resolve through the root's
			// interrupt-parent, and every reg with a mapped bus translates.
			root := tree.Root
			ph, ok := root.U32("interrupt-parent")
			gic := tree.ByPhandle(ph)
			if !ok || gic == nil || gic.Name != "intc@8000000" {
				t.Fatalf("root interrupt-parent %#x -> %v", ph, gic)
			}
			if p, err := uart.InterruptParent(); p != gic || err != nil {
				t.Errorf("InterruptParent = %v, %v", p, err)
			}
			irqs, err := uart.Interrupts()
			if err != nil || len(irqs) != 1 || irqs[0].Type != IntSPI || irqs[0].Number != 1 || irqs[0].Flags != 4 || irqs[0].ID() != 33 {
				t.Errorf("pl011 interrupts = %+v, %v", irqs, err)
			}
			pmu := tree.Compatible("arm,armv8-pmuv3")
			if irqs, err := pmu[0].Interrupts(); err != nil || len(irqs) != 1 || irqs[0].ID() != 23 {
				t.Errorf("pmu interrupts = %+v, %v", irqs, err)
			}
			if s, ok := uart.String("compatible"); !ok || s != "arm,pl011" {
				t.Errorf("String(compatible) = %q", s)
			}
			if l := uart.Strings("clock-names"); len(l) != 2 || l[0] != "uartclk" || l[1] != "apb_pclk" {
				t.Errorf("Strings(clock-names) = %q", l)
			}
			pci := tree.Compatible("pci-host-ecam-generic")[0]
			if r, err := pci.Reg(); err != nil || len(r) != 1 || r[0] != (Range{0x4010000000, 0x10000000}) {
				t.Errorf("pcie reg = %#x, %v", r, err)
			}
			// pcie has #address-cells 3: its ranges cannot be decoded here.
			if _, _, err := pci.busCells(); err == nil {
				t.Error("pcie busCells accepted 3 address cells")
			}
			flash := tree.Compatible("cfi-flash")[0]
			if r, err := flash.Reg(); err != nil || len(r) != 2 || r[1] != (Range{0x4000000, 0x4000000}) {
				t.Errorf("flash reg = %#x, %v", r, err)
			}
			cpu0 := tree.Lookup("/cpus/cpu@0")
			if r, err := cpu0.RawReg(); err != nil || len(r) != 1 || r[0] != (Range{0, 0}) {
				t.Errorf("cpu@0 RawReg = %v, %v", r, err)
			}
			if _, err := cpu0.Reg(); err == nil {
				t.Error("cpu@0 Reg translated through /cpus, which has no ranges")
			}
			for _, n := range tree.Nodes() {
				if _, err := n.Interrupts(); err != nil {
					t.Errorf("%s: %v", n.Path(), err)
				}
			}
		})
	}
}
