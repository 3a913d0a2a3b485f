package netstack

import (
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/stack/gro"

	"github.com/yolkos/yolk/netstack/nic"
)

// link is the stack's link endpoint for a NIC: Ethernet framing, the
// NIC's offloads as gVisor capabilities, received frames through GRO,
// sent packets as batches.
type link struct {
	nic  nic.Device
	addr tcpip.LinkAddress
	off  nic.Offloads
	caps stack.LinkEndpointCapabilities
	gso  stack.SupportedGSO

	dispatcher atomic.Pointer[stack.NetworkDispatcher] // set by Attach

	// Receiving: only the receive goroutine touches thin, gro, check and
	// rxOut.
	thin        *thinner // nil: no ACK thinning
	gro         gro.GRO
	checkTCP    bool // check TCP checksums before GRO (rxcsum.go)
	check       checker
	rxValidated atomic.Bool
	rxOut       []*stack.PacketBuffer
	// onClosing, when set, sees the segments closingSegment picks
	// (SYNs without ACK, FINs with ACK) before the stack does, and may
	// rewrite them (closing.go).
	onClosing func(tcpip.NetworkProtocolNumber, header.TCP, stack.TransportEndpointID, int)
	// tap, when set, sees received frames first and keeps those it
	// returns true for (DHCP replies, before the stack has an address).
	tap atomic.Pointer[func(frame []byte) bool]

	// txWait bounds how long a sender waits for room in the NIC.
	txWait time.Duration
	// Flushing (see send): with batching, senders leave the NIC's
	// notification to the receive goroutine, which flushReq wakes, unless
	// flushAt frames are waiting for it.
	batch     bool
	flushReq  chan struct{}
	unflushed atomic.Int32

	stats LinkStats
}

// LinkStats count what the link layer did with frames it could not pass
// on, by reason; every field may be read at any time.
type LinkStats struct {
	// RxNoStack: received before the stack attached; RxRunt: shorter
	// than an Ethernet header; RxChecksum: a bad IPv4 header checksum on
	// a packet whose transport checksum the NIC vouched for.
	RxNoStack, RxRunt, RxChecksum atomic.Uint64
	// RxThinned: pure ACKs dropped as superseded by a later one of the
	// same batch (ackthin.go).
	RxThinned atomic.Uint64
	// TxFull: packets dropped after waiting txWait for room in the NIC;
	// TxError: packets the NIC refused; TxWaits: times a sender found
	// the NIC full and waited.
	TxFull, TxError, TxWaits atomic.Uint64
}

// linkOptions are the link's switchable mechanisms.
type linkOptions struct {
	gro   bool // coalesce received TCP segments (gVisor's GRO)
	thin  bool // drop pure ACKs superseded within a receive batch
	batch bool // one NIC notification for the frames sent until the sender yields, and gVisor's GSO
}

// flushAt is how many frames may wait for a deferred flush before the
// sender flushes itself.
const flushAt = 32

// udpChecksumOffset is where a UDP header's checksum is (RFC 768).
const udpChecksumOffset = 6

// gsoMaxSize is the largest segment handed to a NIC that segments: its
// TCP payload, headers of at most 61 bytes (tcp/snd.go) and an IPv6
// header stay within an IP packet's 64 KiB.
const gsoMaxSize = 65535 - header.IPv6MinimumSize

func newLink(n nic.Device, opts linkOptions) *link {
	l := &link{nic: n, addr: tcpip.LinkAddress(n.HardwareAddr()), off: n.Offloads(), txWait: time.Second,
		batch: opts.batch, flushReq: make(chan struct{}, 1)}
	l.caps = stack.CapabilityResolutionRequired
	if l.off.TXChecksum {
		l.caps |= stack.CapabilityTXChecksumOffload
	}
	switch {
	case l.off.TSO4 || l.off.TSO6:
		l.gso = stack.HostGSOSupported
	case opts.batch:
		// TCP builds segments of up to 64 KiB and cuts them into
		// packets itself (tcp/connect.go, sendTCPBatch): its
		// per-segment work is done once per 64 KiB.
		l.gso = stack.GVisorGSOSupported
	}
	l.check.l = l
	if opts.thin {
		l.thin = &thinner{thinned: &l.stats.RxThinned}
	}
	l.gro.Init(opts.gro)
	l.checkTCP = opts.gro
	l.gro.Dispatcher = &l.check
	return l
}

var (
	_ stack.LinkEndpoint = (*link)(nil)
	_ stack.GSOEndpoint  = (*link)(nil)
)

func (l *link) MTU() uint32                      { return uint32(l.nic.MTU()) }
func (l *link) SetMTU(uint32)                    {}
func (l *link) MaxHeaderLength() uint16          { return header.EthernetMinimumSize }
func (l *link) LinkAddress() tcpip.LinkAddress   { return l.addr }
func (l *link) SetLinkAddress(tcpip.LinkAddress) {}

// Capabilities are the link's, with CapabilityRXChecksumOffload while the
// receive goroutine delivers a packet whose checksum was checked (see
// checker).
func (l *link) Capabilities() stack.LinkEndpointCapabilities {
	if l.rxValidated.Load() {
		return l.caps | stack.CapabilityRXChecksumOffload
	}
	return l.caps
}
func (l *link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (l *link) Wait()                                   {}
func (l *link) Close()                                  {}
func (l *link) SetOnCloseAction(func())                 {}
func (l *link) SupportedGSO() stack.SupportedGSO        { return l.gso }

func (l *link) GSOMaxSize() uint32 {
	switch l.gso {
	case stack.HostGSOSupported:
		return gsoMaxSize
	case stack.GVisorGSOSupported:
		return stack.GVisorGSOMaxSize
	}
	return 0
}

func (l *link) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: pkt.EgressRoute.LocalLinkAddress,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

func (l *link) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}

func (l *link) Attach(d stack.NetworkDispatcher) {
	if d == nil {
		l.dispatcher.Store(nil)
		return
	}
	l.dispatcher.Store(&d)
}

func (l *link) IsAttached() bool { return l.dispatcher.Load() != nil }

// WritePackets hands the packets to the NIC as one batch. When the NIC
// has no room the sender reclaims and waits, up to txWait, then drops
// what is left (the stack counts ErrNoBufferSpace; TCP retransmits).
func (l *link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	s := scratches.Get().(*txScratch)
	s.frames, s.parts = s.frames[:0], s.parts[:0]
	for _, pkt := range pkts.AsSlice() {
		f, parts := l.frame(pkt, s.parts)
		s.frames, s.parts = append(s.frames, f), parts
	}
	n, err := l.send(s.frames)
	clear(s.parts) // no references to the packets' memory stay behind
	scratches.Put(s)
	return n, err
}

// txScratch holds the descriptions of the frames of one WritePackets call
// (the NIC copies the frames before Transmit returns): pooled, because a
// sender writes one packet after the other.
type txScratch struct {
	frames []nic.Frame
	parts  [][]byte
}

var scratches = sync.Pool{New: func() any { return new(txScratch) }}

// send transmits frames, waiting for room as WritePackets says, and gets
// them flushed. Each flush is a notification of the device, which under
// QEMU is an exit to the emulator that waits for its global lock; a TCP
// sender answering a batch of ACKs sends one segment after the other, so
// with batching the sender only asks the receive goroutine to flush:
// waking it puts it next in line on the sender's core, so it runs, and
// flushes everything sent meanwhile, as soon as the sender yields.
func (l *link) send(frames []nic.Frame) (int, tcpip.Error) {
	n, err := l.transmit(frames)
	if n == 0 {
		return n, err
	}
	if !l.batch {
		l.flush()
		return n, err
	}
	// The first frame since the last flush wakes the receive goroutine;
	// later ones find it woken.
	switch waiting := l.unflushed.Add(int32(n)); {
	case waiting >= flushAt:
		l.flush()
	case waiting == int32(n):
		select {
		case l.flushReq <- struct{}{}:
		default:
		}
	}
	return n, err
}

// flush notifies the NIC of the frames sent so far.
func (l *link) flush() {
	l.unflushed.Store(0)
	l.nic.Flush()
}

// transmit hands frames to the NIC, waiting for room as WritePackets
// says.
func (l *link) transmit(frames []nic.Frame) (int, tcpip.Error) {
	sent := 0
	var waited time.Duration
	for backoff := 20 * time.Microsecond; ; backoff = min(2*backoff, time.Millisecond) {
		n, err := l.nic.Transmit(frames[sent:])
		sent += n
		if err != nil {
			l.stats.TxError.Add(1)
			if sent == 0 {
				return 0, &tcpip.ErrAborted{}
			}
			return sent, nil
		}
		if sent == len(frames) {
			return sent, nil
		}
		// The NIC may be full of frames not flushed yet.
		l.flush()
		if err := l.nic.Reclaim(); err != nil {
			l.stats.TxError.Add(1)
			return sent, &tcpip.ErrAborted{}
		}
		if waited >= l.txWait {
			l.stats.TxFull.Add(uint64(len(frames) - sent))
			if sent == 0 {
				return 0, &tcpip.ErrNoBufferSpace{}
			}
			return sent, nil
		}
		if waited == 0 {
			l.stats.TxWaits.Add(1)
		}
		time.Sleep(backoff)
		waited += backoff
	}
}

// frame describes pkt to the NIC: its bytes, and the offloads it asks
// for. With TX checksum offload the stack left the TCP and UDP checksums
// to the link (or, for a segmentation request, put the pseudo-header sum
// in place already), and the NIC completes them from the pseudo-header
// sum the link puts in the checksum field.
func (l *link) frame(pkt *stack.PacketBuffer, scratch [][]byte) (nic.Frame, [][]byte) {
	start := len(scratch)
	vl, off := pkt.AsViewList()
	for v := vl.Front(); v != nil; v = v.Next() {
		b := v.AsSlice()
		if off >= len(b) {
			off -= len(b)
			continue
		}
		scratch = append(scratch, b[off:])
		off = 0
	}
	f := nic.Frame{Parts: scratch[start:len(scratch):len(scratch)]}
	return l.offloads(pkt, f), scratch
}

// offloads adds to f the offloads pkt asks for.
func (l *link) offloads(pkt *stack.PacketBuffer, f nic.Frame) nic.Frame {
	if !l.off.TXChecksum {
		return f
	}
	var off uint16
	switch pkt.TransportProtocolNumber {
	case header.TCPProtocolNumber:
		off = header.TCPChecksumOffset
	case header.UDPProtocolNumber:
		off = udpChecksumOffset
	default:
		return f
	}
	th := pkt.TransportHeader().Slice()
	nh := pkt.NetworkHeader().Slice()
	if len(th) < int(off)+2 || len(nh) == 0 {
		return f
	}
	gso := pkt.GSOOptions
	if gso.Type == stack.GSONone || !gso.NeedsCsum {
		src, dst, ok := addresses(pkt.NetworkProtocolNumber, nh)
		if !ok {
			return f
		}
		length := uint16(len(th) + pkt.Data().Size())
		sum := header.PseudoHeaderChecksum(pkt.TransportProtocolNumber, src, dst, length)
		th[off], th[off+1] = byte(sum>>8), byte(sum)
	}
	f.CsumStart = uint16(len(pkt.LinkHeader().Slice()) + len(nh))
	f.CsumOffset = off
	// The stack marks every segment of a connection that may be
	// segmented, the handshake's too (whose MSS is not known yet): only
	// a payload larger than one segment is cut.
	if gso.MSS == 0 || pkt.Data().Size() <= int(gso.MSS) {
		return f
	}
	switch gso.Type {
	case stack.GSOTCPv4:
		f.GSO = nic.GSOTCPv4
	case stack.GSOTCPv6:
		f.GSO = nic.GSOTCPv6
	default:
		return f
	}
	f.GSOSize = gso.MSS
	f.HdrLen = f.CsumStart + uint16(len(th))
	return f
}

// addresses are the source and destination of an IPv4 or IPv6 header.
func addresses(proto tcpip.NetworkProtocolNumber, nh []byte) (src, dst tcpip.Address, ok bool) {
	switch proto {
	case header.IPv4ProtocolNumber:
		if len(nh) < header.IPv4MinimumSize {
			return src, dst, false
		}
		h := header.IPv4(nh)
		return h.SourceAddress(), h.DestinationAddress(), true
	case header.IPv6ProtocolNumber:
		if len(nh) < header.IPv6MinimumSize {
			return src, dst, false
		}
		h := header.IPv6(nh)
		return h.SourceAddress(), h.DestinationAddress(), true
	}
	return src, dst, false
}

// deliver hands a received frame to the tap or, through GRO, to the
// stack. It runs on the receive goroutine, which calls flush after each
// batch.
func (l *link) deliver(r nic.Received) {
	if tap := l.tap.Load(); tap != nil && (*tap)(r.Frame.Flatten()) {
		r.Frame.Release()
		return
	}
	if l.dispatcher.Load() == nil {
		l.stats.RxNoStack.Add(1)
		r.Frame.Release()
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: r.Frame})
	defer pkt.DecRef()
	hdr, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	if !ok {
		l.stats.RxRunt.Add(1)
		return
	}
	eth := header.Ethernet(hdr)
	switch dst := eth.DestinationAddress(); {
	case dst == header.EthernetBroadcastAddress:
		pkt.PktType = tcpip.PacketBroadcast
	case header.IsMulticastEthernetAddress(dst):
		pkt.PktType = tcpip.PacketMulticast
	case dst == l.addr:
		pkt.PktType = tcpip.PacketHost
	default:
		pkt.PktType = tcpip.PacketOtherHost
	}
	pkt.NetworkProtocolNumber = eth.Type()
	pkt.RXChecksumValidated = r.ChecksumOK
	// Before GRO, which changes the IPv4 length of the packets it merges
	// without updating the header checksum (gro.updateIPv4Hdr), having
	// checked it itself on packets no device vouched for.
	if r.ChecksumOK && pkt.NetworkProtocolNumber == header.IPv4ProtocolNumber && !ipv4HeaderValid(pkt) {
		l.stats.RxChecksum.Add(1)
		return
	}
	if !r.ChecksumOK && l.checkTCP {
		pkt.RXChecksumValidated = tcpChecksumsOK(pkt) // for GRO (rxcsum.go)
	}
	if l.thin == nil {
		l.gro.Enqueue(pkt)
		return
	}
	l.rxOut = l.thin.take(pkt, l.rxOut[:0])
	l.enqueue()
}

// enqueue hands the packets in rxOut to GRO.
func (l *link) enqueue() {
	for i, p := range l.rxOut {
		l.gro.Enqueue(p)
		p.DecRef()
		l.rxOut[i] = nil
	}
}

// endBatch passes on what the link holds at the end of a receive batch:
// the ACKs the thinner kept, then what GRO merged.
func (l *link) endBatch() {
	if l.thin != nil {
		l.rxOut = l.thin.drain(l.rxOut[:0])
		l.enqueue()
	}
	l.gro.Flush()
}

// checker passes received packets from GRO to the stack, telling it
// through the link's capabilities whether each one's transport checksum
// was checked already (by the NIC, or by GRO, which checks the packets it
// coalesces), so that the stack checks every packet once: gVisor's NIC
// sets a packet's RXChecksumValidated from CapabilityRXChecksumOffload as
// it delivers it (stack/nic.go), and only this goroutine delivers. (The
// IPv4 header checksum of a packet the device vouched for, which the
// stack then does not check, deliver checks.)
type checker struct{ l *link }

func (c *checker) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	d := c.l.dispatcher.Load()
	if d == nil {
		c.l.stats.RxNoStack.Add(1)
		return
	}
	if c.l.onClosing != nil {
		if t, id, n, ok := closingSegment(proto, pkt); ok {
			c.l.onClosing(proto, t, id, n)
		}
	}
	c.l.rxValidated.Store(pkt.RXChecksumValidated)
	(*d).DeliverNetworkPacket(proto, pkt)
	c.l.rxValidated.Store(false)
}

func (c *checker) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

// ipv4HeaderValid checks the IPv4 header checksum; a malformed header
// passes, for the stack to reject with its own counters.
func ipv4HeaderValid(pkt *stack.PacketBuffer) bool {
	b, ok := pkt.Data().PullUp(header.IPv4MinimumSize)
	if !ok {
		return true
	}
	n := int(header.IPv4(b).HeaderLength())
	if b, ok = pkt.Data().PullUp(n); !ok || n < header.IPv4MinimumSize {
		return true
	}
	return header.IPv4(b).IsChecksumValid()
}
