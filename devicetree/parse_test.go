package devicetree

import (
	"strings"
	"testing"
)

// goodWriter builds a small valid tree; tests append to or mangle it.
func goodWriter() *fdtWriter {
	w := newWriter()
	w.begin("").cells("#address-cells", 1).cells("#size-cells", 1).str("model", "test")
	w.begin("memory@80000000").str("device_type", "memory").cells("reg", 0x80000000, 0x1000000).end()
	w.begin("soc").str("compatible", "simple-bus").cells("#address-cells", 1).cells("#size-cells", 1).
		cells("ranges", 0, 0x10000000, 0x100000)
	w.begin("serial@1000").str("compatible", "ns16550a").cells("reg", 0x1000, 0x100).end()
	w.end()
	return w
}

func goodBlob() []byte { return goodWriter().end().blob() }

// syntheticBlobs are valid trees that exercise cells, defaults, translation
// and property layouts; the early reader must agree with Parse on each.
func syntheticBlobs() map[string][]byte {
	m := map[string][]byte{"good": goodBlob()}
	add := func(name string, f func(w *fdtWriter)) {
		w := newWriter()
		f(w)
		m[name] = w.blob()
	}
	add("defaults 2/1", func(w *fdtWriter) {
		w.begin("").begin("memory").str("device_type", "memory").cells("reg", 1, 0, 0x1000).end()
		w.begin("uart").str("compatible", "x").cells("reg", 0, 0x9000, 0x100).end().end()
	})
	add("size cells 0", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 1).cells("#size-cells", 0)
		w.begin("memory").str("device_type", "memory").cells("reg", 0x4000).end().end()
	})
	add("bad cells", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 3).cells("#size-cells", 1)
		w.begin("memory").str("device_type", "memory").cells("reg", 0, 1, 0, 0x1000).end()
		w.begin("dev").str("compatible", "x").cells("reg", 0, 1, 0, 0x1000).end().end()
	})
	add("cells wrong length", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 0, 1).cells("#size-cells", 1)
		w.begin("memory").str("device_type", "memory").cells("reg", 1, 0x1000).end().end()
	})
	add("first property wins", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 1).cells("#address-cells", 2).cells("#size-cells", 1)
		w.begin("memory").str("device_type", "memory").cells("reg", 0x1000, 0x10).cells("reg", 0, 0x2000, 0x20).end()
		w.begin("dev").str("compatible", "y").str("compatible", "x").cells("reg", 0x3000, 0x10).end()
		w.begin("dev2").str("compatible", "x").cells("reg", 0x4000, 0x10).end().end()
	})
	add("nops everywhere", func(w *fdtWriter) {
		w.nop().begin("").nop().cells("#address-cells", 1).nop().cells("#size-cells", 1).nop()
		w.begin("memory").nop().str("device_type", "memory").nop().cells("reg", 0x1000, 0x10).nop().end().nop()
		w.begin("dev").str("compatible", "x").nop().cells("reg", 0x3000, 0x10).end().nop().end().nop()
	})
	add("memory needs reg", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("memory@0").str("device_type", "memory").end()
		w.begin("memory@1").str("device_type", "memory").prop("reg", nil).end()
		w.begin("memory@2").str("device_type", "memory").cells("reg", 0x10, 0x10, 0x20).end()
		w.begin("memory@3").prop("device_type", []byte("memory")).cells("reg", 0x30, 0x10).end()
		w.begin("memory@4").str("device_type", "memory", "extra").cells("reg", 0x40, 0x10, 0x80, 0x10).end().end()
	})
	add("memory below a bus is not early memory", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("bus").prop("ranges", nil).cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("memory").str("device_type", "memory").cells("reg", 0x1000, 0x10).end().end().end()
	})
	add("compatible lists", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("a").str("compatible", "foo", "", "bar").cells("reg", 0x100, 1).end()
		w.begin("b").prop("compatible", []byte("baz")).cells("reg", 0x200, 1).end()
		w.begin("c").str("compatible", "ba").cells("reg", 0x300, 1).end()
		w.begin("d").str("compatible", "bazz", "baz").cells("reg", 0x400, 1).end().end()
	})
	add("parent before child", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("bus").str("compatible", "x", "y").cells("reg", 0x500, 0x10).prop("ranges", nil).
			cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("dev").str("compatible", "x", "y", "z").cells("reg", 0x600, 0x10).end().end()
		w.begin("bus2").str("compatible", "w").cells("ranges", 0, 0x1000, 0x100).
			cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("dev").str("compatible", "w").cells("reg", 0x10, 0x10).end()
		w.begin("dev2").str("compatible", "v").cells("reg", 0xf8, 0x10).end() // straddles the window
		w.begin("dev3").str("compatible", "v").cells("reg", 0xf0, 0x10).end()
		w.begin("deeper").str("compatible", "u").cells("ranges", 0, 0, 0x100).
			cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("dev").str("compatible", "u").cells("reg", 0x10, 0x10).end().end()
		w.end().end()
	})
	add("windows", func(w *fdtWriter) {
		w.begin("").cells("#address-cells", 2).cells("#size-cells", 2)
		w.begin("bus").cells("#address-cells", 1).cells("#size-cells", 1).
			cells("ranges", 0x0, 0, 0x10000000, 0x4000, 0x8000, 0x1, 0x0, 0x100)
		w.begin("a").str("compatible", "a").cells("reg", 0x8010, 0x10, 0x0, 0x10).end()
		w.begin("b").str("compatible", "b").cells("reg", 0x8010, 0x10, 0x5000, 0x10).end()
		w.begin("c").str("compatible", "c").cells("reg", 0x3000, 0x10).end().end()
		w.begin("nomap").cells("#address-cells", 1).cells("#size-cells", 1)
		w.begin("d").str("compatible", "d").cells("reg", 0x10, 0x10).end().end()
		w.begin("badranges").cells("#address-cells", 1).cells("#size-cells", 1).cells("ranges", 0, 0, 0)
		w.begin("e").str("compatible", "e").cells("reg", 0x10, 0x10).end().end()
		w.begin("badreg").str("compatible", "f").cells("reg", 0, 0x10, 0).end().end()
	})
	return m
}

func TestSyntheticReg(t *testing.T) {
	tree, err := Parse(syntheticBlobs()["windows"])
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range map[string]Range{
		"a": {0x1_0000_0010, 0x10}, // both entries translate; the first is reported
		"c": {0x10003000, 0x10},
	} {
		r, err := tree.Compatible(c)[0].Reg()
		if err != nil || r[0] != want {
			t.Errorf("%s: Reg = %#x, %v; want %#x", c, r, err, want)
		}
	}
	for c, msg := range map[string]string{
		"b": "outside every window",
		"d": "has no ranges",
		"e": "not a multiple of",
		"f": "not a multiple of",
	} {
		if _, err := tree.Compatible(c)[0].Reg(); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: Reg error %v, want %q", c, err, msg)
		}
	}

	tree, err = Parse(goodBlob())
	if err != nil {
		t.Fatal(err)
	}
	serial := tree.Lookup("/soc/serial")
	if r, err := serial.Reg(); err != nil || len(r) != 1 || r[0] != (Range{0x10001000, 0x100}) {
		t.Errorf("serial Reg = %#x, %v", r, err)
	}
	if r, err := serial.RawReg(); err != nil || r[0] != (Range{0x1000, 0x100}) {
		t.Errorf("serial RawReg = %#x, %v", r, err)
	}
	if r, err := tree.Root.Reg(); r != nil || err != nil {
		t.Errorf("root Reg = %v, %v", r, err)
	}

	tree, err = Parse(syntheticBlobs()["defaults 2/1"])
	if err != nil {
		t.Fatal(err)
	}
	if r, err := tree.Lookup("/memory").Reg(); err != nil || r[0] != (Range{0x1_0000_0000, 0x1000}) {
		t.Errorf("default cells: Reg = %#x, %v", r, err)
	}
}

// machineBlob is a board with spin-table CPUs, reserved memory, a bus and
// aliases; virtioIRQ is the virtio node's interrupts-extended.
func machineBlob(virtioIRQ ...uint32) []byte {
	w := newWriter()
	w.rsv = []Range{{0x80000000, 0x1000}}
	w.begin("").cells("#address-cells", 2).cells("#size-cells", 2).str("model", "board").
		cells("interrupt-parent", 1)
	w.begin("aliases").str("serial0", "/soc/uart@1000").end()
	w.begin("chosen").str("bootargs", "console=ttyAMA0 quiet").str("stdout-path", "serial0:115200n8").end()
	w.begin("memory@80000000").str("device_type", "memory").cells("reg", 0, 0x80000000, 0, 0x40000000).end()
	w.begin("memory@100000000").str("device_type", "memory").cells("reg", 1, 0, 0, 0x40000000).end()
	w.begin("reserved-memory").cells("#address-cells", 2).cells("#size-cells", 2).prop("ranges", nil)
	w.begin("tz@90000000").cells("reg", 0, 0x90000000, 0, 0x100000).end()
	w.begin("pool").cells("size", 0, 0x100000).end()
	w.begin("off@91000000").cells("reg", 0, 0x91000000, 0, 0x1000).str("status", "disabled").end().end()
	w.begin("psci").str("compatible", "arm,psci-0.2").str("method", "smc").end()
	w.begin("cpus").cells("#address-cells", 2).cells("#size-cells", 0)
	for i := range 2 {
		w.begin("cpu@"+string(rune('0'+i))).str("device_type", "cpu").cells("reg", 0, 0x100*uint32(i)).
			str("enable-method", "spin-table").cells("cpu-release-addr", 0, 0x8000fff8).end()
	}
	w.begin("l2-cache").str("compatible", "cache").end().end()
	w.begin("intc@8000000").str("compatible", "arm,gic-400").cells("#interrupt-cells", 3).prop("interrupt-controller", nil).
		cells("reg", 0, 0x8000000, 0, 0x1000, 0, 0x8002000, 0, 0x2000).cells("phandle", 1).end()
	w.begin("timer").str("compatible", "arm,armv8-timer").cells("clock-frequency", 62500000).
		cells("interrupts", 1, 13, 8, 1, 14, 8, 1, 11, 8, 1, 10, 8).end()
	w.begin("soc").str("compatible", "simple-bus").cells("#address-cells", 1).cells("#size-cells", 1).
		cells("ranges", 0, 0, 0x9000000, 0x100000)
	w.begin("uart@0").str("compatible", "arm,pl011").str("status", "disabled").cells("reg", 0, 0x1000).end()
	w.begin("uart@1000").str("compatible", "arm,pl011").cells("reg", 0x1000, 0x1000).cells("interrupts", 0, 5, 4).end()
	w.begin("virtio@2000").str("compatible", "virtio,mmio").cells("reg", 0x2000, 0x200).
		cells("interrupts-extended", virtioIRQ...).end()
	return w.end().end().blob()
}

func TestMachineSynthetic(t *testing.T) {
	tree, err := Parse(machineBlob(1, 0, 6)) // one cell short
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Machine(); err == nil || !strings.Contains(err.Error(), "virtio@2000") {
		t.Fatalf("Machine error = %v, want one about the virtio node", err)
	}
	if tree, err = Parse(machineBlob(1, 0, 6, 1)); err != nil {
		t.Fatal(err)
	}
	m, err := tree.Machine()
	if err != nil {
		t.Fatal(err)
	}
	if m.Model != "board" || m.Bootargs != "console=ttyAMA0 quiet" || m.PSCIMethod != "smc" {
		t.Errorf("machine = %+v", m)
	}
	if m.StdoutPath != "serial0:115200n8" || m.StdoutOptions != "115200n8" || m.Stdout == nil || m.Stdout.Path() != "/soc/uart@1000" {
		t.Errorf("stdout = %q %q %v", m.StdoutPath, m.StdoutOptions, m.Stdout)
	}
	if len(m.Memory) != 2 || m.Memory[1] != (Range{0x100000000, 0x40000000}) {
		t.Errorf("Memory = %#x", m.Memory)
	}
	if len(m.Reserved) != 2 || m.Reserved[0] != (Range{0x80000000, 0x1000}) || m.Reserved[1] != (Range{0x90000000, 0x100000}) {
		t.Errorf("Reserved = %#x", m.Reserved)
	}
	if len(m.CPUs) != 2 || m.CPUs[1].Reg != 0x100 || m.CPUs[1].EnableMethod != "spin-table" || m.CPUs[1].ReleaseAddr != 0x8000fff8 {
		t.Errorf("CPUs = %+v", m.CPUs)
	}
	if g := m.GIC; g == nil || g.Version != 2 || g.Compatible != "arm,gic-400" || g.CPUInterface != (Range{0x8002000, 0x2000}) {
		t.Errorf("GIC = %+v", m.GIC)
	}
	if tm := m.Timer; tm == nil || tm.Frequency != 62500000 || tm.NonSecurePhys != 30 || tm.HypVirtual != 0 {
		t.Errorf("Timer = %+v", m.Timer)
	}
	if m.UART == nil || m.UART.Reg != (Range{0x9001000, 0x1000}) || m.UART.IRQ != 37 {
		t.Errorf("UART = %+v", m.UART)
	}
	if m.RTC != nil {
		t.Errorf("RTC = %+v", m.RTC)
	}
	if len(m.VirtioMMIO) != 1 || m.VirtioMMIO[0].Reg != (Range{0x9002000, 0x200}) || m.VirtioMMIO[0].IRQ != 38 {
		t.Errorf("virtio = %+v", m.VirtioMMIO)
	}

	// No memory at all is an error.
	tree, err = Parse(newWriter().begin("").end().blob())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Machine(); err == nil || !strings.Contains(err.Error(), "no memory") {
		t.Errorf("Machine without memory: %v", err)
	}
}

func TestInterruptErrors(t *testing.T) {
	w := newWriter()
	w.begin("").cells("#address-cells", 1).cells("#size-cells", 1)
	w.begin("gic").str("compatible", "arm,gic-v3").cells("#interrupt-cells", 3).prop("interrupt-controller", nil).cells("phandle", 1).end()
	w.begin("gic2").str("compatible", "arm,cortex-a15-gic").cells("#interrupt-cells", 3).prop("interrupt-controller", nil).cells("phandle", 2).end()
	w.begin("intc").str("compatible", "vendor,intc").cells("#interrupt-cells", 1).prop("interrupt-controller", nil).cells("phandle", 3).end()
	w.begin("nexus").cells("#interrupt-cells", 1).cells("interrupt-map", 0).cells("phandle", 4).end()
	w.begin("loop").cells("interrupt-parent", 5).cells("phandle", 5).end()
	ok := func(name string, props func(w *fdtWriter)) {
		w.begin(name)
		props(w)
		w.end()
	}
	ok("espi", func(w *fdtWriter) { w.cells("interrupt-parent", 1).cells("interrupts", 2, 5, 4, 3, 1, 4, 0, 987, 4) })
	ok("vendor", func(w *fdtWriter) { w.cells("interrupt-parent", 3).cells("interrupts", 7, 8) })
	ok("ext", func(w *fdtWriter) { w.cells("interrupts-extended", 3, 9, 1, 0, 1, 4) })
	ok("spi-range", func(w *fdtWriter) { w.cells("interrupt-parent", 1).cells("interrupts", 0, 988, 4) })
	ok("ppi-range", func(w *fdtWriter) { w.cells("interrupt-parent", 1).cells("interrupts", 1, 16, 4) })
	ok("v2-espi", func(w *fdtWriter) { w.cells("interrupt-parent", 2).cells("interrupts", 2, 1, 4) })
	ok("short", func(w *fdtWriter) { w.cells("interrupt-parent", 1).cells("interrupts", 0, 1) })
	ok("via-nexus", func(w *fdtWriter) { w.cells("interrupt-parent", 4).cells("interrupts", 1) })
	ok("via-loop", func(w *fdtWriter) { w.cells("interrupt-parent", 5).cells("interrupts", 1) })
	ok("dangling", func(w *fdtWriter) { w.cells("interrupt-parent", 9).cells("interrupts", 1) })
	ok("orphan", func(w *fdtWriter) { w.cells("interrupts", 1) })
	ok("ext-dangling", func(w *fdtWriter) { w.cells("interrupts-extended", 9, 1) })
	tree, err := Parse(w.end().blob())
	if err != nil {
		t.Fatal(err)
	}
	irqs, err := tree.Lookup("/espi").Interrupts()
	if err != nil || len(irqs) != 3 || irqs[0].ID() != 4101 || irqs[1].ID() != 1057 || irqs[2].ID() != 1019 {
		t.Errorf("espi: %+v, %v", irqs, err)
	}
	irqs, err = tree.Lookup("/vendor").Interrupts()
	if err != nil || len(irqs) != 2 || irqs[1].GIC || irqs[1].Cells[0] != 8 || irqs[1].ID() != 0 {
		t.Errorf("vendor: %+v, %v", irqs, err)
	}
	irqs, err = tree.Lookup("/ext").Interrupts()
	if err != nil || len(irqs) != 2 || irqs[0].Controller.Name != "intc" || irqs[1].ID() != 33 {
		t.Errorf("ext: %+v, %v", irqs, err)
	}
	for name, msg := range map[string]string{
		"spi-range":    "out of range",
		"ppi-range":    "out of range",
		"v2-espi":      "out of range",
		"short":        "want 12",
		"via-nexus":    "nexus",
		"via-loop":     "loops",
		"dangling":     "matches no phandle",
		"orphan":       "no interrupt parent",
		"ext-dangling": "matches no node",
	} {
		if _, err := tree.Lookup("/" + name).Interrupts(); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", name, err, msg)
		}
	}
}

// TestMalformed feeds broken blobs to Parse (which must say what is wrong)
// and to the early reader (which must not fault).
func TestMalformed(t *testing.T) {
	good := goodBlob()
	total := len(good)
	structOff := int(getU32(good, hStructOff))
	structSize := int(getU32(good, hStructSz))

	deep := func(n int) []byte {
		w := newWriter().begin("")
		for range n - 1 {
			w.begin("n")
		}
		for range n {
			w.end()
		}
		return w.blob()
	}
	unterminatedRsv := func() []byte {
		b := append([]byte(nil), good...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		off := len(b)
		b = append(b, strings.Repeat("\xff", 16)...)
		b = patch(b, hRsvOff, uint32(off))
		return patch(b, hTotalSize, uint32(len(b)))
	}
	// w(f) builds a blob from raw tokens.
	w := func(f func(w *fdtWriter), withEnd bool) []byte {
		x := newWriter()
		f(x)
		return x.raw(withEnd)
	}
	root := func(x *fdtWriter) *fdtWriter { return x.begin("") }

	cases := []struct {
		name   string
		blob   []byte
		errSub string
	}{
		{"empty", nil, "shorter than"},
		{"short", good[:39], "shorter than"},
		{"bad magic", patch(good, hMagic, 0xedfe0dd0), "bad magic"},
		{"totalsize past blob", patch(good, hTotalSize, uint32(total+1)), "totalsize"},
		{"totalsize below header", patch(good, hTotalSize, 39), "totalsize"},
		{"version 15", patch(good, hVersion, 15), "older than 16"},
		{"last_comp_version 18", patch(good, hLastComp, 18), "last_comp_version"},
		{"rsv misaligned", patch(good, hRsvOff, 44), "memory reservation block offset"},
		{"rsv in header", patch(good, hRsvOff, 32), "memory reservation block offset"},
		{"rsv past end", patch(good, hRsvOff, uint32(total)&^7), "memory reservation block offset"},
		{"rsv unterminated", unterminatedRsv(), "no terminating entry"},
		{"struct misaligned", patch(good, hStructOff, uint32(structOff+2)), "structure block offset"},
		{"struct in header", patch(good, hStructOff, 4), "structure block offset"},
		{"struct offset past end", patch(good, hStructOff, 0xfffffffc), "structure block offset"},
		{"struct size overflow", patch(good, hStructSz, 0xffffffff), "overruns totalsize"},
		{"strings size overflow", patch(good, hStrSize, 0xfffffff0), "strings block"},
		{"strings offset overflow", patch(good, hStringOff, 0xfffffff0), "strings block"},
		{"strings in header", patch(good, hStringOff, 0), "strings block"},
		{"struct cut", patch(good, hStructSz, uint32(structSize-4)), "without FDT_END"},
		{"unterminated property name", patch(good, hStrSize, getU32(good, hStrSize)-1), "unterminated name"},
		{"no FDT_END", w(func(x *fdtWriter) { root(x).end() }, false), "without FDT_END"},
		{"unterminated node name", w(func(x *fdtWriter) {
			root(x).u32(tokBeginNode).u32(0x41414141)
		}, false), "unterminated node name"},
		{"name offset out of range", w(func(x *fdtWriter) {
			root(x).u32(tokProp).u32(0).u32(0xffff).end()
		}, true), "outside the strings block"},
		{"property length overflow", w(func(x *fdtWriter) {
			root(x).u32(tokProp).u32(0xffffffff).u32(0).end()
		}, true), "overruns the structure block"},
		{"property length one too many", w(func(x *fdtWriter) {
			root(x).u32(tokProp).u32(13).u32(0).u32(0).end()
		}, true), "overruns the structure block"},
		{"property header cut", w(func(x *fdtWriter) { root(x).u32(tokProp).u32(0) }, false), "property header"},
		{"unknown token", w(func(x *fdtWriter) { root(x).u32(7).end() }, true), "unknown token 0x7"},
		{"END_NODE outside", w(func(x *fdtWriter) { root(x).end().end() }, true), "FDT_END_NODE"},
		{"PROP outside", w(func(x *fdtWriter) { x.str("model", "x").begin("").end() }, true), "FDT_PROP"},
		{"property after child", w(func(x *fdtWriter) {
			root(x).begin("a").end().str("model", "x").end()
		}, true), "follows a child node"},
		{"END inside node", w(func(x *fdtWriter) { root(x).begin("a").end() }, true), "inside node /"},
		{"second root", w(func(x *fdtWriter) { root(x).end().begin("").end() }, true), "second root"},
		{"no root", w(func(x *fdtWriter) { x.nop() }, true), "no root node"},
		{"root named", w(func(x *fdtWriter) { x.begin("r").end() }, true), "root node has name"},
		{"empty child name", w(func(x *fdtWriter) { root(x).begin("").end().end() }, true), "empty name"},
		{"slash in name", w(func(x *fdtWriter) { root(x).begin("a/b").end().end() }, true), "contains '/'"},
		{"same name twice", w(func(x *fdtWriter) {
			root(x).begin("a").begin("b@1").end().begin("b@1").end().end().end()
		}, true), "second node named /a/b@1"},
		{"too deep", deep(MaxDepth + 1), "nested deeper"},
		{"far too deep", deep(10000), "nested deeper"},
		{"phandle length", w(func(x *fdtWriter) { root(x).begin("a").cells("phandle", 1, 2).end().end() }, true), "want 4"},
		{"duplicate phandle", w(func(x *fdtWriter) {
			root(x).begin("a").cells("phandle", 1).end().begin("b").cells("linux,phandle", 1).end().end()
		}, true), "phandle 0x1 used by both /a and /b"},
	}
	for _, c := range cases {
		tree, err := Parse(c.blob)
		if err == nil || !strings.Contains(err.Error(), c.errSub) {
			t.Errorf("%s: Parse = %v, %v; want error containing %q", c.name, tree, err, c.errSub)
		}
		p := guardedCopy(t, c.blob)
		EarlyValid(p)
		EarlyMemory(p)
		EarlyCompatibleReg(p, "ns16550a")
	}

	// The limits themselves are fine.
	for name, b := range map[string][]byte{
		"depth MaxDepth": deep(MaxDepth),
		"version 16":     patch(patch(good, hVersion, 16), hStructSz, 0xffffffff), // v16 has no size_dt_struct
		"nop first":      w(func(x *fdtWriter) { x.nop().begin("").end().nop() }, true),
		"trailing bytes": append(append([]byte(nil), good...), 1, 2, 3),
		"same phandle twice on a node": w(func(x *fdtWriter) {
			root(x).begin("a").cells("phandle", 1).cells("linux,phandle", 1).end().end()
		}, true),
		"same name under two parents": w(func(x *fdtWriter) {
			root(x).begin("a").begin("c").end().end().begin("b").begin("c").end().end().end()
		}, true),
	} {
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestLookupExactName: a child named exactly as asked wins over children
// whose base name matches, even when those alone would be ambiguous (the
// fuzzer found Lookup(n.Path()) returning nil for such a node).
func TestLookupExactName(t *testing.T) {
	w := newWriter()
	w.begin("").begin("v@1").end().begin("v@2").end().begin("v").end().begin("u@1").end().end()
	tree, err := Parse(w.blob())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"/v", "/v"}, {"/v@2", "/v@2"}, {"/u", "/u@1"}, {"/u@2", ""}, {"/w", ""},
	} {
		got := ""
		if n := tree.Lookup(c.path); n != nil {
			got = n.Path()
		}
		if got != c.want {
			t.Errorf("Lookup(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	for _, n := range tree.Nodes() {
		if got := tree.Lookup(n.Path()); got != n {
			t.Errorf("Lookup(%q) = %v", n.Path(), got)
		}
	}
}

// TestTruncations parses every prefix of every fixture, and every cut of its
// structure block: all must fail cleanly.
func TestTruncations(t *testing.T) {
	for _, fx := range fixtures {
		blob := readFixture(t, fx.file)
		for n := range len(blob) {
			if _, err := Parse(blob[:n]); err == nil {
				t.Fatalf("%s: Parse accepted the first %d bytes", fx.file, n)
			}
		}
		for k := range getU32(blob, hStructSz) {
			if _, err := Parse(patch(blob, hStructSz, k)); err == nil {
				t.Fatalf("%s: Parse accepted a structure block cut at %d", fx.file, k)
			}
		}
	}
}
