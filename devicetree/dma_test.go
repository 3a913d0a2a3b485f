package devicetree

import (
	"os"
	"testing"
)

// dma-ranges on QEMU's and the Pi's device tree: the mailbox under /soc
// sees the first GiB at bus address 0xc0000000; GENET under /scb (no
// dma-ranges) sees CPU addresses as they are.
func TestDMAWindows(t *testing.T) {
	b, err := os.ReadFile("../board/rpi4/testdata/bcm2711-rpi-4-b.dtb")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	mbox := tree.Compatible("brcm,bcm2835-mbox")[0]
	w, err := mbox.DMAWindows()
	if err != nil || len(w) != 1 || w[0] != (DMAWindow{Bus: 0xc000_0000, CPU: 0, Size: 1 << 30}) {
		t.Errorf("mailbox: %+v, %v", w, err)
	}
	genet := tree.Compatible("brcm,bcm2711-genet-v5")[0]
	w, err = genet.DMAWindows()
	if err != nil || len(w) != 1 || w[0] != (DMAWindow{Bus: 0, CPU: 0, Size: ^uint64(0)}) {
		t.Errorf("genet: %+v, %v", w, err)
	}
}
