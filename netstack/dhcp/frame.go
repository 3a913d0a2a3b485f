package dhcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

const (
	ethHeaderLen  = 14
	etherTypeIPv4 = 0x0800
	ipv4MinHeader = 20
	protoUDP      = 17
	udpHeaderLen  = 8
	bootpFixedLen = 236 // op through file, RFC 2131 Figure 1
	optionsOffset = bootpFixedLen + 4
	// RFC 1542 section 2.1: a BOOTP message is at least 300 bytes; some
	// relays and servers drop shorter ones, so requests are padded.
	minBOOTPLen = 300
	maxCHAddr   = 16

	clientPort = 68
	serverPort = 67

	flagBroadcast = 0x8000 // RFC 2131 section 2: we cannot receive unicast yet
	ipFragMask    = 0x3fff // MF bit and fragment offset
	ipFragOffset  = 0x1fff
)

var magicCookie = [4]byte{99, 130, 83, 99} // RFC 2132 section 2

// paramRequest is what option 55 asks for: mask, router, DNS, domain
// name, lease time, server id, T1, T2.
var paramRequest = []byte{OptSubnetMask, OptRouter, OptDNS, OptDomainName,
	OptLeaseTime, OptServerID, OptT1, OptT2}

// IsReply reports cheaply whether an Ethernet frame is an IPv4/UDP
// datagram to port 68, so the driver can divert it to the client. It
// looks at headers only and never panics.
func IsReply(frame []byte) bool {
	if len(frame) < ethHeaderLen+ipv4MinHeader+udpHeaderLen {
		return false
	}
	if binary.BigEndian.Uint16(frame[12:]) != etherTypeIPv4 {
		return false
	}
	ip := frame[ethHeaderLen:]
	if ip[0]>>4 != 4 || ip[9] != protoUDP {
		return false
	}
	// Later fragments carry no UDP header at this offset.
	if binary.BigEndian.Uint16(ip[6:])&ipFragOffset != 0 {
		return false
	}
	ihl := int(ip[0]&0x0f) * 4
	if ihl < ipv4MinHeader || len(ip) < ihl+udpHeaderLen {
		return false
	}
	return binary.BigEndian.Uint16(ip[ihl+2:]) == clientPort
}

// BuildDiscover returns a broadcast DHCPDISCOVER frame (RFC 2131 Table 5).
func BuildDiscover(mac net.HardwareAddr, xid uint32, hostname string) []byte {
	return buildRequestFrame(mac, xid, MsgDiscover, netip.Addr{}, netip.Addr{}, hostname)
}

// BuildRequest returns a broadcast DHCPREQUEST frame. With a valid server
// it is the SELECTING form answering an OFFER (options 50 and 54); with an
// invalid server it is the INIT-REBOOT form (option 50 only), which asks
// any server to confirm an address we already hold (RFC 2131 4.3.2).
func BuildRequest(mac net.HardwareAddr, xid uint32, requested, server netip.Addr, hostname string) []byte {
	return buildRequestFrame(mac, xid, MsgRequest, requested, server, hostname)
}

func appendOption(b []byte, code byte, data []byte) []byte {
	if len(data) > 255 {
		data = data[:255] // only a long hostname can get here
	}
	b = append(b, code, byte(len(data)))
	return append(b, data...)
}

func buildRequestFrame(mac net.HardwareAddr, xid uint32, msgType byte, requested, server netip.Addr, hostname string) []byte {
	hw := mac
	if len(hw) > maxCHAddr {
		hw = hw[:maxCHAddr]
	}
	opts := appendOption(nil, OptMessageType, []byte{msgType})
	// Client identifier: hardware type 1 (Ethernet) and the MAC.
	opts = appendOption(opts, OptClientID, append([]byte{1}, hw...))
	if requested.Is4() {
		a := requested.As4()
		opts = appendOption(opts, OptRequestedAddr, a[:])
	}
	if server.Is4() {
		a := server.As4()
		opts = appendOption(opts, OptServerID, a[:])
	}
	if hostname != "" {
		opts = appendOption(opts, OptHostname, []byte(hostname))
	}
	opts = appendOption(opts, OptParamRequest, paramRequest)
	opts = append(opts, OptEnd)

	bootpLen := max(optionsOffset+len(opts), minBOOTPLen) // zero tail = pad options
	udpLen := udpHeaderLen + bootpLen
	ipLen := ipv4MinHeader + udpLen
	f := make([]byte, ethHeaderLen+ipLen)

	// Ethernet: broadcast, since we know no server's MAC.
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], mac)
	binary.BigEndian.PutUint16(f[12:], etherTypeIPv4)

	// IPv4 from 0.0.0.0 to the limited broadcast (RFC 2131 section 4.1).
	ip := f[ethHeaderLen:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
	ip[8] = 64 // TTL
	ip[9] = protoUDP
	copy(ip[16:20], []byte{255, 255, 255, 255})
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum16(ip[:ipv4MinHeader], 0)))

	udp := ip[ipv4MinHeader:]
	binary.BigEndian.PutUint16(udp[0:], clientPort)
	binary.BigEndian.PutUint16(udp[2:], serverPort)
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))

	b := udp[udpHeaderLen:]
	b[0] = OpRequest
	b[1] = 1 // htype Ethernet
	b[2] = byte(len(hw))
	binary.BigEndian.PutUint32(b[4:], xid)
	binary.BigEndian.PutUint16(b[10:], flagBroadcast)
	copy(b[28:28+maxCHAddr], hw)
	copy(b[bootpFixedLen:], magicCookie[:])
	copy(b[optionsOffset:], opts)

	binary.BigEndian.PutUint16(udp[6:], udpChecksum(ip[12:16], ip[16:20], udp))
	return f
}

// udpChecksum computes the RFC 768 checksum over the pseudo-header and a
// datagram whose checksum field is zero. A result of 0 is sent as 0xffff,
// since 0 means "no checksum".
func udpChecksum(src, dst, udp []byte) uint16 {
	acc := sum16(src, 0)
	acc = sum16(dst, acc)
	acc += protoUDP + uint64(len(udp))
	c := ^fold(sum16(udp, acc))
	if c == 0 {
		c = 0xffff
	}
	return c
}

// sum16 adds b as big-endian 16-bit words to acc (RFC 1071), an odd
// trailing byte padded with zero. uint64 cannot overflow for any frame.
func sum16(b []byte, acc uint64) uint64 {
	for len(b) >= 2 {
		acc += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}

// ParseFrame decodes an Ethernet frame carrying a DHCP message in either
// direction: a BOOTREPLY from port 67 to 68 or a BOOTREQUEST from 68 to 67.
// Every header is validated; any inconsistency is an error.
func ParseFrame(frame []byte) (*Message, error) {
	if len(frame) < ethHeaderLen {
		return nil, errors.New("dhcp: frame shorter than an Ethernet header")
	}
	if et := binary.BigEndian.Uint16(frame[12:]); et != etherTypeIPv4 {
		return nil, fmt.Errorf("dhcp: EtherType %#04x is not IPv4", et)
	}
	ip := frame[ethHeaderLen:]
	if len(ip) < ipv4MinHeader {
		return nil, errors.New("dhcp: truncated IPv4 header")
	}
	if v := ip[0] >> 4; v != 4 {
		return nil, fmt.Errorf("dhcp: IP version %d", v)
	}
	ihl := int(ip[0]&0x0f) * 4
	if ihl < ipv4MinHeader {
		return nil, fmt.Errorf("dhcp: IPv4 header length %d", ihl)
	}
	// Ethernet pads short frames, so the frame may exceed the datagram.
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total < ihl || total > len(ip) {
		return nil, fmt.Errorf("dhcp: IPv4 total length %d (header %d, frame holds %d)", total, ihl, len(ip))
	}
	if fold(sum16(ip[:ihl], 0)) != 0xffff {
		return nil, errors.New("dhcp: bad IPv4 header checksum")
	}
	// A DHCP reply fits one frame; reassembly is the stack's job and the
	// stack is not running yet.
	if binary.BigEndian.Uint16(ip[6:])&ipFragMask != 0 {
		return nil, errors.New("dhcp: IPv4 fragment")
	}
	if ip[9] != protoUDP {
		return nil, fmt.Errorf("dhcp: IP protocol %d is not UDP", ip[9])
	}
	udp := ip[ihl:total]
	if len(udp) < udpHeaderLen {
		return nil, errors.New("dhcp: truncated UDP header")
	}
	sport := binary.BigEndian.Uint16(udp[0:])
	dport := binary.BigEndian.Uint16(udp[2:])
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < udpHeaderLen || ulen > len(udp) {
		return nil, fmt.Errorf("dhcp: UDP length %d (IP payload %d)", ulen, len(udp))
	}
	udp = udp[:ulen]
	// A zero checksum means the sender did not compute one (RFC 768).
	if binary.BigEndian.Uint16(udp[6:]) != 0 {
		acc := sum16(ip[12:16], 0)
		acc = sum16(ip[16:20], acc)
		acc += protoUDP + uint64(ulen)
		if fold(sum16(udp, acc)) != 0xffff {
			return nil, errors.New("dhcp: bad UDP checksum")
		}
	}

	b := udp[udpHeaderLen:]
	if len(b) < optionsOffset {
		return nil, fmt.Errorf("dhcp: BOOTP message of %d bytes is truncated", len(b))
	}
	op := b[0]
	switch {
	case op == OpReply && sport == serverPort && dport == clientPort:
	case op == OpRequest && sport == clientPort && dport == serverPort:
	default:
		return nil, fmt.Errorf("dhcp: BOOTP op %d on UDP ports %d->%d", op, sport, dport)
	}
	if !bytes.Equal(b[bootpFixedLen:optionsOffset], magicCookie[:]) {
		return nil, errors.New("dhcp: no DHCP magic cookie")
	}
	hlen := int(b[2])
	if hlen > maxCHAddr {
		return nil, fmt.Errorf("dhcp: hardware address length %d", hlen)
	}
	opts, err := parseOptions(b[optionsOffset:])
	if err != nil {
		return nil, err
	}
	t, ok := opts[OptMessageType]
	if !ok || len(t) != 1 {
		return nil, errors.New("dhcp: no valid message type option")
	}
	return &Message{
		Op:      op,
		XID:     binary.BigEndian.Uint32(b[4:]),
		Flags:   binary.BigEndian.Uint16(b[10:]),
		CIAddr:  netip.AddrFrom4([4]byte(b[12:16])),
		YIAddr:  netip.AddrFrom4([4]byte(b[16:20])),
		SIAddr:  netip.AddrFrom4([4]byte(b[20:24])),
		GIAddr:  netip.AddrFrom4([4]byte(b[24:28])),
		CHAddr:  bytes.Clone(b[28 : 28+hlen]),
		Type:    t[0],
		Options: opts,
	}, nil
}

// parseOptions decodes RFC 2132 code/length/value options. A missing end
// option is tolerated (the data simply runs out); a length that runs past
// the data is not.
func parseOptions(b []byte) (map[byte][]byte, error) {
	opts := make(map[byte][]byte)
	for len(b) > 0 {
		code := b[0]
		switch code {
		case OptPad:
			b = b[1:]
			continue
		case OptEnd:
			return opts, nil
		}
		if len(b) < 2 {
			return nil, fmt.Errorf("dhcp: option %d has no length", code)
		}
		n := int(b[1])
		if len(b) < 2+n {
			return nil, fmt.Errorf("dhcp: option %d of length %d overruns the message", code, n)
		}
		// append copies, so values never alias the frame; repeats
		// concatenate (RFC 3396).
		opts[code] = append(opts[code], b[2:2+n]...)
		b = b[2+n:]
	}
	return opts, nil
}
