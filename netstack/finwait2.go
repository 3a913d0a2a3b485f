package netstack

import (
	"io"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// A connection the peer reopens must not find an old one in FIN-WAIT-2.
//
// Our gVisor can leave a closed connection in FIN-WAIT-2 although both
// FINs have been exchanged: after a simultaneous close (CLOSING), the
// retransmission of its FIN sets the state back to FIN-WAIT-1 (tcp/snd.go,
// maybeSendSegment), and the ACK of that FIN then takes it to FIN-WAIT-2,
// where it waits a minute (the linger timeout) for a FIN that has already
// come. QEMU's user network closes that way: it sends its FIN, then the
// same FIN again to acknowledge ours, and gVisor ignores the ACK in that
// repeated FIN (its end is RCV.NXT, out of the window by RFC 9293
// 3.10.7.4), so it resends its FIN. When the host reuses the port within
// the minute, the new SYN gets an ACK of the old connection (RFC 5961
// 4), the client a reset, and the request waits for QEMU to send its SYN
// again, about 6 s later. Newer gVisor sets the state when it queues the
// FIN, not when it sends it, but needs a newer Go than TamaGo's.
//
// So a SYN for a connection in FIN-WAIT-2 with nothing more to read
// (the application closed it, or read the peer's FIN) ends the old
// connection before the SYN reaches the stack, and the listener takes the
// SYN as a new connection. Linux too ends an orphaned FIN-WAIT-2
// connection on a SYN in its window (tcp_timewait_state_process), with a
// reset and without taking the SYN; ending it answers the SYN at once.

// synTo returns the connection a SYN (without ACK or RST) in pkt opens,
// as the stack names it; ok is false for anything else, and for TCP
// behind IPv6 extension headers or in IPv4 fragments.
func synTo(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) (id stack.TransportEndpointID, ok bool) {
	var src, dst tcpip.Address
	var hlen int
	switch proto {
	case header.IPv4ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv4MinimumSize)
		if !ok {
			return id, false
		}
		ip := header.IPv4(b)
		if ip.TransportProtocol() != header.TCPProtocolNumber || ip.FragmentOffset() != 0 || ip.More() {
			return id, false
		}
		src, dst, hlen = ip.SourceAddress(), ip.DestinationAddress(), int(ip.HeaderLength())
		if hlen < header.IPv4MinimumSize {
			return id, false
		}
	case header.IPv6ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv6MinimumSize)
		if !ok {
			return id, false
		}
		ip := header.IPv6(b)
		if ip.TransportProtocol() != header.TCPProtocolNumber {
			return id, false
		}
		src, dst, hlen = ip.SourceAddress(), ip.DestinationAddress(), header.IPv6MinimumSize
	default:
		return id, false
	}
	b, ok := pkt.Data().PullUp(hlen + header.TCPMinimumSize)
	if !ok {
		return id, false
	}
	t := header.TCP(b[hlen:])
	if t.Flags()&(header.TCPFlagSyn|header.TCPFlagAck|header.TCPFlagRst) != header.TCPFlagSyn {
		return id, false
	}
	return stack.TransportEndpointID{LocalPort: t.DestinationPort(), LocalAddress: dst,
		RemotePort: t.SourcePort(), RemoteAddress: src}, true
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
