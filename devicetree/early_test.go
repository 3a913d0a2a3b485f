package devicetree

import (
	"encoding/binary"
	"slices"
	"testing"
	"unsafe"
)

// earlyExtent is how many bytes the early reader may touch for data: its
// totalsize (when larger than the data) or length, rounded up to 4.
func earlyExtent(data []byte) int {
	var hdr [8]byte // zero-padded, as guardedCopy lays it out
	copy(hdr[:], data)
	n := max(len(data), len(hdr))
	if ts := int(binary.BigEndian.Uint32(hdr[4:])); ts > n {
		n = ts
	}
	return (n + 3) &^ 3
}

// refMemory is what EarlyMemory must return, computed with the full parser.
func refMemory(t *Tree) (base, size uint64, ok bool) {
	for _, n := range t.Root.Children {
		if dt, _ := n.String("device_type"); dt != "memory" {
			continue
		}
		if regs, err := n.Reg(); err == nil && len(regs) > 0 {
			return regs[0].Base, regs[0].Size, true
		}
	}
	return 0, 0, false
}

// refCompatibleReg is what EarlyCompatibleReg must return.
func refCompatibleReg(t *Tree, c string) (uint64, bool) {
	for _, n := range t.Nodes() {
		if n.Parent == nil || (n.Parent.Parent != nil && n.Parent.Parent.Parent != nil) {
			continue // only children and grandchildren of the root
		}
		if !n.IsCompatible(c) {
			continue
		}
		if regs, err := n.Reg(); err == nil && len(regs) > 0 {
			return regs[0].Base, true
		}
	}
	return 0, false
}

// compatibles lists the compatible strings of a tree (at most max), plus
// extra.
func compatibles(t *Tree, max int, extra ...string) []string {
	out := extra
	for _, n := range t.Nodes() {
		for _, c := range n.Strings("compatible") {
			if len(out) < max && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// refReservedFloor is what EarlyReservedFloor must return: the memory
// reservation block and every decodable reg entry of /reserved-memory's
// children (disabled ones too), from the full parser.
func refReservedFloor(t *Tree, lo, hi, skipLo, skipHi uint64) (floor, end uint64, ok bool) {
	rs := slices.Clone(t.MemReserve)
	for _, n := range t.Root.Children {
		if n.Name != "reserved-memory" {
			continue
		}
		for _, c := range n.Children {
			regs, err := c.RawReg()
			if err != nil {
				return 0, 0, false
			}
			rs = append(rs, regs...)
		}
	}
	floor, end = hi, hi
	for _, r := range rs {
		e := r.Base + r.Size
		if r.Size == 0 || e <= lo || r.Base >= hi || (r.Base >= skipLo && e <= skipHi) {
			continue
		}
		if start := max(r.Base, lo); start < floor {
			floor, end = start, e
		} else if start == floor {
			end = max(end, e)
		}
	}
	return floor, end, true
}

// refMemoryN lists what EarlyMemoryN must return for n = 0, 1, ...
func refMemoryN(t *Tree) []Range {
	var out []Range
	for _, n := range t.Root.Children {
		if dt, _ := n.String("device_type"); dt != "memory" {
			continue
		}
		if regs, err := n.Reg(); err == nil {
			out = append(out, regs...)
		}
	}
	return out
}

// checkEarly asserts that the early reader, on the blob at p, agrees with
// the full parser's tree.
func checkEarly(tb testing.TB, tree *Tree, p unsafe.Pointer) {
	tb.Helper()
	if !EarlyValid(p) {
		tb.Fatalf("EarlyValid = false on a blob Parse accepts")
	}
	b, s, ok := EarlyMemory(p)
	rb, rs, rok := refMemory(tree)
	if b != rb || s != rs || ok != rok {
		tb.Errorf("EarlyMemory = %#x, %#x, %v; full parser: %#x, %#x, %v", b, s, ok, rb, rs, rok)
	}
	for _, c := range compatibles(tree, 32, "", "arm,pl011", "arm,pl031", "virtio,mmio", "no,such-device") {
		b, ok := EarlyCompatibleReg(p, c)
		rb, rok := refCompatibleReg(tree, c)
		if b != rb || ok != rok {
			tb.Errorf("EarlyCompatibleReg(%q) = %#x, %v; full parser: %#x, %v", c, b, ok, rb, rok)
		}
	}
	for _, w := range [][4]uint64{{0, ^uint64(0), 0, 0}, {0x40000000, 0x80000000, 0, 0}, {0x80000, 0x3b400000, 0x2eff0000, 0x2f000000}} {
		f, e, ok := EarlyReservedFloor(p, w[0], w[1], w[2], w[3])
		if rf, re, rok := refReservedFloor(tree, w[0], w[1], w[2], w[3]); ok != rok || f != rf || e != re {
			tb.Errorf("EarlyReservedFloor(%#x) = %#x, %#x, %v; full parser: %#x, %#x, %v", w, f, e, ok, rf, re, rok)
		}
	}
	want := refMemoryN(tree)
	for n := 0; n <= len(want); n++ {
		b, sz, ok := EarlyMemoryN(p, n)
		if n == len(want) {
			if ok {
				tb.Errorf("EarlyMemoryN(%d) = %#x, %#x past the last of %v", n, b, sz, want)
			}
			break
		}
		if !ok || (Range{b, sz}) != want[n] {
			tb.Errorf("EarlyMemoryN(%d) = %#x, %#x, %v; full parser %v", n, b, sz, ok, want)
		}
	}
}

// The reservations that cut the runtime's memory short: the reservation
// block and /reserved-memory's children, found by the early reader.
func TestEarlyReservedFloor(t *testing.T) {
	p := guardedCopy(t, machineBlob(1, 0, 6, 4))
	for _, c := range []struct {
		lo, hi, skipLo, skipHi, want uint64
	}{
		{0, 1 << 40, 0, 0, 0x80000000},                               // the reservation block's entry
		{0x80001000, 0xc0000000, 0, 0, 0x90000000},                   // tz@90000000
		{0x80000800, 0xc0000000, 0, 0, 0x80000800},                   // reaches into lo
		{0x90100000, 0xc0000000, 0, 0, 0x91000000},                   // a disabled child still counts
		{0x91001000, 0xc0000000, 0, 0, 0xc0000000},                   // none: hi
		{0x80001000, 0xc0000000, 0x90000000, 0x90100000, 0x91000000}, // tz skipped
		{0, 0x80000000, 0, 0, 0x80000000},                            // above hi: hi
	} {
		if f, _, ok := EarlyReservedFloor(p, c.lo, c.hi, c.skipLo, c.skipHi); !ok || f != c.want {
			t.Errorf("EarlyReservedFloor(%#x, %#x, skip %#x-%#x) = %#x, %v; want %#x", c.lo, c.hi, c.skipLo, c.skipHi, f, ok, c.want)
		}
	}
	// Every memory range, across nodes and reg entries.
	for n, want := range []Range{{0x80000000, 0x40000000}, {0x100000000, 0x40000000}} {
		if b, sz, ok := EarlyMemoryN(p, n); !ok || (Range{b, sz}) != want {
			t.Errorf("EarlyMemoryN(%d) = %#x, %#x, %v; want %#x", n, b, sz, ok, want)
		}
	}
	if _, _, ok := EarlyMemoryN(p, 2); ok {
		t.Error("EarlyMemoryN(2) found a third range")
	}

	// A child's subnode does not hide the child's reg; 1-cell addresses.
	w0 := newWriter()
	w0.begin("").cells("#address-cells", 1).cells("#size-cells", 1)
	w0.begin("reserved-memory").cells("#address-cells", 1).cells("#size-cells", 1).prop("ranges", nil)
	w0.begin("fw@30000000").cells("reg", 0x30000000, 0x1000, 0x20000000, 0x1000)
	w0.begin("sub").cells("reg", 0x10000000, 0x1000).end().end().end()
	w0.begin("other").begin("x@8000000").cells("reg", 0x8000000, 0x1000).end().end()
	nested := w0.end().blob()
	if f, e, ok := EarlyReservedFloor(guardedCopy(t, nested), 0x80000, 0x3b400000, 0, 0); !ok || f != 0x20000000 || e != 0x20001000 {
		t.Errorf("nested: EarlyReservedFloor = %#x, %#x, %v; want 0x20000000, 0x20001000 (fw's second entry)", f, e, ok)
	}
	tree, err := Parse(nested)
	if err != nil {
		t.Fatal(err)
	}
	checkEarly(t, tree, guardedCopy(t, nested))

	// A reservation block without its terminating entry is malformed.
	w := newWriter()
	w.begin("").end()
	b := w.blob()
	binary.BigEndian.PutUint64(b[headerSize:], 0x1000) // the terminator is now (0x1000, 0)...
	binary.BigEndian.PutUint64(b[headerSize+8:], 0x1000)
	if _, _, ok := EarlyReservedFloor(guardedCopy(t, b), 0, 1<<40, 0, 0); ok {
		t.Error("a reservation block that runs into the structure block was accepted")
	}
}

func TestEarlyFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			blob := readFixture(t, fx.file)
			tree, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			p := guardedCopy(t, blob)
			checkEarly(t, tree, p)
			if n, ok := EarlyTotalSize(p); !ok || n != uint(len(blob)) {
				t.Errorf("EarlyTotalSize = %d, %v; want %d", n, ok, len(blob))
			}
			m, err := tree.Machine()
			if err != nil {
				t.Fatal(err)
			}
			if b, s, ok := EarlyMemory(p); !ok || (Range{b, s}) != m.Memory[0] || b != 0x40000000 || s != fx.mem {
				t.Errorf("EarlyMemory = %#x, %#x, %v; Machine: %#x", b, s, ok, m.Memory)
			}
			for c, want := range map[string]uint64{
				"arm,pl011":             0x9000000,
				"arm,pl031":             0x9010000,
				"virtio,mmio":           0xa000000,
				"pci-host-ecam-generic": 0x40_1000_0000,
				fx.msiCompatible:        fx.msiBase, // child of the GIC node, through its empty ranges
			} {
				if b, ok := EarlyCompatibleReg(p, c); !ok || b != want {
					t.Errorf("EarlyCompatibleReg(%q) = %#x, %v; want %#x", c, b, ok, want)
				}
			}
			// CPU nodes sit under /cpus, which has no ranges: not addresses.
			if b, ok := EarlyCompatibleReg(p, "arm,cortex-a57"); ok {
				t.Errorf("EarlyCompatibleReg(arm,cortex-a57) = %#x, want not found", b)
			}
			// ParseAt reads the same blob through the pointer.
			t2, err := ParseAt(p)
			if err != nil || len(t2.Nodes()) != len(tree.Nodes()) {
				t.Errorf("ParseAt: %v", err)
			}
		})
	}
}

// Loaders pad the blob: QEMU's dump has a 1 MiB totalsize, and QEMU hands
// a -dtb file over with twice its size plus 10000 bytes (2117152 for its
// own dump); the Pi firmware leaves room for overlays. The early reader
// takes any padding, and tells the used part from it.
func TestEarlyPadded(t *testing.T) {
	for _, fx := range fixtures {
		blob := readFixture(t, fx.file)
		tree, err := Parse(blob)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1 << 20, 2117152, 64 << 20} {
			padded := patch(append(blob, make([]byte, size-len(blob))...), hTotalSize, uint32(size))
			p := guardedCopy(t, padded)
			if problem := EarlyProblem(p); problem != "" {
				t.Fatalf("%s padded to %d: %s", fx.file, size, problem)
			}
			checkEarly(t, tree, p)
			if n, ok := EarlyTotalSize(p); !ok || n != uint(size) {
				t.Errorf("%s padded to %d: EarlyTotalSize = %d, %v", fx.file, size, n, ok)
			}
			used, ok := EarlyUsedSize(p)
			if !ok || used != uint(len(blob)) {
				t.Errorf("%s padded to %d: EarlyUsedSize = %d, %v; want %d", fx.file, size, used, ok, len(blob))
			}
			// The used bytes with totalsize set to their length are the
			// same tree (what a board that copies the blob keeps).
			cut := patch(padded[:used], hTotalSize, uint32(used))
			t2, err := Parse(cut)
			if err != nil || len(t2.Nodes()) != len(tree.Nodes()) {
				t.Errorf("%s padded to %d, cut to the used %d bytes: %v", fx.file, size, used, err)
			}
			if t3, err := ParseAt(p); err != nil || len(t3.Nodes()) != len(tree.Nodes()) {
				t.Errorf("%s padded to %d: ParseAt: %v", fx.file, size, err)
			}
		}
	}
}

// EarlyProblem names what is wrong with a blob the early reader refuses.
func TestEarlyProblem(t *testing.T) {
	blob := readFixture(t, fixtures[0].file)
	if p := EarlyProblem(guardedCopy(t, blob)); p != "" {
		t.Errorf("a good blob: %q", p)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"zeros", make([]byte, 64), "no FDT magic (0xd00dfeed) there"},
		{"small", patch(blob, hTotalSize, 39), "totalsize smaller than the 40-byte header"},
		{"version", patch(blob, hVersion, 15), "version older than 16, or not compatible with 17"},
		{"struct", patch(blob, hStructSz, 0xfffffffc), "structure or strings block outside totalsize"},
		{"rsv", patch(blob, hRsvOff, 0x2c), "memory reservation block misplaced"},
	} {
		if got := EarlyProblem(guardedCopy(t, c.b)); got != c.want {
			t.Errorf("%s: EarlyProblem = %q, want %q", c.name, got, c.want)
		}
	}
	if got := EarlyProblem(nil); got != "no address" {
		t.Errorf("nil: %q", got)
	}
	// A reservation block without its terminator has no used size.
	noEnd := append([]byte(nil), blob...)
	for off := int(getU32(blob, hRsvOff)); off < int(getU32(blob, hStructOff)); off++ {
		noEnd[off] = 0xff
	}
	if n, ok := EarlyUsedSize(guardedCopy(t, noEnd)); ok {
		t.Errorf("no terminator: EarlyUsedSize = %d, ok", n)
	}
}

func TestEarlyRejects(t *testing.T) {
	blob := readFixture(t, fixtures[0].file)
	if EarlyValid(nil) {
		t.Error("EarlyValid(nil)")
	}
	// The blob must be 4-aligned.
	buf := make([]uint32, len(blob)/4+2)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*4)
	copy(b[2:], blob)
	if p := unsafe.Pointer(&b[2]); EarlyValid(p) {
		t.Error("EarlyValid accepted a misaligned blob")
	}
	for _, c := range []struct {
		name     string
		off      int
		v        uint32
		wantOK   bool
		wantSize bool
	}{
		{"magic", hMagic, 0xd00dfeee, false, false},
		{"padded to 64 MiB", hTotalSize, 64 << 20, true, true},
		{"too small", hTotalSize, 39, false, false},
		{"version", hVersion, 15, false, false},
		{"last comp", hLastComp, 18, false, false},
		{"struct overflow", hStructSz, 0xfffffffc, false, false},
		{"strings overflow", hStrSize, 0xffffffff, false, false},
		{"struct misaligned", hStructOff, 0x3a, false, false},
		{"rsv misaligned", hRsvOff, 0x2c, false, false},
		{"ok", hBootCPU, 1, true, true},
	} {
		p := guardedCopy(t, patch(blob, c.off, c.v))
		if EarlyValid(p) != c.wantOK {
			t.Errorf("%s: EarlyValid = %v", c.name, !c.wantOK)
		}
		if _, _, ok := EarlyMemory(p); ok != c.wantOK {
			t.Errorf("%s: EarlyMemory ok = %v", c.name, ok)
		}
		if _, ok := EarlyCompatibleReg(p, "arm,pl011"); ok != c.wantOK {
			t.Errorf("%s: EarlyCompatibleReg ok = %v", c.name, ok)
		}
	}
}

// TestEarlyTruncated cuts every fixture's structure block at every 4-byte
// boundary and byte: the early reader must not fault, and whatever it does
// find before the cut must be what it finds in the whole blob.
func TestEarlyTruncated(t *testing.T) {
	for _, fx := range fixtures {
		blob := readFixture(t, fx.file)
		p := guardedCopy(t, blob)
		mb, ms, _ := EarlyMemory(p)
		ub, _ := EarlyCompatibleReg(p, "arm,pl011")
		vb, _ := EarlyCompatibleReg(p, "virtio,mmio")
		ib, _ := EarlyCompatibleReg(p, fx.msiCompatible)
		for k := range getU32(blob, hStructSz) {
			p := guardedCopy(t, patch(blob, hStructSz, k))
			if b, s, ok := EarlyMemory(p); ok && (b != mb || s != ms) {
				t.Fatalf("%s: struct cut at %d: EarlyMemory = %#x, %#x", fx.file, k, b, s)
			}
			for c, want := range map[string]uint64{"arm,pl011": ub, "virtio,mmio": vb, fx.msiCompatible: ib} {
				if b, ok := EarlyCompatibleReg(p, c); ok && b != want {
					t.Fatalf("%s: struct cut at %d: EarlyCompatibleReg(%s) = %#x", fx.file, k, c, b)
				}
			}
		}
		// Cutting the blob itself (totalsize = cut) always breaks the header:
		// the strings block is last.
		for n := range len(blob) {
			c := append([]byte(nil), blob[:n]...)
			if n >= 8 {
				binary.BigEndian.PutUint32(c[4:], uint32(n))
			}
			if p := guardedCopy(t, c); EarlyValid(p) {
				t.Fatalf("%s: EarlyValid on a blob cut to %d bytes", fx.file, n)
			}
		}
	}
}

// TestEarlySynthetic checks the early reader against the full parser on
// hand-built trees that exercise cells, defaults, translation and odd
// property layouts.
func TestEarlySynthetic(t *testing.T) {
	const none = ^uint64(0)
	// Expected early answers; none means ok=false. "mem" is EarlyMemory.
	want := map[string]map[string][2]uint64{
		"good":                                   {"mem": {0x80000000, 0x1000000}, "ns16550a": {0x10001000}, "simple-bus": {none}},
		"defaults 2/1":                           {"mem": {0x1_0000_0000, 0x1000}, "x": {0x9000}},
		"size cells 0":                           {"mem": {0x4000, 0}},
		"bad cells":                              {"mem": {none}, "x": {none}},
		"cells wrong length":                     {"mem": {none}},
		"first property wins":                    {"mem": {0x1000, 0x10}, "x": {0x4000}, "y": {0x3000}},
		"nops everywhere":                        {"mem": {0x1000, 0x10}, "x": {0x3000}},
		"memory needs reg":                       {"mem": {0x40, 0x10}},
		"compatible lists":                       {"bar": {0x100}, "": {0x100}, "baz": {0x400}, "ba": {0x300}, "b": {none}},
		"parent before child":                    {"x": {0x500}, "z": {0x600}, "w": {0x1010}, "v": {0x10f0}, "u": {none}},
		"windows":                                {"a": {0x1_0000_0010}, "b": {none}, "c": {0x10003000}, "d": {none}, "e": {none}, "f": {none}},
		"memory below a bus is not early memory": {"mem": {none}},
	}
	for name, blob := range syntheticBlobs() {
		tree, err := Parse(blob)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := guardedCopy(t, blob)
		checkEarly(t, tree, p)
		for c, w := range want[name] {
			var b, s uint64
			var ok bool
			if c == "mem" {
				b, s, ok = EarlyMemory(p)
			} else {
				b, ok = EarlyCompatibleReg(p, c)
			}
			if w[0] == none && ok || w[0] != none && (!ok || b != w[0] || s != w[1]) {
				t.Errorf("%s: %s = %#x, %#x, %v; want %#x", name, c, b, s, ok, w)
			}
		}
	}
}

// TestEarlyAllocs makes sure the early reader never allocates.
func TestEarlyAllocs(t *testing.T) {
	p := guardedCopy(t, readFixture(t, fixtures[2].file))
	n := testing.AllocsPerRun(10, func() {
		EarlyValid(p)
		EarlyMemory(p)
		EarlyCompatibleReg(p, "arm,pl011")
	})
	if n != 0 {
		t.Errorf("early reader allocates %v times per run", n)
	}
}

// EarlyCompatibleRegN walks the same nodes, in the same order, as the
// full parser's list of virtio-mmio transports.
func TestEarlyCompatibleRegN(t *testing.T) {
	for _, fx := range fixtures {
		blob := readFixture(t, fx.file)
		tree, err := Parse(blob)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tree.Machine()
		if err != nil {
			t.Fatal(err)
		}
		p := guardedCopy(t, blob)
		for i, d := range m.VirtioMMIO {
			if b, ok := EarlyCompatibleRegN(p, "virtio,mmio", i); !ok || b != d.Reg.Base {
				t.Fatalf("%s: EarlyCompatibleRegN(%d) = %#x, %v; want %#x", fx.file, i, b, ok, d.Reg.Base)
			}
		}
		if b, ok := EarlyCompatibleRegN(p, "virtio,mmio", len(m.VirtioMMIO)); ok {
			t.Fatalf("%s: node %d past the last found at %#x", fx.file, len(m.VirtioMMIO), b)
		}
	}
}
