package netstack

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var (
	fuzzOnce  sync.Once
	fuzzStack *Stack
	fuzzNIC   *pipeNIC
)

// fuzzTarget is one stack, shared by the fuzzer's inputs, listening on TCP
// and UDP port 7 (a stack per input would spend the fuzzing time starting
// stacks).
func fuzzTarget(t *testing.T) (*Stack, *pipeNIC) {
	fuzzOnce.Do(func() {
		a, _ := newPipe(256)
		st, err := Start(Config{NIC: a, Wait: a.wait, Static: netip.MustParsePrefix("10.9.0.1/24")})
		if err != nil {
			t.Fatal(err)
		}
		echoTCP(t, st, syscall.AF_INET, 7)
		echoUDP(t, st, 7)
		fuzzStack, fuzzNIC = st, a
	})
	return fuzzStack, fuzzNIC
}

// frame builds an Ethernet frame to the fuzz target's MAC with the given
// type and payload.
func frame(dst net.HardwareAddr, typ uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	copy(b, dst)
	copy(b[6:], []byte{2, 0, 0, 0, 0, 9})
	binary.BigEndian.PutUint16(b[12:], typ)
	return append(b, payload...)
}

// ipv4TCP is a valid IPv4 TCP segment from 10.9.0.9 to the target.
func ipv4TCP(flags header.TCPFlags, payload []byte) []byte {
	b := make([]byte, header.IPv4MinimumSize+header.TCPMinimumSize+len(payload))
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber),
		SrcAddr: tcpip.AddrFrom4([4]byte{10, 9, 0, 9}), DstAddr: tcpip.AddrFrom4([4]byte{10, 9, 0, 1})})
	ip.SetChecksum(^ip.CalculateChecksum())
	tcp := header.TCP(b[header.IPv4MinimumSize:])
	tcp.Encode(&header.TCPFields{SrcPort: 4000, DstPort: 7, SeqNum: 1, DataOffset: header.TCPMinimumSize, Flags: flags, WindowSize: 1000})
	copy(b[header.IPv4MinimumSize+header.TCPMinimumSize:], payload)
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(tcp)))
	tcp.SetChecksum(^checksum.Checksum(tcp, sum))
	return b
}

// FuzzFramesIntoStack hands arbitrary frames, one input's worth at a
// time, through the link endpoint (Ethernet parsing, GRO, the checksum
// bookkeeping) to gVisor's stack. Whatever arrives, nothing may panic,
// every frame must be taken off the NIC, and the stack must still answer
// an ARP request afterwards.
func FuzzFramesIntoStack(f *testing.F) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	f.Add(frame(mac, 0x0800, ipv4TCP(header.TCPFlagSyn, nil)), uint8(1))
	f.Add(frame(mac, 0x0800, ipv4TCP(header.TCPFlagAck|header.TCPFlagPsh, []byte("data"))), uint8(3))
	f.Add(frame(mac, 0x86dd, make([]byte, 60)), uint8(1))
	f.Add(frame(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0x0806, make([]byte, 28)), uint8(1))
	f.Add([]byte{1, 2, 3}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, copies uint8) {
		st, n := fuzzTarget(t)
		// The same frame several times: GRO merges what it can.
		k := int(copies%8) + 1
		n.mu.Lock()
		for range k {
			n.inbox = append(n.inbox, append([]byte(nil), data...))
		}
		n.mu.Unlock()
		n.interrupt()
		// An ARP request for the target's address must be answered: the
		// receive goroutine took the frames and is still running.
		arp := make([]byte, header.ARPSize)
		h := header.ARP(arp)
		h.SetIPv4OverEthernet()
		h.SetOp(header.ARPRequest)
		copy(h.HardwareAddressSender(), []byte{2, 0, 0, 0, 0, 9})
		copy(h.ProtocolAddressSender(), []byte{10, 9, 0, 9})
		copy(h.ProtocolAddressTarget(), []byte{10, 9, 0, 1})
		peer := n.peer
		peer.mu.Lock()
		peer.inbox = nil
		peer.mu.Unlock()
		n.mu.Lock()
		n.inbox = append(n.inbox, frame(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0x0806, arp))
		n.mu.Unlock()
		n.interrupt()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
			peer.mu.Lock()
			for _, out := range peer.inbox {
				if len(out) >= 14+header.ARPSize && binary.BigEndian.Uint16(out[12:]) == 0x0806 && header.ARP(out[14:]).Op() == header.ARPReply {
					peer.mu.Unlock()
					return
				}
			}
			peer.mu.Unlock()
		}
		t.Fatalf("no ARP reply after the frames; device error %v", st.Info().Err)
	})
}
