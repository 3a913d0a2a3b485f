package dhcp

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
)

// seeds are valid frames in both directions plus a few near misses.
func seeds() [][]byte {
	ack := serverFrame(testXID, testMAC, offeredIP, leaseOpts(MsgAck))
	return [][]byte{
		BuildDiscover(testMAC, testXID, testHost),
		BuildDiscover(testMAC, 0, ""),
		BuildRequest(testMAC, testXID, offeredIP, serverIP, testHost),
		BuildRequest(testMAC, testXID, offeredIP, netip.Addr{}, ""),
		serverFrame(testXID, testMAC, offeredIP, leaseOpts(MsgOffer)),
		ack,
		withIPOptions(ack),
		serverFrame(testXID, testMAC, netip.Addr{}, opts(opt(53, MsgNak), addrOpt(54, serverIP), opt(56, 'n', 'o'))),
		serverFrame(testXID, testMAC, offeredIP, opts(opt(53, 5), addrOpt(6, dns1), opt(0), addrOpt(6, dns2))),
		serverFrame(testXID, testMAC, offeredIP, []byte{53, 1, 5, 3, 200}),
		ack[:14+20+8],
		nil,
	}
}

func FuzzParseFrame(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		checkParse(t, frame)
		// Random bytes almost never carry valid checksums, which would
		// stop the fuzzer at the IP header; repair them so that it also
		// explores the UDP, BOOTP and option parsing.
		if r := repairChecksums(frame); r != nil {
			checkParse(t, r)
		}
	})
}

// repairChecksums returns a copy of frame with correct IPv4 and UDP
// checksums, or nil if its headers are too broken to say where they are.
func repairChecksums(frame []byte) []byte {
	if len(frame) < 14+20 {
		return nil
	}
	f := bytes.Clone(frame)
	ihl := int(f[14]&15) * 4
	if ihl < 20 || len(f) < 14+ihl {
		return nil
	}
	h := f[14 : 14+ihl]
	h[10], h[11] = 0, 0
	c := ^onesSum(h)
	h[10], h[11] = byte(c>>8), byte(c)
	total := int(binary.BigEndian.Uint16(h[2:]))
	if total < ihl+8 || 14+total > len(f) {
		return f
	}
	u := f[14+ihl : 14+total]
	ulen := int(binary.BigEndian.Uint16(u[4:]))
	if ulen < 8 || ulen > len(u) {
		return f
	}
	u = u[:ulen]
	if u[6] == 0 && u[7] == 0 {
		return f // "no checksum" is worth keeping as it is
	}
	u[6], u[7] = 0, 0
	p := make([]byte, 12)
	copy(p, h[12:20])
	p[9] = 17
	binary.BigEndian.PutUint16(p[10:], uint16(ulen))
	c = ^onesSum(p, u)
	if c == 0 {
		c = 0xffff
	}
	u[6], u[7] = byte(c>>8), byte(c)
	return f
}

// checkParse parses frame and checks the result's invariants.
func checkParse(t *testing.T, frame []byte) {
	orig := bytes.Clone(frame)
	m, err := ParseFrame(frame)
	if !bytes.Equal(frame, orig) {
		t.Fatal("ParseFrame modified its input")
	}
	if err != nil {
		if m != nil {
			t.Fatal("message returned with an error")
		}
		return
	}
	if m.Op != OpRequest && m.Op != OpReply {
		t.Errorf("op %d accepted", m.Op)
	}
	// The direction implied by op is the one IsReply diverts.
	if IsReply(frame) != (m.Op == OpReply) {
		t.Errorf("op %d but IsReply %v", m.Op, IsReply(frame))
	}
	if t53 := m.Options[OptMessageType]; len(t53) != 1 || t53[0] != m.Type {
		t.Errorf("Type %d, option 53 %v", m.Type, t53)
	}
	if _, ok := m.Options[OptPad]; ok {
		t.Error("pad in options")
	}
	if _, ok := m.Options[OptEnd]; ok {
		t.Error("end in options")
	}
	if len(m.CHAddr) > 16 {
		t.Errorf("chaddr of %d bytes", len(m.CHAddr))
	}
	for _, a := range []netip.Addr{m.CIAddr, m.YIAddr, m.SIAddr, m.GIAddr} {
		if !a.Is4() {
			t.Errorf("address %v is not IPv4", a)
		}
	}
	// The checksums that were accepted really verify.
	if !ipChecksumOK(frame) {
		t.Error("accepted a bad IPv4 checksum")
	}
	if u := udpPart(frame); binary.BigEndian.Uint16(u[6:]) != 0 {
		ulen := int(binary.BigEndian.Uint16(u[4:]))
		if onesSum(pseudo(frame, ulen), u[:ulen]) != 0xffff {
			t.Error("accepted a bad UDP checksum")
		}
	}
	// Bytes past the IP datagram do not matter; cutting into it does.
	end := 14 + int(binary.BigEndian.Uint16(frame[16:]))
	m2, err := ParseFrame(frame[:end])
	if err != nil || !reflect.DeepEqual(m, m2) {
		t.Errorf("trimmed to the datagram: %v", err)
	}
	if _, err := ParseFrame(frame[:end-1]); err == nil {
		t.Error("accepted a frame cut short of its IP total length")
	}
	// The message does not alias the frame.
	cp := bytes.Clone(frame)
	m3, _ := ParseFrame(cp)
	for i := range cp {
		cp[i] = ^cp[i]
	}
	if !reflect.DeepEqual(m, m3) {
		t.Error("message aliases the frame")
	}
	// Helpers never panic and agree with the raw option.
	for code := range m.Options {
		if a := m.Addrs(code); a != nil && len(a)*4 != len(m.Options[code]) {
			t.Errorf("Addrs(%d) = %v for % x", code, a, m.Options[code])
		}
		m.Addr(code)
		m.Uint32(code)
	}
	if m.Type == MsgAck {
		if l, err := leaseFromAck(m, testNow); err == nil {
			if !l.Addr.IsValid() || l.T1 > l.T2 || l.T2 > l.LeaseTime || l.T1 < 0 {
				t.Errorf("inconsistent lease %+v", l)
			}
		}
	}
}

func FuzzIsReply(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		got := IsReply(frame)
		// A slow, obvious restatement of the rule.
		want := func() bool {
			if len(frame) < 42 || frame[12] != 0x08 || frame[13] != 0x00 {
				return false
			}
			ver, ihl := frame[14]>>4, int(frame[14]&15)*4
			fragOff := int(frame[20]&0x1f)<<8 | int(frame[21])
			if ver != 4 || frame[23] != 17 || fragOff != 0 || ihl < 20 || len(frame) < 14+ihl+8 {
				return false
			}
			return frame[14+ihl+2] == 0 && frame[14+ihl+3] == 68
		}()
		if got != want {
			t.Errorf("IsReply = %v, want %v", got, want)
		}
		if m, err := ParseFrame(frame); err == nil && m.Op == OpReply && !got {
			t.Error("a parsable reply is not diverted")
		}
	})
}
