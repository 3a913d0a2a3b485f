package genet

import (
	"encoding/binary"
	"sync"
	"unsafe"
)

// fake is a model of a GENET v5 register block, for host tests: the
// INTRL2_0 interrupt controller, the UniMAC's MDIO with a PHY behind it,
// and ring 16 of both DMA engines with producer and consumer indices
// counting modulo 2^16. Buffers are Go memory: the bus address of a
// buffer is its Go address (the identity DMA window).
type fake struct {
	mu   sync.Mutex
	regs [0x10000 / 4]uint32
	log  []write // every write, in order

	phy        [32]uint16
	phyAddr    int
	linkUp     bool
	partner    uint16 // ANLPAR the partner advertises
	partner1G  bool
	mdioBusy   int  // reads of MDIO_CMD that still show START_BUSY
	mdioStuck  bool // never completes
	mdioPolls  int
	stuckReset bool // BMCR's reset bit never clears
	sent       [][]byte
	holdTx     bool   // leave transmit descriptors unconsumed
	rxProd     uint16 // the hardware's receive producer index
	txCons     uint16 // the hardware's transmit consumer index
	stat, mask uint32 // INTRL2_0
}

type write struct{ off, v uint32 }

func newFake() *fake {
	f := &fake{phyAddr: 1, rxProd: 0xffe0, txCons: 0xfff0, mask: ^uint32(0)}
	f.regs[regRevCtrl/4] = 6<<24 | 0<<16 | 0x0002
	f.phy[miiPHYID1], f.phy[miiPHYID2] = 0x600d, 0x84a2
	f.phy[miiBMSR] = 1<<3 | 1<<8 // autonegotiation able, extended status
	f.partner = an10HD | an10FD | an100HD | an100FD | anSelector802
	f.partner1G = true
	return f
}

func (f *fake) Read(off uint32) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch off {
	case regIntrl2Stat:
		return f.stat
	case regIntrl2MaskStat:
		return f.mask
	case rxRing(ringRxProdIndex):
		return uint32(f.rxProd)
	case txRing(ringTxConsIndex):
		return uint32(f.txCons)
	case regMDIOCmd:
		f.mdioPolls++
		v := f.regs[off/4]
		if f.mdioStuck {
			return v | mdioStartBusy
		}
		if f.mdioBusy > 0 {
			f.mdioBusy--
			return v | mdioStartBusy
		}
		return v
	}
	return f.regs[off/4]
}

func (f *fake) Write(off uint32, v uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, write{off, v})
	switch off {
	case regIntrl2Set:
		f.stat |= v
	case regIntrl2Clear:
		f.stat &^= v
	case regIntrl2MaskSet:
		f.mask |= v
	case regIntrl2MaskClear:
		f.mask &^= v
	case regRevCtrl, rxRing(ringRxProdIndex), txRing(ringTxConsIndex):
		// read-only, or the hardware's
	case regMDIOCmd:
		f.regs[off/4] = v &^ mdioStartBusy
		if v&mdioStartBusy != 0 {
			f.mdio(v)
		}
	case txRing(ringTxProdIndex):
		f.regs[off/4] = v
		f.transmit()
	default:
		f.regs[off/4] = v
	}
}

// mdio performs a transaction at once; the register shows START_BUSY
// for two more reads, as a real bus takes time.
func (f *fake) mdio(cmd uint32) {
	f.mdioBusy = 2
	phy := int(cmd >> mdioPHYShift & 0x1f)
	r := int(cmd >> mdioRegShift & 0x1f)
	res := cmd &^ (mdioStartBusy | mdioReadFail | mdioDataMask)
	f.stat |= irqMDIODone
	if phy != f.phyAddr {
		f.regs[regMDIOCmd/4] = res | mdioReadFail | mdioDataMask
		f.stat |= irqMDIOError
		return
	}
	switch {
	case cmd&mdioRead != 0:
		f.regs[regMDIOCmd/4] = res | uint32(f.phyRead(r))
	case cmd&mdioWrite != 0:
		f.phyWrite(r, uint16(cmd))
		f.regs[regMDIOCmd/4] = res | cmd&mdioDataMask
	}
}

func (f *fake) phyRead(r int) uint16 {
	v := f.phy[r]
	an := f.phy[miiBMCR]&bmcrANEnable != 0
	switch r {
	case miiBMSR:
		if f.linkUp && an {
			v |= bmsrLink | bmsrANDone
		}
	case miiANLPAR:
		if f.linkUp && an {
			v = f.partner
		}
	case miiStat1000:
		if f.linkUp && an && f.partner1G {
			v = stat1000LPFD
		}
	}
	return v
}

func (f *fake) phyWrite(r int, v uint16) {
	switch r {
	case miiBMCR:
		if v&bmcrReset != 0 {
			f.phy[miiBMCR] = 0
			if f.stuckReset {
				f.phy[miiBMCR] = v
			}
			return
		}
		f.phy[r] = v &^ bmcrANRestart
	case miiBMSR, miiPHYID1, miiPHYID2, miiStat1000:
	default:
		f.phy[r] = v
	}
}

func (f *fake) dmaOn(base uint32) bool {
	c := f.regs[(base+commonRegs+dmaCtrl)/4]
	return c&dmaCtrlEn != 0 && c&dmaRingEnQ != 0 && f.regs[(base+commonRegs+dmaRingCfg)/4]&dmaRingCfgQ != 0
}

// transmit consumes every descriptor up to the producer index.
func (f *fake) transmit() {
	if f.holdTx || !f.dmaOn(txBase) || f.regs[regUMACCmd/4]&cmdTxEn == 0 {
		return
	}
	prod := uint16(f.regs[txRing(ringTxProdIndex)/4])
	for f.txCons != prod {
		i := uint32(f.txCons % descCount)
		st := f.regs[txDesc(i, descStatus)/4]
		a := uint64(f.regs[txDesc(i, descAddrLo)/4]) | uint64(f.regs[txDesc(i, descAddrHi)/4])<<32
		n := int(st >> descLenShift & descLenMask)
		b := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(a))), n)
		if f.regs[regTBufCtrl/4]&rbuf64B != 0 {
			b = b[statusBlock:] // TBUF_64B_EN: the status block is not sent
		}
		f.sent = append(f.sent, append([]byte(nil), b...))
		f.txCons++
	}
	f.stat |= irqTxDMADone
}

// release lets held transmissions go.
func (f *fake) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holdTx = false
	f.transmit()
}

// receive writes frame into the buffer of the next receive descriptor,
// as the DMA does with RBUF_64B_EN and RBUF_ALIGN_2B (status block, two
// bytes of padding, the frame), and reports whether the ring had room.
func (f *fake) receive(frame []byte) bool {
	return f.receiveStatus(frame, uint32(len(frame)+rxPrefix)<<descLenShift|descSOP|descEOP)
}

// receiveStatus is receive with the descriptor's status word given.
func (f *fake) receiveStatus(frame []byte, status uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dmaOn(rxBase) || f.regs[regUMACCmd/4]&cmdRxEn == 0 {
		return false
	}
	cons := uint16(f.regs[rxRing(ringRxConsIndex)/4])
	if uint16(f.rxProd-cons) >= descCount {
		return false
	}
	i := uint32(f.rxProd % descCount)
	a := uint64(f.regs[rxDesc(i, descAddrLo)/4]) | uint64(f.regs[rxDesc(i, descAddrHi)/4])<<32
	buf := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(a))), bufSize)
	clear(buf[:rxPrefix])
	binary.LittleEndian.PutUint32(buf, status)
	copy(buf[rxPrefix:], frame)
	f.regs[rxDesc(i, descStatus)/4] = status
	f.rxProd++
	f.stat |= irqRxDMADone
	return true
}

// jumpRx moves the receive producer index by n without writing anything.
func (f *fake) jumpRx(n uint16) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rxProd += n
}

func (f *fake) setLink(up bool, partner uint16, oneGig bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.linkUp, f.partner, f.partner1G = up, partner, oneGig
}

func (f *fake) reg(off uint32) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.regs[off/4]
}

func (f *fake) writes() []write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]write(nil), f.log...)
}

func (f *fake) frames() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.sent...)
}
