package genet

// The GENET v5 register map, offsets from the block's base (the device
// tree's ethernet@7d580000, 0xfd580000 on the ARM). Broadcom publishes no
// manual; these facts are read from the drivers that document the block:
// FreeBSD's sys/arm64/broadcom/genet (if_genetreg.h), U-Boot's
// drivers/net/bcmgenet.c and Linux's drivers/net/ethernet/broadcom/genet.

// System block (SYS), 0x000.
const (
	regRevCtrl       = 0x000 // major [27:24] (6 = GENET v5), minor [19:16], PHY revision [15:0]
	regPortCtrl      = 0x004 // port mode
	regRBufFlushCtrl = 0x008 // bit 1: hold the receive buffer in reset
	regTBufFlushCtrl = 0x00c

	revMajorShift = 24
	revMajorV5    = 6
	portExtGPHY   = 3 // an external gigabit PHY over RGMII
	rbufFlushRst  = 1 << 1
)

// Extension block (EXT), 0x080.
const (
	regRGMIIOOBCtrl = 0x08c

	oobRGMIILink = 1 << 4  // the MAC is told the link is up
	oobDisable   = 1 << 5  // out-of-band (in-band status) signalling off
	oobRGMIIMode = 1 << 6  // RGMII rather than MII
	oobIDModeDis = 1 << 16 // no transmit clock delay in the MAC ("rgmii")
)

// Level-2 interrupt controller 0 (INTRL2_0), 0x200: the default ring's
// DMA, MDIO and link events. INTRL2_1 (0x240) has the priority rings,
// which yolk does not use.
const (
	regIntrl2Stat      = 0x200 // pending (before masking)
	regIntrl2Set       = 0x204
	regIntrl2Clear     = 0x208 // write 1 to clear
	regIntrl2MaskStat  = 0x20c // 1 = masked
	regIntrl2MaskSet   = 0x210
	regIntrl2MaskClear = 0x214

	irqRxDMADone = 1 << 13 // the default ring received buffers (MBDONE, per DMA_MBUF_DONE_THRESH)
	irqTxDMADone = 1 << 16 // the default ring sent buffers
	irqMDIODone  = 1 << 23
	irqMDIOError = 1 << 24
)

// Receive and transmit buffers (RBUF, TBUF).
const (
	regRBufCtrl     = 0x300
	regRBufSizeCtrl = 0x3b4 // RBUF_TBUF_SIZE_CTRL
	regTBufCtrl     = 0x600

	rbuf64B    = 1 << 0 // a 64-byte status block before each frame (RBUF_CTRL and TBUF_CTRL)
	rbufAlign2 = 1 << 1 // two bytes before each received frame, so that its IP header is 4-aligned

	// statusBlock is the 64-byte block before each frame in a buffer:
	// on receive the controller writes the frame's length/status word
	// (the descriptor's) first and its checksum result at 8; on
	// transmit it reads the checksum offload request at 48 (zero: none).
	statusBlock = 64

	// The transmit status block's checksum request (at txCsumInfo):
	// valid [31], where the sum starts [30:16], where it goes [14:0]
	// (both from the frame's first byte), UDP [15].
	txCsumInfo       = 48
	txCsumValid      = 1 << 31
	txCsumStartShift = 16
	txCsumUDP        = 1 << 15
)

// UniMAC, 0x800.
const (
	regUMACCmd       = 0x808
	regUMACMAC0      = 0x80c // address bytes 0-3, byte 0 in [31:24]
	regUMACMAC1      = 0x810 // address bytes 4-5, byte 4 in [15:8]
	regUMACMaxFrame  = 0x814
	regUMACTxFlush   = 0xb34
	regUMACMIBCtrl   = 0xd80
	regMDIOCmd       = 0xe14
	regMDFCtrl       = 0xe50 // one enable bit per filter: filter i is bit 16-i
	regMDFAddr0      = 0xe54 // filter i: 0xe54 + 8i bytes 0-1 in [15:0], 0xe58 + 8i bytes 2-5
	mdfFilters       = 17
	cmdTxEn          = 1 << 0
	cmdRxEn          = 1 << 1
	cmdSpeedShift    = 2 // [3:2]: 0 10, 1 100, 2 1000 Mb/s
	cmdSpeedMask     = 3 << cmdSpeedShift
	cmdPromisc       = 1 << 4
	cmdHalfDuplex    = 1 << 10
	cmdSWReset       = 1 << 13
	cmdLocalLoopback = 1 << 15
	mibResetAll      = 1<<0 | 1<<1 | 1<<2 // RX, runt, TX counters

	// MaxFrameLen is what the MAC accepts, FCS and a VLAN tag included.
	maxFrameLen = 1536
)

// MDIO command register (UniMAC MDIO at 0xe14).
const (
	mdioStartBusy = 1 << 29
	mdioReadFail  = 1 << 28
	mdioRead      = 1 << 27
	mdioWrite     = 1 << 26
	mdioPHYShift  = 21 // [25:21]
	mdioRegShift  = 16 // [20:16]
	mdioDataMask  = 0xffff
)

// DMA. 256 descriptors for each direction live in the register block
// itself (three words each: length/status, address low, address high),
// followed by the per-ring registers of rings 0-16 (0x40 each) and the
// common ones. Ring 16 is the default queue; yolk gives it all 256
// descriptors.
const (
	rxBase = 0x2000
	txBase = 0x4000

	descCount    = 256
	descSize     = 12
	descStatus   = 0
	descAddrLo   = 4
	descAddrHi   = 8
	ringRegs     = 0xc00 // from rxBase/txBase: ring q at ringRegs + 0x40*q
	ringSize     = 0x40
	commonRegs   = 0x1040 // from rxBase/txBase
	defaultRing  = 16
	indexMask    = 0xffff // producer and consumer indices count modulo 2^16
	dmaBurstSize = 8      // SCB burst, in 64-bit words
)

// Per-ring registers (offsets within a ring's 0x40). The receive ring's
// producer index and the transmit ring's consumer index are the
// hardware's; writes to them are ignored.
const (
	ringRxWritePtr   = 0x00
	ringRxProdIndex  = 0x08
	ringRxConsIndex  = 0x0c
	ringRxXonXoff    = 0x28 // low threshold [31:16], high [15:0]
	ringRxReadPtr    = 0x2c
	ringTxReadPtr    = 0x00
	ringTxConsIndex  = 0x08
	ringTxProdIndex  = 0x0c
	ringBufSize      = 0x10 // descriptors [31:16], buffer length [15:0]
	ringStartAddr    = 0x14 // first descriptor, in words from the descriptor base
	ringEndAddr      = 0x1c // last word of the last descriptor
	ringTxMbufDone   = 0x24 // interrupt after this many buffers
	ringTxFlowPeriod = 0x28
	ringTxWritePtr   = 0x2c
)

// Common DMA registers (offsets from commonRegs).
const (
	dmaRingCfg  = 0x00 // one enable bit per ring
	dmaCtrl     = 0x04 // bit 0 DMA enable, bit q+1 ring q's buffers enabled
	dmaStatus   = 0x08
	dmaBurst    = 0x0c
	dmaCtrlEn   = 1 << 0
	dmaRingEnQ  = 1 << (defaultRing + 1)
	dmaRingCfgQ = 1 << defaultRing
)

// Descriptor length/status word.
const (
	descLenShift = 16    // [27:16] buffer length
	descLenMask  = 0xfff // 12 bits
	descOwn      = 1 << 15
	descEOP      = 1 << 14
	descSOP      = 1 << 13
	txQTag       = 0x3f << 7 // [12:7], all ones as the drivers write it
	txAppendCRC  = 1 << 6
	txDoCsum     = 1 << 4

	// Receive error bits: overrun, CRC error, receive error, no buffer,
	// too long.
	rxOverrun = 1 << 0
	rxCRCErr  = 1 << 1
	rxRxErr   = 1 << 2
	rxNoBuf   = 1 << 3
	rxTooLong = 1 << 4
	rxErrors  = rxOverrun | rxCRCErr | rxRxErr | rxNoBuf | rxTooLong
)

func rxRing(r uint32) uint32    { return rxBase + ringRegs + ringSize*defaultRing + r }
func txRing(r uint32) uint32    { return txBase + ringRegs + ringSize*defaultRing + r }
func rxDesc(i, w uint32) uint32 { return rxBase + descSize*i + w }
func txDesc(i, w uint32) uint32 { return txBase + descSize*i + w }
