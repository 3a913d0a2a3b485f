package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// A synthetic capture, written as QEMU's filter-dump writes one: pcap,
// microsecond stamps, Ethernet frames cut at snap bytes.
type pcapWriter struct {
	bytes.Buffer
	bo   binary.ByteOrder
	nano bool
	snap int
}

func newPcap(bo binary.ByteOrder, nano bool, snap int) *pcapWriter {
	w := &pcapWriter{bo: bo, nano: nano, snap: snap}
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	var h [24]byte
	bo.PutUint32(h[0:], magic)
	bo.PutUint16(h[4:], 2)
	bo.PutUint16(h[6:], 4)
	bo.PutUint32(h[16:], uint32(snap))
	bo.PutUint32(h[20:], linkEthernet)
	w.Write(h[:])
	return w
}

func (w *pcapWriter) frame(t time.Time, f []byte) {
	incl := min(len(f), w.snap)
	var r [16]byte
	w.bo.PutUint32(r[0:], uint32(t.Unix()))
	sub := uint32(t.Nanosecond() / 1000)
	if w.nano {
		sub = uint32(t.Nanosecond())
	}
	w.bo.PutUint32(r[4:], sub)
	w.bo.PutUint32(r[8:], uint32(incl))
	w.bo.PutUint32(r[12:], uint32(len(f)))
	w.Write(r[:])
	w.Write(f[:incl])
}

var (
	gw    = netip.MustParseAddr("10.0.2.2")
	guest = netip.MustParseAddr("10.0.2.15")
	t0    = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
)

// tcp4 is an Ethernet frame of an IPv4 TCP segment with n payload bytes
// (options: 12 bytes, as timestamps add).
func tcp4(src, dst netip.AddrPort, seq, ack uint32, flags uint8, n int) []byte {
	f := make([]byte, 14+20+32+n)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+32+n))
	ip[8], ip[9] = 64, 6
	copy(ip[12:], src.Addr().AsSlice())
	copy(ip[16:], dst.Addr().AsSlice())
	t := ip[20:]
	binary.BigEndian.PutUint16(t[0:], src.Port())
	binary.BigEndian.PutUint16(t[2:], dst.Port())
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = 8 << 4
	t[13] = flags
	for i := range n {
		t[32+i] = 'x'
	}
	return f
}

func tcp6(src, dst netip.AddrPort, seq uint32, flags uint8, n int) []byte {
	f := make([]byte, 14+40+20+n)
	binary.BigEndian.PutUint16(f[12:], 0x86dd)
	ip := f[14:]
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(20+n))
	ip[6], ip[7] = 6, 64
	copy(ip[8:], src.Addr().AsSlice())
	copy(ip[24:], dst.Addr().AsSlice())
	t := ip[40:]
	binary.BigEndian.PutUint16(t[0:], src.Port())
	binary.BigEndian.PutUint16(t[2:], dst.Port())
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 5 << 4
	t[13] = flags
	return f
}

func TestRead(t *testing.T) {
	c, g := netip.AddrPortFrom(gw, 40000), netip.AddrPortFrom(guest, 80)
	for _, f := range []struct {
		name string
		bo   binary.ByteOrder
		nano bool
	}{{"le-us", binary.LittleEndian, false}, {"be-us", binary.BigEndian, false}, {"le-ns", binary.LittleEndian, true}} {
		w := newPcap(f.bo, f.nano, 96)
		w.frame(t0, tcp4(c, g, 100, 0, SYN, 0))
		w.frame(t0.Add(1500*time.Microsecond), []byte{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 0x08, 0x06, 0, 1}) // ARP
		w.frame(t0.Add(2*time.Millisecond), tcp4(g, c, 7, 101, SYN|ACK, 0))
		w.frame(t0.Add(3*time.Millisecond), tcp4(c, g, 101, 8, ACK|0x08, 1400)) // cut at 96 bytes
		w.frame(t0.Add(4*time.Millisecond), tcp6(netip.MustParseAddrPort("[fec0::2]:5"), netip.MustParseAddrPort("[fec0::15]:80"), 9, FIN, 0))
		b := w.Bytes()
		pkts, err := Read(bytes.NewReader(append(b, 1, 2, 3))) // a record cut short ends the capture
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if len(pkts) != 4 {
			t.Fatalf("%s: %d packets, want 4: %+v", f.name, len(pkts), pkts)
		}
		p := pkts[2]
		if p.Src != c || p.Dst != g || p.Seq != 101 || p.Ack != 8 || p.Flags != ACK|0x08 || p.Len != 1400 || !p.Time.Equal(t0.Add(3*time.Millisecond)) {
			t.Errorf("%s: %+v", f.name, p)
		}
		if p := pkts[3]; p.Src.Port() != 5 || !p.Dst.Addr().Is6() || p.Flags != FIN || p.Len != 0 {
			t.Errorf("%s: IPv6: %+v", f.name, p)
		}
	}
	for _, bad := range [][]byte{nil, []byte("not a capture at all, no"), func() []byte {
		w := newPcap(binary.LittleEndian, false, 64)
		b := w.Bytes()
		binary.LittleEndian.PutUint32(b[20:], 113) // Linux cooked capture
		return b
	}()} {
		if _, err := Read(bytes.NewReader(bad)); err == nil {
			t.Errorf("Read(%q) accepted", bad)
		}
	}
}

// A connection as the harness's client and the guest see it through
// QEMU: the client (10.0.2.2:port) sends requests of reqLen bytes, the
// guest answers each with respLen bytes.
type conv struct {
	w              *pcapWriter
	c, g           netip.AddrPort
	cseq, gseq     uint32
	now            time.Time
	reqLen, respLn int
}

func newConv(w *pcapWriter, port uint16, at time.Time) *conv {
	v := &conv{w: w, c: netip.AddrPortFrom(gw, port), g: netip.AddrPortFrom(guest, 80), cseq: 1000, gseq: 5000, now: at, reqLen: 120, respLn: 180}
	v.pkt(true, SYN, 0)
	v.cseq++
	v.pkt(false, SYN|ACK, 0)
	v.gseq++
	v.pkt(true, ACK, 0)
	return v
}

func (v *conv) pkt(fromClient bool, flags uint8, n int) {
	v.now = v.now.Add(time.Millisecond)
	if fromClient {
		v.w.frame(v.now, tcp4(v.c, v.g, v.cseq, v.gseq, flags, n))
	} else {
		v.w.frame(v.now, tcp4(v.g, v.c, v.gseq, v.cseq, flags, n))
	}
}

func (v *conv) request() { v.pkt(true, ACK|0x08, v.reqLen); v.cseq += uint32(v.reqLen) }
func (v *conv) answer()  { v.pkt(false, ACK|0x08, v.respLn); v.gseq += uint32(v.respLn) }
func (v *conv) wait(d time.Duration) {
	v.now = v.now.Add(d)
}

func classify(t *testing.T, w *pcapWriter, req Request) Verdict {
	t.Helper()
	pkts, err := Read(bytes.NewReader(w.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return Classify(pkts, req, time.Second)
}

func TestClassify(t *testing.T) {
	const port = 41000
	// Three requests answered, then the fourth: the client had written 4
	// requests and read 3 answers when it gave up.
	req := func(sent time.Time) Request {
		return Request{Port: port, Service: 80, Sent: sent, BytesOut: 4 * 120, BytesIn: 3 * 180}
	}
	start := func(w *pcapWriter) *conv {
		v := newConv(w, port, t0)
		for range 3 {
			v.request()
			v.answer()
		}
		return v
	}
	for _, c := range []struct {
		name  string
		build func(w *pcapWriter) time.Time // the capture; returns when the request was sent
		side  Side
		says  string
	}{
		{"never reached the guest", func(w *pcapWriter) time.Time {
			v := start(w)
			v.wait(5 * time.Second)
			v.pkt(true, FIN|ACK, 0) // the client gives up
			return v.now.Add(-5 * time.Second)
		}, Host, "received 360 of the 480 bytes"},
		{"half a request", func(w *pcapWriter) time.Time {
			v := start(w)
			v.pkt(true, ACK, 60)
			return v.now
		}, Host, "received 420 of the 480 bytes"},
		{"never answered", func(w *pcapWriter) time.Time {
			v := start(w)
			sent := v.now
			v.request()
			v.wait(5 * time.Second)
			v.pkt(true, FIN|ACK, 0)
			v.pkt(false, ACK, 0)
			return sent
		}, Guest, "never answered it"},
		{"answered late", func(w *pcapWriter) time.Time {
			v := start(w)
			sent := v.now
			v.request()
			v.wait(3 * time.Second)
			v.answer()
			return sent
		}, Guest, "answered it 3.001s later"},
		{"the answer lost on the way", func(w *pcapWriter) time.Time {
			v := start(w)
			sent := v.now
			v.request()
			v.wait(200 * time.Millisecond)
			v.answer()
			v.wait(5 * time.Second)
			v.pkt(true, FIN|ACK, 0)
			return sent
		}, Host, "answered it 201ms later, but the answer did not reach the client"},
		{"request sent again and answered", func(w *pcapWriter) time.Time {
			// The first copy was lost before the capture: the guest
			// gets it on the retransmission and answers at once.
			v := start(w)
			sent := v.now
			v.wait(3 * time.Second)
			v.request()
			v.answer()
			return sent
		}, Host, "received the request and answered it 1ms later, but"},
		{"no such connection", func(w *pcapWriter) time.Time {
			v := newConv(w, port+1, t0)
			v.request()
			return v.now
		}, Host, "no connection from port 41000"},
		{"connection held by the host", func(w *pcapWriter) time.Time {
			// The client's SYNs sat in the host's full listen queue:
			// QEMU opened the connection to the guest 7 s later.
			v := newConv(w, port, t0.Add(7*time.Second))
			v.request()
			v.answer()
			return t0
		}, Host, "reached the guest only 7s after the request was sent"},
		{"an earlier connection still held", func(w *pcapWriter) time.Time {
			// The same ports 30 s earlier; the guest answers the new SYN
			// with an ACK of the old connection.
			old := newConv(w, port, t0.Add(-30*time.Second))
			old.request()
			old.answer()
			old.pkt(true, FIN|ACK, 0)
			old.pkt(false, FIN|ACK, 0)
			old.cseq++
			old.gseq++
			old.pkt(true, ACK, 0)
			c, g := netip.AddrPortFrom(gw, port), netip.AddrPortFrom(guest, 80)
			w.frame(t0, tcp4(c, g, 900000, 0, SYN, 0))
			w.frame(t0.Add(2*time.Millisecond), tcp4(g, c, old.gseq, old.cseq, ACK, 0))
			w.frame(t0.Add(3*time.Millisecond), tcp4(c, g, old.cseq, 0, RST, 0))
			return t0
		}, Guest, "answered the connection's SYN with an ACK (ack 1122, not 900001) of an earlier connection between the same ports, which it still held 29.99"},
		{"an earlier connection still held, then the SYN sent again", func(w *pcapWriter) time.Time {
			old := newConv(w, port, t0.Add(-40*time.Second))
			old.request()
			old.answer()
			c, g := netip.AddrPortFrom(gw, port), netip.AddrPortFrom(guest, 80)
			w.frame(t0, tcp4(c, g, 900000, 0, SYN, 0))
			w.frame(t0.Add(17*time.Millisecond), tcp4(g, c, old.gseq, old.cseq, ACK, 0))
			w.frame(t0.Add(17*time.Millisecond), tcp4(c, g, old.cseq, 0, RST, 0))
			w.frame(t0.Add(5700*time.Millisecond), tcp4(c, g, 900000, 0, SYN, 0))
			w.frame(t0.Add(5800*time.Millisecond), tcp4(g, c, 7000, 900001, SYN|ACK, 0))
			w.frame(t0.Add(5801*time.Millisecond), tcp4(c, g, 900001, 7001, ACK, 0))
			w.frame(t0.Add(5802*time.Millisecond), tcp4(c, g, 900001, 7001, ACK, 480))
			w.frame(t0.Add(5830*time.Millisecond), tcp4(g, c, 7001, 900481, ACK, 500))
			return t0
		}, Guest, "the connection opened only 5.8s later, when the SYN was sent again"},
		{"SYN answered late", func(w *pcapWriter) time.Time {
			c, g := netip.AddrPortFrom(gw, port), netip.AddrPortFrom(guest, 80)
			w.frame(t0, tcp4(c, g, 1, 0, SYN, 0))
			w.frame(t0.Add(3*time.Second), tcp4(c, g, 1, 0, SYN, 0))
			w.frame(t0.Add(3100*time.Millisecond), tcp4(g, c, 7000, 2, SYN|ACK, 0))
			return t0
		}, Guest, "answered the connection's SYN only 3.1s after it arrived (2 sent)"},
		{"SYN unanswered", func(w *pcapWriter) time.Time {
			w.frame(t0, tcp4(netip.AddrPortFrom(gw, port), netip.AddrPortFrom(guest, 80), 1, 0, SYN, 0))
			w.frame(t0.Add(time.Second), tcp4(netip.AddrPortFrom(gw, port), netip.AddrPortFrom(guest, 80), 1, 0, SYN, 0))
			return t0
		}, Guest, "never answered the connection's SYN (2 sent over 1s)"},
		{"port used again later", func(w *pcapWriter) time.Time {
			v := start(w)
			sent := v.now
			v.request() // the stalled one, never answered
			v.wait(time.Minute)
			later := newConv(w, port, v.now)
			later.request()
			later.answer()
			return sent
		}, Guest, "never answered it"},
		{"port used before", func(w *pcapWriter) time.Time {
			old := newConv(w, port, t0.Add(-time.Minute))
			old.request()
			old.pkt(true, FIN|ACK, 0)
			v := start(w)
			sent := v.now
			v.request()
			v.wait(2 * time.Second)
			v.answer()
			return sent
		}, Guest, "answered it 2.001s later"},
	} {
		w := newPcap(binary.LittleEndian, false, 128)
		sent := c.build(w)
		v := classify(t, w, req(sent))
		if v.Side != c.side || !strings.Contains(v.Reason, c.says) {
			t.Errorf("%s: %v; want %v saying %q", c.name, v, c.side, c.says)
		}
	}
}

func TestClockOffset(t *testing.T) {
	w := newPcap(binary.LittleEndian, false, 128)
	newConv(w, 41000, t0.Add(1500*time.Millisecond))
	pkts, _ := Read(bytes.NewReader(w.Bytes()))
	if d, ok := ClockOffset(pkts, 41000, 80, t0); !ok || d != 1501*time.Millisecond {
		t.Errorf("ClockOffset = %v, %v", d, ok)
	}
	if _, ok := ClockOffset(pkts, 41001, 80, t0); ok {
		t.Error("found a connection that is not there")
	}
}

func TestCountHandshakes(t *testing.T) {
	w := newPcap(binary.LittleEndian, false, 128)
	for i := range 5 {
		newConv(w, uint16(42000+i), t0.Add(time.Duration(i)*time.Second)) // answered in 1 ms
	}
	c, g := netip.AddrPortFrom(gw, 43000), netip.AddrPortFrom(guest, 80)
	w.frame(t0.Add(6*time.Second), tcp4(c, g, 5, 0, SYN, 0)) // never answered
	w.frame(t0.Add(7*time.Second), tcp4(c, g, 5, 0, SYN, 0))
	w.frame(t0.Add(8*time.Second), tcp4(g, netip.AddrPortFrom(gw, 42000), 1, 0, RST, 0))
	pkts, _ := Read(bytes.NewReader(w.Bytes()))
	h := CountHandshakes(pkts, 80, t0, t0.Add(time.Minute))
	if h.SYNs != 6 || h.Answered != 5 || h.Resets != 1 || len(h.Latency) != 5 || h.Latency[0] != time.Millisecond {
		t.Errorf("%+v", h)
	}
	if h := CountHandshakes(pkts, 80, t0.Add(2*time.Second), t0.Add(4*time.Second)); h.SYNs != 2 || h.Answered != 2 {
		t.Errorf("a window: %+v", h)
	}
}
