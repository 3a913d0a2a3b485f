package netstack

import (
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Segments of one connection that arrive in one batch are merged by GRO,
// which changes the IPv4 length of the merged packet without updating its
// header checksum: the merged packet must still reach the application,
// whether the device vouched for the checksums or GRO checked them. (The
// link checked header checksums after GRO and dropped every merged
// packet, which cost uploads a retransmission each time; and GRO merged
// nothing no device vouched for: rxcsum.go.)
func TestMergedSegmentsDelivered(t *testing.T) {
	for _, vouch := range []bool{false, true} {
		p := newScriptedPeer(t, fixes{true, true})
		p.near.vouch = vouch
		got := make(chan int, 1)
		ln := serveTCP(t, p.st, syscall.AF_INET, 80, func(c net.Conn) {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _ := io.ReadFull(c, make([]byte, 4000))
			got <- n
		})
		const port, iss = 41590, 100
		p.send(port, seg{flags: header.TCPFlagSyn, seq: iss})
		s, ok := p.recv(5 * time.Second)
		if !ok || s.flags != header.TCPFlagSyn|header.TCPFlagAck {
			t.Fatalf("vouched %v: SYN answered with %+v (ok %v)", vouch, s, ok)
		}
		ack := s.seq + 1
		p.send(port, seg{flags: header.TCPFlagAck, seq: iss + 1, ack: ack})
		var batch []seg
		for i := range 4 {
			batch = append(batch, seg{flags: header.TCPFlagAck, seq: iss + 1 + uint32(i)*1000, ack: ack, payload: 1000})
		}
		// Wait for the handshake's last ACK to be taken, then count.
		deadline := time.Now().Add(5 * time.Second)
		for p.st.S.Stats().TCP.CurrentEstablished.Value() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		before := p.st.S.Stats().IP.PacketsReceived.Value()
		p.sendBatch(port, batch...)
		if n := <-got; n != 4000 {
			t.Errorf("vouched %v: the application read %d of the 4000 bytes sent in one batch; counters %v", vouch, n, counters(p.st))
		}
		if n := p.st.S.Stats().IP.PacketsReceived.Value() - before; n != 1 {
			t.Errorf("vouched %v: the stack received the batch of 4 segments as %d packets, want 1 (merged by GRO)", vouch, n)
		}
		if n := counters(p.st)["link.rx_bad_ipv4_checksum"]; n != 0 {
			t.Errorf("vouched %v: link.rx_bad_ipv4_checksum = %d, want 0", vouch, n)
		}
		ln.Close()
	}
}

// tcpChecksumsOK agrees with a flat computation on segments over IPv4 and
// IPv6, however the frame is split into views, with and without padding,
// and refuses corrupt ones and what GRO does not merge.
func TestTCPChecksumsOK(t *testing.T) {
	src4, dst4 := tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	src6 := tcpip.AddrFrom16([16]byte{0xfe, 0x80, 15: 1})
	dst6 := tcpip.AddrFrom16([16]byte{0xfe, 0x80, 15: 2})
	segment := func(src, dst tcpip.Address, payload int) []byte {
		b := make([]byte, header.TCPMinimumSize+payload)
		for i := range payload {
			b[header.TCPMinimumSize+i] = byte(i*7 + 3)
		}
		tp := header.TCP(b)
		tp.Encode(&header.TCPFields{SrcPort: 1, DstPort: 2, SeqNum: 3, AckNum: 4, DataOffset: header.TCPMinimumSize,
			Flags: header.TCPFlagAck, WindowSize: 5})
		tp.SetChecksum(^checksum.Checksum(b, header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(len(b)))))
		return b
	}
	v4 := func(payload int, f func(ip header.IPv4)) []byte {
		seg := segment(src4, dst4, payload)
		b := make([]byte, header.IPv4MinimumSize, header.IPv4MinimumSize+len(seg))
		ip := header.IPv4(b)
		ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b) + len(seg)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber),
			SrcAddr: src4, DstAddr: dst4})
		if f != nil {
			f(ip)
		}
		ip.SetChecksum(^ip.CalculateChecksum())
		return append(b, seg...)
	}
	v6 := func(payload int) []byte {
		seg := segment(src6, dst6, payload)
		b := make([]byte, header.IPv6MinimumSize, header.IPv6MinimumSize+len(seg))
		header.IPv6(b).Encode(&header.IPv6Fields{PayloadLength: uint16(len(seg)), TransportProtocol: header.TCPProtocolNumber,
			HopLimit: 64, SrcAddr: src6, DstAddr: dst6})
		return append(b, seg...)
	}
	flip := func(b []byte, i int) []byte { b = append([]byte(nil), b...); b[i] ^= 0x10; return b }
	type tc struct {
		name  string
		proto tcpip.NetworkProtocolNumber
		pkt   []byte
		pad   int
		want  bool
	}
	var cases []tc
	for _, n := range []int{0, 1, 2, 3, 1000, 1461} {
		cases = append(cases,
			tc{fmt.Sprintf("IPv4 %d bytes", n), header.IPv4ProtocolNumber, v4(n, nil), 0, true},
			tc{fmt.Sprintf("IPv4 %d bytes padded", n), header.IPv4ProtocolNumber, v4(n, nil), 7, true},
			tc{fmt.Sprintf("IPv6 %d bytes", n), header.IPv6ProtocolNumber, v6(n), 0, true},
			tc{fmt.Sprintf("IPv4 %d bytes, TCP header corrupt", n), header.IPv4ProtocolNumber, flip(v4(n, nil), 24), 0, false},
			tc{fmt.Sprintf("IPv6 %d bytes, corrupt", n), header.IPv6ProtocolNumber, flip(v6(n), len(v6(n))-1), 0, false},
		)
		if n > 0 {
			cases = append(cases, tc{fmt.Sprintf("IPv4 %d bytes, payload corrupt", n), header.IPv4ProtocolNumber, flip(v4(n, nil), len(v4(n, nil))-1), 0, false})
		}
	}
	cases = append(cases,
		tc{"IPv4 header corrupt", header.IPv4ProtocolNumber, flip(v4(10, nil), 8), 0, false},
		tc{"IPv4 fragment", header.IPv4ProtocolNumber, v4(10, func(ip header.IPv4) { ip.SetFlagsFragmentOffset(header.IPv4FlagMoreFragments, 0) }), 0, false},
		tc{"UDP", header.IPv4ProtocolNumber, v4(10, func(ip header.IPv4) { ip[9] = uint8(header.UDPProtocolNumber) }), 0, false},
		tc{"IPv4 length past the frame", header.IPv4ProtocolNumber, v4(10, func(ip header.IPv4) { ip.SetTotalLength(ip.TotalLength() + 1) }), 0, false},
		tc{"ARP", header.ARPProtocolNumber, v4(10, nil), 0, false},
	)
	for _, c := range cases {
		frame := append(append([]byte(nil), c.pkt...), make([]byte, c.pad)...)
		// Every split into two views, and one view.
		for cut := 0; cut < len(frame); cut += 1 + len(frame)/16 {
			var buf buffer.Buffer
			buf.Append(buffer.NewViewWithData(append([]byte{0xee, 0xee}, frame[:cut]...)))
			if cut < len(frame) {
				buf.Append(buffer.NewViewWithData(frame[cut:]))
			}
			pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buf})
			pkt.LinkHeader().Consume(2) // as deliver consumes the Ethernet header
			pkt.NetworkProtocolNumber = c.proto
			if got := tcpChecksumsOK(pkt); got != c.want {
				t.Errorf("%s, views cut at %d: tcpChecksumsOK = %v, want %v", c.name, cut, got, c.want)
			}
			pkt.DecRef()
		}
	}
}
