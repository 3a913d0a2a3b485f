//go:build tamago

// Package network brings up the Raspberry Pi 4's Ethernet: the BCM2711's
// GENET controller (drivers/bcm2711/genet) at the device tree's
// "brcm,bcm2711-genet-v5" node, driven by its interrupt, under gVisor's
// TCP/IP stack, with the standard net package's sockets on top. It is
// board/qemu-virt/network's counterpart, so one application builds for
// both boards:
//
//	st, err := network.Start() // after this, net.Listen and net.Dial work
//
// The address comes from DHCP unless the boot arguments give one:
// ip=192.168.1.50/24 gw=192.168.1.1 dns=192.168.1.1 (gw and dns also
// override what DHCP says). The MAC address is the device tree's
// local-mac-address (the firmware fills it in), else the firmware's
// answer to the mailbox's BoardMAC. A goroutine polls the PHY every
// second and reports link changes.
package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"

	"github.com/yolkos/yolk/board/bootargs"
	"github.com/yolkos/yolk/board/rpi4"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/drivers/bcm2711/genet"
	"github.com/yolkos/yolk/drivers/dma"
	"github.com/yolkos/yolk/kernel/timer"
	"github.com/yolkos/yolk/netstack"
	"github.com/yolkos/yolk/netstack/nic"
	"github.com/yolkos/yolk/sched"
)

var (
	// Device is the Ethernet controller, once Start has found it.
	Device *genet.Device
	// IRQ is its interrupt (GIC INTID).
	IRQ uint32
	// Stack is the running stack, once Start succeeded.
	Stack *netstack.Stack
)

// linkWait bounds how long Start waits for autonegotiation before it
// asks DHCP anyway.
const linkWait = 10 * time.Second

// Start finds the GENET controller, brings it and the PHY up, starts the
// stack on it, waits for an IPv4 address and installs the stack as
// net.SocketFunc. It fails with a message saying what is missing.
func Start() (*netstack.Stack, error) {
	if Stack != nil {
		return Stack, nil
	}
	addr, gw, dns, err := netstack.ParseStatic(os.Getenv("ip"), os.Getenv("gw"), os.Getenv("dns"))
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	// The same switches as on virt: yolk.netoffload=off (no transmit
	// checksum offload), yolk.netbatch=off (a producer index write per
	// frame), yolk.netclock=exact.
	noOffload, err1 := bootargs.Switch(rpi4.Machine.Bootargs, "yolk.netoffload", "on", "off")
	noBatch, err2 := bootargs.Switch(rpi4.Machine.Bootargs, "yolk.netbatch", "on", "off")
	exactClock, err3 := bootargs.Switch(rpi4.Machine.Bootargs, "yolk.netclock", "recent", "exact")
	gvisorClose, err4 := bootargs.Switch(rpi4.Machine.Bootargs, "yolk.netclose", "fix", "gvisor")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	var recent func() int64
	if !exactClock {
		recent = timer.Recent
	}
	node, err := find()
	if err != nil {
		return nil, err
	}
	cfg, irq, err := config(node)
	if err != nil {
		return nil, err
	}
	dev, err := genet.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("network: %s: %w", node.Path(), err)
	}
	for _, w := range dev.Warnings() {
		fmt.Printf("network: warning: %s\n", w) // even with yolk.quiet
	}
	ev := sched.NewEvent()
	gic := rpi4.Interrupts
	gic.Handle(irq, func(uint32) {
		if dev.Interrupt() {
			ev.Signal()
		}
	})
	gic.Enable(irq)
	if err := gic.Err(); err != nil {
		return nil, fmt.Errorf("network: interrupt %d: %w", irq, err)
	}
	Device, IRQ = dev, irq
	logf("GENET at %#x, IRQ %d, MAC %v; waiting for the link", uintptr(cfg.Regs.(genet.MMIO)), irq, cfg.MAC)
	if !waitLink(dev) {
		fmt.Printf("network: warning: no link after %v (is the cable in?); trying anyway\n", linkWait)
	}
	dev.LinkChanged() // the stack starts from the link as it is now
	go watchLink(dev, ev)
	st, err := netstack.Start(netstack.Config{
		NIC: adapter{dev, !noOffload}, Wait: ev.WaitOr,
		Static: addr, Gateway: gw, DNS: dns,
		Hostname:       "yolk",
		RecentNanotime: recent,
		NoBatch:        noBatch,
		GVisorClose:    gvisorClose,
		Log:            logf,
	})
	if err != nil {
		return nil, err
	}
	st.InstallSockets()
	Stack = st
	return st, nil
}

func logf(format string, args ...any) {
	if os.Getenv("yolk.quiet") == "" {
		fmt.Printf("network: "+format+"\n", args...)
	}
}

// find returns the enabled GENET node.
func find() (*devicetree.Node, error) {
	for _, n := range rpi4.Tree.Compatible("brcm,bcm2711-genet-v5") {
		if n.Enabled() {
			return n, nil
		}
	}
	return nil, errors.New("network: no enabled brcm,bcm2711-genet-v5 node in the device tree: no Ethernet (QEMU's raspi4b models no GENET and deletes the node)")
}

// config reads what the driver needs from the node: registers,
// interrupt, DMA view, PHY address and mode, MAC address.
func config(n *devicetree.Node) (genet.Config, uint32, error) {
	var cfg genet.Config
	fail := func(format string, args ...any) (genet.Config, uint32, error) {
		return cfg, 0, fmt.Errorf("network: %s: "+format, append([]any{n.Path()}, args...)...)
	}
	regs, err := n.Reg()
	if err != nil || len(regs) == 0 {
		return fail("no registers (%v)", err)
	}
	irqs, err := n.Interrupts()
	if err != nil || len(irqs) == 0 || irqs[0].ID() == 0 {
		return fail("no GIC interrupt (%v)", err)
	}
	if cfg.DMA, err = dma.BusOf(n); err != nil {
		return fail("%v", err)
	}
	mode, ok := n.String("phy-mode")
	if !ok {
		return fail("no phy-mode")
	}
	phy, err := phyAddress(n)
	if err != nil {
		return fail("%v", err)
	}
	mac, err := macAddress(n)
	if err != nil {
		return fail("%v", err)
	}
	cfg.Regs, cfg.PHY, cfg.PHYMode, cfg.MAC = genet.MMIO(regs[0].Base), phy, mode, mac
	return cfg, irqs[0].ID(), nil
}

// phyAddress is the MDIO address of the PHY that phy-handle names (its
// reg).
func phyAddress(n *devicetree.Node) (int, error) {
	ph, ok := n.U32("phy-handle")
	if !ok {
		return 0, errors.New("no phy-handle")
	}
	p := rpi4.Tree.ByPhandle(ph)
	if p == nil {
		return 0, fmt.Errorf("phy-handle %#x names no node", ph)
	}
	a, ok := p.U32("reg")
	if !ok || a > 31 {
		return 0, fmt.Errorf("%s: no MDIO address (reg) between 0 and 31", p.Path())
	}
	return int(a), nil
}

// macAddress is local-mac-address when the firmware filled it in, else
// what the firmware says through the mailbox.
func macAddress(n *devicetree.Node) (net.HardwareAddr, error) {
	for _, p := range []string{"local-mac-address", "mac-address"} {
		if v, ok := n.Prop(p); ok && len(v) == 6 && usable(v) {
			return net.HardwareAddr(append([]byte(nil), v...)), nil
		}
	}
	mac, err := rpi4.Firmware.BoardMAC()
	if err != nil {
		return nil, fmt.Errorf("no local-mac-address, and the firmware's BoardMAC failed: %w", err)
	}
	if !usable(mac[:]) {
		return nil, fmt.Errorf("no local-mac-address, and the firmware's BoardMAC is %v", net.HardwareAddr(mac[:]))
	}
	return net.HardwareAddr(mac[:]), nil
}

// usable: not all zeros, not multicast.
func usable(m []byte) bool {
	return m[0]&1 == 0 && (m[0]|m[1]|m[2]|m[3]|m[4]|m[5]) != 0
}

func waitLink(d *genet.Device) bool {
	for end := time.Now().Add(linkWait); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if l, changed, err := d.PollLink(); err == nil && l.Up {
			if changed {
				logf("link %v", l)
			}
			return true
		}
	}
	return false
}

// watchLink polls the PHY every second, reports changes and wakes the
// stack's goroutine for them (which then asks LinkChanged: a DHCP lease
// is renewed when the link comes back).
func watchLink(d *genet.Device, ev *sched.Event) {
	for {
		time.Sleep(time.Second)
		l, changed, err := d.PollLink()
		switch {
		case err != nil:
			logf("link: %v", err)
		case changed:
			logf("link %v", l)
			ev.Signal()
		}
	}
}

// adapter puts the driver behind nic.Device (and Counting, Resetter,
// Linked): GENET completes transmit checksums (unless yolk.netoffload=off)
// and does no segmentation; received frames are copied out of the DMA
// buffers into the stack's.
type adapter struct {
	*genet.Device
	csum bool
}

func (a adapter) Offloads() nic.Offloads { return nic.Offloads{TXChecksum: a.csum} }

func (a adapter) Transmit(frames []nic.Frame) (int, error) {
	for i, f := range frames {
		if f.GSO != nic.GSONone || f.CsumStart != 0 && !a.csum {
			return i, fmt.Errorf("network: GENET cannot segment, nor complete checksums with yolk.netoffload=off")
		}
		if err := a.Queue(f.Parts, f.CsumStart, f.CsumOffset); errors.Is(err, genet.ErrFull) {
			return i, nil
		} else if err != nil {
			return i, err
		}
	}
	return len(frames), nil
}

func (a adapter) Poll(budget int, deliver func(nic.Received)) (int, error) {
	return a.Device.Poll(budget, func(frame []byte) {
		deliver(nic.Received{Frame: buffer.MakeWithData(frame)})
	})
}

func (a adapter) Counters() []nic.Counter {
	s := &a.Stats
	var cs []nic.Counter
	for _, c := range []struct {
		name string
		v    *atomic.Uint64
	}{
		{"rx_frames", &s.RxFrames}, {"rx_bytes", &s.RxBytes}, {"rx_drops", &s.RxDrops}, {"rx_errors", &s.RxErrors},
		{"tx_frames", &s.TxFrames}, {"tx_bytes", &s.TxBytes}, {"tx_drops", &s.TxDrops}, {"tx_errors", &s.TxErrors},
		{"tx_full", &s.TxFull}, {"interrupts", &s.Interrupts}, {"kicks", &s.Kicks}, {"polls", &s.Polls},
		{"resets", &s.Resets}, {"link_changes", &s.LinkChanges},
	} {
		cs = append(cs, nic.Counter{Name: c.name, Value: c.v.Load()})
	}
	return cs
}
