package dhcp

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// checkClientFrame verifies the fixed parts of a frame the client sends,
// reading the bytes directly rather than through ParseFrame.
func checkClientFrame(t *testing.T, f []byte) {
	t.Helper()
	if !bytes.Equal(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("Ethernet dst = % x", f[0:6])
	}
	if !bytes.Equal(f[6:12], testMAC) {
		t.Errorf("Ethernet src = % x", f[6:12])
	}
	if f[12] != 0x08 || f[13] != 0x00 {
		t.Errorf("EtherType = % x", f[12:14])
	}
	ip := f[14:]
	if ip[0] != 0x45 {
		t.Errorf("version/IHL = %#x", ip[0])
	}
	if total := int(binary.BigEndian.Uint16(ip[2:])); total != len(f)-14 {
		t.Errorf("IP total length %d, frame carries %d", total, len(f)-14)
	}
	if ip[6]&0x3f != 0 || ip[7] != 0 {
		t.Errorf("fragment bits % x", ip[6:8])
	}
	if ip[8] != 64 || ip[9] != 17 {
		t.Errorf("TTL %d proto %d", ip[8], ip[9])
	}
	if !bytes.Equal(ip[12:16], []byte{0, 0, 0, 0}) || !bytes.Equal(ip[16:20], broadcastIP[:]) {
		t.Errorf("IP src %v dst %v", ip[12:16], ip[16:20])
	}
	if !ipChecksumOK(f) {
		t.Error("IPv4 header checksum does not verify")
	}
	u := udpPart(f)
	if binary.BigEndian.Uint16(u[0:]) != 68 || binary.BigEndian.Uint16(u[2:]) != 67 {
		t.Errorf("UDP ports % x", u[0:4])
	}
	if int(binary.BigEndian.Uint16(u[4:])) != len(u) {
		t.Errorf("UDP length %d, datagram %d", binary.BigEndian.Uint16(u[4:]), len(u))
	}
	if binary.BigEndian.Uint16(u[6:]) == 0 {
		t.Error("UDP checksum not computed")
	}
	if !udpChecksumOK(f) {
		t.Error("UDP checksum does not verify")
	}
	b := u[8:]
	if len(b) < 300 {
		t.Errorf("BOOTP message %d bytes, want >= 300 (RFC 1542)", len(b))
	}
	if b[0] != 1 || b[1] != 1 || b[2] != 6 || b[3] != 0 {
		t.Errorf("op/htype/hlen/hops = % x", b[0:4])
	}
	if binary.BigEndian.Uint16(b[10:]) != 0x8000 {
		t.Errorf("flags %#x, want broadcast", binary.BigEndian.Uint16(b[10:]))
	}
	if !bytes.Equal(b[12:28], make([]byte, 16)) {
		t.Errorf("ciaddr..giaddr not zero: % x", b[12:28])
	}
	if !bytes.Equal(b[28:34], testMAC) || !bytes.Equal(b[34:44], make([]byte, 10)) {
		t.Errorf("chaddr % x", b[28:44])
	}
	if !bytes.Equal(b[236:240], []byte{99, 130, 83, 99}) {
		t.Errorf("magic cookie % x", b[236:240])
	}
}

func keys(m map[byte][]byte) []byte {
	var k []byte
	for c := range m {
		k = append(k, c)
	}
	slices.Sort(k)
	return k
}

func TestBuildDiscoverRoundTrip(t *testing.T) {
	for _, host := range []string{testHost, ""} {
		f := BuildDiscover(testMAC, testXID, host)
		checkClientFrame(t, f)
		if binary.BigEndian.Uint32(f[14+20+8+4:]) != testXID {
			t.Errorf("xid bytes % x", f[14+20+8+4:][:4])
		}
		m, err := ParseFrame(f)
		if err != nil {
			t.Fatalf("ParseFrame: %v", err)
		}
		if m.Op != OpRequest || m.XID != testXID || m.Type != MsgDiscover || m.Flags != 0x8000 ||
			!bytes.Equal(m.CHAddr, testMAC) || m.YIAddr != netip.IPv4Unspecified() {
			t.Errorf("parsed %+v", m)
		}
		want := []byte{1, 53, 55, 61}
		if host != "" {
			want = []byte{1, 12, 53, 55, 61}
			if string(m.Options[12]) != host {
				t.Errorf("hostname %q", m.Options[12])
			}
		}
		if got := keys(m.Options); !bytes.Equal(got, want[1:]) {
			t.Errorf("options %v, want %v", got, want[1:])
		}
		if !bytes.Equal(m.Options[61], append([]byte{1}, testMAC...)) {
			t.Errorf("client id % x", m.Options[61])
		}
		if !bytes.Equal(m.Options[55], []byte{1, 3, 6, 15, 51, 54, 58, 59}) {
			t.Errorf("parameter request list %v", m.Options[55])
		}
	}
}

func TestBuildRequestRoundTrip(t *testing.T) {
	f := BuildRequest(testMAC, testXID, offeredIP, serverIP, testHost)
	checkClientFrame(t, f)
	m, err := ParseFrame(f)
	if err != nil {
		t.Fatalf("ParseFrame: %v", err)
	}
	if m.Op != OpRequest || m.XID != testXID || m.Type != MsgRequest || !bytes.Equal(m.CHAddr, testMAC) {
		t.Errorf("parsed %+v", m)
	}
	if got, want := keys(m.Options), []byte{12, 50, 53, 54, 55, 61}; !bytes.Equal(got, want) {
		t.Errorf("options %v, want %v", got, want)
	}
	if a, _ := m.Addr(50); a != offeredIP {
		t.Errorf("requested %v", a)
	}
	if a, _ := m.Addr(54); a != serverIP {
		t.Errorf("server id %v", a)
	}

	// INIT-REBOOT form: no server id.
	m, err = ParseFrame(BuildRequest(testMAC, testXID, offeredIP, netip.Addr{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(m.Options), []byte{50, 53, 55, 61}; !bytes.Equal(got, want) {
		t.Errorf("INIT-REBOOT options %v, want %v", got, want)
	}
}

func TestLongHostnameTruncated(t *testing.T) {
	f := BuildDiscover(testMAC, 1, strings.Repeat("h", 300))
	checkClientFrame(t, f)
	m, err := ParseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Options[12]) != 255 {
		t.Errorf("hostname length %d", len(m.Options[12]))
	}
}

func TestParseServerFrame(t *testing.T) {
	f := serverFrame(testXID, testMAC, offeredIP, leaseOpts(MsgOffer))
	m, err := ParseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	want := &Message{
		Op: OpReply, XID: testXID, Flags: 0x8000,
		CIAddr: netip.IPv4Unspecified(), YIAddr: offeredIP, SIAddr: serverIP, GIAddr: netip.IPv4Unspecified(),
		CHAddr: testMAC, Type: MsgOffer,
		Options: map[byte][]byte{
			53: {2}, 54: {192, 168, 1, 2}, 1: {255, 255, 255, 0}, 3: {192, 168, 1, 1},
			6: {192, 168, 1, 1, 9, 9, 9, 9}, 51: {0, 1, 0x51, 0x80},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
	if !IsReply(f) {
		t.Error("IsReply false for a server reply")
	}
	// The message must not alias the frame.
	for i := range f {
		f[i] = 0xaa
	}
	if !reflect.DeepEqual(m, want) {
		t.Error("message changed when the frame buffer was reused")
	}
}

func TestParseAccepts(t *testing.T) {
	base := serverFrame(testXID, testMAC, offeredIP, leaseOpts(MsgAck))
	cases := map[string][]byte{
		"zero UDP checksum": func() []byte {
			f := bytes.Clone(base)
			u := udpPart(f)
			u[6], u[7] = 0, 0
			return f
		}(),
		"Ethernet padding": append(bytes.Clone(base), make([]byte, 20)...),
		"IPv4 options":     withIPOptions(base),
		"no end option":    serverFrame(testXID, testMAC, offeredIP, opt(53, 5)),
		"don't fragment": func() []byte {
			f := bytes.Clone(base)
			f[14+6] = 0x40
			fixIP(f)
			return f
		}(),
	}
	for name, f := range cases {
		m, err := ParseFrame(f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.XID != testXID || m.YIAddr != offeredIP {
			t.Errorf("%s: parsed %+v", name, m)
		}
	}

	// RFC 3396: a repeated option is concatenated.
	f := serverFrame(testXID, testMAC, offeredIP, opts(opt(53, 5), addrOpt(6, dns1), opt(0), addrOpt(6, dns2)))
	m, err := ParseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Addrs(6); !slices.Equal(got, []netip.Addr{dns1, dns2}) {
		t.Errorf("DNS %v", got)
	}
}

func TestParseRejects(t *testing.T) {
	base := serverFrame(testXID, testMAC, offeredIP, leaseOpts(MsgAck))
	mut := func(fn func(f []byte), fix ...func([]byte)) []byte {
		f := bytes.Clone(base)
		fn(f)
		for _, x := range fix {
			x(f)
		}
		return f
	}
	ip := 14
	udp := 14 + 20
	bootp := udp + 8
	cases := map[string][]byte{
		"empty":                  nil,
		"short Ethernet":         base[:13],
		"IPv6 EtherType":         mut(func(f []byte) { f[12], f[13] = 0x86, 0xdd }),
		"ARP EtherType":          mut(func(f []byte) { f[12], f[13] = 0x08, 0x06 }),
		"short IPv4":             base[:14+19],
		"IP version 6":           mut(func(f []byte) { f[ip] = 0x65 }, fixIP, fixUDP),
		"IHL 4":                  mut(func(f []byte) { f[ip] = 0x44 }),
		"IHL past total":         mut(func(f []byte) { f[ip] = 0x4f; f[ip+2], f[ip+3] = 0, 40 }, fixIP),
		"total length > frame":   mut(func(f []byte) { binary.BigEndian.PutUint16(f[ip+2:], uint16(len(f)-14+1)) }, fixIP),
		"total length < IHL":     mut(func(f []byte) { binary.BigEndian.PutUint16(f[ip+2:], 19) }, fixIP),
		"bad IP checksum":        mut(func(f []byte) { f[ip+10] ^= 1 }),
		"more fragments":         mut(func(f []byte) { f[ip+6] |= 0x20 }, fixIP),
		"fragment offset":        mut(func(f []byte) { f[ip+7] = 1 }, fixIP),
		"TCP":                    mut(func(f []byte) { f[ip+9] = 6 }, fixIP),
		"total length cuts UDP":  mut(func(f []byte) { binary.BigEndian.PutUint16(f[ip+2:], 20+7) }, fixIP),
		"wrong dst port":         mut(func(f []byte) { f[udp+3] = 69 }, fixUDP),
		"wrong src port":         mut(func(f []byte) { f[udp+1] = 68 }, fixUDP),
		"UDP length > payload":   mut(func(f []byte) { binary.BigEndian.PutUint16(f[udp+4:], uint16(len(f)-udp+1)) }, fixUDP),
		"UDP length < 8":         mut(func(f []byte) { binary.BigEndian.PutUint16(f[udp+4:], 7) }),
		"UDP length cuts BOOTP":  mut(func(f []byte) { binary.BigEndian.PutUint16(f[udp+4:], 8+239); f[udp+6], f[udp+7] = 0, 0 }),
		"bad UDP checksum":       mut(func(f []byte) { f[bootp+100] ^= 0x10 }),
		"op request from server": mut(func(f []byte) { f[bootp] = 1 }, fixUDP),
		"op 3":                   mut(func(f []byte) { f[bootp] = 3 }, fixUDP),
		"hlen 17":                mut(func(f []byte) { f[bootp+2] = 17 }, fixUDP),
		"bad cookie":             mut(func(f []byte) { f[bootp+239] = 0 }, fixUDP),
		"option overrun":         serverFrame(testXID, testMAC, offeredIP, []byte{53, 1, 5, 3, 200, 1, 2, 3, 4}),
		"option without length":  serverFrame(testXID, testMAC, offeredIP, []byte{53, 1, 5, 3}),
		"no message type":        serverFrame(testXID, testMAC, offeredIP, opts(u32Opt(51, 60))),
		"long message type":      serverFrame(testXID, testMAC, offeredIP, opts(opt(53, 5, 5))),
	}
	for name, f := range cases {
		m, err := ParseFrame(f)
		if err == nil {
			t.Errorf("%s: accepted: %+v", name, m)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	// Every truncation of a valid frame is rejected.
	for i := range len(base) {
		if _, err := ParseFrame(base[:i]); err == nil {
			t.Errorf("prefix of %d bytes accepted", i)
		}
	}
}

func TestIsReply(t *testing.T) {
	reply := serverFrame(testXID, testMAC, offeredIP, leaseOpts(MsgAck))
	if !IsReply(reply) {
		t.Error("reply not recognised")
	}
	if !IsReply(withIPOptions(reply)) {
		t.Error("reply with IP options not recognised")
	}
	// Only headers matter: a corrupt BOOTP part is still diverted, so
	// that ParseFrame can count it.
	if !IsReply(reply[:14+20+8]) {
		t.Error("bare UDP header to port 68 not recognised")
	}
	later := bytes.Clone(reply)
	later[14+7] = 1
	ipv6 := bytes.Clone(reply)
	ipv6[12], ipv6[13] = 0x86, 0xdd
	no := map[string][]byte{
		"nil":             nil,
		"discover":        BuildDiscover(testMAC, 1, ""),
		"short":           reply[:14+20+7],
		"IPv6 EtherType":  ipv6,
		"later fragment":  later,
		"IHL beyond data": append(append([]byte{}, reply[:14]...), 0x4f, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 67, 0, 68, 0, 0, 0, 0),
	}
	for name, f := range no {
		if IsReply(f) {
			t.Errorf("%s: IsReply true", name)
		}
	}
}

func TestLeaseFromAck(t *testing.T) {
	parse := func(o []byte) *Message {
		t.Helper()
		m, err := ParseFrame(serverFrame(testXID, testMAC, offeredIP, o))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Server-chosen T1/T2 are kept when consistent.
	l, err := leaseFromAck(parse(opts(opt(53, 5), u32Opt(51, 1000), u32Opt(58, 300), u32Opt(59, 600))), testNow)
	if err != nil || l.T1 != 300e9 || l.T2 != 600e9 || l.LeaseTime != 1000e9 {
		t.Errorf("T1/T2: %+v %v", l, err)
	}
	// Inconsistent ones fall back to the defaults.
	l, err = leaseFromAck(parse(opts(opt(53, 5), u32Opt(51, 1000), u32Opt(58, 900), u32Opt(59, 600))), testNow)
	if err != nil || l.T1 != 500e9 || l.T2 != 875e9 {
		t.Errorf("bad T1/T2: %+v %v", l, err)
	}
	// No mask: classful default; /24 for 192.168.x.
	if err != nil || l.Addr != netip.PrefixFrom(offeredIP, 24) || l.Router.IsValid() || l.DNS != nil || l.Server.IsValid() {
		t.Errorf("defaults: %+v", l)
	}
	// An infinite lease does not overflow.
	l, err = leaseFromAck(parse(opts(opt(53, 5), u32Opt(51, 0xffffffff))), testNow)
	if err != nil || l.T2 <= l.T1 || l.T2 >= l.LeaseTime || l.T1 <= 0 {
		t.Errorf("infinite lease: %+v %v", l, err)
	}
	for name, o := range map[string][]byte{
		"no lease time":       opts(opt(53, 5)),
		"short lease time":    opts(opt(53, 5), opt(51, 1, 2)),
		"non-contiguous mask": opts(opt(53, 5), u32Opt(51, 60), opt(1, 255, 0, 255, 0)),
		"short mask":          opts(opt(53, 5), u32Opt(51, 60), opt(1, 255, 255)),
	} {
		if l, err := leaseFromAck(parse(o), testNow); err == nil {
			t.Errorf("%s: accepted %+v", name, l)
		}
	}
	m := parse(opts(opt(53, 5), u32Opt(51, 60)))
	m.YIAddr = netip.IPv4Unspecified()
	if _, err := leaseFromAck(m, testNow); err == nil {
		t.Error("0.0.0.0 accepted")
	}
}
