package gic

import "github.com/yolkos/yolk/kernel/cpu"

// Per-INTID operations. SGIs and PPIs (INTIDs 0..31) are per core: the
// operations act on the calling core's copy, in the Distributor's banked
// registers on a GICv2 and in the core's Redistributor (SGI_base frame,
// laid out like the GICD registers) on a GICv3; the calling core must have
// run InitCPU. SPIs are configured at the Distributor. A misuse records
// its error for Err (see Errors) and changes nothing. All of them are
// safe in interrupt handlers except SetTrigger.

// block returns the register block that configures intid for the calling
// core, and the register whose RWP bit says a disable has taken effect
// (0 on a GICv2, which has none).
//
//go:nosplit
func (c *Controller) block(intid uint32) (base, rwpReg uintptr, rwpBit, code uint32) {
	switch {
	case c.lines == 0:
		return 0, 0, 0, eNotInitialized
	case intid < FirstSPI:
		s := c.self()
		if s == nil {
			return 0, 0, 0, eCoreOffline
		}
		if c.version == 3 {
			return s.rd + frameSize, s.rd + gicrCTLR, gicrCTLRRWP, ok
		}
		return c.dist, 0, 0, ok
	case intid < c.lines:
		if c.version == 3 {
			return c.dist, c.dist + gicdCTLR, v3CTLRRWP, ok
		}
		return c.dist, 0, 0, ok
	}
	return 0, 0, 0, eBadINTID
}

// Enable lets intid be signalled.
//
//go:nosplit
func (c *Controller) Enable(intid uint32) {
	base, _, _, code := c.block(intid)
	if c.fail(code) != ok {
		return
	}
	a, b := bitReg(base+gicdISENABLER, intid)
	write32(a, b)
}

// Disable stops intid from being signalled; on a GICv3 it returns once
// the Distributor or Redistributor reports that the disable has taken
// effect (RWP). An interrupt already acknowledged is still ended normally;
// one that was pending stays pending, and is signalled when enabled again.
//
//go:nosplit
func (c *Controller) Disable(intid uint32) {
	c.fail(c.disable(intid))
}

//go:nosplit
func (c *Controller) disable(intid uint32) uint32 {
	base, rwp, bit, code := c.block(intid)
	if code != ok {
		return code
	}
	a, b := bitReg(base+gicdICENABLER, intid)
	write32(a, b)
	if rwp != 0 {
		return waitClear(rwp, bit)
	}
	return ok
}

// Enabled reports whether intid is enabled.
//
//go:nosplit
func (c *Controller) Enabled(intid uint32) bool {
	base, _, _, code := c.block(intid)
	if code != ok {
		return false
	}
	a, b := bitReg(base+gicdISENABLER, intid)
	return read32(a)&b != 0
}

// SetPriority sets intid's priority: lower is more urgent, and only
// priorities below 0xff pass the CPU interface's mask. A GIC implements
// at least the top 4 bits (16 levels) and ignores the others, so
// priorities should differ there.
//
//go:nosplit
func (c *Controller) SetPriority(intid uint32, prio uint8) {
	base, _, _, code := c.block(intid)
	if c.fail(code) != ok {
		return
	}
	write8(base+gicdIPRIORITYR+uintptr(intid), prio)
}

// SetPending makes intid pending as if its source had signalled it: an
// SPI or PPI that nothing drives can serve as a software interrupt. SGIs
// are sent with SendSGI.
//
//go:nosplit
func (c *Controller) SetPending(intid uint32) {
	c.pend(intid, gicdISPENDR)
}

// ClearPending removes intid's pending state.
//
//go:nosplit
func (c *Controller) ClearPending(intid uint32) {
	c.pend(intid, gicdICPENDR)
}

//go:nosplit
func (c *Controller) pend(intid uint32, reg uintptr) {
	if intid < NumSGIs {
		c.fail(eBadINTID)
		return
	}
	base, _, _, code := c.block(intid)
	if c.fail(code) != ok {
		return
	}
	a, b := bitReg(base+reg, intid)
	write32(a, b)
}

// SetTrigger makes intid edge-triggered or level-sensitive. SGIs are
// always edge-triggered; whether a PPI's trigger can be changed is up to
// the implementation (the write is then ignored). The interrupt is
// disabled while its configuration changes, as the architecture requires
// (IHI 0048B 4.3.13; IHI 0069 GICD_ICFGR), and enabled again if it was.
// The setting is also recorded: called before Init it takes effect in
// Init (SPIs) and InitCPU (PPIs, on every core that runs InitCPU later).
// Not safe in handlers (it takes a spin lock that a goroutine may hold).
func (c *Controller) SetTrigger(intid uint32, edge bool) {
	c.fail(c.setTrigger(intid, edge))
}

func (c *Controller) setTrigger(intid uint32, edge bool) uint32 {
	if intid < NumSGIs {
		if edge {
			return ok
		}
		return eBadINTID
	}
	if intid >= MaxINTID || (c.lines != 0 && intid >= c.lines) {
		return eBadINTID
	}
	was := c.acquire()
	defer c.release(was)
	word, bit := &c.edge[intid/32], uint32(1)<<(intid%32)
	if edge {
		*word |= bit
	} else {
		*word &^= bit
	}
	if c.lines == 0 || (intid < FirstSPI && c.self() == nil) {
		return ok // recorded for Init or InitCPU
	}
	base, _, _, code := c.block(intid)
	if code != ok {
		return code
	}
	on := c.Enabled(intid)
	if on {
		if code := c.disable(intid); code != ok {
			return code
		}
	}
	first := intid &^ 15
	write32(base+gicdICFGR+uintptr(first/4), icfgr(c.edge[:], first))
	if on {
		c.Enable(intid)
	}
	return ok
}

// RouteSPI sends SPI intid to core, which must have run InitCPU.
//
//go:nosplit
func (c *Controller) RouteSPI(intid uint32, core int) {
	c.fail(c.route(intid, core))
}

//go:nosplit
func (c *Controller) route(intid uint32, core int) uint32 {
	if c.lines == 0 {
		return eNotInitialized
	}
	if intid < FirstSPI || intid >= c.lines {
		return eBadINTID
	}
	if c.core(core) == nil {
		return eBadCore
	}
	t := c.online(core)
	if t == nil {
		return eCoreOffline
	}
	if c.version == 3 {
		write64(c.dist+gicdIROUTER+uintptr(intid)*8, irouter(t.mpidr))
		return ok
	}
	// A uniprocessor GICv2 has no targets to set (mask 0, RAZ/WI).
	if t.mask != 0 {
		write8(c.dist+gicdITARGETSR+uintptr(intid), uint8(t.mask))
	}
	return ok
}

// SendSGI sends SGI intid (0..15) to core, which must have run InitCPU,
// as must the caller on a GICv3. The caller's earlier memory accesses
// are complete before the SGI is sent (DSB), so the receiving core sees
// what was written before it.
//
//go:nosplit
func (c *Controller) SendSGI(intid uint32, core int) {
	c.fail(c.sendSGI(intid, core))
}

//go:nosplit
func (c *Controller) sendSGI(intid uint32, core int) uint32 {
	if intid >= NumSGIs {
		return eBadINTID
	}
	if c.core(core) == nil {
		return eBadCore
	}
	if c.version == 3 {
		me, t := c.self(), c.online(core)
		if me == nil || t == nil {
			return eCoreOffline
		}
		v, reachable := sgi1r(t.mpidr, intid, me.rss != 0)
		if !reachable {
			return eUnreachable
		}
		writeSGI1R(v)
		return ok
	}
	var v uint32
	if core == cpu.Index() {
		v = sgir(sgirSelf, 0, intid)
	} else {
		t := c.online(core)
		if t == nil || t.mask == 0 {
			return eCoreOffline
		}
		v = sgir(0, uint8(t.mask), intid)
	}
	dsb()
	write32(c.dist+gicdSGIR, v)
	return ok
}

// SendSGIOthers sends SGI intid to every core but the caller, as SendSGI
// does; the GIC delivers it to the cores whose CPU interface is enabled.
//
//go:nosplit
func (c *Controller) SendSGIOthers(intid uint32) {
	if intid >= NumSGIs {
		c.fail(eBadINTID)
		return
	}
	if c.version == 3 {
		writeSGI1R(sgi1rOthers(intid))
		return
	}
	dsb()
	write32(c.dist+gicdSGIR, sgir(sgirOthers, 0, intid))
}
