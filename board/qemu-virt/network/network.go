//go:build tamago

// Package network brings up networking on QEMU's virt machine: the first
// virtio-net device the device tree lists, driven by its interrupt, under
// gVisor's TCP/IP stack, with the standard net package's sockets on top.
//
//	st, err := network.Start() // after this, net.Listen and net.Dial work
//
// The address comes from DHCP unless the boot arguments give one:
// ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3 (gw and dns also override what
// DHCP says). QEMU needs a modern virtio-mmio device:
// -device virtio-net-device,netdev=... -global virtio-mmio.force-legacy=false
package network

import (
	"errors"
	"fmt"
	"os"

	"github.com/yolkos/yolk/board/bootargs"
	qemuvirt "github.com/yolkos/yolk/board/qemu-virt"
	"github.com/yolkos/yolk/drivers/virtio"
	virtionet "github.com/yolkos/yolk/drivers/virtio/net"
	"github.com/yolkos/yolk/kernel/timer"
	"github.com/yolkos/yolk/netstack"
	"github.com/yolkos/yolk/sched"
)

var (
	// Device is the network device, once Start has found it.
	Device *virtionet.Device
	// IRQ is its interrupt (GIC INTID).
	IRQ uint32
	// Stack is the running stack, once Start succeeded.
	Stack *netstack.Stack
)

// Start finds the virtio-net device, starts the stack on it, waits for
// an IPv4 address and installs the stack as net.SocketFunc. It fails with
// a message saying what is missing.
func Start() (*netstack.Stack, error) {
	if Stack != nil {
		return Stack, nil
	}
	var opts virtionet.Options
	noOffload, err1 := bootargs.Switch(qemuvirt.Machine.Bootargs, "yolk.netoffload", "on", "off")
	noBatch, err2 := bootargs.Switch(qemuvirt.Machine.Bootargs, "yolk.netbatch", "on", "off")
	exactClock, err3 := bootargs.Switch(qemuvirt.Machine.Bootargs, "yolk.netclock", "recent", "exact")
	gvisorClose, err4 := bootargs.Switch(qemuvirt.Machine.Bootargs, "yolk.netclose", "fix", "gvisor")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	opts.Offloads, opts.EventIdx = !noOffload, !noBatch
	dev, irq, err := find(opts)
	if err != nil {
		return nil, err
	}
	addr, gw, dns, err := netstack.ParseStatic(os.Getenv("ip"), os.Getenv("gw"), os.Getenv("dns"))
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	var recent func() int64
	if !exactClock {
		recent = timer.Recent
	}
	ev := sched.NewEvent()
	gic := qemuvirt.Interrupts
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
	st, err := netstack.Start(netstack.Config{
		NIC: dev, Wait: ev.WaitOr,
		Static: addr, Gateway: gw, DNS: dns,
		Hostname:       "yolk",
		RecentNanotime: recent,
		NoBatch:        noBatch,
		GVisorClose:    gvisorClose,
		Log: func(format string, args ...any) {
			if os.Getenv("yolk.quiet") == "" {
				fmt.Printf("network: "+format+"\n", args...)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	if !dev.LinkUp() {
		fmt.Println("network: warning: the device reports its link down")
	}
	st.InstallSockets()
	Stack = st
	return st, nil
}

// find returns the first virtio network device and its interrupt.
func find(opts virtionet.Options) (*virtionet.Device, uint32, error) {
	var errs []error
	for _, d := range qemuvirt.Machine.VirtioMMIO {
		t := &virtio.Transport{Base: uintptr(d.Reg.Base)}
		id, err := t.Probe()
		if errors.Is(err, virtio.ErrNoDevice) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if id != virtio.DeviceNet {
			continue
		}
		if d.IRQ == 0 {
			return nil, 0, fmt.Errorf("network: virtio-net at %#x has no interrupt in the device tree", d.Reg.Base)
		}
		dev, err := virtionet.New(t, opts)
		return dev, d.IRQ, err
	}
	if len(errs) > 0 {
		return nil, 0, fmt.Errorf("network: no usable virtio-net device: %w", errors.Join(errs...))
	}
	return nil, 0, errors.New("network: no virtio-net device (QEMU: -netdev user,id=n0 -device virtio-net-device,netdev=n0 -global virtio-mmio.force-legacy=false)")
}
