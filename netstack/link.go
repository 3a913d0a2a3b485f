package netstack

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/yolkos/yolk/drivers/virtio"
)

// NIC is an Ethernet device as the stack sees it. virtionet.Device is
// one; tests use a pair of pipes.
type NIC interface {
	HardwareAddr() net.HardwareAddr
	// MTU is the largest IP packet.
	MTU() int
	// Send transmits one frame made of parts (copied). It fails with
	// virtio.ErrQueueFull when the device has no room; the NIC then
	// interrupts (wakes Config.Wait) when it has.
	Send(parts ...[]byte) error
	// Receive hands each received frame to deliver (valid during the
	// call only) without blocking.
	Receive(deliver func(frame []byte)) (int, error)
	// Reclaim collects transmit buffers the device is done with.
	Reclaim() error
}

// link is the stack's link endpoint for a NIC: whole Ethernet frames in
// and out (the ethernet wrapper adds and strips the header).
type link struct {
	nic  NIC
	addr tcpip.LinkAddress

	dispatcher atomic.Pointer[stack.NetworkDispatcher] // set by Attach

	// tap, when set, sees received frames first and keeps those it
	// returns true for (DHCP replies, before the stack has an address).
	tap atomic.Pointer[func(frame []byte) bool]

	// Transmitters waiting for room on the NIC.
	txMu   sync.Mutex
	txCond *sync.Cond
	txGen  uint64 // incremented on each reclaim

	drops atomic.Uint64
}

func newLink(nic NIC) *link {
	l := &link{nic: nic, addr: tcpip.LinkAddress(nic.HardwareAddr())}
	l.txCond = sync.NewCond(&l.txMu)
	return l
}

var _ stack.LinkEndpoint = (*link)(nil)

func (l *link) MTU() uint32                    { return uint32(l.nic.MTU() + header.EthernetMinimumSize) }
func (l *link) SetMTU(uint32)                  {}
func (l *link) MaxHeaderLength() uint16        { return 0 }
func (l *link) LinkAddress() tcpip.LinkAddress { return l.addr }
func (l *link) SetLinkAddress(tcpip.LinkAddress) {
}
func (l *link) Capabilities() stack.LinkEndpointCapabilities { return stack.CapabilityNone }
func (l *link) ARPHardwareType() header.ARPHardwareType      { return header.ARPHardwareNone }
func (l *link) AddHeader(*stack.PacketBuffer)                {}
func (l *link) ParseHeader(*stack.PacketBuffer) bool         { return true }
func (l *link) Wait()                                        {}
func (l *link) Close()                                       {}
func (l *link) SetOnCloseAction(func())                      {}

func (l *link) Attach(d stack.NetworkDispatcher) {
	if d == nil {
		l.dispatcher.Store(nil)
		return
	}
	l.dispatcher.Store(&d)
}

func (l *link) IsAttached() bool {
	return l.dispatcher.Load() != nil
}

// WritePackets sends each packet as one frame. When the NIC is full the
// caller waits for the service goroutine to reclaim buffers (it never
// calls into the stack, so it cannot be the caller waiting here).
func (l *link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		if err := l.send(pkt.AsSlices()); err != nil {
			l.drops.Add(1)
			if n == 0 {
				return 0, &tcpip.ErrClosedForSend{}
			}
			return n, nil
		}
		n++
	}
	return n, nil
}

func (l *link) send(parts [][]byte) error {
	for {
		l.txMu.Lock()
		gen := l.txGen
		l.txMu.Unlock()
		err := l.nic.Send(parts...)
		if !errors.Is(err, virtio.ErrQueueFull) {
			return err
		}
		l.txMu.Lock()
		for l.txGen == gen {
			l.txCond.Wait()
		}
		l.txMu.Unlock()
	}
}

// reclaimed is called by the service goroutine after the NIC interrupted.
func (l *link) reclaimed() {
	l.txMu.Lock()
	l.txGen++
	l.txMu.Unlock()
	l.txCond.Broadcast()
}

// deliver hands a received frame to the tap or the stack (copied: the
// NIC reuses its buffer).
func (l *link) deliver(frame []byte) {
	if tap := l.tap.Load(); tap != nil && (*tap)(frame) {
		return
	}
	d := l.dispatcher.Load()
	if d == nil {
		l.drops.Add(1)
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	(*d).DeliverNetworkPacket(0, pkt)
	pkt.DecRef()
}
