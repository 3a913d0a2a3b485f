package netstack

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ACK thinning. A peer that acknowledges every segment (QEMU's user
// network does) sends, while the stack transmits a bulk download, one
// pure ACK per segment; a receive batch then holds several for the same
// connection, each cumulative, each costing the stack a trip through IP,
// the TCP demultiplexer and the sender's ACK processing, and each freeing
// room for one segment at a time. Within one batch only the last of a run
// of pure ACKs with increasing acknowledgement numbers carries news: the
// thinner holds the latest such ACK per connection and drops the ones it
// supersedes, delivering it when the batch ends or when anything else of
// that connection comes (order within a connection is kept).
//
// What is never thinned: ACKs with data, with a flag beyond ACK, with TCP
// options other than timestamps (SACK blocks are news), with an IP option
// or a fragment; a duplicate ACK (same acknowledgement number: fast
// retransmit counts them) or an older one. gVisor's congestion control
// counts the segments an ACK covers, not the ACKs (tcp/snd.go), so a
// stretched ACK grows the window as the ACKs it replaces would have. A
// held ACK's checksums are checked before it can supersede another, so a
// corrupt ACK never displaces a good one.

// thinKey identifies a connection (one direction) among held ACKs.
type thinKey struct {
	src, dst         tcpip.Address
	srcPort, dstPort uint16
}

type heldACK struct {
	key thinKey
	ack seqnum.Value
	pkt *stack.PacketBuffer
}

// thinner holds at most maxHeld ACKs; it is used by the receive goroutine
// only.
type thinner struct {
	held    []heldACK
	thinned *atomic.Uint64 // ACKs dropped as superseded
}

const maxHeld = 8

// classify reads pkt (network layer first): tcp reports a TCP segment
// (without IP options, fragmentation or extension headers) of connection
// k, thin that it is a thinnable pure ACK with valid checksums,
// acknowledging ack.
func classify(pkt *stack.PacketBuffer) (k thinKey, ack seqnum.Value, tcp, thin bool) {
	var ip []byte
	var proto tcpip.TransportProtocolNumber
	var total int // the IP packet's length; what follows is Ethernet padding
	switch pkt.NetworkProtocolNumber {
	case header.IPv4ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv4MinimumSize)
		if !ok {
			return k, 0, false, false
		}
		h := header.IPv4(b)
		total = int(h.TotalLength())
		if h.HeaderLength() != header.IPv4MinimumSize || h.FragmentOffset() != 0 || h.Flags()&header.IPv4FlagMoreFragments != 0 ||
			total > pkt.Data().Size() || !h.IsChecksumValid() {
			return k, 0, false, false
		}
		ip, proto = b, h.TransportProtocol()
		k.src, k.dst = h.SourceAddress(), h.DestinationAddress()
	case header.IPv6ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv6MinimumSize)
		if !ok {
			return k, 0, false, false
		}
		h := header.IPv6(b)
		total = int(h.PayloadLength()) + header.IPv6MinimumSize
		if total > pkt.Data().Size() {
			return k, 0, false, false
		}
		ip, proto = b, h.TransportProtocol() // an extension header is not TCP: not thinned
		k.src, k.dst = h.SourceAddress(), h.DestinationAddress()
	default:
		return k, 0, false, false
	}
	if proto != header.TCPProtocolNumber {
		return k, 0, false, false
	}
	all, ok := pkt.Data().PullUp(len(ip) + header.TCPMinimumSize)
	if !ok {
		return k, 0, false, false
	}
	t := header.TCP(all[len(ip):])
	k.srcPort, k.dstPort = t.SourcePort(), t.DestinationPort()
	off := int(t.DataOffset())
	if t.Flags() != header.TCPFlagAck || off < header.TCPMinimumSize || len(ip)+off != total {
		return k, 0, true, false // flags beyond ACK, or data
	}
	if all, ok = pkt.Data().PullUp(len(ip) + off); !ok {
		return k, 0, true, false
	}
	t = header.TCP(all[len(ip):])
	if !onlyTimestamps(t[header.TCPMinimumSize:off]) {
		return k, 0, true, false
	}
	if !pkt.RXChecksumValidated {
		sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, k.src, k.dst, uint16(off))
		if checksum.Checksum(t, sum) != 0xffff {
			return k, 0, true, false
		}
		pkt.RXChecksumValidated = true
	}
	return k, seqnum.Value(t.AckNumber()), true, true
}

// onlyTimestamps reports whether TCP options hold nothing but padding
// and a timestamp (RFC 7323).
func onlyTimestamps(opts []byte) bool {
	for len(opts) > 0 {
		switch opts[0] {
		case header.TCPOptionEOL:
			return true
		case header.TCPOptionNOP:
			opts = opts[1:]
		case header.TCPOptionTS:
			if len(opts) < header.TCPOptionTSLength || opts[1] != header.TCPOptionTSLength {
				return false
			}
			opts = opts[header.TCPOptionTSLength:]
		default:
			return false
		}
	}
	return true
}

// take offers pkt to the thinner. It returns the packets to pass on now,
// in order: pkt itself if it is not a thinnable ACK, preceded by its
// connection's held ACK if there is one.
func (th *thinner) take(pkt *stack.PacketBuffer, out []*stack.PacketBuffer) []*stack.PacketBuffer {
	k, ack, tcp, thin := classify(pkt)
	if !thin {
		// Anything of a connection with a held ACK goes after it.
		if tcp {
			if i := th.find(k); i >= 0 {
				out = append(out, th.release(i))
			}
		}
		return append(out, pkt.IncRef())
	}
	if i := th.find(k); i >= 0 {
		if th.held[i].ack.LessThan(ack) {
			th.held[i].pkt.DecRef()
			th.held[i].ack, th.held[i].pkt = ack, pkt.IncRef()
			th.thinned.Add(1)
			return out
		}
		// A duplicate or an older ACK: both go, in order.
		return append(out, th.release(i), pkt.IncRef())
	}
	if len(th.held) == maxHeld {
		out = append(out, th.release(0))
	}
	th.held = append(th.held, heldACK{key: k, ack: ack, pkt: pkt.IncRef()})
	return out
}

func (th *thinner) find(k thinKey) int {
	for i := range th.held {
		if th.held[i].key == k {
			return i
		}
	}
	return -1
}

// release removes held ACK i and returns its packet.
func (th *thinner) release(i int) *stack.PacketBuffer {
	p := th.held[i].pkt
	th.held = append(th.held[:i], th.held[i+1:]...)
	return p
}

// drain returns every held ACK, oldest first, and forgets them.
func (th *thinner) drain(out []*stack.PacketBuffer) []*stack.PacketBuffer {
	for _, h := range th.held {
		out = append(out, h.pkt)
	}
	clear(th.held)
	th.held = th.held[:0]
	return out
}
