//go:build tamago

package dma_test

import (
	"testing"

	_ "github.com/yolkos/yolk/board/qemu-virt"
	"github.com/yolkos/yolk/drivers/dma"
)

// The cache maintenance instructions run on the target without faulting
// and leave the data as it was; the granule is a power of two the
// architecture allows.
func TestTargetMaintenance(t *testing.T) {
	g := dma.Granule()
	if g < 16 || g > 2048 || g&(g-1) != 0 {
		t.Fatalf("writeback granule %d", g)
	}
	p, err := dma.NewPool(dma.Identity(), 4, 3000)
	if err != nil {
		t.Fatal(err)
	}
	b := p.Buf(1)
	for i := range b {
		b[i] = byte(i)
	}
	dma.ForDevice(b)
	dma.ForCPU(b[7:2001])
	for i := range b {
		if b[i] != byte(i) {
			t.Fatalf("byte %d changed to %d", i, b[i])
		}
	}
}
