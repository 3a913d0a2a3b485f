// Package netstack puts gVisor's TCP/IP stack (gvisor.dev/gvisor/pkg/tcpip)
// on a yolk network device: IPv4 and IPv6, ARP and NDP, ICMP echo, TCP
// and UDP, an address from DHCPv4 or a static configuration, and (on
// GOOS=tamago) the standard net package's sockets through net.SocketFunc.
//
// It is interrupt-driven, one goroutine per NIC: the device's interrupt
// wakes it (Config.Wait), it takes the received frames in batches of at
// most 64 with the interrupt off, passes them through gVisor's GRO (which
// coalesces segments of one TCP flow) to the stack, frees finished
// transmissions, and turns the interrupt back on, looking once more so that
// no frame waits for an interrupt that will not come. The stack's own
// waiter queues then wake exactly the goroutines blocked on the
// connections the frames belong to. Senders hand whole batches to the NIC;
// one that finds it full waits, a bounded time, for room. Nothing polls
// while there is no traffic.
//
// Why gVisor: it is a complete, maintained, pure-Go stack (TCP with SACK,
// window scaling and RACK; IPv6 with SLAAC) used in production by gVisor
// itself and others, and its link-endpoint seam is small.
package netstack

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/yolkos/yolk/netstack/dhcp"
	"github.com/yolkos/yolk/netstack/nic"
)

const nicID = 1

// Config says how to bring the interface up.
type Config struct {
	NIC nic.Device
	// Wait blocks until the NIC interrupts (or returns at once if it has
	// since the last call), reporting true, or until wake is ready,
	// reporting false. The receive goroutine is its only caller.
	Wait func(wake <-chan struct{}) bool
	// Static is the address and prefix; when invalid, DHCPv4 is used.
	Static  netip.Prefix
	Gateway netip.Addr
	DNS     []netip.AddrPort // name servers; they override DHCP's
	// Hostname is sent in DHCP requests.
	Hostname string
	// DHCPTimeout bounds the wait for a lease (default 30 s).
	DHCPTimeout time.Duration
	// Log receives one line per event worth telling (lease, renewal).
	Log func(format string, args ...any)
	// RecentNanotime, when set, is the stack's monotonic clock: a cheap,
	// possibly slightly old reading (kernel/timer.Recent). Nil means
	// gVisor's standard clock, which reads the time at every call.
	RecentNanotime func() int64
	// NoBatch turns receive coalescing (GRO, ACK thinning) and deferred
	// flushing of the NIC off (for comparisons).
	NoBatch bool
	// GVisorClose leaves closing connections to gVisor alone, without
	// the workarounds of closing.go (for comparisons).
	GVisorClose bool
}

// Stack is a running network stack on one NIC.
type Stack struct {
	S    *stack.Stack
	link *link
	cfg  Config

	mu    sync.Mutex
	addr  netip.Prefix
	gw    netip.Addr
	dns   []netip.AddrPort
	lease *dhcp.Lease

	pollErr error // why the receive goroutine stopped, under mu

	resets    []time.Time   // device resets in the last resetWindow (receive goroutine)
	linkUp    chan struct{} // the link came back: renew the lease now
	linkDowns atomic.Uint64
	linkUps   atomic.Uint64
	renewals  atomic.Uint64

	// The workarounds of closing.go, and how often they acted.
	endFinWait2On, ackRepeatedFINOn bool
	finWait2Ended                   atomic.Uint64                        // connections a SYN ended in FIN-WAIT-2
	repeatedFINAcks                 atomic.Uint64                        // repeated FINs taken as the ACKs they carry
	peerFINs                        map[stack.TransportEndpointID]uint32 // the FINs passed on, by connection (receive goroutine)
}

// A device that fails more than maxResets times within resetWindow is
// not reset again: the interface stops.
const (
	maxResets   = 3
	resetWindow = time.Minute
)

// Start builds the stack, starts the service goroutines and configures
// IPv4 (statically or by DHCP, waiting for the lease) and IPv6 (link-local
// and SLAAC from router advertisements, in the background).
func Start(cfg Config) (*Stack, error) {
	if cfg.NIC == nil || cfg.Wait == nil {
		return nil, errors.New("netstack: Config needs a NIC and a Wait function")
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if cfg.DHCPTimeout == 0 {
		cfg.DHCPTimeout = 30 * time.Second
	}
	var clock tcpip.Clock
	if cfg.RecentNanotime != nil {
		clock = recentClock{recent: cfg.RecentNanotime, std: tcpip.NewStdClock()}
	}
	s := stack.New(stack.Options{
		Clock: clock,
		NetworkProtocols: []stack.NetworkProtocolFactory{
			ipv4.NewProtocol, arp.NewProtocol,
			ipv6.NewProtocolWithOptions(ipv6.Options{
				AutoGenLinkLocal: true,
				NDPConfigs:       ipv6.DefaultNDPConfigurations(),
			}),
		},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
	})
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	// Buffers large enough for a LAN's bandwidth-delay product.
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &tcpip.TCPReceiveBufferSizeRangeOption{Min: 4 << 10, Default: 256 << 10, Max: 4 << 20})
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &tcpip.TCPSendBufferSizeRangeOption{Min: 4 << 10, Default: 256 << 10, Max: 4 << 20})

	st := &Stack{S: s, link: newLink(cfg.NIC, linkOptions{gro: !cfg.NoBatch, thin: !cfg.NoBatch, batch: !cfg.NoBatch}), cfg: cfg,
		linkUp: make(chan struct{}, 1), peerFINs: map[stack.TransportEndpointID]uint32{}}
	st.endFinWait2On, st.ackRepeatedFINOn = !cfg.GVisorClose, !cfg.GVisorClose
	st.link.onClosing = st.closing
	if err := s.CreateNIC(nicID, st.link); err != nil {
		return nil, fmt.Errorf("netstack: creating the NIC: %v", err)
	}
	go st.poll()

	if cfg.Static.IsValid() {
		if err := st.configure(cfg.Static, cfg.Gateway, cfg.DNS); err != nil {
			return nil, err
		}
		return st, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DHCPTimeout)
	defer cancel()
	c, done := st.dhcpClient()
	l, err := c.Acquire(ctx)
	done()
	if err != nil {
		return nil, fmt.Errorf("netstack: no IPv4 address: %w (set ip= gw= dns= for a static one)", err)
	}
	var dns []netip.AddrPort
	for _, a := range l.DNS {
		dns = append(dns, netip.AddrPortFrom(a, 53))
	}
	if len(cfg.DNS) > 0 {
		dns = cfg.DNS
	}
	if err := st.configure(l.Addr, l.Router, dns); err != nil {
		return nil, err
	}
	st.mu.Lock()
	st.lease = &l
	st.mu.Unlock()
	cfg.Log("dhcp: %v from %v, router %v, dns %v, lease %v", l.Addr, l.Server, l.Router, dns, l.LeaseTime)
	go st.renew(l)
	return st, nil
}

// pollBudget bounds the frames taken per batch, so that a flood of
// frames cannot keep everything else on this core waiting.
const pollBudget = 64

// poll is the receive goroutine (see the package comment).
func (st *Stack) poll() {
	n := st.cfg.NIC
	for {
		if !st.cfg.Wait(st.link.flushReq) {
			st.link.flush() // a sender asked (see link.send)
			continue
		}
		st.watchLink()
		for {
			got, err := n.Poll(pollBudget, st.link.deliver)
			st.link.endBatch()
			st.link.flush()
			if err == nil {
				err = n.Reclaim()
			}
			if err != nil {
				if !st.recover(err) {
					return
				}
				continue
			}
			if got == pollBudget {
				runtime.Gosched()
				continue
			}
			if !n.Rearm() {
				break
			}
		}
	}
}

// recover handles an error that stopped the device: it resets a device
// that can be reset (the frames in flight are lost; TCP sends its own
// again), unless it failed too often lately; otherwise the interface
// stops cleanly: the NIC is disabled and every endpoint aborted, so that
// no goroutine waits forever for a packet. It reports whether to go on.
func (st *Stack) recover(err error) bool {
	st.cfg.Log("netstack: the network device failed: %v", err)
	now := time.Now()
	st.resets = slices.DeleteFunc(st.resets, func(t time.Time) bool { return now.Sub(t) > resetWindow })
	if r, ok := st.cfg.NIC.(nic.Resetter); ok && len(st.resets) < maxResets {
		st.resets = append(st.resets, now)
		rerr := r.Reset()
		if rerr == nil {
			st.cfg.Log("netstack: the network device was reset")
			return true
		}
		err = fmt.Errorf("%v; resetting it: %v", err, rerr)
	} else if ok {
		err = fmt.Errorf("%v (%d resets within %v: not again)", err, len(st.resets), resetWindow)
	}
	st.mu.Lock()
	st.pollErr = err
	st.mu.Unlock()
	st.S.DisableNIC(nicID)
	for _, ep := range st.S.RegisteredEndpoints() {
		ep.Abort()
	}
	st.cfg.Log("netstack: the interface stopped: %v", err)
	return false
}

// watchLink follows the NIC's link, if it reports one: when it comes
// back after going down, a DHCP lease is renewed at once (the network on
// the other side may have changed).
func (st *Stack) watchLink() {
	l, ok := st.cfg.NIC.(nic.Linked)
	if !ok || !l.LinkChanged() {
		return
	}
	if !l.LinkUp() {
		st.linkDowns.Add(1)
		st.cfg.Log("netstack: link down")
		return
	}
	st.linkUps.Add(1)
	st.cfg.Log("netstack: link up")
	select {
	case st.linkUp <- struct{}{}:
	default:
	}
}

// dhcpClient returns a DHCP client whose replies the link diverts to it
// until done is called (the check stays off the receive path otherwise).
func (st *Stack) dhcpClient() (c *dhcp.Client, done func()) {
	recv := make(chan []byte, 8)
	tap := func(frame []byte) bool {
		if !dhcp.IsReply(frame) {
			return false
		}
		select {
		case recv <- append([]byte(nil), frame...):
		default:
		}
		return true
	}
	st.link.tap.Store(&tap)
	c = &dhcp.Client{
		MAC:      st.cfg.NIC.HardwareAddr(),
		Hostname: st.cfg.Hostname,
		Send: func(frame []byte) error {
			if _, err := st.link.send([]nic.Frame{{Parts: [][]byte{frame}}}); err != nil {
				return fmt.Errorf("netstack: sending: %v", err)
			}
			return nil
		},
		Recv: recv,
	}
	return c, func() { st.link.tap.CompareAndSwap(&tap, nil) }
}

// renew keeps the lease: a REQUEST at T1, again until the lease ends.
func (st *Stack) renew(l dhcp.Lease) {
	for {
		wait := l.T1
		if wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-st.linkUp:
			t.Stop()
			st.cfg.Log("dhcp: renewing %v: the link came back", l.Addr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.T2-l.T1+time.Second)
		c, done := st.dhcpClient()
		nl, err := c.Renew(ctx, l)
		done()
		cancel()
		if err != nil {
			st.cfg.Log("dhcp: renewing %v: %v", l.Addr, err)
			continue
		}
		if nl.Addr != l.Addr {
			st.cfg.Log("dhcp: the server moved us from %v to %v; keeping the old address for open connections", l.Addr, nl.Addr)
		}
		l = nl
		st.renewals.Add(1)
		st.mu.Lock()
		st.lease = &nl
		st.mu.Unlock()
	}
}

// configure sets the IPv4 address, the routes (subnet, default gateway,
// and IPv6 on-link and default through the NIC) and the name servers.
func (st *Stack) configure(addr netip.Prefix, gw netip.Addr, dns []netip.AddrPort) error {
	if !addr.Addr().Is4() {
		return fmt.Errorf("netstack: %v is not an IPv4 address", addr)
	}
	pa := tcpip.ProtocolAddress{
		Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{
			Address:   tcpip.AddrFrom4(addr.Addr().As4()),
			PrefixLen: addr.Bits(),
		},
	}
	if err := st.S.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("netstack: adding %v: %v", addr, err)
	}
	subnet := pa.AddressWithPrefix.Subnet()
	routes := []tcpip.Route{{Destination: subnet, NIC: nicID}}
	if gw.IsValid() {
		if !gw.Is4() || !addr.Masked().Contains(gw) {
			return fmt.Errorf("netstack: gateway %v is not on %v", gw, addr.Masked())
		}
		routes = append(routes, tcpip.Route{Destination: header.IPv4EmptySubnet, Gateway: tcpip.AddrFrom4(gw.As4()), NIC: nicID})
	}
	routes = append(routes, tcpip.Route{Destination: header.IPv6EmptySubnet, NIC: nicID})
	st.S.SetRouteTable(routes)
	st.mu.Lock()
	st.addr, st.gw, st.dns = addr, gw, dns
	st.mu.Unlock()
	setNameservers(dns)
	return nil
}

// Info is the interface's configuration.
type Info struct {
	Addr    netip.Prefix
	Gateway netip.Addr
	DNS     []netip.AddrPort
	IPv6    []netip.Prefix
	DHCP    *dhcp.Lease // nil for a static address
	Drops   uint64      // frames the link layer dropped
	Err     error       // why the device stopped, if it did
}

// Info returns the current configuration.
func (st *Stack) Info() Info {
	st.mu.Lock()
	ls := &st.link.stats
	drops := ls.RxNoStack.Load() + ls.RxRunt.Load() + ls.RxChecksum.Load() + ls.TxFull.Load() + ls.TxError.Load()
	i := Info{Addr: st.addr, Gateway: st.gw, DNS: st.dns, DHCP: st.lease, Drops: drops, Err: st.pollErr}
	st.mu.Unlock()
	for _, pa := range st.S.AllAddresses()[nicID] {
		if pa.Protocol == ipv6.ProtocolNumber {
			a := netip.AddrFrom16(pa.AddressWithPrefix.Address.As16())
			i.IPv6 = append(i.IPv6, netip.PrefixFrom(a, pa.AddressWithPrefix.PrefixLen))
		}
	}
	return i
}

// ParseStatic reads a static configuration from the boot arguments'
// form: ip=ADDR/BITS, gw=ADDR, dns=ADDR[:PORT][,ADDR[:PORT]...] (port 53
// unless given). An empty ip means DHCP; gw and dns then override what the
// lease says about them.
func ParseStatic(ip, gw, dns string) (addr netip.Prefix, gateway netip.Addr, servers []netip.AddrPort, err error) {
	if ip != "" {
		if addr, err = netip.ParsePrefix(ip); err != nil {
			return addr, gateway, nil, fmt.Errorf("ip=%s: want ADDRESS/PREFIXLEN, e.g. 10.0.2.15/24", ip)
		}
		if !addr.Addr().Is4() {
			return addr, gateway, nil, fmt.Errorf("ip=%s: an IPv4 address is needed (IPv6 configures itself)", ip)
		}
	}
	if gw != "" {
		if gateway, err = netip.ParseAddr(gw); err != nil || !gateway.Is4() {
			return addr, gateway, nil, fmt.Errorf("gw=%s: want an IPv4 address", gw)
		}
		if addr.IsValid() && !addr.Masked().Contains(gateway) {
			return addr, gateway, nil, fmt.Errorf("gw=%s is not on ip=%s's network", gw, ip)
		}
	}
	if dns != "" {
		for _, s := range strings.Split(dns, ",") {
			if s == "" {
				continue
			}
			ap, err := netip.ParseAddrPort(s)
			if err != nil {
				a, err2 := netip.ParseAddr(s)
				if err2 != nil {
					return addr, gateway, nil, fmt.Errorf("dns=%s: %q is not an address or address:port", dns, s)
				}
				ap = netip.AddrPortFrom(a, 53)
			}
			servers = append(servers, ap)
		}
	}
	return addr, gateway, servers, nil
}

// Counters are the interface's counters, prefixed by who keeps them:
// "device." (the NIC's own, if it keeps any), "link." (frames the link
// layer dropped, by reason), and the stack's drops and errors by
// protocol ("ip.", "tcp.", "udp.", "nic."), so that whoever loads the
// server can see where packets went.
func (st *Stack) Counters() []nic.Counter {
	var cs []nic.Counter
	if d, ok := st.cfg.NIC.(nic.Counting); ok {
		for _, c := range d.Counters() {
			cs = append(cs, nic.Counter{Name: "device." + c.Name, Value: c.Value})
		}
	}
	l := &st.link.stats
	s := st.S.Stats()
	add := func(name string, v uint64) { cs = append(cs, nic.Counter{Name: name, Value: v}) }
	add("link.rx_no_stack", l.RxNoStack.Load())
	add("link.rx_runt", l.RxRunt.Load())
	add("link.rx_bad_ipv4_checksum", l.RxChecksum.Load())
	add("link.rx_acks_thinned", l.RxThinned.Load())
	add("link.tx_full_drops", l.TxFull.Load())
	add("link.tx_errors", l.TxError.Load())
	add("link.tx_waits", l.TxWaits.Load())
	add("link.downs", st.linkDowns.Load())
	add("link.ups", st.linkUps.Load())
	add("dhcp.renewals", st.renewals.Load())
	add("stack.dropped_packets", s.DroppedPackets.Value())
	add("nic.tx_no_buffer_space", s.NICs.TxPacketsDroppedNoBufferSpace.Value())
	add("ip.malformed", s.IP.MalformedPacketsReceived.Value())
	add("ip.malformed_fragments", s.IP.MalformedFragmentsReceived.Value())
	add("ip.invalid_destination", s.IP.InvalidDestinationAddressesReceived.Value())
	add("ip.outgoing_errors", s.IP.OutgoingPacketErrors.Value())
	add("tcp.checksum_errors", s.TCP.ChecksumErrors.Value())
	add("tcp.invalid_segments", s.TCP.InvalidSegmentsReceived.Value())
	add("tcp.listen_overflow_syn_drops", s.TCP.ListenOverflowSynDrop.Value())
	add("tcp.listen_overflow_ack_drops", s.TCP.ListenOverflowAckDrop.Value())
	add("tcp.syn_cookies_sent", s.TCP.ListenOverflowSynCookieSent.Value())
	add("tcp.failed_connection_attempts", s.TCP.FailedConnectionAttempts.Value())
	add("tcp.segment_send_errors", s.TCP.SegmentSendErrors.Value())
	add("tcp.retransmits", s.TCP.Retransmits.Value())
	add("tcp.timeouts", s.TCP.Timeouts.Value())
	add("tcp.resets_sent", s.TCP.ResetsSent.Value())
	add("tcp.fin_wait2_ended_by_syn", st.finWait2Ended.Load())
	add("tcp.repeated_fins_taken_as_acks", st.repeatedFINAcks.Load())
	add("udp.receive_buffer_errors", s.UDP.ReceiveBufferErrors.Value())
	add("udp.checksum_errors", s.UDP.ChecksumErrors.Value())
	add("udp.malformed", s.UDP.MalformedPacketsReceived.Value())
	add("udp.unknown_port", s.UDP.UnknownPortErrors.Value())
	add("udp.send_errors", s.UDP.PacketSendErrors.Value())
	return cs
}
