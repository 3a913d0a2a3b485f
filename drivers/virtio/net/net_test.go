package virtionet

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"testing"

	"github.com/yolkos/yolk/drivers/virtio"
	"github.com/yolkos/yolk/drivers/virtio/virtiotest"
	"github.com/yolkos/yolk/netstack/nic"
)

// netDevice plays a virtio-net device behind a fake transport.
type netDevice struct {
	tr     *virtiotest.Transport
	rx, tx *virtiotest.Ring
}

var testMAC = []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func newDevice(t testing.TB, offered uint64, opts Options) (*Device, *netDevice) {
	t.Helper()
	tr := virtiotest.NewTransport(virtio.DeviceNet, offered, append(append([]byte{}, testMAC...), statusLinkUp, 0))
	d, err := New(tr, opts)
	if err != nil {
		t.Fatal(err)
	}
	nd := &netDevice{tr: tr, rx: virtiotest.NewRing(tr.Queues[rxQueue]), tx: virtiotest.NewRing(tr.Queues[txQueue])}
	nd.rx.EventIdx = tr.Accepted&FeatEventIdx != 0
	nd.tx.EventIdx = nd.rx.EventIdx
	return d, nd
}

// receive writes hdr and frame into the next receive buffers, spreading
// the frame over several when they are merged (setting num_buffers), and
// publishes them; it reports whether the driver wants an interrupt.
func (nd *netDevice) receive(t testing.TB, hdr [HeaderLen]byte, frame []byte) bool {
	t.Helper()
	data := append(hdr[:], frame...)
	var heads []uint16
	var lens []uint32
	var first []byte
	for len(data) > 0 || len(heads) == 0 {
		head, chain, ok := nd.rx.Take()
		if !ok {
			t.Fatal("no receive buffer available")
		}
		if len(chain) != 1 || chain[0].Flags&virtiotest.DescWrite == 0 {
			t.Fatalf("receive chain %+v: want one writable buffer", chain)
		}
		if first == nil {
			first = chain[0].Bytes()
		}
		n := copy(chain[0].Bytes(), data)
		data = data[n:]
		heads = append(heads, head)
		lens = append(lens, uint32(n))
		if nd.tr.Accepted&FeatMrgRxbuf == 0 && len(data) > 0 {
			t.Fatalf("a %d-byte frame does not fit one buffer without merged buffers", len(frame))
		}
	}
	if nd.tr.Accepted&FeatMrgRxbuf != 0 {
		put16(first[10:], uint16(len(heads)))
	}
	for i, h := range heads {
		nd.rx.Put(uint32(h), lens[i])
	}
	return nd.rx.Publish(0)
}

// sent takes the next transmitted chain and returns its header and frame.
func (nd *netDevice) sent(t testing.TB) (hdr, frame []byte) {
	t.Helper()
	head, chain, ok := nd.tx.Take()
	if !ok {
		t.Fatal("nothing transmitted")
	}
	var all []byte
	for _, d := range chain {
		if d.Flags&virtiotest.DescWrite != 0 {
			t.Fatalf("transmit chain %+v has a writable part", chain)
		}
		all = append(all, d.Bytes()...)
	}
	nd.tx.Put(uint32(head), 0)
	nd.tx.Publish(0)
	if len(all) < HeaderLen {
		t.Fatalf("%d-byte transmit chain", len(all))
	}
	return all[:HeaderLen], all[HeaderLen:]
}

func poll(t testing.TB, d *Device) []nic.Received {
	t.Helper()
	var got []nic.Received
	if _, err := d.Poll(1000, func(r nic.Received) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	return got
}

func ethFrame(n int, fill byte) []byte {
	f := bytes.Repeat([]byte{fill}, n)
	copy(f, testMAC)
	f[12], f[13] = 0x08, 0x00
	return f
}

// TestNegotiation offers every subset of the offload and event-index
// bits, with the options on and off, and checks what the driver accepts
// and reports.
func TestNegotiation(t *testing.T) {
	bitsList := []uint64{FeatCsum, FeatGuestCsum, FeatGuestTSO4, FeatGuestTSO6, FeatHostTSO4, FeatHostTSO6, FeatMrgRxbuf, FeatEventIdx}
	for set := 0; set < 1<<len(bitsList); set++ {
		var offered uint64 = FeatMAC | FeatStatus
		for i, b := range bitsList {
			if set&(1<<i) != 0 {
				offered |= b
			}
		}
		for _, opts := range []Options{{}, {Offloads: true}, {EventIdx: true}, {Offloads: true, EventIdx: true}} {
			name := fmt.Sprintf("offered %#x %+v", offered, opts)
			d, nd := newDevice(t, offered, opts)
			f := d.Features()
			if f&^(offered|virtio.FeatureVersion1) != 0 {
				t.Fatalf("%s: accepted %#x, not offered", name, f)
			}
			if !opts.Offloads && f&offloadFeatures != 0 {
				t.Errorf("%s: offloads %#x accepted with offloads off", name, f&offloadFeatures)
			}
			if !opts.EventIdx && f&FeatEventIdx != 0 {
				t.Errorf("%s: event index accepted while off", name)
			}
			if opts.Offloads && f&offloadFeatures != consistent(offered)&offloadFeatures {
				t.Errorf("%s: offloads %#x, want %#x", name, f&offloadFeatures, consistent(offered)&offloadFeatures)
			}
			// Prerequisites (5.1.3.1) hold whatever was offered.
			if f&(FeatHostTSO4|FeatHostTSO6) != 0 && f&FeatCsum == 0 {
				t.Errorf("%s: host TSO without CSUM", name)
			}
			if f&(FeatGuestTSO4|FeatGuestTSO6) != 0 && (f&FeatGuestCsum == 0 || f&FeatMrgRxbuf == 0) {
				t.Errorf("%s: guest TSO without GUEST_CSUM and merged buffers", name)
			}
			o := d.Offloads()
			if o.TXChecksum != (f&FeatCsum != 0) || o.RXChecksum != (f&FeatGuestCsum != 0) || o.TSO4 != (f&FeatHostTSO4 != 0) || o.TSO6 != (f&FeatHostTSO6 != 0) {
				t.Errorf("%s: Offloads %+v for features %#x", name, o, f)
			}
			if !nd.tr.Started || nd.tr.Failed {
				t.Fatalf("%s: started %v failed %v", name, nd.tr.Started, nd.tr.Failed)
			}
			// Every receive buffer is posted, and traffic flows.
			if nd.rx.Available() != 256 {
				t.Fatalf("%s: %d receive buffers posted", name, nd.rx.Available())
			}
			nd.receive(t, [HeaderLen]byte{10: 1}, ethFrame(60, 1))
			if got := poll(t, d); len(got) != 1 || got[0].Frame.Size() != 60 {
				t.Fatalf("%s: received %d frames", name, len(got))
			}
		}
	}
	if bits.OnesCount64(offloadFeatures) != 7 {
		t.Fatal("offloadFeatures changed: update the test")
	}
}

func TestNoMAC(t *testing.T) {
	tr := virtiotest.NewTransport(virtio.DeviceNet, FeatStatus, make([]byte, 8))
	if _, err := New(tr, Options{}); err == nil || !tr.Failed {
		t.Fatalf("device without a MAC: %v, failed %v", err, tr.Failed)
	}
	tr = virtiotest.NewTransport(virtio.DeviceEntropy, FeatMAC, make([]byte, 8))
	if _, err := New(tr, Options{}); err == nil {
		t.Fatal("an entropy device was taken for a network device")
	}
}

// TestGSOHeaders checks the header of frames sent with checksum and
// segmentation offload, for TCP over IPv4 and IPv6, and the refusal of
// offloads not negotiated.
func TestGSOHeaders(t *testing.T) {
	all := uint64(FeatMAC | offloadFeatures)
	d, nd := newDevice(t, all, Options{Offloads: true})
	big := ethFrame(30000, 7)
	for _, c := range []struct {
		gso     nic.GSOType
		hdrLen  uint16
		gsoType byte
	}{{nic.GSOTCPv4, 14 + 20 + 32, gsoTCPv4}, {nic.GSOTCPv6, 14 + 40 + 32, gsoTCPv6}} {
		f := nic.Frame{Parts: [][]byte{big[:100], big[100:]}, CsumStart: c.hdrLen - 32, CsumOffset: 16, GSO: c.gso, GSOSize: 1448, HdrLen: c.hdrLen}
		if n, err := d.Transmit([]nic.Frame{f}); n != 1 || err != nil {
			t.Fatalf("GSO %d: Transmit = %d, %v", c.gso, n, err)
		}
		hdr, frame := nd.sent(t)
		want := make([]byte, HeaderLen)
		want[0], want[1] = hdrNeedsCsum, c.gsoType
		put16(want[2:], c.hdrLen)
		put16(want[4:], 1448)
		put16(want[6:], c.hdrLen-32)
		put16(want[8:], 16)
		if !bytes.Equal(hdr, want) {
			t.Errorf("GSO %d: header % x, want % x", c.gso, hdr, want)
		}
		if !bytes.Equal(frame, big) {
			t.Errorf("GSO %d: frame of %d bytes differs from the %d sent", c.gso, len(frame), len(big))
		}
	}
	// A plain frame has an all-zero header.
	if _, err := d.Transmit([]nic.Frame{{Parts: [][]byte{ethFrame(60, 2)}}}); err != nil {
		t.Fatal(err)
	}
	if hdr, _ := nd.sent(t); !bytes.Equal(hdr, make([]byte, HeaderLen)) {
		t.Errorf("plain frame header % x", hdr)
	}

	// Without the features, the same requests are refused and counted.
	d, _ = newDevice(t, FeatMAC, Options{Offloads: true})
	for _, f := range []nic.Frame{
		{Parts: [][]byte{big[:60]}, CsumStart: 34, CsumOffset: 16},
		{Parts: [][]byte{big}, CsumStart: 34, CsumOffset: 16, GSO: nic.GSOTCPv4, GSOSize: 1448, HdrLen: 66},
		{Parts: [][]byte{big}},
	} {
		if n, err := d.Transmit([]nic.Frame{f}); n != 0 || err == nil {
			t.Errorf("frame of %d bytes, csum %d, gso %d: Transmit = %d, %v; want a refusal", len(f.Parts[0]), f.CsumStart, f.GSO, n, err)
		}
	}
	if d.Stats.TxDrops.Load() != 3 {
		t.Errorf("TxDrops = %d, want 3", d.Stats.TxDrops.Load())
	}
}

// TestReceiveChecksumFlags: NEEDS_CSUM and DATA_VALID make a frame
// ChecksumOK with GUEST_CSUM; without it DATA_VALID is tolerated but not
// trusted, and NEEDS_CSUM is refused.
func TestReceiveChecksumFlags(t *testing.T) {
	frame := ethFrame(100, 3)
	csum := [HeaderLen]byte{0: hdrNeedsCsum, 6: 34, 8: 16, 10: 1}
	valid := [HeaderLen]byte{0: hdrDataValid, 10: 1}
	d, nd := newDevice(t, FeatMAC|FeatGuestCsum|FeatMrgRxbuf, Options{Offloads: true})
	nd.receive(t, csum, frame)
	nd.receive(t, valid, frame)
	nd.receive(t, [HeaderLen]byte{10: 1}, frame)
	got := poll(t, d)
	if len(got) != 3 || !got[0].ChecksumOK || !got[1].ChecksumOK || got[2].ChecksumOK {
		t.Fatalf("received %d frames, checksum ok: %v", len(got), okFlags(got))
	}
	d, nd = newDevice(t, FeatMAC, Options{Offloads: true})
	nd.receive(t, valid, frame)
	nd.receive(t, csum, frame)
	got = poll(t, d)
	if len(got) != 1 || got[0].ChecksumOK {
		t.Fatalf("without GUEST_CSUM: %d frames, checksum ok %v; want the DATA_VALID one, untrusted", len(got), okFlags(got))
	}
	if d.Stats.RxBadHeader.Load() != 1 {
		t.Errorf("RxBadHeader = %d, want 1", d.Stats.RxBadHeader.Load())
	}
}

func okFlags(rs []nic.Received) []bool {
	var v []bool
	for _, r := range rs {
		v = append(v, r.ChecksumOK)
	}
	return v
}

// TestMergedBuffers: a 64 KiB segment spread over 33 receive buffers
// comes out as one frame with its bytes in order, and the buffers are
// replaced.
func TestMergedBuffers(t *testing.T) {
	d, nd := newDevice(t, FeatMAC|offloadFeatures, Options{Offloads: true})
	frame := make([]byte, MaxGSOFrame)
	for i := range frame {
		frame[i] = byte(i * 7)
	}
	hdr := [HeaderLen]byte{0: hdrNeedsCsum, 1: gsoTCPv4, 2: 66, 4: 0xa8, 5: 5, 6: 34, 8: 16}
	nd.receive(t, hdr, frame)
	nd.receive(t, [HeaderLen]byte{}, ethFrame(60, 9)) // num_buffers set by receive
	got := poll(t, d)
	if len(got) != 2 {
		t.Fatalf("%d frames", len(got))
	}
	if b := got[0].Frame.Flatten(); !bytes.Equal(b, frame) || !got[0].ChecksumOK {
		t.Fatalf("merged frame: %d bytes (want %d), equal %v, checksum ok %v", len(b), len(frame), bytes.Equal(b, frame), got[0].ChecksumOK)
	}
	if nd.rx.Available() != 256 {
		t.Errorf("%d receive buffers posted after the frames, want 256", nd.rx.Available())
	}
}

// TestBadHeaders feeds headers the device must not write, each followed
// by a good frame: the bad one is counted and dropped, the good one
// delivered.
func TestBadHeaders(t *testing.T) {
	good := ethFrame(80, 4)
	for name, c := range map[string]struct {
		offered uint64
		hdr     [HeaderLen]byte
		frame   []byte
	}{
		"unknown flag":           {FeatMAC, [HeaderLen]byte{0: 4}, good},
		"NEEDS_CSUM not agreed":  {FeatMAC, [HeaderLen]byte{0: 1, 6: 34, 8: 16}, good},
		"csum start in ethernet": {FeatMAC | FeatGuestCsum, [HeaderLen]byte{0: 1, 6: 4, 8: 16}, good},
		"csum past the end":      {FeatMAC | FeatGuestCsum, [HeaderLen]byte{0: 1, 6: 70, 8: 16}, good},
		"GSO not agreed":         {FeatMAC, [HeaderLen]byte{1: gsoTCPv4, 4: 100}, good},
		"GSO UDP":                {FeatMAC | offloadFeatures, [HeaderLen]byte{0: 1, 1: gsoUDP, 4: 100, 6: 34, 8: 6}, good},
		"GSO ECN":                {FeatMAC | offloadFeatures, [HeaderLen]byte{0: 1, 1: gsoTCPv4 | gsoECN, 4: 100, 6: 34, 8: 16}, good},
		"GSO without checksum":   {FeatMAC | offloadFeatures, [HeaderLen]byte{1: gsoTCPv4, 4: 100}, good},
		"GSO size 0":             {FeatMAC | offloadFeatures, [HeaderLen]byte{0: 1, 1: gsoTCPv6, 6: 54, 8: 16}, good},
		"hdr_len past the end":   {FeatMAC | offloadFeatures, [HeaderLen]byte{0: 1, 1: gsoTCPv4, 2: 200, 4: 100, 6: 34, 8: 16}, good},
		"jumbo without GSO":      {FeatMAC | offloadFeatures, [HeaderLen]byte{}, ethFrame(3000, 5)},
		"runt":                   {FeatMAC, [HeaderLen]byte{}, good[:10]},
	} {
		d, nd := newDevice(t, c.offered, Options{Offloads: true})
		nd.receive(t, c.hdr, c.frame)
		nd.receive(t, [HeaderLen]byte{}, good)
		got := poll(t, d)
		if len(got) != 1 || !bytes.Equal(got[0].Frame.Flatten(), good) {
			t.Errorf("%s: %d frames delivered, want only the good one", name, len(got))
		}
		if d.Stats.RxBadHeader.Load() != 1 || d.Stats.RxDrops.Load() != 1 {
			t.Errorf("%s: bad headers %d, drops %d; want 1 and 1", name, d.Stats.RxBadHeader.Load(), d.Stats.RxDrops.Load())
		}
		if d.Err() != nil {
			t.Errorf("%s: the device stopped: %v", name, d.Err())
		}
	}
}

// TestBrokenMerge: a num_buffers the ring cannot match stops the driver
// with an error rather than reading frames from the middle of others.
func TestBrokenMerge(t *testing.T) {
	for _, nb := range []uint16{0, 3, 300} {
		d, nd := newDevice(t, FeatMAC|FeatMrgRxbuf, Options{Offloads: true})
		head, chain, _ := nd.rx.Take()
		b := chain[0].Bytes()
		put16(b[10:], nb)
		copy(b[HeaderLen:], ethFrame(60, 1))
		nd.rx.Put(uint32(head), HeaderLen+60)
		nd.rx.Publish(0)
		_, err := d.Poll(10, func(nic.Received) { t.Errorf("num_buffers %d: a frame was delivered", nb) })
		if err == nil || d.Err() == nil || !nd.tr.Failed {
			t.Errorf("num_buffers %d (1 used): Poll error %v, device error %v, failed %v", nb, err, d.Err(), nd.tr.Failed)
		}
	}
}

// TestEventIndex: with event indexes the driver kicks only when the
// device's avail_event asks, and the receive interrupt is off during a
// poll and on after Rearm.
func TestEventIndex(t *testing.T) {
	d, nd := newDevice(t, FeatMAC|FeatEventIdx, Options{EventIdx: true})
	// The device has taken nothing yet and asks for a notification only
	// after the 10th chain.
	nd.tx.SetAvailEvent(9)
	frame := ethFrame(60, 6)
	for i := range 20 {
		if _, err := d.Transmit([]nic.Frame{{Parts: [][]byte{frame}}}); err != nil {
			t.Fatal(err)
		}
		d.Flush()
		if want := 0; i < 9 && nd.tr.Kicks[txQueue] != want {
			t.Fatalf("kicked after %d frames, before avail_event", i+1)
		}
	}
	if nd.tr.Kicks[txQueue] != 1 {
		t.Fatalf("%d kicks for 20 frames with avail_event 9, want 1", nd.tr.Kicks[txQueue])
	}
	// A batch is one kick.
	for range 20 {
		nd.sent(t)
	}
	before := nd.tr.Kicks[txQueue]
	batch := make([]nic.Frame, 10)
	for i := range batch {
		batch[i] = nic.Frame{Parts: [][]byte{frame}}
	}
	if n, err := d.Transmit(batch); n != 10 || err != nil {
		t.Fatal(n, err)
	}
	if nd.tr.Kicks[txQueue] != before {
		t.Errorf("Transmit kicked before Flush")
	}
	d.Flush()
	if nd.tr.Kicks[txQueue] != before+1 {
		t.Errorf("a batch of 10 made %d kicks, want 1", nd.tr.Kicks[txQueue]-before)
	}
	d.Flush()
	if nd.tr.Kicks[txQueue] != before+1 {
		t.Errorf("a Flush with nothing new kicked")
	}

	// Receive: interrupt wanted for the first frame, not while polling,
	// wanted again after Rearm.
	if !nd.receive(t, [HeaderLen]byte{}, frame) {
		t.Fatal("no interrupt for the first frame")
	}
	got := poll(t, d)
	if len(got) != 1 {
		t.Fatal(len(got))
	}
	if nd.receive(t, [HeaderLen]byte{}, frame) {
		t.Error("interrupt requested between a poll and Rearm")
	}
	if !d.Rearm() {
		t.Error("Rearm missed the frame that arrived during the poll")
	}
	poll(t, d)
	if d.Rearm() {
		t.Error("Rearm reports frames when none arrived")
	}
	if !nd.receive(t, [HeaderLen]byte{}, frame) {
		t.Error("no interrupt after Rearm")
	}
}

// TestTransmitFull: with every buffer in flight Transmit takes nothing,
// and takes again once the device gives buffers back.
func TestTransmitFull(t *testing.T) {
	d, nd := newDevice(t, FeatMAC, Options{})
	frame := ethFrame(60, 8)
	batch := make([]nic.Frame, 300)
	for i := range batch {
		batch[i] = nic.Frame{Parts: [][]byte{frame}}
	}
	if n, err := d.Transmit(batch); n != 256 || err != nil {
		t.Fatalf("Transmit of 300 = %d, %v; want 256", n, err)
	}
	if n, err := d.Transmit(batch[:1]); n != 0 || err != nil {
		t.Fatalf("Transmit on a full ring = %d, %v", n, err)
	}
	for range 5 {
		nd.sent(t)
	}
	if n, err := d.Transmit(batch); n != 5 || err != nil {
		t.Fatalf("Transmit after 5 came back = %d, %v; want 5", n, err)
	}
	if d.Stats.TxFull.Load() != 3 {
		t.Errorf("TxFull = %d, want 3", d.Stats.TxFull.Load())
	}
}

// TestRingErrors: used elements that do not match what is in flight are
// counted, and a used index that jumps stops the driver.
func TestRingErrors(t *testing.T) {
	d, nd := newDevice(t, FeatMAC, Options{})
	nd.rx.Put(1000, 60) // no such descriptor
	nd.rx.Publish(0)
	poll(t, d)
	if d.Stats.RxErrors.Load() != 1 || d.Err() != nil {
		t.Fatalf("bad id: RxErrors %d, Err %v", d.Stats.RxErrors.Load(), d.Err())
	}
	nd.rx.Publish(300) // more used than ever posted
	if _, err := d.Poll(10, func(nic.Received) {}); !errors.Is(err, virtio.ErrIndexJump) || !nd.tr.Failed {
		t.Fatalf("index jump: %v, failed %v", err, nd.tr.Failed)
	}
}

// FuzzReceiveHeader lets the fuzzer write receive headers and lengths:
// whatever it writes, the driver must not panic, must deliver only frames
// of legal size whose bytes are the ones written, and must keep every
// receive buffer posted or stop with an error.
func FuzzReceiveHeader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, uint16(60), uint8(1))
	f.Add([]byte{1, 1, 66, 0, 0xa8, 5, 34, 0, 16, 0, 2, 0}, uint16(3000), uint8(2))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint16(2048), uint8(1))
	f.Add([]byte{1, 4, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 9, 0}, uint16(100), uint8(9))
	f.Fuzz(func(t *testing.T, hdr []byte, size uint16, used uint8) {
		for _, offered := range []uint64{FeatMAC, FeatMAC | offloadFeatures} {
			d, nd := newDevice(t, offered, Options{Offloads: true})
			body := make([]byte, int(size)%4000)
			for i := range body {
				body[i] = byte(i)
			}
			data := append(append([]byte{}, hdr...), body...)
			// Spread data over up to `used` buffers, whatever the
			// header claims.
			k := max(1, int(used)%8)
			for i := 0; i < k; i++ {
				head, chain, ok := nd.rx.Take()
				if !ok {
					t.Fatal("no buffer")
				}
				n := copy(chain[0].Bytes(), data)
				data = data[n:]
				nd.rx.Put(uint32(head), uint32(n))
			}
			nd.rx.Publish(0)
			_, err := d.Poll(100, func(r nic.Received) {
				n := int(r.Frame.Size())
				if n < EthernetHeaderLen || n > MaxGSOFrame {
					t.Fatalf("delivered a %d-byte frame", n)
				}
				want := append(append([]byte{}, hdr...), body...)[HeaderLen:]
				if got := r.Frame.Flatten(); !bytes.Equal(got, want[:min(len(want), len(got))]) {
					t.Fatal("delivered bytes that were not received")
				}
				r.Frame.Release()
			})
			if err == nil && nd.rx.Available() != 256 {
				t.Fatalf("%d buffers posted after a poll without error", nd.rx.Available())
			}
		}
	})
}

// TestReset: after the ring breaks, or the device asks for a reset,
// Reset brings the device back with fresh rings, the same features, and
// traffic flows again.
func TestReset(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(nd *netDevice)
	}{
		{"index jump", func(nd *netDevice) { nd.rx.Publish(300) }},
		{"needs reset", func(nd *netDevice) {
			nd.tr.NeedsReset = true
			nd.tr.ISR.Store(virtio.InterruptConfigChange)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, nd := newDevice(t, FeatMAC|FeatEventIdx|FeatMrgRxbuf, Options{Offloads: true, EventIdx: true})
			features := d.Features()
			c.break_(nd)
			d.Interrupt()
			if _, err := d.Poll(10, func(nic.Received) {}); err == nil {
				t.Fatal("Poll on a broken device did not fail")
			}
			if _, err := d.Transmit([]nic.Frame{{Parts: [][]byte{ethFrame(60, 1)}}}); err == nil {
				t.Fatal("Transmit on a broken device did not fail")
			}
			if err := d.Reset(); err != nil {
				t.Fatal(err)
			}
			if d.Err() != nil || d.Features() != features || d.Stats.Resets.Load() != 1 || !nd.tr.Started {
				t.Fatalf("after Reset: err %v, features %#x (was %#x), resets %d, started %v", d.Err(), d.Features(), features, d.Stats.Resets.Load(), nd.tr.Started)
			}
			nd.rx = virtiotest.NewRing(nd.tr.Queues[rxQueue])
			nd.tx = virtiotest.NewRing(nd.tr.Queues[txQueue])
			nd.rx.EventIdx, nd.tx.EventIdx = true, true
			nd.receive(t, [HeaderLen]byte{10: 1}, ethFrame(70, 2))
			if got := poll(t, d); len(got) != 1 || got[0].Frame.Size() != 70 {
				t.Fatalf("after Reset: received %d frames", len(got))
			}
			if n, err := d.Transmit([]nic.Frame{{Parts: [][]byte{ethFrame(60, 3)}}}); n != 1 || err != nil {
				t.Fatalf("after Reset: Transmit = %d, %v", n, err)
			}
			if _, f := nd.sent(t); len(f) != 60 {
				t.Fatalf("after Reset: sent a %d-byte frame", len(f))
			}
		})
	}
	// A device that comes back with other features is refused.
	d, nd := newDevice(t, FeatMAC|FeatEventIdx, Options{EventIdx: true})
	nd.tr.Offered &^= FeatEventIdx
	if err := d.Reset(); err == nil || d.Err() == nil {
		t.Fatalf("a device with other features after a reset: %v", err)
	}
}

// TestLinkChanged: a configuration change interrupt makes LinkChanged
// report once, and LinkUp follows the status field.
func TestLinkChanged(t *testing.T) {
	d, nd := newDevice(t, FeatMAC|FeatStatus, Options{})
	if d.LinkChanged() || !d.LinkUp() {
		t.Fatal("link changed or down at the start")
	}
	nd.tr.ConfigSpace[cfgStatus] = 0
	nd.tr.ISR.Store(virtio.InterruptConfigChange)
	if !d.Interrupt() {
		t.Fatal("a configuration change interrupt was not taken")
	}
	if !d.LinkChanged() || d.LinkUp() || d.LinkChanged() {
		t.Fatal("link down not reported once")
	}
}
