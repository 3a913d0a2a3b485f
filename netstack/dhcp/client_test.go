package dhcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// sent is one frame from the client; done is closed once the server has
// handled it, so that tests see a deterministic log.
type sent struct {
	frame []byte
	done  chan struct{}
}

// fakeServer is a DHCP server goroutine that talks to a Client through
// its Send and Recv.
type fakeServer struct {
	t    *testing.T
	in   chan sent
	out  chan []byte
	stop chan struct{}

	mu sync.Mutex
	// Knobs.
	dropDiscovers int  // DISCOVERs to leave unanswered
	dropRequests  int  // REQUESTs to leave unanswered
	naks          int  // REQUESTs to refuse
	noise         bool // precede each real reply with frames the client must ignore
	// Log.
	discovers, requests []*Message
	discoverTimes       []time.Time
}

func startServer(t *testing.T) (*fakeServer, *Client) {
	s := &fakeServer{
		t:    t,
		in:   make(chan sent),
		out:  make(chan []byte, 64),
		stop: make(chan struct{}),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-s.stop:
				return
			case f := <-s.in:
				s.handle(f.frame)
				close(f.done)
			}
		}
	}()
	t.Cleanup(func() {
		close(s.stop)
		<-done
	})
	c := &Client{
		MAC:      testMAC,
		Hostname: testHost,
		Send: func(f []byte) error {
			d := make(chan struct{})
			select {
			case s.in <- sent{bytes.Clone(f), d}:
			case <-s.stop:
				return errors.New("server stopped")
			}
			<-d
			return nil
		},
		Recv:    s.out,
		Timeout: 5 * time.Second, // tests that expect retransmission lower it
	}
	return s, c
}

func (s *fakeServer) set(fn func(s *fakeServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func (s *fakeServer) log() (discovers, requests []*Message, times []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.discovers), slices.Clone(s.requests), slices.Clone(s.discoverTimes)
}

func (s *fakeServer) send(f []byte) {
	select {
	case s.out <- f:
	case <-s.stop:
	}
}

func (s *fakeServer) handle(f []byte) {
	m, err := ParseFrame(f)
	if err != nil {
		s.t.Errorf("client sent an unparsable frame: %v", err)
		return
	}
	if !ipChecksumOK(f) || !udpChecksumOK(f) {
		s.t.Errorf("client frame has a bad checksum")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.Type {
	case MsgDiscover:
		s.discovers = append(s.discovers, m)
		s.discoverTimes = append(s.discoverTimes, time.Now())
		if s.dropDiscovers > 0 {
			s.dropDiscovers--
			return
		}
		if s.noise {
			for _, n := range [][]byte{
				serverFrame(m.XID+1, m.CHAddr, offeredIP, leaseOpts(MsgOffer)),                                           // another xid
				serverFrame(m.XID, otherMAC, offeredIP, leaseOpts(MsgOffer)),                                             // another client
				[]byte("not a frame at all"),                                                                             // garbage
				func() []byte { f := serverFrame(m.XID, m.CHAddr, offeredIP, leaseOpts(MsgOffer)); f[22]--; return f }(), // bad IP checksum
				serverFrame(m.XID, m.CHAddr, offeredIP, leaseOpts(MsgAck)),                                               // not an OFFER
				serverFrame(m.XID, m.CHAddr, offeredIP, opts(opt(53, MsgOffer), u32Opt(51, 60))),                         // no server id
				serverFrame(m.XID, m.CHAddr, netip.IPv4Unspecified(), leaseOpts(MsgOffer)),                               // offers 0.0.0.0
			} {
				s.send(n)
			}
		}
		s.send(serverFrame(m.XID, m.CHAddr, offeredIP, leaseOpts(MsgOffer)))
	case MsgRequest:
		s.requests = append(s.requests, m)
		if s.dropRequests > 0 {
			s.dropRequests--
			return
		}
		req, _ := m.Addr(OptRequestedAddr)
		if s.noise {
			other := netip.MustParseAddr("192.168.1.99")
			for _, n := range [][]byte{
				serverFrame(m.XID, m.CHAddr, req, opts(opt(53, MsgAck), addrOpt(54, other), u32Opt(51, 60))), // another server's ACK
				serverFrame(m.XID, m.CHAddr, other, leaseOpts(MsgAck)),                                       // ACK for another address
				serverFrame(m.XID^1, m.CHAddr, netip.Addr{}, opts(opt(53, MsgNak), addrOpt(54, serverIP))),   // NAK, another xid
			} {
				s.send(n)
			}
		}
		if s.naks > 0 {
			s.naks--
			s.send(serverFrame(m.XID, m.CHAddr, netip.Addr{},
				opts(opt(53, MsgNak), addrOpt(54, serverIP), opt(56, []byte("address in use")...))))
			return
		}
		s.send(serverFrame(m.XID, m.CHAddr, req, leaseOpts(MsgAck)))
	default:
		s.t.Errorf("client sent message type %d", m.Type)
	}
}

func wantLease(t *testing.T, l Lease, before, after time.Time) {
	t.Helper()
	if l.Addr != netip.MustParsePrefix("192.168.1.50/24") {
		t.Errorf("Addr %v", l.Addr)
	}
	if l.Router != routerIP {
		t.Errorf("Router %v", l.Router)
	}
	if !slices.Equal(l.DNS, []netip.Addr{dns1, dns2}) {
		t.Errorf("DNS %v", l.DNS)
	}
	if l.Server != serverIP {
		t.Errorf("Server %v", l.Server)
	}
	if l.LeaseTime != 24*time.Hour || l.T1 != 12*time.Hour || l.T2 != 21*time.Hour {
		t.Errorf("LeaseTime %v T1 %v T2 %v", l.LeaseTime, l.T1, l.T2)
	}
	if l.Obtained.Before(before) || l.Obtained.After(after) {
		t.Errorf("Obtained %v outside [%v, %v]", l.Obtained, before, after)
	}
}

func TestAcquire(t *testing.T) {
	s, c := startServer(t)
	before := time.Now()
	l, err := c.Acquire(context.Background())
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	wantLease(t, l, before, after)
	if n := c.Ignored.Load(); n != 0 {
		t.Errorf("Ignored = %d", n)
	}
	d, r, _ := s.log()
	if len(d) != 1 || len(r) != 1 {
		t.Fatalf("%d DISCOVERs, %d REQUESTs", len(d), len(r))
	}
	if d[0].XID != r[0].XID {
		t.Errorf("REQUEST xid %#x, DISCOVER xid %#x", r[0].XID, d[0].XID)
	}
	if string(d[0].Options[OptHostname]) != testHost || string(r[0].Options[OptHostname]) != testHost {
		t.Errorf("hostname not sent")
	}
	if a, _ := r[0].Addr(OptRequestedAddr); a != offeredIP {
		t.Errorf("REQUEST asks for %v", a)
	}
	if a, _ := r[0].Addr(OptServerID); a != serverIP {
		t.Errorf("REQUEST names server %v", a)
	}
}

func TestAcquireRandomXID(t *testing.T) {
	s, c := startServer(t)
	for range 2 {
		if _, err := c.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	d, _, _ := s.log()
	if d[0].XID == d[1].XID {
		t.Errorf("two acquisitions used xid %#x", d[0].XID)
	}
}

func TestAcquireIgnoresStrayReplies(t *testing.T) {
	s, c := startServer(t)
	s.set(func(s *fakeServer) { s.noise = true })
	c.Retries = 1 // a wrongly rejected real reply fails the test instead of retrying
	before := time.Now()
	l, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantLease(t, l, before, time.Now())
	if n := c.Ignored.Load(); n != 10 {
		t.Errorf("Ignored = %d, want 10", n)
	}
	d, r, _ := s.log()
	if len(d) != 1 || len(r) != 1 {
		t.Errorf("%d DISCOVERs, %d REQUESTs", len(d), len(r))
	}
}

func TestAcquireRetransmits(t *testing.T) {
	s, c := startServer(t)
	s.set(func(s *fakeServer) { s.dropDiscovers, s.dropRequests = 2, 1 })
	c.Timeout = 5 * time.Millisecond
	before := time.Now()
	l, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantLease(t, l, before, time.Now())
	d, r, times := s.log()
	if len(d) != 3 || len(r) != 2 {
		t.Fatalf("%d DISCOVERs, %d REQUESTs; want 3, 2", len(d), len(r))
	}
	for _, m := range append(d[1:], r...) {
		if m.XID != d[0].XID {
			t.Errorf("retransmission changed xid from %#x to %#x", d[0].XID, m.XID)
		}
	}
	if g := times[1].Sub(times[0]); g < 5*time.Millisecond {
		t.Errorf("first retransmission after %v", g)
	}
	if g := times[2].Sub(times[1]); g < 10*time.Millisecond {
		t.Errorf("second retransmission after %v, want doubled timeout", g)
	}
}

func TestBackoff(t *testing.T) {
	s := time.Second
	want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 16 * s, 16 * s}
	for i, w := range want {
		if got := backoff(s, i); got != w {
			t.Errorf("backoff(1s, %d) = %v, want %v", i, got, w)
		}
	}
	if got := backoff(time.Hour, 3); got != time.Hour {
		t.Errorf("backoff(1h, 3) = %v", got)
	}
	if got := backoff(time.Millisecond, 1000); got != 16*s {
		t.Errorf("backoff(1ms, 1000) = %v", got)
	}
}

func TestAcquireGivesUp(t *testing.T) {
	for _, retries := range []int{0, 3} {
		s, c := startServer(t)
		s.set(func(s *fakeServer) { s.dropDiscovers = 100 })
		c.Retries = retries
		c.Timeout = time.Millisecond
		want := retries
		if want == 0 {
			want = 5 // the default
		}
		_, err := c.Acquire(context.Background())
		if err == nil || err.Error() != fmt.Sprintf("dhcp: no OFFER after %d DISCOVERs", want) {
			t.Errorf("Retries %d: error %v", retries, err)
		}
		if d, _, _ := s.log(); len(d) != want {
			t.Errorf("Retries %d: %d DISCOVERs", retries, len(d))
		}
	}
}

func TestAcquireNoACK(t *testing.T) {
	s, c := startServer(t)
	s.set(func(s *fakeServer) { s.dropRequests = 100 })
	c.Retries = 2
	c.Timeout = time.Millisecond
	_, err := c.Acquire(context.Background())
	if err == nil || err.Error() != "dhcp: no ACK after 2 REQUESTs" {
		t.Errorf("error %v", err)
	}
	if d, r, _ := s.log(); len(d) != 1 || len(r) != 2 {
		t.Errorf("%d DISCOVERs, %d REQUESTs", len(d), len(r))
	}
}

func TestAcquireNAKRestarts(t *testing.T) {
	s, c := startServer(t)
	s.set(func(s *fakeServer) { s.naks = 1 })
	before := time.Now()
	l, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantLease(t, l, before, time.Now())
	d, r, _ := s.log()
	if len(d) != 2 || len(r) != 2 {
		t.Fatalf("%d DISCOVERs, %d REQUESTs; want 2, 2", len(d), len(r))
	}
	if d[0].XID == d[1].XID {
		t.Error("restart after NAK reused the xid")
	}
}

func TestAcquireNAKGivesUp(t *testing.T) {
	s, c := startServer(t)
	s.set(func(s *fakeServer) { s.naks = 100 })
	c.Retries = 3
	_, err := c.Acquire(context.Background())
	if !errors.Is(err, ErrNAK) {
		t.Fatalf("error %v, want ErrNAK", err)
	}
	for _, w := range []string{"3 NAKs", "192.168.1.2", "192.168.1.50", "address in use"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if d, r, _ := s.log(); len(d) != 3 || len(r) != 3 {
		t.Errorf("%d DISCOVERs, %d REQUESTs", len(d), len(r))
	}
}

func TestRenew(t *testing.T) {
	s, c := startServer(t)
	old, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	l, err := c.Renew(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	wantLease(t, l, before, time.Now())
	_, r, _ := s.log()
	if len(r) != 2 {
		t.Fatalf("%d REQUESTs", len(r))
	}
	m := r[1]
	if a, _ := m.Addr(OptRequestedAddr); a != offeredIP {
		t.Errorf("renewal asks for %v", a)
	}
	if _, ok := m.Options[OptServerID]; ok {
		t.Error("INIT-REBOOT REQUEST carries a server id")
	}
	if m.CIAddr != netip.IPv4Unspecified() {
		t.Errorf("ciaddr %v", m.CIAddr)
	}
	if m.XID == r[0].XID {
		t.Error("renewal reused the xid")
	}

	// NAK: the address is gone.
	s.set(func(s *fakeServer) { s.naks = 1 })
	if _, err := c.Renew(context.Background(), old); !errors.Is(err, ErrNAK) {
		t.Errorf("Renew after NAK: %v", err)
	}

	// Silence.
	s.set(func(s *fakeServer) { s.dropRequests = 100 })
	c.Retries = 2
	c.Timeout = time.Millisecond
	if _, err := c.Renew(context.Background(), old); err == nil || err.Error() != "dhcp: no ACK after 2 REQUESTs" {
		t.Errorf("Renew without answer: %v", err)
	}

	if _, err := c.Renew(context.Background(), Lease{}); err == nil {
		t.Error("renewed an empty lease")
	}
}

func TestAcquireCancel(t *testing.T) {
	s, c := startServer(t)
	s.set(func(s *fakeServer) { s.dropDiscovers = 100 })
	c.Timeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Acquire(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if e := time.Since(start); e > 10*time.Second {
		t.Errorf("Acquire returned %v after cancellation", e)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, err := c.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want context.DeadlineExceeded", err)
	}

	// Already cancelled: nothing is sent.
	d0, _, _ := s.log()
	if _, err := c.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v", err)
	}
	if d, _, _ := s.log(); len(d) != len(d0) {
		t.Error("sent a DISCOVER with a cancelled context")
	}
}

func TestSendError(t *testing.T) {
	linkDown := errors.New("link down")
	var n int
	c := &Client{
		MAC:     testMAC,
		Send:    func([]byte) error { n++; return linkDown },
		Recv:    make(chan []byte),
		Retries: 2,
		Timeout: time.Millisecond,
	}
	_, err := c.Acquire(context.Background())
	if !errors.Is(err, linkDown) || !strings.Contains(err.Error(), "no OFFER after 2 DISCOVERs") {
		t.Errorf("error %v", err)
	}
	if n != 2 {
		t.Errorf("%d sends", n)
	}
}

func TestRecvClosed(t *testing.T) {
	ch := make(chan []byte)
	close(ch)
	c := &Client{MAC: testMAC, Send: func([]byte) error { return nil }, Recv: ch}
	if _, err := c.Acquire(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("error %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	ok := func([]byte) error { return nil }
	for name, c := range map[string]*Client{
		"no MAC":  {Send: ok, Recv: make(chan []byte)},
		"no Send": {MAC: testMAC, Recv: make(chan []byte)},
		"no Recv": {MAC: testMAC, Send: ok},
	} {
		if _, err := c.Acquire(context.Background()); err == nil {
			t.Errorf("%s: Acquire succeeded", name)
		}
		if _, err := c.Renew(context.Background(), Lease{Addr: netip.MustParsePrefix("10.0.0.2/8")}); err == nil {
			t.Errorf("%s: Renew succeeded", name)
		}
	}
}
