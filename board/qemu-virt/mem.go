//go:build tamago

package qemuvirt

import "github.com/yolkos/yolk/boot"

// The QEMU virt machine's fixed layout (hw/arm/virt.c memory map): MMIO
// from the GIC at 128 MiB up to RAM at 1 GiB; QEMU puts the device tree at
// the base of RAM for bare-metal images, and yolk links its image 2 MiB
// above it (TextStart in the Makefile).
var bootConfig = boot.Config{
	FallbackDTB: 0x4000_0000,
	UART:        0x0900_0000,
	Devices: [4]boot.Window{
		{Base: 0x0800_0000, Size: 0x3800_0000},
	},
}
