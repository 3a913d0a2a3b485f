package netstack

import (
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Segments of one connection that arrive in one batch are merged by GRO,
// which changes the IPv4 length of the merged packet without updating its
// header checksum: the merged packet must still reach the application,
// whether the device vouched for the checksums or GRO checked them. (The
// link checked header checksums after GRO and dropped every merged
// packet, which cost uploads a retransmission each time.)
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
		p.sendBatch(port, batch...)
		if n := <-got; n != 4000 {
			t.Errorf("vouched %v: the application read %d of the 4000 bytes sent in one batch; counters %v", vouch, n, counters(p.st))
		}
		if n := counters(p.st)["link.rx_bad_ipv4_checksum"]; n != 0 {
			t.Errorf("vouched %v: link.rx_bad_ipv4_checksum = %d, want 0", vouch, n)
		}
		ln.Close()
	}
}
