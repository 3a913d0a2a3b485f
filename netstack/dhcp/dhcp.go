// Package dhcp is a DHCPv4 client that speaks in whole Ethernet frames.
//
// It exists because the TCP/IP stack cannot send or receive UDP before it
// has an address: the client builds Ethernet+IPv4+UDP+BOOTP frames itself
// (broadcast from 0.0.0.0, RFC 2131 section 4.1), and the network driver
// diverts received frames for which IsReply is true to Client.Recv before
// the stack sees them.
//
// Protocol references:
//   - RFC 2131 section 2 (message format, Table 1), section 3.1 and 4.4.1
//     (INIT -> SELECTING -> REQUESTING -> BOUND), section 3.2 and 4.4.2
//     (INIT-REBOOT, used by Renew), section 4.1 (xid, broadcast bit,
//     retransmission with doubling delays), section 4.3.2 (which fields a
//     REQUEST carries in each state), section 4.4.5 (T1 = 0.5 and
//     T2 = 0.875 of the lease by default), Table 5 (client message fields).
//   - RFC 2132 section 2 (option encoding, magic cookie), 3.1/3.2 (pad,
//     end), 3.3 subnet mask, 3.5 router, 3.8 domain name server, 3.14 host
//     name, 9.1 requested address, 9.2 lease time, 9.6 message type,
//     9.7 server identifier, 9.8 parameter request list, 9.9 message,
//     9.11/9.12 T1/T2, 9.14 client identifier.
//   - RFC 3396: an option that appears more than once is concatenated.
//
// Not supported: option overload (RFC 2132 section 9.3; the sname and file
// fields are never searched for options), relay agents on the client's
// side, 802.1Q tags, and DHCPINFORM/DECLINE/RELEASE.
package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"
)

// Lease is what the server granted.
type Lease struct {
	Addr      netip.Prefix  // address with the subnet mask's prefix length
	Router    netip.Addr    // option 3, first router (invalid Addr if none)
	DNS       []netip.Addr  // option 6
	Server    netip.Addr    // option 54 server identifier
	LeaseTime time.Duration // option 51; 0xffffffff s (RFC 2132 "infinite") is about 136 years
	T1, T2    time.Duration // options 58/59, defaulting to 0.5 and 0.875 of LeaseTime
	Obtained  time.Time     // when the REQUEST was first sent; the times count from here (RFC 2131 4.4.1)
}

// Message types, RFC 2132 section 9.6.
const (
	MsgDiscover byte = 1
	MsgOffer    byte = 2
	MsgRequest  byte = 3
	MsgDecline  byte = 4
	MsgAck      byte = 5
	MsgNak      byte = 6
	MsgRelease  byte = 7
	MsgInform   byte = 8
)

// BOOTP op codes, RFC 2131 section 2.
const (
	OpRequest byte = 1
	OpReply   byte = 2
)

// Option codes, RFC 2132.
const (
	OptPad           byte = 0
	OptSubnetMask    byte = 1
	OptRouter        byte = 3
	OptDNS           byte = 6
	OptHostname      byte = 12
	OptDomainName    byte = 15
	OptRequestedAddr byte = 50
	OptLeaseTime     byte = 51
	OptOverload      byte = 52
	OptMessageType   byte = 53
	OptServerID      byte = 54
	OptParamRequest  byte = 55
	OptMessage       byte = 56
	OptT1            byte = 58
	OptT2            byte = 59
	OptClientID      byte = 61
	OptEnd           byte = 255
)

// Message is a parsed DHCP message. Every slice is a copy: none aliases
// the frame it came from, so the driver may reuse its buffer.
type Message struct {
	Op     byte // OpRequest or OpReply
	XID    uint32
	Flags  uint16
	CIAddr netip.Addr
	YIAddr netip.Addr // "your" address: the one offered or granted
	SIAddr netip.Addr
	GIAddr netip.Addr
	CHAddr net.HardwareAddr // hlen bytes of chaddr
	Type   byte             // option 53
	// Options maps a code to its data, repeated options concatenated
	// (RFC 3396). Pad and end never appear.
	Options map[byte][]byte
}

// Addrs returns the IPv4 addresses in an address-list option (router,
// DNS), or nil if the option is absent or its length is not a positive
// multiple of 4.
func (m *Message) Addrs(code byte) []netip.Addr {
	b := m.Options[code]
	if len(b) == 0 || len(b)%4 != 0 {
		return nil
	}
	out := make([]netip.Addr, 0, len(b)/4)
	for ; len(b) >= 4; b = b[4:] {
		out = append(out, netip.AddrFrom4([4]byte(b[:4])))
	}
	return out
}

// Addr returns the value of a single-address option (server identifier,
// requested address, subnet mask).
func (m *Message) Addr(code byte) (netip.Addr, bool) {
	b, ok := m.Options[code]
	if !ok || len(b) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(b)), true
}

// Uint32 returns the value of a 32-bit option (lease time, T1, T2).
func (m *Message) Uint32(code byte) (uint32, bool) {
	b, ok := m.Options[code]
	if !ok || len(b) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b), true
}
