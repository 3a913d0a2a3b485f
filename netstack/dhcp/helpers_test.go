package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// Test-side frame construction and checksum code, written separately
// from the package's so that the two check each other.

var (
	testMAC     = net.HardwareAddr{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}
	otherMAC    = net.HardwareAddr{0x02, 0x00, 0x5e, 0x99, 0x99, 0x99}
	serverMAC   = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}
	serverIP    = netip.MustParseAddr("192.168.1.2")
	routerIP    = netip.MustParseAddr("192.168.1.1")
	offeredIP   = netip.MustParseAddr("192.168.1.50")
	dns1, dns2  = netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("9.9.9.9")
	leaseSecs   = uint32(86400)
	testXID     = uint32(0xdeadbeef)
	testHost    = "yolk-test"
	broadcastIP = [4]byte{255, 255, 255, 255}
)

// onesSum is the RFC 1071 sum of the concatenation of chunks, computed
// byte by byte (each chunk except the last must have even length).
func onesSum(chunks ...[]byte) uint16 {
	var s uint64
	for _, c := range chunks {
		for i, v := range c {
			if i%2 == 0 {
				s += uint64(v) << 8
			} else {
				s += uint64(v)
			}
		}
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// ipHeader returns the IPv4 header of an Ethernet frame.
func ipHeader(f []byte) []byte { return f[14 : 14+int(f[14]&0xf)*4] }

// udpPart returns the UDP datagram of an Ethernet frame (per the IP
// total length).
func udpPart(f []byte) []byte {
	ihl := int(f[14]&0xf) * 4
	total := int(f[16])<<8 | int(f[17])
	return f[14+ihl : 14+total]
}

func pseudo(f []byte, udpLen int) []byte {
	p := make([]byte, 12)
	copy(p[0:8], f[14+12:14+20])
	p[9] = 17
	p[10], p[11] = byte(udpLen>>8), byte(udpLen)
	return p
}

// ipChecksumOK and udpChecksumOK verify a frame independently.
func ipChecksumOK(f []byte) bool { return onesSum(ipHeader(f)) == 0xffff }

func udpChecksumOK(f []byte) bool {
	u := udpPart(f)
	return onesSum(pseudo(f, len(u)), u) == 0xffff
}

// fixIP and fixUDP recompute the checksums after a test mutates a frame.
func fixIP(f []byte) {
	h := ipHeader(f)
	h[10], h[11] = 0, 0
	c := ^onesSum(h)
	h[10], h[11] = byte(c>>8), byte(c)
}

func fixUDP(f []byte) {
	u := udpPart(f)
	u[6], u[7] = 0, 0
	c := ^onesSum(pseudo(f, len(u)), u)
	if c == 0 {
		c = 0xffff
	}
	u[6], u[7] = byte(c>>8), byte(c)
}

// opt encodes one option; opts joins them and appends end.
func opt(code byte, data ...byte) []byte {
	return append([]byte{code, byte(len(data))}, data...)
}

func addrOpt(code byte, addrs ...netip.Addr) []byte {
	var d []byte
	for _, a := range addrs {
		b := a.As4()
		d = append(d, b[:]...)
	}
	return opt(code, d...)
}

func u32Opt(code byte, v uint32) []byte {
	return opt(code, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func opts(tlvs ...[]byte) []byte {
	var b []byte
	for _, t := range tlvs {
		b = append(b, t...)
	}
	return append(b, 255)
}

// serverFrame builds a BOOTREPLY frame from serverIP:67 to
// 255.255.255.255:68 with the given raw option bytes.
func serverFrame(xid uint32, chaddr net.HardwareAddr, yiaddr netip.Addr, rawOpts []byte) []byte {
	bootp := make([]byte, 240+len(rawOpts))
	bootp[0] = 2 // BOOTREPLY
	bootp[1] = 1
	bootp[2] = byte(len(chaddr))
	binary.BigEndian.PutUint32(bootp[4:], xid)
	binary.BigEndian.PutUint16(bootp[10:], 0x8000)
	if yiaddr.IsValid() {
		y := yiaddr.As4()
		copy(bootp[16:20], y[:])
	}
	s := serverIP.As4()
	copy(bootp[20:24], s[:])
	copy(bootp[28:44], chaddr)
	copy(bootp[236:240], []byte{99, 130, 83, 99})
	copy(bootp[240:], rawOpts)

	udpLen := 8 + len(bootp)
	f := make([]byte, 14+20+udpLen)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], serverMAC)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+udpLen))
	ip[8] = 64
	ip[9] = 17
	copy(ip[12:16], s[:])
	copy(ip[16:20], broadcastIP[:])
	u := ip[20:]
	binary.BigEndian.PutUint16(u[0:], 67)
	binary.BigEndian.PutUint16(u[2:], 68)
	binary.BigEndian.PutUint16(u[4:], uint16(udpLen))
	copy(u[8:], bootp)
	fixIP(f)
	fixUDP(f)
	return f
}

// leaseOpts are the options of the test server's OFFER and ACK.
func leaseOpts(msgType byte) []byte {
	return opts(
		opt(53, msgType),
		addrOpt(54, serverIP),
		opt(1, 255, 255, 255, 0),
		addrOpt(3, routerIP),
		addrOpt(6, dns1, dns2),
		u32Opt(51, leaseSecs),
	)
}

// withIPOptions returns f with a 4-byte IPv4 options field (IHL 6).
func withIPOptions(f []byte) []byte {
	g := make([]byte, 0, len(f)+4)
	g = append(g, f[:14+20]...)
	g = append(g, 1, 1, 1, 0) // NOP, NOP, NOP, end of options list
	g = append(g, f[14+20:]...)
	g[14] = 0x46
	total := (int(g[16])<<8 | int(g[17])) + 4
	g[16], g[17] = byte(total>>8), byte(total)
	fixIP(g)
	fixUDP(g)
	return g
}
