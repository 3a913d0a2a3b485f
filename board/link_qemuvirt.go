//go:build tamago && !yolk_rpi4

package board

// The default board: QEMU's virt machine.
import _ "github.com/yolkos/yolk/board/qemu-virt"
