// Package capture reads the packet captures that QEMU's filter-dump object
// writes of a guest's network traffic, and decides from them where a
// request that went unanswered got lost: before it reached the guest (the
// host or QEMU's user network), or in the guest, which received it and
// answered late or never.
//
// QEMU's user network (slirp) ends the host's TCP connection and opens
// one of its own to the guest, from the gateway's address with the host
// client's port (sotranslate_accept in libslirp keeps it). So the
// capture's connection to the guest is found by the client's local port,
// and what crossed it is measured in bytes: how many the client had sent
// and received on its side, against how many the capture shows reaching
// the guest and leaving it.
//
// The file format is libpcap's (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
// a 24-byte header, then a 16-byte header before each packet. QEMU writes
// microsecond timestamps of the host's clock, Ethernet frames (link type
// 1), cut at the filter's maxlen; the original length is kept, and the
// IPv4 and TCP headers say how long each segment was.
package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Packet is one TCP segment of the capture.
type Packet struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    uint8 // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10
	Len      int   // payload bytes (from the IP header: whole, even if cut)
}

// TCP flags (RFC 9293, 3.1).
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	ACK = 0x10
)

// Link types (https://www.tcpdump.org/linktypes.html).
const linkEthernet = 1

// Read returns the TCP segments (over IPv4 or IPv6 in Ethernet frames) of
// the capture r holds, in the order captured. Other frames are skipped; a
// frame too short for the headers it announces is skipped too (the
// capture's snap length cuts only payload). A capture cut short in the
// middle of a record (QEMU killed while writing) ends there without an
// error.
func Read(r io.Reader) ([]Packet, error) {
	var hdr [24]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("capture: no pcap header: %w", err)
	}
	var bo binary.ByteOrder
	var unit time.Duration
	switch m := binary.LittleEndian.Uint32(hdr[:]); m {
	case 0xa1b2c3d4:
		bo, unit = binary.LittleEndian, time.Microsecond
	case 0xa1b23c4d:
		bo, unit = binary.LittleEndian, time.Nanosecond
	case 0xd4c3b2a1:
		bo, unit = binary.BigEndian, time.Microsecond
	case 0x4d3cb2a1:
		bo, unit = binary.BigEndian, time.Nanosecond
	default:
		return nil, fmt.Errorf("capture: not a pcap file (magic %#08x)", m)
	}
	if link := bo.Uint32(hdr[20:]) & 0x0fffffff; link != linkEthernet {
		return nil, fmt.Errorf("capture: link type %d, want Ethernet (1)", link)
	}
	var out []Packet
	var rec [16]byte
	buf := make([]byte, 0, 256)
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return out, nil
			}
			return out, err
		}
		sec, sub, incl := bo.Uint32(rec[0:]), bo.Uint32(rec[4:]), bo.Uint32(rec[8:])
		if incl > 1<<18 {
			return out, fmt.Errorf("capture: a record of %d bytes", incl)
		}
		if cap(buf) < int(incl) {
			buf = make([]byte, incl)
		}
		frame := buf[:incl]
		if _, err := io.ReadFull(r, frame); err != nil {
			return out, nil
		}
		if p, ok := parseFrame(frame); ok {
			p.Time = time.Unix(int64(sec), int64(time.Duration(sub)*unit))
			out = append(out, p)
		}
	}
}

// parseFrame decodes an Ethernet frame holding a TCP segment.
func parseFrame(f []byte) (Packet, bool) {
	var p Packet
	if len(f) < 14 {
		return p, false
	}
	etype, l3 := binary.BigEndian.Uint16(f[12:]), f[14:]
	if etype == 0x8100 && len(f) >= 18 { // 802.1Q tag
		etype, l3 = binary.BigEndian.Uint16(f[16:]), f[18:]
	}
	var seg []byte // the TCP header and what follows
	var segLen int // its whole length, from the IP header
	switch etype {
	case 0x0800: // IPv4 (RFC 791)
		if len(l3) < 20 || l3[0]>>4 != 4 {
			return p, false
		}
		ihl, total := int(l3[0]&15)*4, int(binary.BigEndian.Uint16(l3[2:]))
		if ihl < 20 || len(l3) < ihl || l3[9] != 6 || total < ihl || binary.BigEndian.Uint16(l3[6:])&0x1fff != 0 {
			return p, false // not TCP, or a fragment past the first
		}
		src, _ := netip.AddrFromSlice(l3[12:16])
		dst, _ := netip.AddrFromSlice(l3[16:20])
		seg, segLen = l3[ihl:], total-ihl
		p.Src, p.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	case 0x86dd: // IPv6 (RFC 8200), without extension headers
		if len(l3) < 40 || l3[0]>>4 != 6 || l3[6] != 6 {
			return p, false
		}
		src, _ := netip.AddrFromSlice(l3[8:24])
		dst, _ := netip.AddrFromSlice(l3[24:40])
		seg, segLen = l3[40:], int(binary.BigEndian.Uint16(l3[4:]))
		p.Src, p.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	default:
		return p, false
	}
	// TCP (RFC 9293, 3.1).
	if len(seg) < 20 {
		return p, false
	}
	off := int(seg[12]>>4) * 4
	if off < 20 || segLen < off {
		return p, false
	}
	p.Src = netip.AddrPortFrom(p.Src.Addr(), binary.BigEndian.Uint16(seg[0:]))
	p.Dst = netip.AddrPortFrom(p.Dst.Addr(), binary.BigEndian.Uint16(seg[2:]))
	p.Seq, p.Ack = binary.BigEndian.Uint32(seg[4:]), binary.BigEndian.Uint32(seg[8:])
	p.Flags = seg[13]
	p.Len = segLen - off
	return p, true
}
