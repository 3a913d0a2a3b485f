package netstack

import (
	"sync/atomic"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// segment builds an IPv4 or IPv6 TCP segment (network layer first) from
// port src to 80 with the flags, acknowledgement number, TCP options and
// payload given; corrupt spoils its TCP checksum.
func segment(v6 bool, src uint16, flags header.TCPFlags, ack uint32, opts, payload []byte, corrupt bool) *stack.PacketBuffer {
	tlen := header.TCPMinimumSize + len(opts) + len(payload)
	var b []byte
	var saddr, daddr tcpip.Address
	proto := header.IPv4ProtocolNumber
	if v6 {
		proto = header.IPv6ProtocolNumber
		b = make([]byte, header.IPv6MinimumSize+tlen)
		saddr, daddr = tcpip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: 9}), tcpip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: 1})
		header.IPv6(b).Encode(&header.IPv6Fields{PayloadLength: uint16(tlen), TransportProtocol: header.TCPProtocolNumber, HopLimit: 64, SrcAddr: saddr, DstAddr: daddr})
	} else {
		b = make([]byte, header.IPv4MinimumSize+tlen)
		saddr, daddr = tcpip.AddrFrom4([4]byte{10, 9, 0, 9}), tcpip.AddrFrom4([4]byte{10, 9, 0, 1})
		ip := header.IPv4(b)
		ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber), SrcAddr: saddr, DstAddr: daddr})
		ip.SetChecksum(^ip.CalculateChecksum())
	}
	t := header.TCP(b[len(b)-tlen:])
	t.Encode(&header.TCPFields{SrcPort: src, DstPort: 80, SeqNum: 1, AckNum: ack, DataOffset: uint8(header.TCPMinimumSize + len(opts)), Flags: flags, WindowSize: 1000})
	copy(t[header.TCPMinimumSize:], opts)
	copy(t[header.TCPMinimumSize+len(opts):], payload)
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, saddr, daddr, uint16(tlen))
	t.SetChecksum(^checksum.Checksum(t, sum))
	if corrupt {
		t.SetChecksum(t.Checksum() ^ 0xff)
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(b)})
	pkt.NetworkProtocolNumber = proto
	return pkt
}

// ackOf is the acknowledgement number of a segment built by segment.
func ackOf(t *testing.T, p *stack.PacketBuffer) uint32 {
	t.Helper()
	b := p.Data().AsRange().ToSlice()
	off := header.IPv4MinimumSize
	if p.NetworkProtocolNumber == header.IPv6ProtocolNumber {
		off = header.IPv6MinimumSize
	}
	return header.TCP(b[off:]).AckNumber()
}

func TestACKThinning(t *testing.T) {
	ts := []byte{header.TCPOptionNOP, header.TCPOptionNOP, header.TCPOptionTS, header.TCPOptionTSLength, 0, 0, 0, 1, 0, 0, 0, 2}
	sack := []byte{header.TCPOptionNOP, header.TCPOptionNOP, header.TCPOptionSACK, 10, 0, 0, 0, 5, 0, 0, 0, 9}
	ack := header.TCPFlagAck
	for _, v6 := range []bool{false, true} {
		type step struct {
			pkt  *stack.PacketBuffer
			want []uint32 // acknowledgement numbers passed on at this step
		}
		var n atomic.Uint64
		th := &thinner{thinned: &n}
		steps := []step{
			{segment(v6, 1, ack, 100, ts, nil, false), nil},                                              // held
			{segment(v6, 1, ack, 200, ts, nil, false), nil},                                              // supersedes 100
			{segment(v6, 2, ack, 50, nil, nil, false), nil},                                              // another connection: held
			{segment(v6, 1, ack, 200, ts, nil, false), []uint32{200, 200}},                               // a duplicate: both go
			{segment(v6, 1, ack, 300, nil, nil, true), []uint32{300}},                                    // corrupt: passed on, never holds
			{segment(v6, 1, ack, 400, sack, nil, false), []uint32{400}},                                  // SACK blocks are news
			{segment(v6, 1, ack, 500, nil, nil, false), nil},                                             // held
			{segment(v6, 1, ack|header.TCPFlagPsh, 600, nil, []byte("data"), false), []uint32{500, 600}}, // data goes after the held ACK
			{segment(v6, 1, ack, 700, nil, nil, false), nil},
			{segment(v6, 1, ack, 650, nil, nil, false), []uint32{700, 650}}, // older: both, in order
		}
		for i, s := range steps {
			out := th.take(s.pkt, nil)
			var got []uint32
			for _, p := range out {
				got = append(got, ackOf(t, p))
				p.DecRef()
			}
			if len(got) != len(s.want) || (len(got) > 0 && !equalU32(got, s.want)) {
				t.Fatalf("v6 %v, step %d: passed on %v, want %v", v6, i, got, s.want)
			}
			s.pkt.DecRef()
		}
		var got []uint32
		for _, p := range th.drain(nil) {
			got = append(got, ackOf(t, p))
			p.DecRef()
		}
		if !equalU32(got, []uint32{50}) {
			t.Fatalf("v6 %v: drained %v, want [50]", v6, got)
		}
		if n.Load() != 1 {
			t.Errorf("v6 %v: %d thinned, want 1", v6, n.Load())
		}
	}
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
