package dhcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

const (
	defaultRetries = 5
	defaultTimeout = time.Second
	maxTimeout     = 16 * time.Second
)

// ErrNAK is wrapped by the error returned when a server refuses a
// REQUEST: after Renew the address must no longer be used, and the
// caller should start over with Acquire (RFC 2131 4.4.5).
var ErrNAK = errors.New("dhcp: NAK")

// Client runs the DISCOVER/OFFER/REQUEST/ACK exchange (RFC 2131 4.4.1).
// Acquire and Renew share Recv, so they must not run concurrently. The
// driver should hand frames to Recv without blocking (a buffered channel
// and a select with default): a lost reply only costs a retransmission.
type Client struct {
	MAC      net.HardwareAddr
	Hostname string                   // option 12 if non-empty
	Send     func(frame []byte) error // transmits one Ethernet frame
	Recv     <-chan []byte            // frames for which IsReply was true
	Retries  int                      // DISCOVER/REQUEST attempts before giving up (default 5)
	Timeout  time.Duration            // first retransmission timeout (default 1s, doubling, capped at 16s)

	// Ignored counts received frames that were malformed or not for
	// this exchange (another xid or chaddr, an unexpected type, a
	// server other than the one chosen).
	Ignored atomic.Uint64
}

func (c *Client) retries() int {
	if c.Retries > 0 {
		return c.Retries
	}
	return defaultRetries
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return defaultTimeout
}

func (c *Client) check() error {
	switch {
	case len(c.MAC) != 6:
		return fmt.Errorf("dhcp: MAC %v is not a 6-byte Ethernet address", c.MAC)
	case c.Send == nil:
		return errors.New("dhcp: Client.Send is nil")
	case c.Recv == nil:
		return errors.New("dhcp: Client.Recv is nil")
	}
	return nil
}

// newXID picks the transaction id at random (RFC 2131 4.1) so that
// clients booting together do not accept each other's replies.
func newXID() uint32 {
	var b [4]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return binary.BigEndian.Uint32(b[:])
}

// Acquire obtains a lease from scratch: DISCOVER, take the first usable
// OFFER, REQUEST it, and wait for the ACK. A NAK restarts from DISCOVER
// with a new xid, at most Retries times in all.
func (c *Client) Acquire(ctx context.Context) (Lease, error) {
	if err := c.check(); err != nil {
		return Lease{}, err
	}
	var nak error
	for range c.retries() {
		xid := newXID()
		offer, err := c.exchange(ctx, BuildDiscover(c.MAC, xid, c.Hostname), xid, "DISCOVER", "OFFER",
			func(m *Message) bool {
				_, hasServer := m.Addr(OptServerID)
				// Without a server id we could not form the REQUEST.
				return m.Type == MsgOffer && usable(m.YIAddr) && hasServer
			})
		if err != nil {
			return Lease{}, err
		}
		server, _ := offer.Addr(OptServerID)
		lease, reply, err := c.request(ctx, xid, offer.YIAddr, server)
		if err != nil {
			return Lease{}, err
		}
		if reply.Type == MsgNak {
			nak = nakError(reply, offer.YIAddr, server)
			continue
		}
		if !lease.Server.IsValid() {
			lease.Server = server // RFC 2131 Table 3 requires it, but be lenient
		}
		return lease, nil
	}
	return Lease{}, fmt.Errorf("dhcp: giving up after %d NAKs: %w", c.retries(), nak)
}

// Renew asks to keep l's address with an INIT-REBOOT style broadcast
// REQUEST (RFC 2131 4.3.2): the frame needs no configured address and
// any server that knows the lease may answer. An ACK yields the new
// lease; a NAK yields an error wrapping ErrNAK.
func (c *Client) Renew(ctx context.Context, l Lease) (Lease, error) {
	if err := c.check(); err != nil {
		return Lease{}, err
	}
	addr := l.Addr.Addr()
	if !usable(addr) {
		return Lease{}, fmt.Errorf("dhcp: cannot renew lease for %v", l.Addr)
	}
	lease, reply, err := c.request(ctx, newXID(), addr, netip.Addr{})
	if err != nil {
		return Lease{}, err
	}
	if reply.Type == MsgNak {
		return Lease{}, nakError(reply, addr, netip.Addr{})
	}
	if !lease.Server.IsValid() {
		lease.Server = l.Server
	}
	return lease, nil
}

// request sends REQUESTs for addr until an ACK or NAK arrives. If server
// is valid, replies naming another server are ignored: they answer some
// other client's choice.
func (c *Client) request(ctx context.Context, xid uint32, addr, server netip.Addr) (Lease, *Message, error) {
	start := time.Now()
	var lease Lease
	reply, err := c.exchange(ctx, BuildRequest(c.MAC, xid, addr, server, c.Hostname), xid, "REQUEST", "ACK",
		func(m *Message) bool {
			if id, ok := m.Addr(OptServerID); ok && server.IsValid() && id != server {
				return false
			}
			switch m.Type {
			case MsgNak:
				return true
			case MsgAck:
				if m.YIAddr != addr {
					return false
				}
				l, err := leaseFromAck(m, start)
				if err != nil {
					return false
				}
				lease = l
				return true
			}
			return false
		})
	return lease, reply, err
}

func nakError(m *Message, addr, server netip.Addr) error {
	from := server
	if id, ok := m.Addr(OptServerID); ok {
		from = id
	}
	msg := ""
	if text, ok := m.Options[OptMessage]; ok {
		msg = fmt.Sprintf(": %q", text)
	}
	return fmt.Errorf("%w from server %v for %v%s", ErrNAK, from, addr, msg)
}

// exchange transmits frame and waits for a reply that accept likes,
// retransmitting the same frame (same xid, so a late answer to an earlier
// copy still counts) with doubling timeouts (RFC 2131 4.1). RFC 2131
// suggests randomising each delay by +-1s; with a caller-chosen first
// timeout that may be far below 1s, we keep the plain doubling.
func (c *Client) exchange(ctx context.Context, frame []byte, xid uint32, sent, want string, accept func(*Message) bool) (*Message, error) {
	retries := c.retries()
	timer := time.NewTimer(c.timeout())
	defer timer.Stop()
	var sendErr error
	for attempt := range retries {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("dhcp: waiting for %s: %w", want, err)
		}
		// A failed send (link not up yet, ring full) is retried like a
		// lost reply.
		if err := c.Send(frame); err != nil {
			sendErr = err
		}
		timer.Reset(backoff(c.timeout(), attempt))
		m, err := c.wait(ctx, timer.C, xid, want, accept)
		if m != nil || err != nil {
			return m, err
		}
	}
	if sendErr != nil {
		return nil, fmt.Errorf("dhcp: no %s after %d %ss (last send error: %w)", want, retries, sent, sendErr)
	}
	return nil, fmt.Errorf("dhcp: no %s after %d %ss", want, retries, sent)
}

// backoff is the wait after transmission number attempt (from 0): first
// doubled attempt times, capped at 16s (or at first, if that is larger).
func backoff(first time.Duration, attempt int) time.Duration {
	limit := max(maxTimeout, first)
	d := first
	for range attempt {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return d
}

// wait returns the first acceptable reply, or nil, nil when the timer
// fires.
func (c *Client) wait(ctx context.Context, timeout <-chan time.Time, xid uint32, want string, accept func(*Message) bool) (*Message, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dhcp: waiting for %s: %w", want, ctx.Err())
		case <-timeout:
			return nil, nil
		case f, ok := <-c.Recv:
			if !ok {
				return nil, fmt.Errorf("dhcp: waiting for %s: receive channel closed", want)
			}
			m, err := ParseFrame(f)
			if err != nil || m.Op != OpReply || m.XID != xid || !bytes.Equal(m.CHAddr, c.MAC) || !accept(m) {
				c.Ignored.Add(1)
				continue
			}
			return m, nil
		}
	}
}

// usable reports whether a is an address a host could be given.
func usable(a netip.Addr) bool {
	return a.Is4() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLoopback() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// leaseFromAck extracts the lease from an ACK. The lease time is required
// (RFC 2131 Table 3); so is a well-formed mask if one is sent.
func leaseFromAck(m *Message, obtained time.Time) (Lease, error) {
	if !usable(m.YIAddr) {
		return Lease{}, fmt.Errorf("dhcp: ACK grants unusable address %v", m.YIAddr)
	}
	var bits int
	if mask, ok := m.Options[OptSubnetMask]; ok {
		ones, size := net.IPMask(mask).Size()
		if len(mask) != 4 || size != 32 {
			return Lease{}, fmt.Errorf("dhcp: ACK has bad subnet mask %v", mask)
		}
		bits = ones
	} else {
		// No mask: fall back to the address class, as old clients did.
		switch a := m.YIAddr.As4(); {
		case a[0] < 128:
			bits = 8
		case a[0] < 192:
			bits = 16
		default:
			bits = 24
		}
	}
	secs, ok := m.Uint32(OptLeaseTime)
	if !ok {
		return Lease{}, errors.New("dhcp: ACK has no lease time")
	}
	l := Lease{
		Addr:      netip.PrefixFrom(m.YIAddr, bits),
		DNS:       m.Addrs(OptDNS),
		LeaseTime: time.Duration(secs) * time.Second,
		Obtained:  obtained,
	}
	if r := m.Addrs(OptRouter); len(r) > 0 {
		l.Router = r[0]
	}
	l.Server, _ = m.Addr(OptServerID)
	// Defaults from RFC 2131 4.4.5; 7/8 as L - L/8 so that a 2^32 s
	// lease cannot overflow.
	l.T1 = l.LeaseTime / 2
	l.T2 = l.LeaseTime - l.LeaseTime/8
	t1, t2 := l.T1, l.T2
	if s, ok := m.Uint32(OptT1); ok {
		t1 = time.Duration(s) * time.Second
	}
	if s, ok := m.Uint32(OptT2); ok {
		t2 = time.Duration(s) * time.Second
	}
	// Keep the server's times only if they make sense together.
	if 0 < t1 && t1 <= t2 && t2 <= l.LeaseTime {
		l.T1, l.T2 = t1, t2
	}
	return l, nil
}
