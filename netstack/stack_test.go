package netstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/yolkos/yolk/netstack/nic"
)

// pipeNIC is one end of a cable: what it sends, its peer receives. It
// has a small transmit ring so that the full-ring path runs too.
type pipeNIC struct {
	mac  net.HardwareAddr
	peer *pipeNIC
	kick chan struct{} // the "interrupt"

	mu       sync.Mutex
	inbox    [][]byte
	inflight int // frames "on the wire", freed by Reclaim
	ring     int
	fulls    int
}

func newPipe(ring int) (*pipeNIC, *pipeNIC) {
	a := &pipeNIC{mac: net.HardwareAddr{2, 0, 0, 0, 0, 1}, kick: make(chan struct{}, 1), ring: ring}
	b := &pipeNIC{mac: net.HardwareAddr{2, 0, 0, 0, 0, 2}, kick: make(chan struct{}, 1), ring: ring}
	a.peer, b.peer = b, a
	return a, b
}

func (p *pipeNIC) HardwareAddr() net.HardwareAddr { return p.mac }
func (p *pipeNIC) MTU() int                       { return 1500 }
func (p *pipeNIC) interrupt() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}
func (p *pipeNIC) wait() { <-p.kick }

func (p *pipeNIC) Offloads() nic.Offloads { return nic.Offloads{} }

func (p *pipeNIC) Transmit(frames []nic.Frame) (int, error) {
	p.mu.Lock()
	n := min(p.ring-p.inflight, len(frames))
	if n < len(frames) {
		p.fulls++
	}
	p.inflight += n
	p.mu.Unlock()
	q := p.peer
	for _, f := range frames[:n] {
		frame := bytes.Join(f.Parts, nil)
		q.mu.Lock()
		q.inbox = append(q.inbox, frame)
		q.mu.Unlock()
		q.interrupt()
	}
	return n, nil
}

func (p *pipeNIC) Reclaim() error {
	p.mu.Lock()
	p.inflight = 0
	p.mu.Unlock()
	return nil
}

func (p *pipeNIC) Poll(budget int, deliver func(nic.Received)) (int, error) {
	p.mu.Lock()
	n := min(budget, len(p.inbox))
	in := p.inbox[:n]
	p.inbox = p.inbox[n:]
	p.mu.Unlock()
	for _, f := range in {
		deliver(nic.Received{Frame: buffer.MakeWithData(f)})
	}
	return n, nil
}

func (p *pipeNIC) Rearm() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inbox) > 0
}

func startPair(t *testing.T, ring int) (*Stack, *Stack) {
	sa, sb, _, _ := startPairNICs(t, ring)
	return sa, sb
}

func startPairNICs(t *testing.T, ring int) (*Stack, *Stack, *pipeNIC, *pipeNIC) {
	a, b := newPipe(ring)
	sa, err := Start(Config{NIC: a, Wait: a.wait, Static: netip.MustParsePrefix("10.9.0.1/24")})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Start(Config{NIC: b, Wait: b.wait, Static: netip.MustParsePrefix("10.9.0.2/24"), Gateway: netip.MustParseAddr("10.9.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	return sa, sb, a, b
}

func TestTCPThroughSocket(t *testing.T) {
	sa, sb, na, nb := startPairNICs(t, 4)
	ctx := context.Background()
	l, err := sa.Socket(ctx, "tcp", syscall.AF_INET6, syscall.SOCK_STREAM, &net.TCPAddr{Port: 80}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := l.(net.Listener)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	c, err := sb.Socket(ctx, "tcp", syscall.AF_INET, syscall.SOCK_STREAM, nil, &net.TCPAddr{IP: net.IPv4(10, 9, 0, 1), Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	conn := c.(net.Conn)
	defer conn.Close()
	want := make([]byte, 1<<20)
	rand.Read(want)
	go conn.Write(want)
	got := make([]byte, len(want))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("echoed data differs")
	}
	if ra := conn.RemoteAddr().String(); ra != "10.9.0.1:80" {
		t.Errorf("RemoteAddr = %s", ra)
	}
	// The 4-frame rings filled up: senders waited for reclaims.
	na.mu.Lock()
	nb.mu.Lock()
	fulls := na.fulls + nb.fulls
	nb.mu.Unlock()
	na.mu.Unlock()
	if fulls == 0 {
		t.Error("the transmit ring never filled: the waiting path did not run")
	}
}

func TestUDPThroughSocket(t *testing.T) {
	sa, sb := startPair(t, 64)
	ctx := context.Background()
	p, err := sa.Socket(ctx, "udp", syscall.AF_INET, syscall.SOCK_DGRAM, &net.UDPAddr{Port: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc := p.(net.PacketConn)
	defer pc.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	c, err := sb.Socket(ctx, "udp", syscall.AF_INET, syscall.SOCK_DGRAM, nil, &net.UDPAddr{IP: net.IPv4(10, 9, 0, 1), Port: 7})
	if err != nil {
		t.Fatal(err)
	}
	conn := c.(net.Conn)
	defer conn.Close()
	for i := range 20 {
		msg := []byte{byte(i), 'x', 'y'}
		conn.Write(msg)
		buf := make([]byte, 100)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("round %d: %q %v", i, buf[:n], err)
		}
	}
}

func TestSocketRejects(t *testing.T) {
	sa, _ := startPair(t, 4)
	if _, err := sa.Socket(context.Background(), "ip", syscall.AF_INET, syscall.SOCK_RAW, nil, nil); err == nil {
		t.Error("raw socket accepted")
	}
}

func TestParseStatic(t *testing.T) {
	a, gw, dns, err := ParseStatic("10.0.2.15/24", "10.0.2.2", "10.0.2.3,10.0.2.2:5353")
	if err != nil || a.String() != "10.0.2.15/24" || gw.String() != "10.0.2.2" || len(dns) != 2 || dns[0].String() != "10.0.2.3:53" || dns[1].String() != "10.0.2.2:5353" {
		t.Fatalf("ParseStatic = %v %v %v %v", a, gw, dns, err)
	}
	if a, _, _, err := ParseStatic("", "", ""); err != nil || a.IsValid() {
		t.Fatalf("empty: %v %v", a, err)
	}
	for _, c := range [][3]string{
		{"10.0.2.15", "", ""},            // no prefix length
		{"fe80::1/64", "", ""},           // IPv6
		{"10.0.2.15/24", "10.1.0.1", ""}, // gateway off the subnet
		{"", "nope", ""},
		{"", "", "10.0.2.3,x"},
	} {
		if _, _, _, err := ParseStatic(c[0], c[1], c[2]); err == nil {
			t.Errorf("ParseStatic(%q) accepted", c)
		}
	}
}

func TestStartNeedsNICAndWait(t *testing.T) {
	if _, err := Start(Config{}); err == nil {
		t.Fatal("Start without a NIC succeeded")
	}
}

// The stack answers ICMP echo requests (an ICMP endpoint on the other
// stack sends one and reads the reply).
func TestICMPEcho(t *testing.T) {
	_, sb := startPair(t, 16)
	var wq waiter.Queue
	ep, terr := sb.S.NewEndpoint(icmp.ProtocolNumber4, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		t.Fatal(terr)
	}
	defer ep.Close()
	we, ch := waiter.NewChannelEntry(waiter.ReadableEvents)
	wq.EventRegister(&we)
	defer wq.EventUnregister(&we)
	req := make([]byte, header.ICMPv4MinimumSize+8)
	h := header.ICMPv4(req)
	h.SetType(header.ICMPv4Echo)
	copy(req[header.ICMPv4MinimumSize:], "yolkping")
	var r bytes.Reader
	r.Reset(req)
	dst := tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{10, 9, 0, 1})}
	if _, err := ep.Write(&r, tcpip.WriteOptions{To: &dst}); err != nil {
		t.Fatal(err)
	}
	for {
		var out bytes.Buffer
		_, err := ep.Read(&out, tcpip.ReadOptions{})
		if _, ok := err.(*tcpip.ErrWouldBlock); ok {
			select {
			case <-ch:
				continue
			case <-time.After(10 * time.Second):
				t.Fatal("no echo reply")
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		reply := header.ICMPv4(out.Bytes())
		if reply.Type() != header.ICMPv4EchoReply || !bytes.HasSuffix(out.Bytes(), []byte("yolkping")) {
			t.Fatalf("reply %x", out.Bytes())
		}
		return
	}
}
