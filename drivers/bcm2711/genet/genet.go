// Package genet drives the BCM2711's Gigabit Ethernet controller (GENET
// v5, the Raspberry Pi 4's Ethernet): its UniMAC, the receive and
// transmit buffers, ring 16 (the default queue) of the receive and
// transmit DMA with all 256 descriptors each, the level-2 interrupt
// controller INTRL2_0, and the MDIO bus to the board's BCM54213PE PHY
// over RGMII, whose link is polled.
//
// The data path is the driver's own small API, which an adapter puts
// behind netstack/nic.Device: Queue copies a frame into a transmit buffer
// (with an optional transport checksum request) and Flush hands the
// queued frames to the DMA with one register write; Poll drains received
// frames in budgets, Rearm turns the receive interrupt back on; Reclaim
// collects finished transmissions; Interrupt, called from the interrupt
// handler, acknowledges the controller, turns the receive interrupt off
// until Rearm, and says whether there is work. The driver waits for
// nothing itself: its owner wakes a goroutine (sched.Event) on Interrupt.
//
// The descriptors live in the register block, not in memory; the buffers
// are a drivers/dma pool, cleaned before the DMA reads them and
// invalidated before the CPU reads what it wrote. Every frame in a buffer
// follows a 64-byte status block, both ways (RBUF_64B_EN, TBUF_64B_EN), as
// Linux and FreeBSD run the controller: on receive it carries the frame's
// length and status, on transmit the checksum offload request.
//
// Every index and length the controller reports is checked before it is
// used: a receive producer index more than a ring ahead, or a transmit
// consumer index past what was handed over, stops the driver
// (ErrIndexJump; Reset restarts it); a descriptor whose length does not
// fit its buffer, or that is not a whole frame, or that carries an
// error, is dropped and counted.
//
// Register facts come from public drivers read as documentation (see
// regs.go); the code is yolk's.
package genet

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/drivers/dma"
	"github.com/yolkos/yolk/kernel/reg"
)

// Regs reaches a GENET register block: MMIO on the board, a model in
// tests. Offsets are from the block's base; accesses are 32 bits.
type Regs interface {
	Read(off uint32) uint32
	Write(off uint32, v uint32)
}

// MMIO is a register block at a physical address, through kernel/reg.
type MMIO uintptr

func (m MMIO) Read(off uint32) uint32     { return reg.Read32(uintptr(m) + uintptr(off)) }
func (m MMIO) Write(off uint32, v uint32) { reg.Write32(uintptr(m)+uintptr(off), v) }

const (
	// MaxFrame is the largest Ethernet frame sent or received: a 1500
	// byte MTU and the 14-byte header (no VLAN tag, no FCS).
	MaxFrame = 1514
	// HeaderLen is the Ethernet header, the shortest frame accepted.
	HeaderLen = 14
	// minFrame is what a frame is padded to before transmission (60
	// bytes; the MAC appends the FCS).
	minFrame = 60

	bufSize  = 2048            // one receive or transmit buffer
	rxPrefix = statusBlock + 2 // a received frame follows the status block and RBUF_ALIGN_2B's two bytes
	txPrefix = statusBlock     // a frame to send follows the transmit status block
)

// Errors. ErrIndexJump and ErrNotV5 stop the driver.
var (
	// ErrFull: every transmit descriptor is in flight. The controller
	// interrupts when one comes back.
	ErrFull = errors.New("genet: transmit ring full")
	// ErrIndexJump: the controller moved an index past what the driver
	// gave it; the rings cannot be trusted any more.
	ErrIndexJump = errors.New("genet: DMA index moved past the ring (device error)")
	// ErrBadDescriptor: a received descriptor is not a whole, error-free
	// frame that fits its buffer. The frame is dropped.
	ErrBadDescriptor = errors.New("genet: bad receive descriptor (device error)")
	ErrNotV5         = errors.New("genet: not a GENET v5")
	ErrMDIOTimeout   = errors.New("genet: MDIO transaction did not complete within 10ms")
	ErrMDIORead      = errors.New("genet: MDIO read failed (no PHY answered)")
)

// Config describes one controller.
type Config struct {
	Regs Regs
	// DMA is the controller's view of RAM (its node's dma-ranges).
	DMA dma.Bus
	MAC net.HardwareAddr
	// PHY is the PHY's MDIO address (the device tree's ethernet-phy@N).
	PHY int
	// PHYMode is the device tree's phy-mode: "rgmii", "rgmii-id",
	// "rgmii-rxid" (the Pi 4) or "rgmii-txid".
	PHYMode string
	// Delay waits (time.Sleep in a goroutine); tests pass a no-op.
	Delay func(time.Duration)
}

// Stats are the controller's counters; every field may be read at any
// time. They are named as drivers/virtio/net's.
type Stats struct {
	RxFrames, RxBytes, RxDrops, RxErrors atomic.Uint64
	TxFrames, TxBytes, TxDrops, TxErrors atomic.Uint64
	// TxFull counts Queue calls that found every descriptor in flight.
	TxFull     atomic.Uint64
	Interrupts atomic.Uint64
	// Kicks counts producer index writes (Flush), Polls the batches read
	// from the receive ring, Resets the restarts after errors.
	Kicks, Polls, Resets atomic.Uint64
	LinkChanges          atomic.Uint64
}

// Device is one GENET controller.
type Device struct {
	r   Regs
	cfg Config
	mac net.HardwareAddr

	rxMu   sync.Mutex
	rxBufs *dma.Pool
	rxCons uint16 // the next index to take from the receive ring

	txMu     sync.Mutex
	txBufs   *dma.Pool
	txProd   uint16 // the next index to fill
	txCons   uint16 // the hardware's consumer index when last read
	inflight int    // queued and not reclaimed
	queued   int    // queued since the last Flush (not yet the controller's)

	mdioMu      sync.Mutex
	link        atomic.Pointer[Link]
	linkChanged atomic.Bool

	warnMu   sync.Mutex
	warnings []string

	Stats Stats
	err   atomic.Pointer[error]
}

// Version reads the controller's revision: major (6 for GENET v5) and
// minor.
func Version(r Regs) (major, minor uint32) {
	v := r.Read(regRevCtrl)
	return v >> revMajorShift & 0xf, v >> 16 & 0xf
}

// New resets and starts the controller: UniMAC reset, address and
// filters, both rings with every receive buffer posted, DMA on, the PHY
// reset and autonegotiating, transmitter and receiver on, the DMA
// interrupts unmasked. The link comes up later; PollLink tells.
func New(cfg Config) (*Device, error) {
	if cfg.Delay == nil {
		cfg.Delay = time.Sleep
	}
	if len(cfg.MAC) != 6 {
		return nil, fmt.Errorf("genet: MAC address %v is not 6 bytes", cfg.MAC)
	}
	if major, minor := Version(cfg.Regs); major != revMajorV5 {
		return nil, fmt.Errorf("%w: revision %d.%d (want major %d)", ErrNotV5, major, minor, revMajorV5)
	}
	idModeDis := uint32(0)
	switch cfg.PHYMode {
	case "rgmii":
		idModeDis = oobIDModeDis
	case "rgmii-id", "rgmii-rxid", "rgmii-txid":
	default:
		return nil, fmt.Errorf("genet: phy-mode %q unsupported (want rgmii, rgmii-id, rgmii-rxid or rgmii-txid)", cfg.PHYMode)
	}
	rx, err := dma.NewPool(cfg.DMA, descCount, bufSize)
	if err != nil {
		return nil, fmt.Errorf("genet: receive buffers: %w", err)
	}
	tx, err := dma.NewPool(cfg.DMA, descCount, bufSize)
	if err != nil {
		return nil, fmt.Errorf("genet: transmit buffers: %w", err)
	}
	d := &Device{r: cfg.Regs, cfg: cfg, mac: append(net.HardwareAddr(nil), cfg.MAC...), rxBufs: rx, txBufs: tx}
	d.link.Store(&Link{})
	r := d.r

	r.Write(regIntrl2MaskSet, ^uint32(0)) // quiet while setting up
	r.Write(regIntrl2Clear, ^uint32(0))
	r.Write(regPortCtrl, portExtGPHY)
	r.Write(regRGMIIOOBCtrl, r.Read(regRGMIIOOBCtrl)&^oobIDModeDis|idModeDis)
	d.resetMAC()
	d.setAddress()
	d.stopDMA()
	d.initTx()
	d.initRx()
	r.Write(txBase+commonRegs+dmaCtrl, dmaCtrlEn|dmaRingEnQ)
	r.Write(rxBase+commonRegs+dmaCtrl, dmaCtrlEn|dmaRingEnQ)
	if err := d.startPHY(); err != nil {
		return nil, err
	}
	r.Write(regUMACCmd, r.Read(regUMACCmd)|cmdTxEn|cmdRxEn)
	// Only receiving interrupts: finished transmissions are collected by
	// Queue and Reclaim (a sender that finds the ring full retries).
	r.Write(regIntrl2MaskClear, irqRxDMADone)
	return d, nil
}

// Reset restarts the controller after an error stopped the driver: the
// UniMAC, filters and both rings as New sets them up, the link as the
// PHY last reported it. Frames in flight are lost.
func (d *Device) Reset() error {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	d.txMu.Lock()
	defer d.txMu.Unlock()
	r := d.r
	r.Write(regIntrl2MaskSet, ^uint32(0))
	r.Write(regIntrl2Clear, ^uint32(0))
	d.resetMAC()
	d.setAddress()
	d.stopDMA()
	d.initTx()
	d.initRx()
	d.inflight, d.queued = 0, 0
	r.Write(txBase+commonRegs+dmaCtrl, dmaCtrlEn|dmaRingEnQ)
	r.Write(rxBase+commonRegs+dmaCtrl, dmaCtrlEn|dmaRingEnQ)
	d.program(*d.link.Load())
	r.Write(regUMACCmd, r.Read(regUMACCmd)|cmdTxEn|cmdRxEn)
	r.Write(regIntrl2MaskClear, irqRxDMADone)
	d.err.Store(nil)
	d.Stats.Resets.Add(1)
	return nil
}

// resetMAC holds the receive buffer in reset, resets the UniMAC (in
// local loopback, so that no frame from the wire enters during the
// reset), clears its counters and sets the frame limits.
func (d *Device) resetMAC() {
	r := d.r
	v := r.Read(regRBufFlushCtrl)
	r.Write(regRBufFlushCtrl, v|rbufFlushRst)
	d.cfg.Delay(10 * time.Microsecond)
	r.Write(regRBufFlushCtrl, v&^rbufFlushRst)
	d.cfg.Delay(10 * time.Microsecond)
	r.Write(regRBufFlushCtrl, 0)
	r.Write(regUMACCmd, 0)
	r.Write(regUMACCmd, cmdSWReset|cmdLocalLoopback)
	d.cfg.Delay(10 * time.Microsecond)
	r.Write(regUMACCmd, 0)
	r.Write(regUMACMIBCtrl, mibResetAll)
	r.Write(regUMACMIBCtrl, 0)
	r.Write(regUMACMaxFrame, maxFrameLen)
	r.Write(regRBufCtrl, r.Read(regRBufCtrl)|rbuf64B|rbufAlign2)
	r.Write(regTBufCtrl, r.Read(regTBufCtrl)|rbuf64B)
	r.Write(regRBufSizeCtrl, 1)
}

// Filters lists the destination addresses the MAC accepts besides its
// own: broadcast, IPv6 all-nodes and the solicited-node group of
// addresses made from the MAC (link-local and SLAAC), IPv4 all-hosts.
func Filters(mac net.HardwareAddr) []net.HardwareAddr {
	return []net.HardwareAddr{
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		mac,
		{0x33, 0x33, 0, 0, 0, 1},
		{0x33, 0x33, 0xff, mac[3], mac[4], mac[5]},
		{0x01, 0x00, 0x5e, 0, 0, 1},
	}
}

// setAddress programs the unicast address and the destination filters
// (UMAC_MDF: filter i is enabled by bit 16-i).
func (d *Device) setAddress() {
	r, m := d.r, d.mac
	r.Write(regUMACMAC0, uint32(m[0])<<24|uint32(m[1])<<16|uint32(m[2])<<8|uint32(m[3]))
	r.Write(regUMACMAC1, uint32(m[4])<<8|uint32(m[5]))
	var enable uint32
	for i, a := range Filters(m) {
		r.Write(regMDFAddr0+8*uint32(i), uint32(a[0])<<8|uint32(a[1]))
		r.Write(regMDFAddr0+8*uint32(i)+4, uint32(a[2])<<24|uint32(a[3])<<16|uint32(a[4])<<8|uint32(a[5]))
		enable |= 1 << (mdfFilters - 1 - i)
	}
	r.Write(regMDFCtrl, enable)
	r.Write(regUMACCmd, r.Read(regUMACCmd)&^cmdPromisc)
}

// stopDMA turns both DMA engines off and flushes the transmit path.
func (d *Device) stopDMA() {
	r := d.r
	for _, base := range []uint32{txBase, rxBase} {
		r.Write(base+commonRegs+dmaCtrl, r.Read(base+commonRegs+dmaCtrl)&^(dmaCtrlEn|dmaRingEnQ))
	}
	r.Write(regUMACTxFlush, 1)
	d.cfg.Delay(10 * time.Microsecond)
	r.Write(regUMACTxFlush, 0)
}

// initTx sets up ring 16 of the transmit DMA over all 256 descriptors,
// each with its own buffer. The consumer index is the hardware's and
// cannot be reset: the producer index starts where it is.
func (d *Device) initTx() {
	r := d.r
	r.Write(txBase+commonRegs+dmaBurst, dmaBurstSize)
	r.Write(txRing(ringTxReadPtr), 0)
	r.Write(txRing(ringTxWritePtr), 0)
	r.Write(txRing(ringStartAddr), 0)
	r.Write(txRing(ringEndAddr), descCount*descSize/4-1)
	r.Write(txRing(ringBufSize), descCount<<16|bufSize)
	r.Write(txRing(ringTxMbufDone), 1)
	r.Write(txRing(ringTxFlowPeriod), 0)
	for i := range uint32(descCount) {
		a := d.txBufs.Addr(int(i), 0)
		r.Write(txDesc(i, descAddrLo), uint32(a))
		r.Write(txDesc(i, descAddrHi), uint32(a>>32))
		r.Write(txDesc(i, descStatus), 0)
	}
	d.txCons = uint16(r.Read(txRing(ringTxConsIndex)))
	d.txProd = d.txCons
	r.Write(txRing(ringTxProdIndex), uint32(d.txProd))
	r.Write(txBase+commonRegs+dmaRingCfg, dmaRingCfgQ)
}

// initRx sets up ring 16 of the receive DMA over all 256 descriptors and
// posts a buffer in each. The producer index is the hardware's: the
// consumer index starts where it is.
func (d *Device) initRx() {
	r := d.r
	r.Write(rxBase+commonRegs+dmaBurst, dmaBurstSize)
	r.Write(rxRing(ringRxWritePtr), 0)
	r.Write(rxRing(ringRxReadPtr), 0)
	r.Write(rxRing(ringStartAddr), 0)
	r.Write(rxRing(ringEndAddr), descCount*descSize/4-1)
	r.Write(rxRing(ringBufSize), descCount<<16|bufSize)
	r.Write(rxRing(ringRxXonXoff), 5<<16|descCount>>4)
	for i := range uint32(descCount) {
		a := d.rxBufs.Addr(int(i), 0)
		r.Write(rxDesc(i, descAddrLo), uint32(a))
		r.Write(rxDesc(i, descAddrHi), uint32(a>>32))
		r.Write(rxDesc(i, descStatus), bufSize<<descLenShift|descOwn)
	}
	d.rxCons = uint16(r.Read(rxRing(ringRxProdIndex)))
	r.Write(rxRing(ringRxConsIndex), uint32(d.rxCons))
	r.Write(rxBase+commonRegs+dmaRingCfg, dmaRingCfgQ)
}

// HardwareAddr is the MAC address.
func (d *Device) HardwareAddr() net.HardwareAddr { return d.mac }

// MTU is the largest IP packet.
func (d *Device) MTU() int { return MaxFrame - HeaderLen }

// Interrupt acknowledges INTRL2_0 and reports whether it had anything
// unmasked pending. A receive interrupt turns itself off until Rearm (one
// interrupt per burst of frames). Called in the interrupt handler: no
// allocation, no lock.
func (d *Device) Interrupt() bool {
	s := d.r.Read(regIntrl2Stat) &^ d.r.Read(regIntrl2MaskStat)
	if s == 0 {
		return false
	}
	if s&irqRxDMADone != 0 {
		d.r.Write(regIntrl2MaskSet, irqRxDMADone)
	}
	d.r.Write(regIntrl2Clear, s)
	d.Stats.Interrupts.Add(1)
	return true
}

// Warnings lists what New found odd but could work around.
func (d *Device) Warnings() []string {
	d.warnMu.Lock()
	defer d.warnMu.Unlock()
	return append([]string(nil), d.warnings...)
}

func (d *Device) warn(w string) {
	d.warnMu.Lock()
	d.warnings = append(d.warnings, "genet: "+w)
	d.warnMu.Unlock()
}

// Err is the device error that stopped the driver, if any.
func (d *Device) Err() error {
	if p := d.err.Load(); p != nil {
		return *p
	}
	return nil
}

// fail stops the driver: DMA, transmitter and receiver off.
func (d *Device) fail(err error) error {
	if d.err.CompareAndSwap(nil, &err) {
		d.r.Write(regIntrl2MaskSet, ^uint32(0))
		d.r.Write(regUMACCmd, d.r.Read(regUMACCmd)&^(cmdTxEn|cmdRxEn))
		d.stopDMA()
	}
	return d.Err()
}
