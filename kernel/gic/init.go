package gic

import (
	"sync/atomic"

	"github.com/yolkos/yolk/kernel/cpu"
)

// replicate puts b in every byte of a word, for registers with a byte per
// INTID written a word at a time.
func replicate(b uint8) uint32 { return uint32(b) * 0x01010101 }

// icfgr is the GICD_ICFGR/GICR_ICFGR word for the 16 INTIDs from first
// (a multiple of 16): Int_config[1] of each 2-bit field set for the
// INTIDs in edge, the rest level-sensitive (IHI 0048B 4.3.13; IHI 0069
// GICD_ICFGR).
func icfgr(edge []uint32, first uint32) uint32 {
	bits := edge[first/32] >> (first % 32) & 0xffff
	var w uint32
	for k := uint32(0); k < 16; k++ {
		if bits>>k&1 != 0 {
			w |= icfgrEdgeBit << (2 * k)
		}
	}
	return w
}

// waitClear polls the register at a until bit reads 0, for at most a
// second of the generic counter. Safe in handlers.
//
//go:nosplit
func waitClear(a uintptr, bit uint32) uint32 {
	if read32(a)&bit == 0 {
		return ok
	}
	end := cpu.Counter() + cpu.CounterFreq()
	for read32(a)&bit != 0 {
		if cpu.Counter() > end {
			return eTimeout
		}
	}
	return ok
}

// Init configures the Distributor, once, on the boot core, before any
// core's InitCPU: it is disabled; every SPI is put in this kernel's group
// (see Groups in the package documentation), disabled, cleared of
// pending and active state, given DefaultPriority, made level-sensitive
// (edge-triggered if SetTrigger said so) and routed to the calling core;
// then the Distributor is enabled for the group. A GICv3 gets affinity
// routing (GICD_CTLR.ARE) first, as the Redistributors and the System
// register CPU interface need it.
//
// Init also records a failure for Err.
func (c *Controller) Init() error {
	var code uint32
	if c.version == 3 {
		code = c.initDistV3(cpu.MPIDR())
	} else {
		var w [8]uint32
		for i := range w {
			w[i] = read32(c.dist + gicdITARGETSR + uintptr(i)*4)
		}
		code = c.initDistV2(cpuMask(w))
	}
	return errs[c.fail(code)]
}

// configureSPIs writes the per-INTID registers common to both versions
// for every SPI; group is the IGROUPR word (0 or all ones).
func (c *Controller) configureSPIs(group uint32) {
	for i := uint32(FirstSPI); i < c.lines; i += 32 {
		o := uintptr(i / 8)
		write32(c.dist+gicdIGROUPR+o, group)
		write32(c.dist+gicdICENABLER+o, ^uint32(0))
		write32(c.dist+gicdICPENDR+o, ^uint32(0))
		write32(c.dist+gicdICACTIVER+o, ^uint32(0))
	}
	for i := uint32(FirstSPI); i < c.lines; i += 4 {
		write32(c.dist+gicdIPRIORITYR+uintptr(i), replicate(DefaultPriority))
	}
	was := c.acquire()
	for i := uint32(FirstSPI); i < c.lines; i += 16 {
		write32(c.dist+gicdICFGR+uintptr(i/4), icfgr(c.edge[:], i))
	}
	c.release(was)
}

// initDistV2 is Init for a GICv2 (IHI 0048B 4.3), with the calling
// core's CPU interface mask.
func (c *Controller) initDistV2(mask uint8) uint32 {
	write32(c.dist+gicdCTLR, 0)
	typer := read32(c.dist + gicdTYPER)
	c.lines = numINTIDs(typer)
	c.secExt = typer&typerSecExt != 0
	// Group 0: the group GICC_IAR acknowledges without the Security
	// Extensions; with them the Non-secure view ignores the write.
	c.configureSPIs(0)
	// GICD_ITARGETSR: a uniprocessor GIC has them RAZ/WI (mask 0).
	for i := uint32(FirstSPI); i < c.lines; i += 4 {
		write32(c.dist+gicdITARGETSR+uintptr(i), replicate(mask))
	}
	write32(c.dist+gicdCTLR, v2CTLREnable)
	return ok
}

// initDistV3 is Init for a GICv3 (IHI 0069 12.9), with the calling
// core's MPIDR_EL1.
func (c *Controller) initDistV3(mpidr uint64) uint32 {
	ctlr := c.dist + gicdCTLR
	write32(ctlr, 0)
	if e := waitClear(ctlr, v3CTLRRWP); e != ok {
		return e
	}
	typer := read32(c.dist + gicdTYPER)
	c.lines = numINTIDs(typer)
	c.secExt = typer&typerSecExt != 0
	// ARE may only change while the groups are disabled; it is RAO/WI
	// where legacy operation is not implemented.
	write32(ctlr, v3CTLRARE)
	if e := waitClear(ctlr, v3CTLRRWP); e != ok {
		return e
	}
	c.configureSPIs(^uint32(0)) // Group 1 (Non-secure Group 1 with two Security states)
	if e := waitClear(ctlr, v3CTLRRWP); e != ok {
		return e
	}
	route := irouter(mpidr)
	for i := uint32(FirstSPI); i < c.lines; i++ {
		write64(c.dist+gicdIROUTER+uintptr(i)*8, route)
	}
	grp1 := uint32(v3CTLRGrp1DS)
	if c.secExt {
		grp1 = v3CTLRGrp1NS
	}
	write32(ctlr, v3CTLRARE|grp1)
	return waitClear(ctlr, v3CTLRRWP)
}

// InitCPU configures the calling core's side of the GIC, on every core
// after Init: its SGIs and PPIs are put in the group, disabled, cleared,
// given DefaultPriority and (PPIs) made level-sensitive unless SetTrigger
// said otherwise; its CPU interface is set to let every priority through
// and enabled, with EOI both dropping the priority and deactivating. On a
// GICv3 it first wakes the core's Redistributor and enables the System
// register interface. It records what SendSGI and RouteSPI need to
// target this core; on failure Online(core) stays false and Err says
// why. It neither allocates nor stores pointers: secondary cores run it
// on their handler g.
func (c *Controller) InitCPU() {
	s := c.core(cpu.Index())
	switch {
	case s == nil:
		c.fail(eBadCore)
	case c.lines == 0:
		c.fail(eNotInitialized)
	case c.version == 3:
		c.fail(c.initCPUV3(s))
	default:
		c.fail(c.initCPUV2(s))
	}
}

// initCPUV2: IHI 0048B 4.3 (the banked GICD registers of INTIDs 0..31)
// and 4.4 (GICC).
func (c *Controller) initCPUV2(s *coreState) uint32 {
	var w [8]uint32
	for i := range w {
		w[i] = read32(c.dist + gicdITARGETSR + uintptr(i)*4)
	}
	c.configurePrivate(c.dist, c.dist+gicdICFGR+4, 0)
	write32(c.cpuif+giccPMR, 0xff) // every priority but the lowest passes
	write32(c.cpuif+giccBPR, 0)    // the implementation's minimum: no subpriority
	write32(c.cpuif+giccCTLR, v2CTLREnable)
	s.mask = uint32(cpuMask(w))
	atomic.StoreUint32(&s.online, 1)
	return ok
}

// configurePrivate sets up INTIDs 0..31 in a register block with the
// GICD layout (the banked GICD registers on v2, SGI_base on v3).
func (c *Controller) configurePrivate(base, icfgr1 uintptr, group uint32) {
	write32(base+gicdIGROUPR, group)
	write32(base+gicdICENABLER, ^uint32(0))
	write32(base+gicdICPENDR, ^uint32(0))
	write32(base+gicdICACTIVER, ^uint32(0))
	for i := uintptr(0); i < FirstSPI; i += 4 {
		write32(base+gicdIPRIORITYR+i, replicate(DefaultPriority))
	}
	was := c.acquire()
	write32(icfgr1, icfgr(c.edge[:], NumSGIs))
	c.release(was)
}

// initCPUV3: IHI 0069 12.10, 12.11 (GICR) and 12.2 (ICC_*_EL1).
func (c *Controller) initCPUV3(s *coreState) uint32 {
	if !cpu.HasGICv3SysRegs() {
		return eNoSysRegs
	}
	// The System register interface must be on before any other ICC_*
	// access; DFB and DIB keep the legacy bypass signals out.
	writeSRE(readSRE() | sreSRE | sreDFB | sreDIB)
	if readSRE()&sreSRE == 0 {
		return eSREDisabled
	}
	mpidr := cpu.MPIDR()
	rd, found := c.findRedist(affinityOf(mpidr))
	if !found {
		return eNoRedist
	}
	// GICR_WAKER: the PE is awake once ChildrenAsleep reads 0.
	write32(rd+gicrWAKER, read32(rd+gicrWAKER)&^gicrWAKERSleep)
	if e := waitClear(rd+gicrWAKER, gicrWAKERChildSleeps); e != ok {
		return e
	}
	c.configurePrivate(rd+frameSize, rd+gicrICFGR0+4, ^uint32(0))
	if e := waitClear(rd+gicrCTLR, gicrCTLRRWP); e != ok {
		return e
	}
	writePMR(0xff)
	writeBPR1(0)
	ctlr := readCTLR()
	writeCTLR(ctlr &^ (ctlrEOImode | ctlrCBPR))
	writeIGRPEN1(1)
	s.mpidr = mpidr
	s.rd = rd
	s.rss = 0
	if ctlr&ctlrRSS != 0 {
		s.rss = 1
	}
	atomic.StoreUint32(&s.online, 1)
	return ok
}

// findRedist walks the Redistributor regions for the frame whose
// GICR_TYPER.Affinity_Value is aff. Each Redistributor is two 64 KiB
// frames, four on a GICv4 with GICR_TYPER.VLPIS; the last one of a region
// has GICR_TYPER.Last set.
func (c *Controller) findRedist(aff uint32) (uintptr, bool) {
	for _, r := range c.redist {
		for off := uint64(0); off+2*frameSize <= r.Size; {
			a := uintptr(r.Base + off)
			typer := read64(a + gicrTYPER)
			if uint32(typer>>32) == aff {
				return a, true
			}
			if typer&gicrTYPERLast != 0 {
				break
			}
			if typer&gicrTYPERVLPIS != 0 {
				off += 4 * frameSize
			} else {
				off += 2 * frameSize
			}
		}
	}
	return 0, false
}

// acquire and release guard the read-modify-write of the trigger
// configuration (c.edge and GICD_ICFGR), with IRQs masked on this core
// meanwhile so a handler here cannot deadlock on it.
//
//go:nosplit
func (c *Controller) acquire() bool {
	was := irqOff()
	for !atomic.CompareAndSwapUint32(&c.lock, 0, 1) {
	}
	return was
}

//go:nosplit
func (c *Controller) release(irqWasOn bool) {
	atomic.StoreUint32(&c.lock, 0)
	irqRestore(irqWasOn)
}
