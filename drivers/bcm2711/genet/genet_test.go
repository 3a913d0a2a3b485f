package genet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yolkos/yolk/drivers/dma"
)

var testMAC = net.HardwareAddr{0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03}

func start(t *testing.T, f *fake) *Device {
	t.Helper()
	d, err := New(Config{Regs: f, DMA: dma.Identity(), MAC: testMAC, PHY: 1, PHYMode: "rgmii-rxid", Delay: func(time.Duration) {}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// frame is a recognisable Ethernet frame of n bytes.
func frame(seq, n int) []byte {
	b := make([]byte, n)
	copy(b, testMAC)
	copy(b[6:], []byte{2, 0, 0, 0, 0, 1})
	b[12], b[13] = 0x88, 0xb5 // local experimental ethertype
	for i := HeaderLen; i < n; i++ {
		b[i] = byte(seq + i)
	}
	if n >= HeaderLen+4 {
		b[14], b[15], b[16], b[17] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	}
	return b
}

// indexOf finds the first write of v (any value if v < 0) to off at or
// after position from, -1 if none.
func indexOf(log []write, from int, off uint32, v int64) int {
	for i := from; i < len(log); i++ {
		if log[i].off == off && (v < 0 || uint32(v) == log[i].v) {
			return i
		}
	}
	return -1
}

// The order of New's writes: interrupts masked first; the receive buffer
// and UniMAC reset before the address; both DMA engines off before their
// rings are set up; every descriptor written before DMA is on; the PHY
// reset and autonegotiating; then the transmitter and receiver; the DMA
// interrupts unmasked last.
func TestInitOrder(t *testing.T) {
	f := newFake()
	d := start(t, f)
	log := f.writes()
	steps := []struct {
		what string
		off  uint32
		v    int64
	}{
		{"mask every interrupt", regIntrl2MaskSet, 0xffff_ffff},
		{"external GPHY port", regPortCtrl, portExtGPHY},
		{"receive buffer reset", regRBufFlushCtrl, rbufFlushRst},
		{"UniMAC reset", regUMACCmd, cmdSWReset | cmdLocalLoopback},
		{"UniMAC out of reset", regUMACCmd, 0},
		{"max frame", regUMACMaxFrame, maxFrameLen},
		{"MAC address 0-3", regUMACMAC0, 0xdca6_3201},
		{"MAC address 4-5", regUMACMAC1, 0x0203},
		{"transmit DMA off", txBase + commonRegs + dmaCtrl, 0},
		{"receive DMA off", rxBase + commonRegs + dmaCtrl, 0},
		{"transmit ring end", txRing(ringEndAddr), 767},
		{"transmit ring size", txRing(ringBufSize), descCount<<16 | bufSize},
		{"transmit producer at the hardware's consumer index", txRing(ringTxProdIndex), 0xfff0},
		{"transmit ring 16 enabled", txBase + commonRegs + dmaRingCfg, 1 << 16},
		{"receive ring size", rxRing(ringBufSize), descCount<<16 | bufSize},
		{"last receive descriptor armed", rxDesc(255, descStatus), bufSize<<16 | descOwn},
		{"receive consumer at the hardware's producer index", rxRing(ringRxConsIndex), 0xffe0},
		{"receive ring 16 enabled", rxBase + commonRegs + dmaRingCfg, 1 << 16},
		{"transmit DMA on", txBase + commonRegs + dmaCtrl, dmaCtrlEn | 1<<17},
		{"receive DMA on", rxBase + commonRegs + dmaCtrl, dmaCtrlEn | 1<<17},
		{"PHY reset", regMDIOCmd, mdioStartBusy | mdioWrite | 1<<mdioPHYShift | miiBMCR<<mdioRegShift | bmcrReset},
		{"PHY autonegotiation", regMDIOCmd, mdioStartBusy | mdioWrite | 1<<mdioPHYShift | miiBMCR<<mdioRegShift | bmcrANEnable | bmcrANRestart},
		{"transmitter and receiver on", regUMACCmd, cmdTxEn | cmdRxEn},
		{"receive interrupt unmasked", regIntrl2MaskClear, irqRxDMADone},
	}
	at := 0
	for _, s := range steps {
		i := indexOf(log, at, s.off, s.v)
		if i < 0 {
			t.Fatalf("%s (%#x <- %#x) missing after write %d; the writes were:\n%s", s.what, s.off, s.v, at, dump(log))
		}
		at = i + 1
	}
	if at != len(log) {
		t.Errorf("writes after the interrupts were unmasked:\n%s", dump(log[at:]))
	}
	// Every receive descriptor points at its own buffer.
	for i := range uint32(descCount) {
		a := uint64(f.reg(rxDesc(i, descAddrLo))) | uint64(f.reg(rxDesc(i, descAddrHi)))<<32
		if a != d.rxBufs.Addr(int(i), 0) {
			t.Fatalf("receive descriptor %d: %#x, want %#x", i, a, d.rxBufs.Addr(int(i), 0))
		}
	}
	// The filters: broadcast first (bit 16), then the MAC (bit 15).
	if f.reg(regMDFAddr0) != 0xffff || f.reg(regMDFAddr0+4) != 0xffff_ffff || f.reg(regMDFAddr0+8) != 0xdca6 || f.reg(regMDFAddr0+12) != 0x3201_0203 {
		t.Errorf("address filters %#x %#x %#x %#x", f.reg(regMDFAddr0), f.reg(regMDFAddr0+4), f.reg(regMDFAddr0+8), f.reg(regMDFAddr0+12))
	}
	if c := f.reg(regMDFCtrl); c != 0x1f<<12 {
		t.Errorf("MDF_CTRL %#x, want five filters enabled (%#x)", c, 0x1f<<12)
	}
	if f.reg(regRBufCtrl) != rbufAlign2|rbuf64B || f.reg(regTBufCtrl) != rbuf64B || f.reg(regRGMIIOOBCtrl)&oobIDModeDis != 0 {
		t.Errorf("RBUF_CTRL %#x, TBUF_CTRL %#x, RGMII_OOB_CTRL %#x", f.reg(regRBufCtrl), f.reg(regTBufCtrl), f.reg(regRGMIIOOBCtrl))
	}
}

// send queues a frame without checksum offload and flushes it.
func send(d *Device, parts ...[]byte) error {
	if err := d.Queue(parts, 0, 0); err != nil {
		return err
	}
	d.Flush()
	return nil
}

func dump(log []write) string {
	var b bytes.Buffer
	for _, w := range log {
		fmt.Fprintf(&b, "  %#06x <- %#x\n", w.off, w.v)
	}
	return b.String()
}

func TestNotV5(t *testing.T) {
	f := newFake()
	f.regs[regRevCtrl/4] = 5 << 24
	if _, err := New(Config{Regs: f, DMA: dma.Identity(), MAC: testMAC, PHY: 1, PHYMode: "rgmii-rxid"}); !errors.Is(err, ErrNotV5) {
		t.Errorf("GENET v4: %v", err)
	}
	f = newFake()
	if _, err := New(Config{Regs: f, DMA: dma.Identity(), MAC: testMAC, PHY: 1, PHYMode: "sgmii"}); err == nil {
		t.Error("phy-mode sgmii accepted")
	}
}

func TestMDIO(t *testing.T) {
	f := newFake()
	d := start(t, f)
	id, err := d.PHYID()
	if err != nil || !IsBCM54213PE(id) {
		t.Errorf("PHY ID %#x, %v", id, err)
	}
	// No PHY at another address: the read fails, and says so.
	if _, err := d.MDIORead(5, miiBMSR); !errors.Is(err, ErrMDIORead) {
		t.Errorf("read from an absent PHY: %v", err)
	}
	if err := d.MDIOWrite(1, 22, 0x1234); err != nil {
		t.Fatal(err)
	}
	if v, err := d.MDIORead(1, 22); v != 0x1234 || err != nil {
		t.Errorf("read back %#x, %v", v, err)
	}
	// A bus that never completes times out.
	f.mdioStuck = true
	polls := f.mdioPolls
	if _, err := d.MDIORead(1, miiBMSR); !errors.Is(err, ErrMDIOTimeout) {
		t.Errorf("stuck MDIO: %v", err)
	}
	if f.mdioPolls-polls < 2 {
		t.Error("the stuck MDIO was not polled")
	}
}

func TestLinkUpDown(t *testing.T) {
	f := newFake()
	d := start(t, f)
	if l, changed, err := d.PollLink(); err != nil || l.Up || changed {
		t.Fatalf("no cable: %v, changed %v, %v", l, changed, err)
	}
	f.setLink(true, an100FD|an100HD|an10FD|an10HD|anSelector802, true)
	l, changed, err := d.PollLink()
	if err != nil || !changed || l != (Link{Up: true, Mbps: 1000, FullDuplex: true}) {
		t.Fatalf("gigabit partner: %v, changed %v, %v", l, changed, err)
	}
	if cmd := f.reg(regUMACCmd); cmd&cmdSpeedMask != 2<<cmdSpeedShift || cmd&cmdHalfDuplex != 0 || cmd&(cmdTxEn|cmdRxEn) != cmdTxEn|cmdRxEn {
		t.Errorf("UMAC_CMD %#x after a 1000 Mb/s link", cmd)
	}
	if oob := f.reg(regRGMIIOOBCtrl); oob&(oobRGMIILink|oobRGMIIMode) != oobRGMIILink|oobRGMIIMode || oob&oobDisable != 0 {
		t.Errorf("RGMII_OOB_CTRL %#x", oob)
	}
	if _, changed, _ := d.PollLink(); changed {
		t.Error("a second poll reports a change")
	}
	f.setLink(false, 0, false)
	if l, changed, _ := d.PollLink(); l.Up || !changed || f.reg(regRGMIIOOBCtrl)&oobRGMIILink != 0 {
		t.Errorf("cable out: %v, changed %v, RGMII_OOB_CTRL %#x", l, changed, f.reg(regRGMIIOOBCtrl))
	}
	// A 100 Mb/s half-duplex hub.
	f.setLink(true, an100HD|an10HD|anSelector802, false)
	l, _, _ = d.PollLink()
	if l != (Link{Up: true, Mbps: 100}) || f.reg(regUMACCmd)&(cmdSpeedMask|cmdHalfDuplex) != 1<<cmdSpeedShift|cmdHalfDuplex {
		t.Errorf("100 Mb/s half duplex: %v, UMAC_CMD %#x", l, f.reg(regUMACCmd))
	}
	if d.Stats.LinkChanges.Load() != 3 || l.String() != "up, 100 Mb/s half duplex" {
		t.Errorf("%d link changes, %q", d.Stats.LinkChanges.Load(), l)
	}
}

// Frames both ways across more than two laps of the rings, through the
// indices' wrap from 0xffff to 0 (they start at 0xffe0 and 0xfff0), with
// the transmit ring filled to ErrFull on the way.
func TestRingWrapAround(t *testing.T) {
	f := newFake()
	d := start(t, f)
	var got [][]byte
	deliver := func(b []byte) { got = append(got, append([]byte(nil), b...)) }
	seq := 0
	for lap := 0; lap < 3; lap++ {
		for range 200 {
			if !f.receive(frame(seq, 60+seq%1400)) {
				t.Fatalf("frame %d: the receive ring is full", seq)
			}
			seq++
		}
		if !d.Interrupt() {
			t.Fatal("no interrupt for received frames")
		}
		if n, err := d.Poll(0, deliver); n != 200 || err != nil {
			t.Fatalf("lap %d: received %d, %v", lap, n, err)
		}
		if d.Rearm() {
			t.Fatal("Rearm after the ring was drained asks for a poll")
		}
	}
	for i, b := range got {
		if !bytes.Equal(b, frame(i, 60+i%1400)) {
			t.Fatalf("received frame %d differs (%d bytes)", i, len(b))
		}
	}
	// A full receive ring: the DMA stops at 256 frames until the driver
	// gives buffers back.
	for i := 0; ; i++ {
		if !f.receive(frame(i, 64)) {
			if i != descCount {
				t.Fatalf("the ring took %d frames, want %d", i, descCount)
			}
			break
		}
	}
	if n, _ := d.Poll(0, func([]byte) {}); n != descCount {
		t.Errorf("drained %d", n)
	}
	d.Rearm() // clears the receive interrupt that came meanwhile

	// Transmit: hold the DMA so that the ring fills.
	f.mu.Lock()
	f.holdTx = true
	f.mu.Unlock()
	for i := range descCount {
		if err := send(d, frame(i, 100+i)[:7], frame(i, 100+i)[7:]); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := send(d, frame(0, 100)); !errors.Is(err, ErrFull) {
		t.Fatalf("send into a full ring: %v", err)
	}
	f.release()
	if d.Interrupt() {
		t.Fatal("an interrupt for sent frames (transmit interrupts are off)")
	}
	if err := d.Reclaim(); err != nil || d.InFlight() != 0 {
		t.Fatalf("reclaim: %v, %d in flight", err, d.InFlight())
	}
	for i := 0; i < 300; i++ {
		if err := send(d, frame(descCount+i, 20)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i%7 == 0 {
			d.Reclaim()
		}
	}
	sent := f.frames()
	if len(sent) != descCount+300 {
		t.Fatalf("%d frames on the wire", len(sent))
	}
	for i, b := range sent {
		want := frame(i, 100+i)
		if i >= descCount {
			want = append(frame(i, 20), make([]byte, minFrame-20)...) // padded
		}
		if !bytes.Equal(b, want) {
			t.Fatalf("frame %d on the wire differs: %d bytes, want %d", i, len(b), len(want))
		}
	}
	if f.reg(txRing(ringTxProdIndex)) != (0xfff0+descCount+300)&0xffff {
		t.Errorf("transmit producer index %#x", f.reg(txRing(ringTxProdIndex)))
	}
	if d.Stats.TxFrames.Load() != descCount+300 || d.Stats.RxFrames.Load() != 600+descCount || d.Stats.RxErrors.Load() != 0 {
		t.Errorf("stats: tx %d rx %d rx errors %d", d.Stats.TxFrames.Load(), d.Stats.RxFrames.Load(), d.Stats.RxErrors.Load())
	}
}

// Descriptors the "hardware" gets wrong: each is dropped and counted, and
// the frames around it still arrive; an index jump stops the driver.
func TestBadDescriptorRefused(t *testing.T) {
	f := newFake()
	d := start(t, f)
	good := frame(1, 100)
	bad := []struct {
		what   string
		status uint32
	}{
		{"longer than its buffer", (bufSize+1)<<descLenShift | descSOP | descEOP},
		{"length field all ones", descLenMask<<descLenShift | descSOP | descEOP},
		{"shorter than a header", (rxPrefix+10)<<descLenShift | descSOP | descEOP},
		{"only the status block", statusBlock<<descLenShift | descSOP | descEOP},
		{"no end of packet", 166<<descLenShift | descSOP},
		{"no start of packet", 166<<descLenShift | descEOP},
		{"CRC error", 166<<descLenShift | descSOP | descEOP | rxCRCErr},
		{"overrun", 166<<descLenShift | descSOP | descEOP | rxOverrun},
	}
	for _, b := range bad {
		f.receive(good)
		f.receiveStatus(good, b.status)
		f.receive(good)
		var n int
		got, err := d.Poll(0, func(fr []byte) {
			n++
			if !bytes.Equal(fr, good) {
				t.Errorf("%s: delivered a %d-byte frame", b.what, len(fr))
			}
		})
		if err != nil || got != 3 || n != 2 {
			t.Errorf("%s: %d descriptors taken, %d frames delivered, %v", b.what, got, n, err)
		}
	}
	if d.Stats.RxErrors.Load() != uint64(len(bad)) || d.Stats.RxDrops.Load() != uint64(len(bad)) {
		t.Errorf("%d errors, %d drops; want %d", d.Stats.RxErrors.Load(), d.Stats.RxDrops.Load(), len(bad))
	}
	// The producer index jumps more than a ring ahead.
	f.jumpRx(descCount + 1)
	if _, err := d.Poll(0, func([]byte) { t.Error("delivered after an index jump") }); !errors.Is(err, ErrIndexJump) {
		t.Fatalf("index jump: %v", err)
	}
	if !errors.Is(d.Err(), ErrIndexJump) || send(d, good) == nil {
		t.Error("the driver goes on after an index jump")
	}
	if f.reg(regUMACCmd)&(cmdTxEn|cmdRxEn) != 0 || f.reg(rxBase+commonRegs+dmaCtrl)&dmaCtrlEn != 0 {
		t.Error("the MAC or DMA is still on after a device error")
	}
}

// The transmit consumer index moving past what was sent is a device
// error too.
func TestTxIndexJump(t *testing.T) {
	f := newFake()
	d := start(t, f)
	f.mu.Lock()
	f.holdTx = true
	f.txCons += 3
	f.mu.Unlock()
	send(d, frame(0, 64))
	if err := d.Reclaim(); !errors.Is(err, ErrIndexJump) {
		t.Errorf("consumer index 3 past one frame in flight: %v", err)
	}
}

func TestSendSizes(t *testing.T) {
	d := start(t, newFake())
	if err := send(d, make([]byte, 13)); err == nil {
		t.Error("a 13-byte frame")
	}
	if err := send(d, make([]byte, MaxFrame+1)); err == nil {
		t.Error("an oversized frame")
	}
	if err := send(d, make([]byte, MaxFrame)); err != nil {
		t.Error(err)
	}
}

func TestInterruptAck(t *testing.T) {
	f := newFake()
	d := start(t, f)
	if d.Interrupt() {
		t.Error("an interrupt with nothing pending")
	}
	f.mu.Lock()
	f.stat |= irqMDIODone // masked
	f.mu.Unlock()
	if d.Interrupt() {
		t.Error("a masked cause counted")
	}
	f.receive(frame(0, 64))
	if !d.Interrupt() || f.reg(0) == 0 {
		t.Error("no interrupt for a received frame")
	}
	f.mu.Lock()
	stat, mask := f.stat, f.mask
	f.mu.Unlock()
	if stat&irqRxDMADone != 0 || stat&irqMDIODone == 0 {
		t.Errorf("after the ack: status %#x (the masked MDIO bit stays, the receive bit is cleared)", stat)
	}
	if mask&irqRxDMADone == 0 {
		t.Error("the receive interrupt stays on after it fired (it must wait for Rearm)")
	}
	// More frames while it is off: no interrupt; Poll takes them in
	// budgets; Rearm turns it on and says whether to poll again.
	f.receive(frame(1, 64))
	f.receive(frame(2, 64))
	if d.Interrupt() {
		t.Error("a receive interrupt while off")
	}
	if n, _ := d.Poll(2, func([]byte) {}); n != 2 {
		t.Errorf("Poll(2) took %d", n)
	}
	if !d.Rearm() {
		t.Error("Rearm with a frame left reports nothing to poll")
	}
	if n, _ := d.Poll(2, func([]byte) {}); n != 1 {
		t.Errorf("Poll took %d of the last frame", n)
	}
	if d.Rearm() {
		t.Error("Rearm with nothing left asks for a poll")
	}
	f.mu.Lock()
	mask = f.mask
	f.mu.Unlock()
	if mask&irqRxDMADone != 0 {
		t.Error("Rearm left the receive interrupt off")
	}
	f.receive(frame(3, 64))
	if !d.Interrupt() {
		t.Error("no interrupt after Rearm")
	}
}

// Queue copies without telling the controller; Flush writes the producer
// index once for all queued frames.
func TestQueueFlush(t *testing.T) {
	f := newFake()
	d := start(t, f)
	kicks := 0
	for _, w := range f.writes() {
		if w.off == txRing(ringTxProdIndex) {
			kicks++
		}
	}
	for i := range 10 {
		if err := d.Queue([][]byte{frame(i, 100)}, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.frames()) != 0 {
		t.Fatal("frames sent before Flush")
	}
	d.Flush()
	d.Flush() // nothing new: no write
	n := 0
	for _, w := range f.writes() {
		if w.off == txRing(ringTxProdIndex) {
			n++
		}
	}
	if n-kicks != 1 || len(f.frames()) != 10 || d.Stats.Kicks.Load() != 1 {
		t.Errorf("%d producer index writes, %d frames sent, %d kicks", n-kicks, len(f.frames()), d.Stats.Kicks.Load())
	}
}

// A checksum request goes in the transmit status block and the
// descriptor; the frame itself is sent as it was given.
func TestTxChecksumRequest(t *testing.T) {
	f := newFake()
	d := start(t, f)
	fr := frame(7, 120)
	if err := d.Queue([][]byte{fr[:20], fr[20:]}, 34, 16); err != nil { // TCP over IPv4
		t.Fatal(err)
	}
	if err := d.Queue([][]byte{fr}, 34, 6); err != nil { // UDP
		t.Fatal(err)
	}
	for i, want := range []uint32{1<<31 | 34<<16 | 50, 1<<31 | 34<<16 | 1<<15 | 40} {
		buf := d.txBufs.Buf(int((uint32(d.txProd) - 2 + uint32(i)) % descCount))
		if got := binary.LittleEndian.Uint32(buf[txCsumInfo:]); got != want {
			t.Errorf("frame %d: checksum info %#x, want %#x", i, got, want)
		}
		st := f.reg(txDesc((uint32(d.txProd)-2+uint32(i))%descCount, descStatus))
		if st&txDoCsum == 0 || st>>descLenShift&descLenMask != txPrefix+120 {
			t.Errorf("frame %d: descriptor %#x", i, st)
		}
	}
	d.Flush()
	if s := f.frames(); len(s) != 2 || !bytes.Equal(s[0], fr) || !bytes.Equal(s[1], fr) {
		t.Error("the frames on the wire differ from those queued")
	}
	for _, c := range [][2]uint16{{10, 16}, {34, 120}} {
		if err := d.Queue([][]byte{fr}, c[0], c[1]); err == nil {
			t.Errorf("checksum at %d+%d accepted", c[0], c[1])
		}
	}
	if err := d.Queue([][]byte{fr}, 0, 0); err != nil {
		t.Fatal(err)
	}
	d.Flush()
	if st := f.reg(txDesc((uint32(d.txProd)-1)%descCount, descStatus)); st&txDoCsum != 0 {
		t.Errorf("no checksum asked, descriptor %#x", st)
	}
}

// After a device error, Reset brings the controller back: frames flow
// both ways again.
func TestResetAfterIndexJump(t *testing.T) {
	f := newFake()
	d := start(t, f)
	f.setLink(true, an100FD|anSelector802, true)
	d.PollLink()
	f.jumpRx(descCount + 5)
	if _, err := d.Poll(0, func([]byte) {}); !errors.Is(err, ErrIndexJump) {
		t.Fatalf("index jump: %v", err)
	}
	if err := d.Reset(); err != nil {
		t.Fatal(err)
	}
	if d.Err() != nil || d.Stats.Resets.Load() != 1 {
		t.Fatalf("after Reset: %v, %d resets", d.Err(), d.Stats.Resets.Load())
	}
	if cmd := f.reg(regUMACCmd); cmd&(cmdTxEn|cmdRxEn) != cmdTxEn|cmdRxEn || cmd&cmdSpeedMask != 2<<cmdSpeedShift {
		t.Errorf("UMAC_CMD %#x after Reset (want on, 1000 Mb/s)", cmd)
	}
	f.receive(frame(1, 80))
	var got []byte
	if n, err := d.Poll(0, func(b []byte) { got = append([]byte(nil), b...) }); n != 1 || err != nil || !bytes.Equal(got, frame(1, 80)) {
		t.Errorf("receive after Reset: %d, %v", n, err)
	}
	if err := send(d, frame(2, 80)); err != nil || len(f.frames()) != 1 {
		t.Errorf("send after Reset: %v, %d frames", err, len(f.frames()))
	}
}

// A PHY whose reset bit never clears is told to autonegotiate anyway,
// and the driver says so.
func TestPHYResetStuck(t *testing.T) {
	f := newFake()
	f.stuckReset = true
	d := start(t, f)
	if w := d.Warnings(); len(w) != 1 || !strings.Contains(w[0], "did not finish its reset") {
		t.Errorf("warnings %q", w)
	}
	if f.phy[miiBMCR] != bmcrANEnable {
		t.Errorf("BMCR %#x, want autonegotiation on", f.phy[miiBMCR])
	}
	if w := start(t, newFake()).Warnings(); len(w) != 0 {
		t.Errorf("warnings from a good PHY: %q", w)
	}
}
