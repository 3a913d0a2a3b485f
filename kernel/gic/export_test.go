package gic

import "github.com/yolkos/yolk/kernel/cpu"

// EnableBits reads the set-enable registers as the calling core sees
// them, without needing Init or InitCPU: word 0 (SGIs and PPIs) from the
// banked Distributor register (v2) or this core's Redistributor (v3), the
// others from the Distributor. The QEMU tests use it to put back what the
// board had enabled before they re-initialised the GIC.
func (c *Controller) EnableBits() []uint32 {
	n := (numINTIDs(read32(c.dist+gicdTYPER)) + 31) / 32
	w := make([]uint32, n)
	private := c.dist
	if c.version == 3 {
		rd, found := c.findRedist(affinityOf(cpu.MPIDR()))
		if !found {
			return nil
		}
		private = rd + frameSize
	}
	w[0] = read32(private + gicdISENABLER)
	for i := uintptr(1); i < uintptr(n); i++ {
		w[i] = read32(c.dist + gicdISENABLER + 4*i)
	}
	return w
}

// SetEnableBits enables what EnableBits reported, after InitCPU.
func (c *Controller) SetEnableBits(w []uint32) {
	s := c.self()
	if s == nil || len(w) == 0 {
		return
	}
	private := c.dist
	if c.version == 3 {
		private = s.rd + frameSize
	}
	write32(private+gicdISENABLER, w[0])
	for i := 1; i < len(w); i++ {
		write32(c.dist+gicdISENABLER+uintptr(4*i), w[i])
	}
}
