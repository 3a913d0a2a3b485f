package netstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
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
	outbox   [][]byte // queued by Transmit, put on the wire by Flush
	inflight int      // frames "on the wire", freed by Reclaim
	ring     int
	fulls    int

	// txCsum makes the pipe offer TX checksum offload and complete
	// partial checksums as a device does; completed counts them.
	txCsum    bool
	completed int

	// failPolls makes that many Polls fail (a broken device); resets
	// counts Reset calls, which clear nothing else.
	failPolls, resets int

	// vouch marks received frames ChecksumOK, as a device with receive
	// checksum offload does for the frames it checked.
	vouch bool
}

func (p *pipeNIC) Reset() error {
	p.mu.Lock()
	p.resets++
	p.mu.Unlock()
	return nil
}

// breakDevice makes the next n Polls fail and interrupts.
func (p *pipeNIC) breakDevice(n int) {
	p.mu.Lock()
	p.failPolls = n
	p.mu.Unlock()
	p.interrupt()
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
func (p *pipeNIC) wait(wake <-chan struct{}) bool {
	select {
	case <-p.kick:
		return true
	case <-wake:
		return false
	}
}

func (p *pipeNIC) Offloads() nic.Offloads { return nic.Offloads{TXChecksum: p.txCsum} }

func (p *pipeNIC) Transmit(frames []nic.Frame) (int, error) {
	p.mu.Lock()
	n := min(p.ring-p.inflight, len(frames))
	if n < len(frames) {
		p.fulls++
	}
	p.inflight += n
	p.mu.Unlock()
	for _, f := range frames[:n] {
		frame := bytes.Join(f.Parts, nil)
		if f.CsumStart != 0 {
			// What a device does (virtio 5.1.6.2): sum from CsumStart
			// to the end, the field holding the pseudo-header sum, and
			// store the complement there.
			at := int(f.CsumStart) + int(f.CsumOffset)
			sum := checksum.Checksum(frame[f.CsumStart:], 0)
			binary.BigEndian.PutUint16(frame[at:], ^sum)
			p.mu.Lock()
			p.completed++
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.outbox = append(p.outbox, frame)
		p.mu.Unlock()
	}
	return n, nil
}

// Flush puts what Transmit queued on the wire: a frame not flushed never
// arrives, as on a device that was not notified.
func (p *pipeNIC) Flush() {
	p.mu.Lock()
	out := p.outbox
	p.outbox = nil
	p.mu.Unlock()
	if len(out) == 0 {
		return
	}
	q := p.peer
	q.mu.Lock()
	q.inbox = append(q.inbox, out...)
	q.mu.Unlock()
	q.interrupt()
}

func (p *pipeNIC) Reclaim() error {
	p.mu.Lock()
	p.inflight = 0
	p.mu.Unlock()
	return nil
}

func (p *pipeNIC) Poll(budget int, deliver func(nic.Received)) (int, error) {
	p.mu.Lock()
	if p.failPolls > 0 {
		p.failPolls--
		p.mu.Unlock()
		return 0, errors.New("pipe: broken")
	}
	n := min(budget, len(p.inbox))
	in := p.inbox[:n]
	p.inbox = p.inbox[n:]
	p.mu.Unlock()
	for _, f := range in {
		deliver(nic.Received{Frame: buffer.MakeWithData(f), ChecksumOK: p.vouch})
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

func startPairNICs(t *testing.T, ring int, setup ...func(a, b *pipeNIC)) (*Stack, *Stack, *pipeNIC, *pipeNIC) {
	a, b := newPipe(ring)
	for _, f := range setup {
		f(a, b)
	}
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

// echoTCP serves a TCP echo on st's port (family: the listen's), for as
// long as the test process runs (the fuzz target shares one stack).
func echoTCP(t *testing.T, st *Stack, family, port int) net.Listener {
	return serveTCP(t, st, family, port, func(c net.Conn) { io.Copy(c, c) })
}

// serveTCP listens on st's port and runs handle on each connection in a
// goroutine of its own, closing the connection after it.
func serveTCP(t *testing.T, st *Stack, family, port int, handle func(net.Conn)) net.Listener {
	t.Helper()
	l, err := st.Socket(context.Background(), "tcp", family, syscall.SOCK_STREAM, &net.TCPAddr{Port: port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := l.(net.Listener)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { handle(c); c.Close() }()
		}
	}()
	return ln
}

// counters are st's counters by name.
func counters(st *Stack) map[string]uint64 {
	m := map[string]uint64{}
	for _, c := range st.Counters() {
		m[c.Name] = c.Value
	}
	return m
}

// echoUDP serves a UDP echo on st's port.
func echoUDP(t *testing.T, st *Stack, port int) {
	t.Helper()
	p, err := st.Socket(context.Background(), "udp", syscall.AF_INET, syscall.SOCK_DGRAM, &net.UDPAddr{Port: port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc := p.(net.PacketConn)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
}

// dial connects from st to ip:port (tcp or udp) within 20 s.
func dial(t *testing.T, st *Stack, network string, ip net.IP, port int) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	family, sotype := syscall.AF_INET, syscall.SOCK_STREAM
	if ip.To4() == nil {
		family = syscall.AF_INET6
	}
	var addr net.Addr = &net.TCPAddr{IP: ip, Port: port}
	if network == "udp" {
		sotype, addr = syscall.SOCK_DGRAM, &net.UDPAddr{IP: ip, Port: port}
	}
	c, err := st.Socket(ctx, network, family, sotype, nil, addr)
	if err != nil {
		t.Fatalf("dial %s %v:%d: %v", network, ip, port, err)
	}
	conn := c.(net.Conn)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestTCPThroughSocket(t *testing.T) {
	sa, sb, na, nb := startPairNICs(t, 4)
	echoTCP(t, sa, syscall.AF_INET6, 80)
	conn := dial(t, sb, "tcp", net.IPv4(10, 9, 0, 1), 80)
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
	echoUDP(t, sa, 7)
	conn := dial(t, sb, "udp", net.IPv4(10, 9, 0, 1), 7)
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

// TestTXChecksumOffload: with a NIC that completes partial checksums the
// stack leaves TCP and UDP checksums to it, and the link sets each one up
// with the pseudo-header sum; the other stack, which checks every
// checksum, must accept what arrives, both ways and for both protocols.
func TestTXChecksumOffload(t *testing.T) {
	sa, sb, a, _ := startPairNICs(t, 64, func(a, _ *pipeNIC) { a.txCsum = true })
	echoTCP(t, sa, syscall.AF_INET, 80)
	echoUDP(t, sa, 7)
	conn := dial(t, sb, "tcp", net.IPv4(10, 9, 0, 1), 80)
	want := make([]byte, 256<<10)
	rand.Read(want)
	go conn.Write(want)
	got := make([]byte, len(want))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("TCP echo through the offloading side: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("echoed data differs")
	}

	uc := dial(t, sb, "udp", net.IPv4(10, 9, 0, 1), 7)
	uc.Write([]byte("offloaded"))
	buf := make([]byte, 64)
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := uc.Read(buf); err != nil || string(buf[:n]) != "offloaded" {
		t.Fatalf("UDP echo through the offloading side: %q %v", buf[:n], err)
	}
	a.mu.Lock()
	completed := a.completed
	a.mu.Unlock()
	if completed == 0 {
		t.Fatal("no frame asked the device for a checksum")
	}
	for _, c := range sb.Counters() {
		if strings.Contains(c.Name, "checksum") && c.Value != 0 {
			t.Errorf("the receiving stack counted %s = %d", c.Name, c.Value)
		}
	}
}

// TestDualStackListen: a wildcard listen on "tcp" with the IPv4 family
// (what the net package asks for on tamago) takes IPv6 connections too.
func TestDualStackListen(t *testing.T) {
	sa, sb := startPair(t, 64)
	ctx := context.Background()
	ln := serveTCP(t, sa, syscall.AF_INET, 8080, func(c net.Conn) { c.Write([]byte("hi")) })
	defer ln.Close()
	var ll net.IP
	deadline := time.Now().Add(10 * time.Second)
	for ll == nil && time.Now().Before(deadline) {
		for _, p := range sa.Info().IPv6 {
			if p.Addr().IsLinkLocalUnicast() {
				ll = p.Addr().AsSlice()
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ll == nil {
		t.Fatal("no IPv6 link-local address")
	}
	for _, ip := range []net.IP{net.IPv4(10, 9, 0, 1), ll} {
		family := syscall.AF_INET
		if ip.To4() == nil {
			family = syscall.AF_INET6
		}
		c, err := sb.Socket(ctx, "tcp", family, syscall.SOCK_STREAM, nil, &net.TCPAddr{IP: ip, Port: 8080})
		if err != nil {
			t.Fatalf("dial %v: %v", ip, err)
		}
		b, err := io.ReadAll(c.(net.Conn))
		if err != nil || string(b) != "hi" {
			t.Fatalf("from %v: %q %v", ip, b, err)
		}
	}
}

// TestDeviceFailure: a device that fails is reset and traffic goes on; one
// that keeps failing stops the interface cleanly, and a reader blocked on
// a connection gets an error instead of waiting forever.
func TestDeviceFailure(t *testing.T) {
	sa, sb, a, b := startPairNICs(t, 64)
	echoTCP(t, sa, syscall.AF_INET, 80)
	conn := dial(t, sb, "tcp", net.IPv4(10, 9, 0, 1), 80)
	echo := func(msg string) error {
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := conn.Write([]byte(msg)); err != nil {
			return err
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(conn, buf); err != nil {
			return err
		}
		if string(buf) != msg {
			return fmt.Errorf("echo %q, want %q", buf, msg)
		}
		return nil
	}
	if err := echo("before"); err != nil {
		t.Fatal(err)
	}
	a.breakDevice(1)
	if err := echo("after a reset"); err != nil {
		t.Fatalf("after one failure: %v", err)
	}
	a.mu.Lock()
	resets := a.resets
	a.mu.Unlock()
	if resets != 1 || sa.Info().Err != nil {
		t.Fatalf("after one failure: %d resets, error %v", resets, sa.Info().Err)
	}

	// The side that keeps failing stops, and its blocked reader returns.
	read := make(chan error, 1)
	go func() {
		conn.SetDeadline(time.Time{})
		_, err := conn.Read(make([]byte, 1))
		read <- err
	}()
	b.breakDevice(maxResets + 1)
	deadline := time.Now().Add(20 * time.Second)
	for sb.Info().Err == nil && time.Now().Before(deadline) {
		b.interrupt()
		time.Sleep(10 * time.Millisecond)
	}
	if sb.Info().Err == nil {
		t.Fatal("a device failing again and again did not stop the interface")
	}
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("the blocked read returned data")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a reader stayed blocked after the interface stopped")
	}
}

// stuckNIC takes nothing: its ring is full and never drains.
type stuckNIC struct{ pipeNIC }

func (s *stuckNIC) Transmit([]nic.Frame) (int, error) { return 0, nil }

// TestSendOnAStuckNIC: a sender facing a NIC that never makes room waits
// a bounded time, then the packets are dropped with ErrNoBufferSpace and
// counted, as gVisor expects of a full link.
func TestSendOnAStuckNIC(t *testing.T) {
	n := &stuckNIC{pipeNIC{mac: net.HardwareAddr{2, 0, 0, 0, 0, 3}}}
	l := newLink(n, linkOptions{batch: true})
	l.txWait = 50 * time.Millisecond
	start := time.Now()
	sent, err := l.send([]nic.Frame{{Parts: [][]byte{make([]byte, 60)}}, {Parts: [][]byte{make([]byte, 60)}}})
	if _, ok := err.(*tcpip.ErrNoBufferSpace); sent != 0 || !ok {
		t.Fatalf("send on a stuck NIC = %d, %v; want 0, ErrNoBufferSpace", sent, err)
	}
	if d := time.Since(start); d < l.txWait || d > 5*time.Second {
		t.Errorf("gave up after %v, want about %v", d, l.txWait)
	}
	if l.stats.TxFull.Load() != 2 || l.stats.TxWaits.Load() != 1 {
		t.Errorf("TxFull %d, TxWaits %d; want 2 and 1", l.stats.TxFull.Load(), l.stats.TxWaits.Load())
	}
}

// TestReceiveChecksums: every received packet's checksums are checked
// once, by whoever can: the stack checks a corrupt TCP checksum a device
// did not vouch for, and the link checks the IPv4 header checksum, which
// no device vouches for, of a packet whose TCP checksum a device did.
func TestReceiveChecksums(t *testing.T) {
	for _, vouch := range []bool{false, true} {
		st, n := func() (*Stack, *pipeNIC) {
			a, _ := newPipe(64)
			a.vouch = vouch
			st, err := Start(Config{NIC: a, Wait: a.wait, Static: netip.MustParsePrefix("10.9.0.1/24")})
			if err != nil {
				t.Fatal(err)
			}
			return st, a
		}()
		echoTCP(t, st, syscall.AF_INET, 7)
		mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
		badTCP := ipv4TCP(header.TCPFlagSyn, nil)
		badTCP[header.IPv4MinimumSize+16] ^= 0xff // TCP checksum
		badIP := ipv4TCP(header.TCPFlagSyn, nil)
		badIP[10] ^= 0xff // IPv4 header checksum
		n.mu.Lock()
		n.inbox = append(n.inbox, frame(mac, 0x0800, badTCP), frame(mac, 0x0800, badIP))
		n.mu.Unlock()
		n.interrupt()
		want := map[string]uint64{"tcp.checksum_errors": 1, "ip.malformed": 1}
		if vouch {
			// The device vouched for the TCP checksum: not checked; the
			// IPv4 header is, by the link.
			want = map[string]uint64{"tcp.checksum_errors": 0, "link.rx_bad_ipv4_checksum": 1}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			c := counters(st)
			ok := true
			for k, v := range want {
				ok = ok && c[k] == v
			}
			if ok && c["tcp.resets_sent"] == 0 && (vouch || c["link.rx_bad_ipv4_checksum"] == 0) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("vouched %v: counters %v, want %v and no reset sent", vouch, c, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
