//go:build tamago && yolk_rpi4

package board

// The Raspberry Pi 4 (and QEMU's raspi4b), chosen by the build tag.
import _ "github.com/yolkos/yolk/board/rpi4"
