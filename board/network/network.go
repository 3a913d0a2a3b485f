//go:build tamago

// Package network starts the network on whichever board the program is
// built for (see package board): on QEMU virt, the virtio-net device
// under gVisor's TCP/IP stack; on a board without a network driver,
// Start fails and says so.
//
//	st, err := network.Start() // then net.Listen, net.Dial, net/http work
package network

import (
	"net"

	"github.com/yolkos/yolk/netstack"
)

// Interface is the running network interface.
type Interface struct {
	Stack *netstack.Stack
	MAC   net.HardwareAddr
	IRQ   uint32 // the device's interrupt (GIC INTID)
	// Features names the device features the driver negotiated.
	Features []string
	// Counters reads the device's counters.
	Counters func() Counters
	// Err is the device error that stopped the driver, if any.
	Err func() error
}

// Counters are a network device's frame and byte counts.
type Counters struct {
	RxFrames, RxBytes, RxDrops, RxErrors uint64
	TxFrames, TxBytes, TxDrops, TxErrors uint64
	Interrupts                           uint64
}

// Start brings up the board's network device and the TCP/IP stack on it,
// waits for an IPv4 address (DHCP, or the boot arguments ip=, gw=, dns=)
// and installs the stack under the net package. It fails with a message
// saying what is missing, e.g. on a board that has no network driver.
func Start() (*netstack.Stack, error) { return start() }

// Current is the interface Start brought up, or nil.
func Current() *Interface { return current() }
