package netstack

import (
	"encoding/binary"
	"io"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// Two workarounds for how our gVisor ends connections that QEMU's user
// network closes.
//
// QEMU's user network acknowledges the guest's FIN by sending its own FIN
// again, with the ACK. When the peer's FIN has already come (the guest is
// in CLOSING or LAST-ACK), that repeated FIN ends at RCV.NXT, outside the
// window (RFC 9293 3.10.7.4), so gVisor drops it with the ACK it carries
// and resends its own FIN after a retransmission timeout (>= 200 ms) for
// the peer to acknowledge again. Linux takes the ACK: it accepts a segment
// whose end is not before RCV.NXT (tcp_sequence). So the link turns such a
// repeated FIN into the bare ACK it stands for (ackRepeatedFIN).
//
// Worse, the retransmission of the FIN sets CLOSING back to FIN-WAIT-1
// (tcp/snd.go, maybeSendSegment), and the ACK of that FIN then takes it to
// FIN-WAIT-2, where it waits a minute (the linger timeout) for a FIN that
// has already come. When the host reuses the port within the minute, the
// new SYN gets an ACK of the old connection (RFC 5961 4), the client a
// reset, and the request waits for QEMU to send its SYN again, about 6 s
// later (make soak's stalls). Newer gVisor sets the state when it queues
// the FIN, not when it sends it, but needs a newer Go than TamaGo's. A
// repeated FIN that comes after the retransmission still gets there, so
// a SYN for a connection in FIN-WAIT-2 with nothing more to read (the
// application closed it, or read the peer's FIN) ends the old connection
// before the SYN reaches the stack, and the listener takes the SYN as a
// new connection (endFinWait2). Linux too ends an orphaned FIN-WAIT-2
// connection on a SYN in its window (tcp_timewait_state_process).

// closingSegment returns the TCP header of a segment in pkt that one of
// the workarounds looks at (a SYN without ACK or RST, or a FIN with ACK,
// without SYN or RST), writable in place, the length of its data, and the
// connection it belongs to as the stack names it. ok is false for
// anything else, and for TCP behind IPv6 extension headers or in IPv4
// fragments.
func closingSegment(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) (t header.TCP, id stack.TransportEndpointID, n int, ok bool) {
	var src, dst tcpip.Address
	var hlen, end int // end: of the IP packet, before any link padding
	switch proto {
	case header.IPv4ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv4MinimumSize)
		if !ok {
			return nil, id, 0, false
		}
		ip := header.IPv4(b)
		if ip.TransportProtocol() != header.TCPProtocolNumber || ip.FragmentOffset() != 0 || ip.More() {
			return nil, id, 0, false
		}
		src, dst, hlen, end = ip.SourceAddress(), ip.DestinationAddress(), int(ip.HeaderLength()), int(ip.TotalLength())
		if hlen < header.IPv4MinimumSize {
			return nil, id, 0, false
		}
	case header.IPv6ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv6MinimumSize)
		if !ok {
			return nil, id, 0, false
		}
		ip := header.IPv6(b)
		if ip.TransportProtocol() != header.TCPProtocolNumber {
			return nil, id, 0, false
		}
		src, dst, hlen = ip.SourceAddress(), ip.DestinationAddress(), header.IPv6MinimumSize
		end = hlen + int(ip.PayloadLength())
	default:
		return nil, id, 0, false
	}
	b, ok := pkt.Data().PullUp(hlen + header.TCPMinimumSize)
	if !ok {
		return nil, id, 0, false
	}
	t = header.TCP(b[hlen:])
	n = end - hlen - int(t.DataOffset())
	if t.DataOffset() < header.TCPMinimumSize || n < 0 || end > pkt.Data().Size() {
		return nil, id, 0, false
	}
	const syn, fin, ack, rst = header.TCPFlagSyn, header.TCPFlagFin, header.TCPFlagAck, header.TCPFlagRst
	if f := t.Flags(); f&(syn|ack|rst) != syn && f&(syn|fin|ack|rst) != fin|ack {
		return nil, id, 0, false
	}
	// A corrupted segment must not end or change a connection: check the
	// checksum, unless the device or GRO has (such segments are rare, and
	// a FIN seldom carries much data).
	if !pkt.RXChecksumValidated {
		if b, ok = pkt.Data().PullUp(end); !ok {
			return nil, id, 0, false
		}
		t = header.TCP(b[hlen:end])
		if !t.IsChecksumValid(src, dst, checksum.Checksum(t.Payload(), 0), uint16(n)) {
			return nil, id, 0, false
		}
	}
	return t, stack.TransportEndpointID{LocalPort: t.DestinationPort(), LocalAddress: dst,
		RemotePort: t.SourcePort(), RemoteAddress: src}, n, true
}

// maxFINs bounds the peer FINs remembered; past it they are forgotten,
// and their repetitions go to gVisor unchanged.
const maxFINs = 4096

// closing applies the workarounds to a segment closingSegment returned;
// only the receive goroutine calls it.
func (st *Stack) closing(proto tcpip.NetworkProtocolNumber, t header.TCP, id stack.TransportEndpointID, n int) {
	if t.Flags()&header.TCPFlagSyn != 0 {
		if st.endFinWait2On {
			st.endFinWait2(proto, id)
		}
		return
	}
	if !st.ackRepeatedFINOn {
		return
	}
	// A FIN is a repetition if it is the FIN this link passed on before,
	// so the stack has it in its queue if it has not taken it yet (it
	// takes a connection's segments in order). Its ACK matters once the
	// guest has sent its own FIN; it is taken once, so that if the stack
	// dropped the first FIN, a third copy still brings the FIN.
	fin := t.SequenceNumber() + uint32(n)
	if prev, seen := st.peerFINs[id]; seen && prev == fin && n == 0 {
		ep, ok := st.S.FindTransportEndpoint(proto, tcp.ProtocolNumber, id, nicID).(*tcp.Endpoint)
		if !ok {
			return
		}
		switch tcp.EndpointState(ep.State()) {
		case tcp.StateFinWait1, tcp.StateClosing, tcp.StateLastAck:
			delete(st.peerFINs, id)
			ackRepeatedFIN(t)
			st.repeatedFINAcks.Add(1)
		}
		return
	}
	if len(st.peerFINs) >= maxFINs {
		clear(st.peerFINs)
	}
	st.peerFINs[id] = fin
}

// ackRepeatedFIN turns a repetition of the peer's FIN, which ends at
// RCV.NXT once the stack has taken the first, into the bare ACK at RCV.NXT it stands for: one sequence
// number on, the FIN bit cleared, and the checksum updated for the two
// changed 16-bit words and the flags (RFC 1624 3, eqn. 3).
func ackRepeatedFIN(t header.TCP) {
	sum := ^t.Checksum()
	seq := t.SequenceNumber()
	flags := binary.BigEndian.Uint16(t[header.TCPDataOffset:])
	t.SetSequenceNumber(seq + 1)
	t.SetFlags(uint8(t.Flags() &^ header.TCPFlagFin))
	for _, w := range [][2]uint16{
		{uint16(seq >> 16), uint16((seq + 1) >> 16)},
		{uint16(seq), uint16(seq + 1)},
		{flags, binary.BigEndian.Uint16(t[header.TCPDataOffset:])},
	} {
		sum = checksum.Combine(checksum.Combine(sum, ^w[0]), w[1])
	}
	t.SetChecksum(^sum)
}

// endFinWait2 ends the connection id names if it is in FIN-WAIT-2 with
// nothing more to read, before a SYN for it is delivered.
func (st *Stack) endFinWait2(proto tcpip.NetworkProtocolNumber, id stack.TransportEndpointID) {
	ep, ok := st.S.FindTransportEndpoint(proto, tcp.ProtocolNumber, id, nicID).(*tcp.Endpoint)
	if !ok || tcp.EndpointState(ep.State()) != tcp.StateFinWait2 {
		return
	}
	// Nothing more to read: the application closed it (shutting both
	// sides) or the peer's FIN came and was read. A half-closed
	// connection still reading, or with data not read yet, is left alone.
	if _, err := ep.Read(io.Discard, tcpip.ReadOptions{Peek: true}); !isClosedForReceive(err) {
		return
	}
	st.finWait2Ended.Add(1)
	ep.Abort()
}

func isClosedForReceive(err tcpip.Error) bool {
	_, ok := err.(*tcpip.ErrClosedForReceive)
	return ok
}
