package gic

import (
	"sync/atomic"

	"github.com/yolkos/yolk/kernel/cpu"
)

// dispatch acknowledges and handles this core's pending interrupts until
// the CPU interface has none left (IHI 0069 4.1, "Interrupt lifecycle";
// IHI 0048B 3.2, "General handling of interrupts"): acknowledge (the
// interrupt becomes active), count, run the handler, end it (EOImode 0:
// the EOI write drops the running priority and deactivates).
//
// Acknowledging returns a special INTID when nothing is left: 1023, or
// on a GICv2 1022 for a pending interrupt of the other group; 1020 and
// 1021 only reach EL3. None of them is ended. An IRQ exception whose
// first acknowledge finds nothing counts as spurious: the interrupt was
// withdrawn (disabled, cleared, taken by another core) after it was
// signalled. INTIDs at 1024 and above (GICv3 extended SPIs, LPIs) are not
// enabled by this package; should one arrive it is counted with the
// others above CountedINTIDs, as unhandled, and ended.
//
//go:nosplit
func (c *Controller) dispatch() {
	s := &c.cores[cpu.Index()&(MaxCores-1)]
	v3 := c.version == 3
	for n := 0; ; n++ {
		var iar, intid uint32
		if v3 {
			iar = uint32(readIAR1())
			intid = iar & 0xff_ffff
		} else {
			// GICC_IAR: INTID [9:0]; for an SGI the source CPU [12:10],
			// which GICC_EOIR must be given back.
			iar = readRelaxed(c.cpuif + giccIAR)
			intid = iar & 0x3ff
		}
		if intid >= MaxINTID && intid <= SpuriousINTID {
			if n == 0 {
				atomic.AddUint64(&s.spurious, 1)
			}
			return
		}
		if intid < CountedINTIDs {
			atomic.AddUint64(&s.counts[intid], 1)
		} else {
			atomic.AddUint64(&s.other, 1)
		}
		var h func(uint32)
		if intid < MaxINTID {
			h = c.handlers[intid]
		}
		if h != nil {
			h(intid)
		} else {
			atomic.AddUint64(&s.unhandled, 1)
		}
		if v3 {
			writeEOIR1(uint64(iar))
		} else {
			writeRelaxed(c.cpuif+giccEOIR, iar)
		}
	}
}
