package gic

// Register offsets and fields, from the GIC architecture specifications:
// IHI 0048B (GICv2) chapter 4, "Programmers' Model", and IHI 0069 (GICv3
// and GICv4) chapter 12, "Programmers' Model". Sections are cited by
// register name.

// Distributor (GICD), both versions unless marked.
const (
	gicdCTLR       = 0x0000 // control
	gicdTYPER      = 0x0004 // type: ITLinesNumber [4:0], SecurityExtn [10]
	gicdIGROUPR    = 0x0080 // group, 1 bit per INTID
	gicdISENABLER  = 0x0100 // set-enable, 1 bit per INTID
	gicdICENABLER  = 0x0180 // clear-enable
	gicdISPENDR    = 0x0200 // set-pending
	gicdICPENDR    = 0x0280 // clear-pending
	gicdICACTIVER  = 0x0380 // clear-active
	gicdIPRIORITYR = 0x0400 // priority, 1 byte per INTID (byte-accessible)
	gicdITARGETSR  = 0x0800 // v2: CPU targets, 1 byte per INTID (byte-accessible)
	gicdICFGR      = 0x0c00 // configuration, 2 bits per INTID
	gicdSGIR       = 0x0f00 // v2: software generated interrupts
	gicdIROUTER    = 0x6000 // v3: 64-bit routing per SPI, at 0x6000 + 8*INTID
)

const (
	typerITLines = 0x1f    // GICD_TYPER.ITLinesNumber: 32*(N+1) INTIDs
	typerSecExt  = 1 << 10 // GICD_TYPER.SecurityExtn: two Security states

	// GICv2 GICD_CTLR, and GICC_CTLR: bit 0 enables the group this view
	// of the GIC acknowledges through GICC_IAR: Group 0 without the
	// Security Extensions, Group 1 in the Non-secure view with them
	// (IHI 0048B 4.3.1 GICD_CTLR, 4.4.1 GICC_CTLR).
	v2CTLREnable = 1 << 0

	// GICv3 GICD_CTLR (IHI 0069, GICD_CTLR). With GICD_CTLR.DS == 1 (one
	// Security state; GICD_TYPER.SecurityExtn == 0): EnableGrp0 [0],
	// EnableGrp1 [1], ARE [4]. The Non-secure view when DS == 0:
	// EnableGrp1 [0] (Non-secure Group 1), EnableGrp1A [1], ARE_NS [4].
	// RWP [31] in both.
	v3CTLRGrp1DS = 1 << 1
	v3CTLRGrp1NS = 1 << 0
	v3CTLRARE    = 1 << 4
	v3CTLRRWP    = 1 << 31
	iroutermIRM  = 1 << 31 // GICD_IROUTER.Interrupt_Routing_Mode: any PE
	sgirSelf     = 2 << 24 // GICD_SGIR.TargetListFilter: the requesting CPU only
	sgirOthers   = 1 << 24 // GICD_SGIR.TargetListFilter: all CPUs but the requester
	icfgrEdgeBit = 2       // GICD_ICFGR Int_config[1]: 1 edge, 0 level
)

// GICv2 CPU interface (GICC), IHI 0048B 4.4.
const (
	giccCTLR = 0x0000
	giccPMR  = 0x0004 // priority mask
	giccBPR  = 0x0008 // binary point
	giccIAR  = 0x000c // interrupt acknowledge: INTID [9:0], CPUID [12:10] of an SGI's source
	giccEOIR = 0x0010 // end of interrupt: the value read from GICC_IAR
)

// GICv3 Redistributor (GICR), IHI 0069 12.10 and 12.11: each PE's
// Redistributor is an RD_base frame (control, LPIs) followed by an
// SGI_base frame (SGIs and PPIs), 64 KiB each; GICv4 adds two more frames
// (VLPI_base and a reserved one) when GICR_TYPER.VLPIS is set.
const (
	frameSize = 0x10000

	gicrCTLR  = 0x0000 // RD_base: RWP [3]
	gicrTYPER = 0x0008 // RD_base, 64-bit: Affinity_Value [63:32], Last [4], VLPIS [1]
	gicrWAKER = 0x0014 // RD_base: ProcessorSleep [1], ChildrenAsleep [2]

	// SGI_base registers: the GICD_* layout for INTIDs 0..31.
	gicrIGROUPR0    = frameSize + 0x0080
	gicrISENABLER0  = frameSize + 0x0100
	gicrICENABLER0  = frameSize + 0x0180
	gicrISPENDR0    = frameSize + 0x0200
	gicrICPENDR0    = frameSize + 0x0280
	gicrICACTIVER0  = frameSize + 0x0380
	gicrIPRIORITYR0 = frameSize + 0x0400
	gicrICFGR0      = frameSize + 0x0c00

	gicrCTLRRWP          = 1 << 3
	gicrTYPERLast        = 1 << 4
	gicrTYPERVLPIS       = 1 << 1
	gicrWAKERSleep       = 1 << 1
	gicrWAKERChildSleeps = 1 << 2
)

// GICv3 CPU interface System register fields (IHI 0069 12.2).
const (
	sreSRE = 1 << 0 // ICC_SRE_EL1.SRE: use the System register interface
	sreDFB = 1 << 1 // ICC_SRE_EL1.DFB: disable FIQ bypass
	sreDIB = 1 << 2 // ICC_SRE_EL1.DIB: disable IRQ bypass

	ctlrCBPR    = 1 << 0  // ICC_CTLR_EL1.CBPR: one binary point for both groups
	ctlrEOImode = 1 << 1  // ICC_CTLR_EL1.EOImode: 0 = EOIR also deactivates
	ctlrRSS     = 1 << 18 // ICC_CTLR_EL1.RSS: SGI targets with Aff0 16..255

	sgi1rIRM = 1 << 40 // ICC_SGI1R_EL1.IRM: all PEs but this one
)

// Interrupt ID ranges (IHI 0069 2.2, "INTIDs"; IHI 0048B 2.2.1).
const (
	// NumSGIs software-generated interrupts, INTIDs 0..15.
	NumSGIs = 16
	// FirstSPI is the first shared peripheral interrupt; INTIDs 16..31
	// are the private peripheral interrupts (PPIs).
	FirstSPI = 32
	// MaxINTID bounds the INTIDs this package configures and dispatches
	// by number: 1020..1023 are special (1023: no pending interrupt).
	MaxINTID = 1020
	// SpuriousINTID is what acknowledging returns when no interrupt is
	// pending for this core.
	SpuriousINTID = 1023
)

// irouter is the GICD_IROUTER<n> value that routes an SPI to the PE with
// the given MPIDR_EL1 (IHI 0069, GICD_IROUTER: Aff3 [39:32], IRM [31] = 0,
// Aff2 [23:16], Aff1 [15:8], Aff0 [7:0], at the same positions as in
// MPIDR_EL1; the MT and U bits and bit 31 of MPIDR_EL1 are dropped).
func irouter(mpidr uint64) uint64 {
	return mpidr & 0xff_00ff_ffff
}

// sgi1r is the ICC_SGI1R_EL1 value that sends SGI intid to the one PE
// with the given MPIDR_EL1 (IHI 0069, ICC_SGI1R_EL1): TargetList [15:0]
// is a bit per Aff0 value within the range RS [47:44] selects (Aff0 =
// RS*16 + bit), Aff1 [23:16], INTID [27:24], Aff2 [39:32], IRM [40] = 0,
// Aff3 [55:48]. reachable is false when Aff0 is above 15 and the CPU interface
// cannot address such PEs (rss, ICC_CTLR_EL1.RSS, is 0).
func sgi1r(mpidr uint64, intid uint32, rss bool) (v uint64, reachable bool) {
	aff0 := mpidr & 0xff
	aff1 := mpidr >> 8 & 0xff
	aff2 := mpidr >> 16 & 0xff
	aff3 := mpidr >> 32 & 0xff
	if aff0 >= 16 && !rss {
		return 0, false
	}
	v = 1<<(aff0&15) | aff1<<16 | uint64(intid&0xf)<<24 | aff2<<32 | (aff0>>4)<<44 | aff3<<48
	return v, true
}

// sgi1rOthers is the ICC_SGI1R_EL1 value that sends SGI intid to every
// PE but the sender (IRM = 1; the target fields are then ignored).
func sgi1rOthers(intid uint32) uint64 {
	return sgi1rIRM | uint64(intid&0xf)<<24
}

// sgir is the GICv2 GICD_SGIR value for SGI intid (IHI 0048B 4.3.15):
// SGIINTID [3:0], NSATT [15] = 0, CPUTargetList [23:16] (a bit per CPU
// interface), TargetListFilter [25:24] (0: the list, 1: all but the
// requester, 2: the requester only).
func sgir(filter uint32, targets uint8, intid uint32) uint32 {
	return filter | uint32(targets)<<16 | intid&0xf
}

// affinityOf packs the affinity fields of an MPIDR_EL1 value as
// GICR_TYPER.Affinity_Value holds them: Aff3:Aff2:Aff1:Aff0.
func affinityOf(mpidr uint64) uint32 {
	return uint32(mpidr&0xff_ffff | (mpidr>>32&0xff)<<24)
}

// numINTIDs is how many INTIDs a distributor implements, from
// GICD_TYPER.ITLinesNumber: 32*(N+1), at most 1020 (IHI 0048B 4.3.2,
// IHI 0069 GICD_TYPER).
func numINTIDs(typer uint32) uint32 {
	return min(32*(typer&typerITLines+1), MaxINTID)
}

// cpuMask is the CPU interface mask of the GICv2 CPU that reads its
// banked GICD_ITARGETSR0..7: each byte holds the reader's own interface
// bit (IHI 0048B 4.3.12), or 0 where a PPI is not implemented; on a
// uniprocessor GIC they are all 0.
func cpuMask(words [8]uint32) uint8 {
	var m uint32
	for _, w := range words {
		m |= w | w>>8 | w>>16 | w>>24
	}
	return uint8(m)
}
