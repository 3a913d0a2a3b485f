package gic

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/yolkos/yolk/devicetree"
)

func TestSGI1R(t *testing.T) {
	for _, c := range []struct {
		mpidr uint64
		intid uint32
		rss   bool
		want  uint64
		ok    bool
	}{
		{0x8000_0000, 1, false, 1<<0 | 1<<24, true},                               // core 0 of a uniprocessor (U clear, bit 31 RES1)
		{0x8000_0003, 15, false, 1<<3 | 15<<24, true},                             // Aff0 3
		{0x8000_0102, 7, false, 1<<2 | 1<<16 | 7<<24, true},                       // Aff1 1, Aff0 2
		{0xc100_0000, 0, false, 1 << 0, true},                                     // MT and U are not affinity
		{0x7f_8003_0405, 2, false, 1<<5 | 4<<16 | 2<<24 | 3<<32 | 0x7f<<48, true}, // Aff3 0x7f, Aff2 3
		{0x8000_0013, 9, true, 1<<3 | 9<<24 | 1<<44, true},                        // Aff0 19: RS 1, bit 3
		{0x8000_00ff, 9, true, 1<<15 | 9<<24 | 15<<44, true},                      // Aff0 255: RS 15, bit 15
		{0x8000_0013, 9, false, 0, false},                                         // Aff0 19 needs RSS
	} {
		got, ok := sgi1r(c.mpidr, c.intid, c.rss)
		if got != c.want || ok != c.ok {
			t.Errorf("sgi1r(%#x, %d, rss %v) = %#x, %v; want %#x, %v", c.mpidr, c.intid, c.rss, got, ok, c.want, c.ok)
		}
	}
	if got, want := sgi1rOthers(5), uint64(1<<40|5<<24); got != want {
		t.Errorf("sgi1rOthers(5) = %#x, want %#x", got, want)
	}
}

func TestIROUTER(t *testing.T) {
	for mpidr, want := range map[uint64]uint64{
		0x8000_0000:    0,
		0x8000_0001:    1,
		0x8102_0304:    0x02_0304,      // MT (bit 24) dropped
		0xc000_0000:    0,              // U dropped
		0x5a_8012_3456: 0x5a_0012_3456, // Aff3 stays at [39:32]
		^uint64(0):     0xff_00ff_ffff, // never IRM (bit 31)
	} {
		if got := irouter(mpidr); got != want {
			t.Errorf("irouter(%#x) = %#x, want %#x", mpidr, got, want)
		}
	}
	if got := affinityOf(0x5a_8112_3456); got != 0x5a12_3456 {
		t.Errorf("affinityOf = %#x", got)
	}
}

func TestSGIR(t *testing.T) {
	if got := sgir(0, 0x05, 3); got != 0x0005_0003 {
		t.Errorf("list: %#x", got)
	}
	if got := sgir(sgirOthers, 0, 15); got != 0x0100_000f {
		t.Errorf("others: %#x", got)
	}
	if got := sgir(sgirSelf, 0, 1); got != 0x0200_0001 {
		t.Errorf("self: %#x", got)
	}
}

func TestNumINTIDs(t *testing.T) {
	for typer, want := range map[uint32]uint32{0: 32, 8: 288, 8 | 0xffe0: 288, 30: 992, 31: 1020} {
		if got := numINTIDs(typer); got != want {
			t.Errorf("numINTIDs(%#x) = %d, want %d", typer, got, want)
		}
	}
}

func TestCPUMask(t *testing.T) {
	if got := cpuMask([8]uint32{}); got != 0 {
		t.Errorf("uniprocessor: %#x", got)
	}
	// SGIs and some PPIs implemented, others RAZ.
	if got := cpuMask([8]uint32{0x04040404, 0x04040404, 0, 0, 0, 0, 0x04000000, 0x04040404}); got != 4 {
		t.Errorf("cpu 2: %#x", got)
	}
}

func TestICFGR(t *testing.T) {
	var edge [MaxINTID/32 + 1]uint32
	edge[1] = 1<<8 | 1<<31 // INTIDs 40 and 63
	edge[0] = 1 << 27      // INTID 27
	if got := icfgr(edge[:], 32); got != 2<<16 {
		t.Errorf("INTIDs 32..47: %#x", got)
	}
	if got := icfgr(edge[:], 48); got != 2<<30 {
		t.Errorf("INTIDs 48..63: %#x", got)
	}
	if got := icfgr(edge[:], 16); got != 2<<22 {
		t.Errorf("INTIDs 16..31: %#x", got)
	}
}

func TestNew(t *testing.T) {
	r := devicetree.Range{Base: 0x0800_0000, Size: 0x1_0000}
	for _, g := range []devicetree.GIC{
		{Version: 1, Distributor: r, CPUInterface: r},
		{Version: 4, Distributor: r, Redistributors: []devicetree.Range{r}},
		{Version: 2, Distributor: r},
		{Version: 2, CPUInterface: r},
		{Version: 3, Distributor: r},
		{Version: 3, Distributor: r, Redistributors: []devicetree.Range{{Base: 0x080a_0000}}},
	} {
		if c, err := New(g); err == nil {
			t.Errorf("New(%+v) = %+v, want an error", g, c)
		}
	}
	if c, err := New(devicetree.GIC{Version: 2, Distributor: r, CPUInterface: devicetree.Range{Base: 0x0801_0000, Size: 0x1_0000}}); err != nil || c.Version() != 2 || c.cpuif != 0x0801_0000 {
		t.Errorf("v2: %v", err)
	}
	if c, err := New(devicetree.GIC{Version: 3, Distributor: r, Redistributors: []devicetree.Range{{Base: 0x080a_0000, Size: 0xf6_0000}}}); err != nil || c.Version() != 3 || len(c.redist) != 1 {
		t.Errorf("v3: %v", err)
	}
}

func TestCoreStateSize(t *testing.T) {
	if s := unsafe.Sizeof(coreState{}); s%64 != 0 {
		t.Errorf("coreState is %d bytes, not a multiple of a cache line", s)
	}
}

// fakeRegs is plain memory standing in for a register file: the
// programming code reads and writes it as it would the GIC.
type fakeRegs []uint32

func newFake(size int) fakeRegs { return make(fakeRegs, size/4) }

func (f fakeRegs) base() uintptr        { return uintptr(unsafe.Pointer(&f[0])) }
func (f fakeRegs) w(off uintptr) uint32 { return f[off/4] }
func (f fakeRegs) b(off uintptr) uint8 {
	return (*[1 << 20]uint8)(unsafe.Pointer(&f[0]))[off]
}

func TestInitDistV2(t *testing.T) {
	d := newFake(0x1000)
	d[gicdTYPER/4] = 8 // 288 INTIDs, no Security Extensions
	d[gicdCTLR/4] = 1
	c := &Controller{version: 2, dist: d.base()}
	c.SetTrigger(40, true) // recorded before Init
	if code := c.initDistV2(0x01); code != ok || c.Err() != nil {
		t.Fatal(errs[code], c.Err())
	}
	if c.Lines() != 288 || c.SecurityExtensions() {
		t.Errorf("lines %d, secExt %v", c.Lines(), c.SecurityExtensions())
	}
	if got := d.w(gicdCTLR); got != 1 {
		t.Errorf("GICD_CTLR = %#x", got)
	}
	for i := uintptr(0); i < 10; i++ {
		want := ^uint32(0)
		if i == 0 || i == 9 {
			want = 0 // the private INTIDs belong to InitCPU; 288+ do not exist
		}
		for _, r := range []uintptr{gicdICENABLER, gicdICPENDR, gicdICACTIVER} {
			if got := d.w(r + 4*i); got != want {
				t.Errorf("register %#x word %d = %#x, want %#x", r, i, got, want)
			}
		}
		if got := d.w(gicdIGROUPR + 4*i); got != 0 {
			t.Errorf("GICD_IGROUPR%d = %#x", i, got)
		}
	}
	for _, intid := range []uintptr{32, 33, 100, 287} {
		if got := d.b(gicdITARGETSR + intid); got != 1 {
			t.Errorf("GICD_ITARGETSR for %d = %#x", intid, got)
		}
		if got := d.b(gicdIPRIORITYR + intid); got != DefaultPriority {
			t.Errorf("GICD_IPRIORITYR for %d = %#x", intid, got)
		}
	}
	for _, intid := range []uintptr{0, 31, 288} {
		if d.b(gicdITARGETSR+intid) != 0 || d.b(gicdIPRIORITYR+intid) != 0 {
			t.Errorf("INTID %d configured by Init", intid)
		}
	}
	if got := d.w(gicdICFGR + 8); got != 2<<16 {
		t.Errorf("GICD_ICFGR2 = %#x, want INTID 40 edge", got)
	}

	// The SPI operations after Init.
	if c.Enable(41); c.Err() != nil || d.w(gicdISENABLER+4) != 1<<9 || !c.Enabled(41) || c.Enabled(40) {
		t.Errorf("Enable(41): %v, GICD_ISENABLER1 = %#x", c.Err(), d.w(gicdISENABLER+4))
	}
	if c.SetPriority(41, 0x40); c.Err() != nil || d.b(gicdIPRIORITYR+41) != 0x40 || d.b(gicdIPRIORITYR+40) != DefaultPriority {
		t.Errorf("SetPriority(41): %v", c.Err())
	}
	if c.SetTrigger(41, true); c.Err() != nil || d.w(gicdICFGR+8) != 2<<16|2<<18 {
		t.Errorf("SetTrigger(41): %v, GICD_ICFGR2 = %#x", c.Err(), d.w(gicdICFGR+8))
	}
	if d.w(gicdICENABLER+4) != 1<<9 {
		t.Errorf("SetTrigger did not disable the enabled INTID 41 first")
	}
	if c.SetPending(287); c.Err() != nil || d.w(gicdISPENDR+32) != 1<<31 {
		t.Errorf("SetPending(287): %v", c.Err())
	}
	if c.RouteSPI(41, 1); c.Err() != ErrCoreOffline {
		t.Errorf("RouteSPI to an offline core: %v", c.Err())
	}
	c.ClearErr()
	c.cores[1].mask, c.cores[1].online = 2, 1
	if c.RouteSPI(41, 1); c.Err() != nil || d.b(gicdITARGETSR+41) != 2 || d.b(gicdITARGETSR+42) != 1 {
		t.Errorf("RouteSPI(41, 1): %v, target %#x", c.Err(), d.b(gicdITARGETSR+41))
	}
	before := append(fakeRegs(nil), d...)
	for _, bad := range []func(){
		func() { c.Enable(288) },
		func() { c.Disable(1020) },
		func() { c.SetTrigger(5000, true) },
		func() { c.SetTrigger(3, false) },
		func() { c.SetPriority(300, 1) },
		func() { c.SetPending(2) },
		func() { c.RouteSPI(31, 1) },
		func() { c.RouteSPI(288, 1) },
		func() { c.SendSGI(16, 0) },
		func() { c.SendSGIOthers(16) },
		func() { c.Handle(MaxINTID, nil) },
	} {
		c.ClearErr()
		bad()
		if c.Err() != ErrBadINTID {
			t.Errorf("bad INTID: Err() = %v", c.Err())
		}
	}
	if c.RouteSPI(41, 99); c.Err() != ErrBadCore {
		t.Errorf("RouteSPI to core 99: %v", c.Err())
	}
	for i := range d {
		if d[i] != before[i] {
			t.Errorf("a refused operation wrote register %#x", i*4)
		}
	}
	runtime.KeepAlive(d)
}

func TestInitDistV3(t *testing.T) {
	d := newFake(0x10000)
	d[gicdTYPER/4] = 8 | typerSecExt
	c := &Controller{version: 3, dist: d.base()}
	const mpidr = 0x2_8000_0100 // Aff3 2, Aff1 1
	if code := c.initDistV3(mpidr); code != ok {
		t.Fatal(errs[code])
	}
	if got := d.w(gicdCTLR); got != v3CTLRARE|v3CTLRGrp1NS {
		t.Errorf("GICD_CTLR = %#x (Non-secure view: ARE_NS | EnableGrp1)", got)
	}
	for i := uintptr(1); i < 9; i++ {
		if got := d.w(gicdIGROUPR + 4*i); got != ^uint32(0) {
			t.Errorf("GICD_IGROUPR%d = %#x", i, got)
		}
	}
	for _, intid := range []uintptr{32, 287} {
		a := gicdIROUTER + 8*intid
		if got := uint64(d.w(a)) | uint64(d.w(a+4))<<32; got != 0x2_0000_0100 {
			t.Errorf("GICD_IROUTER%d = %#x", intid, got)
		}
	}
	if d.w(gicdIROUTER+8*288) != 0 || d.w(gicdIROUTER+8*31) != 0 {
		t.Errorf("GICD_IROUTER written outside the SPIs")
	}

	// One Security state: EnableGrp1 is bit 1.
	d[gicdTYPER/4] = 8
	if code := c.initDistV3(mpidr); code != ok {
		t.Fatal(errs[code])
	}
	if got := d.w(gicdCTLR); got != v3CTLRARE|v3CTLRGrp1DS {
		t.Errorf("GICD_CTLR = %#x (DS = 1: ARE | EnableGrp1)", got)
	}
	c.cores[3].mpidr, c.cores[3].online = 0x8000_0003, 1
	if c.RouteSPI(100, 3); c.Err() != nil || d.w(gicdIROUTER+8*100) != 3 || d.w(gicdIROUTER+8*100+4) != 0 {
		t.Errorf("RouteSPI(100, 3): %v", c.Err())
	}
	if c.Disable(100); c.Err() != nil || d.w(gicdICENABLER+12) != 1<<4 {
		t.Errorf("Disable(100): %v", c.Err())
	}
	runtime.KeepAlive(d)
}

func TestFindRedist(t *testing.T) {
	// GICv3 layout: RD_base + SGI_base per PE; the third PE's frame says
	// Last, and a stray frame after it must not be found.
	r := newFake(5 * 2 * frameSize)
	affs := []uint32{0, 1, 0x0100, 7, 9}
	for i, a := range affs {
		typer := uint64(a) << 32
		if i == 2 {
			typer |= gicrTYPERLast
		}
		r[(uintptr(i)*2*frameSize+gicrTYPER)/4] = uint32(typer)
		r[(uintptr(i)*2*frameSize+gicrTYPER+4)/4] = uint32(typer >> 32)
	}
	// GICv4 layout: four frames per PE (VLPIS).
	r4 := newFake(3 * 4 * frameSize)
	for i := uintptr(0); i < 3; i++ {
		typer := uint64(0x10+i)<<32 | gicrTYPERVLPIS
		r4[(i*4*frameSize+gicrTYPER)/4] = uint32(typer)
		r4[(i*4*frameSize+gicrTYPER+4)/4] = uint32(typer >> 32)
	}
	c := &Controller{version: 3, redist: []devicetree.Range{
		{Base: uint64(r.base()), Size: uint64(len(r) * 4)},
		{Base: uint64(r4.base()), Size: uint64(len(r4) * 4)},
	}}
	for aff, want := range map[uint32]uintptr{
		0:      r.base(),
		1:      r.base() + 2*frameSize,
		0x0100: r.base() + 4*frameSize,
		0x10:   r4.base(),
		0x12:   r4.base() + 8*frameSize,
	} {
		if got, ok := c.findRedist(aff); !ok || got != want {
			t.Errorf("findRedist(%#x) = %#x, %v; want %#x", aff, got, ok, want)
		}
	}
	for _, aff := range []uint32{7, 9, 0x13, 2} {
		if got, ok := c.findRedist(aff); ok {
			t.Errorf("findRedist(%#x) = %#x, want none", aff, got)
		}
	}
	runtime.KeepAlive(r)
	runtime.KeepAlive(r4)
}

func TestCounts(t *testing.T) {
	c := &Controller{version: 2}
	s := &c.cores[2]
	s.counts[1], s.counts[27], s.other, s.unhandled, s.spurious = 1000, 5, 2, 3, 4
	got := c.Counts(2)
	want := []IntCount{{1, 1000}, {27, 5}, {OtherINTIDs, 2}}
	if len(got) != len(want) {
		t.Fatalf("Counts = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Counts[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if c.Count(2, 27) != 5 || c.Count(2, 300) != 2 || c.Count(2, 28) != 0 || c.Unhandled(2) != 3 || c.Spurious(2) != 4 {
		t.Errorf("Count/Unhandled/Spurious disagree with the counters")
	}
	if c.Count(-1, 1) != 0 || c.Count(MaxCores, 1) != 0 || c.Counts(MaxCores) != nil || c.Spurious(99) != 0 {
		t.Errorf("a core index out of range was accepted")
	}
	c.Handle(27, func(uint32) {})
	if c.handlers[27] == nil || c.Err() != nil {
		t.Errorf("Handle(27) did not install")
	}
	if c.Enable(27); c.Err() != ErrNotInitialized {
		t.Errorf("Enable before Init: %v", c.Err())
	}
}
