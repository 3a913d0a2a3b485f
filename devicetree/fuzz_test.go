package devicetree

import (
	"os"
	"path/filepath"
	"testing"
)

// addSeeds seeds a fuzzer with the fixtures and the synthetic trees.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.dtb"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range syntheticBlobs() {
		f.Add(b)
	}
	f.Add(machineBlob(1, 0, 6, 1))
}

// FuzzParse: Parse never panics or hangs, and every helper copes with
// whatever tree it accepts.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := Parse(data)
		if err != nil {
			return
		}
		tree.Machine()
		for _, p := range []string{"/", "serial0", "/chosen", "/cpus/cpu@0", "/intc/v2m", "x/y"} {
			tree.Lookup(p)
		}
		for i, n := range tree.Nodes() {
			if i == 500 {
				break
			}
			if got := tree.Lookup(n.Path()); got != n {
				t.Fatalf("Lookup(%q) = %v, want the node at that path", n.Path(), got)
			}
			n.Reg()
			n.Interrupts()
			n.Strings("compatible")
			n.String("status")
			n.U32("#address-cells")
			n.U64("cpu-release-addr")
		}
		tree.Compatible("virtio,mmio")
	})
}

// FuzzEarly: the early reader never faults (the blob ends at a guard page)
// or hangs, and on every blob that Parse accepts it agrees with the full
// parser.
func FuzzEarly(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := guardedCopy(t, data)
		EarlyValid(p)
		EarlyMemory(p)
		EarlyCompatibleReg(p, "arm,pl011")
		tree, err := Parse(data)
		if err != nil {
			return
		}
		checkEarly(t, tree, p)
	})
}
