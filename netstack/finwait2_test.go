package netstack

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// scriptedPeer plays a TCP peer segment by segment through the far end
// of a pipe: it sends what the test says and reads what the stack sends.
type scriptedPeer struct {
	t            *testing.T
	st           *Stack
	near, far    *pipeNIC
	addr, remote tcpip.Address
}

func newScriptedPeer(t *testing.T, endFinWait2 bool) *scriptedPeer {
	a, b := newPipe(256)
	st, err := Start(Config{NIC: a, Wait: a.wait, Static: netip.MustParsePrefix("10.9.0.1/24")})
	if err != nil {
		t.Fatal(err)
	}
	if !endFinWait2 {
		st.link.onSYN = nil // before any SYN: the receive goroutine reads it
	}
	p := &scriptedPeer{t: t, st: st, near: a, far: b,
		addr: tcpip.AddrFrom4([4]byte{10, 9, 0, 9}), remote: tcpip.AddrFrom4([4]byte{10, 9, 0, 1})}
	// No ARP: the stack knows the peer's MAC.
	if err := st.S.AddStaticNeighbor(nicID, header.IPv4ProtocolNumber, p.addr, tcpip.LinkAddress(b.mac)); err != nil {
		t.Fatal(err)
	}
	return p
}

type seg struct {
	flags    header.TCPFlags
	seq, ack uint32
	payload  int
}

// send puts one segment from the peer's port on the wire to port 80.
func (p *scriptedPeer) send(port uint16, s seg) {
	opts := 0
	if s.flags&header.TCPFlagSyn != 0 {
		opts = 4 // MSS
	}
	b := make([]byte, header.IPv4MinimumSize+header.TCPMinimumSize+opts+s.payload)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber),
		SrcAddr: p.addr, DstAddr: p.remote})
	ip.SetChecksum(^ip.CalculateChecksum())
	t := header.TCP(b[header.IPv4MinimumSize:])
	t.Encode(&header.TCPFields{SrcPort: port, DstPort: 80, SeqNum: s.seq, AckNum: s.ack,
		DataOffset: uint8(header.TCPMinimumSize + opts), Flags: s.flags, WindowSize: 65535})
	if opts > 0 {
		copy(t[header.TCPMinimumSize:], []byte{2, 4, 0x05, 0xb4})
	}
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, p.addr, p.remote, uint16(len(t)))
	t.SetChecksum(^checksum.Checksum(t, sum))
	p.near.mu.Lock()
	p.near.inbox = append(p.near.inbox, frame(p.near.mac, uint16(header.IPv4ProtocolNumber), b))
	p.near.mu.Unlock()
	p.near.interrupt()
}

// recv returns the next TCP segment the stack sends within d (frames of
// other protocols are skipped); ok is false if none comes.
func (p *scriptedPeer) recv(d time.Duration) (s seg, ok bool) {
	deadline := time.After(d)
	for {
		p.far.mu.Lock()
		var f []byte
		if len(p.far.inbox) > 0 {
			f, p.far.inbox = p.far.inbox[0], p.far.inbox[1:]
		}
		p.far.mu.Unlock()
		if f == nil {
			select {
			case <-p.far.kick:
				continue
			case <-deadline:
				return s, false
			}
		}
		if len(f) < header.EthernetMinimumSize+header.IPv4MinimumSize ||
			binary.BigEndian.Uint16(f[12:]) != uint16(header.IPv4ProtocolNumber) {
			continue
		}
		ip := header.IPv4(f[header.EthernetMinimumSize:])
		if ip.TransportProtocol() != header.TCPProtocolNumber {
			continue
		}
		t := header.TCP(ip.Payload())
		return seg{flags: t.Flags(), seq: t.SequenceNumber(), ack: t.AckNumber(), payload: len(t.Payload())}, true
	}
}

// state is the state of the stack's connection from the peer's port.
func (p *scriptedPeer) state(port uint16) tcp.EndpointState {
	id := stack.TransportEndpointID{LocalPort: 80, LocalAddress: p.remote, RemotePort: port, RemoteAddress: p.addr}
	ep, ok := p.st.S.FindTransportEndpoint(header.IPv4ProtocolNumber, tcp.ProtocolNumber, id, nicID).(*tcp.Endpoint)
	if !ok || ep.TransportEndpointInfo.ID != id {
		return tcp.StateClose
	}
	return tcp.EndpointState(ep.State())
}

// exchange opens a connection from port with sequence number iss, sends
// a 92-byte request and reads the server's answer up to its FIN. It
// returns the peer's next sequence number, the end of the answer and the
// FIN's sequence number.
func (p *scriptedPeer) exchange(port uint16, iss uint32) (seq, dataEnd, fin uint32) {
	p.t.Helper()
	p.send(port, seg{flags: header.TCPFlagSyn, seq: iss})
	s, ok := p.recv(5 * time.Second)
	if !ok || s.flags != header.TCPFlagSyn|header.TCPFlagAck || s.ack != iss+1 {
		p.t.Fatalf("SYN from port %d: got %+v (ok %v), want a SYN-ACK of %d", port, s, ok, iss+1)
	}
	seq, dataEnd = iss+1, s.seq+1
	p.send(port, seg{flags: header.TCPFlagAck | header.TCPFlagPsh, seq: seq, ack: dataEnd, payload: 92})
	seq += 92
	for {
		s, ok := p.recv(5 * time.Second)
		if !ok {
			p.t.Fatalf("port %d: no FIN after the answer", port)
		}
		if s.payload > 0 {
			dataEnd = s.seq + uint32(s.payload)
		}
		if s.flags&header.TCPFlagFin != 0 {
			return seq, dataEnd, s.seq
		}
	}
}

// The peer closes as QEMU's user network does when the guest closes first
// (captured under make soak): the guest's FIN crosses the peer's, the peer
// repeats its FIN to acknowledge the guest's, the guest resends its FIN,
// and the peer acknowledges it. When the peer then opens a connection from
// the same port, the stack must answer the SYN with a SYN-ACK.
//
// Without the link's check (finwait2.go), our gVisor leaves the old
// connection in FIN-WAIT-2 and answers the SYN with an ACK of the old
// connection: the second case asserts that, so that the check goes once
// a gVisor without the bug is in go.mod.
func TestSYNAfterSimultaneousClose(t *testing.T) {
	for _, c := range []struct {
		name        string
		endFinWait2 bool
	}{{"with the check", true}, {"gVisor alone", false}} {
		t.Run(c.name, func(t *testing.T) {
			p := newScriptedPeer(t, c.endFinWait2)
			ln := serveTCP(t, p.st, syscall.AF_INET, 80, func(c net.Conn) {
				io.ReadFull(c, make([]byte, 92))
				c.Write(make([]byte, 300))
			})
			defer ln.Close()

			const port = 41576
			seq, dataEnd, fin := p.exchange(port, 1000)
			p.send(port, seg{flags: header.TCPFlagAck, seq: seq, ack: dataEnd})
			p.send(port, seg{flags: header.TCPFlagFin | header.TCPFlagAck, seq: seq, ack: dataEnd})
			p.send(port, seg{flags: header.TCPFlagFin | header.TCPFlagAck, seq: seq, ack: fin + 1})
			// The stack ignores the acknowledgment in the repeated FIN
			// and resends its own FIN.
			for {
				s, ok := p.recv(5 * time.Second)
				if !ok {
					t.Fatalf("the stack did not resend its FIN (state %v)", p.state(port))
				}
				if s.flags&header.TCPFlagFin != 0 && s.seq == fin {
					break
				}
			}
			p.send(port, seg{flags: header.TCPFlagAck, seq: seq + 1, ack: fin + 1})
			deadline := time.Now().Add(5 * time.Second)
			for p.state(port) != tcp.StateFinWait2 {
				if time.Now().After(deadline) {
					t.Fatalf("after the close: state %v, want FIN-WAIT-2 (has gVisor's FIN retransmission changed? see finwait2.go)", p.state(port))
				}
				time.Sleep(time.Millisecond)
			}
			// Drain what the close left (ACKs of the repeated FIN), for
			// longer than gVisor's rate limit on ACKs to segments out
			// of the window (TCPInvalidRateLimitOption, 500 ms).
			for {
				if _, ok := p.recv(time.Second); !ok {
					break
				}
			}

			iss := seq + 5_000_000
			p.send(port, seg{flags: header.TCPFlagSyn, seq: iss})
			s, ok := p.recv(5 * time.Second)
			if !c.endFinWait2 {
				if !ok || s.flags != header.TCPFlagAck || s.ack != seq+1 {
					t.Fatalf("gVisor alone answered the new SYN with %+v (ok %v), not an ACK of the old connection (%d): if its FIN-WAIT-2 bug is gone, drop finwait2.go", s, ok, seq+1)
				}
				return
			}
			// An RST may end the old connection first.
			if ok && s.flags&header.TCPFlagRst != 0 {
				s, ok = p.recv(5 * time.Second)
			}
			if !ok || s.flags != header.TCPFlagSyn|header.TCPFlagAck || s.ack != iss+1 {
				t.Fatalf("new SYN from the same port: got %+v (ok %v), want a SYN-ACK of %d", s, ok, iss+1)
			}
			if n := counters(p.st)["tcp.fin_wait2_ended_by_syn"]; n != 1 {
				t.Errorf("tcp.fin_wait2_ended_by_syn = %d, want 1", n)
			}
			// And the new connection serves.
			p.send(port, seg{flags: header.TCPFlagAck | header.TCPFlagPsh, seq: iss + 1, ack: s.seq + 1, payload: 92})
			got := 0
			for got < 300 {
				s, ok := p.recv(5 * time.Second)
				if !ok {
					t.Fatalf("new connection: %d of 300 bytes of the answer", got)
				}
				got += s.payload
			}
		})
	}
}
