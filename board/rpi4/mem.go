//go:build tamago

package rpi4

import "github.com/yolkos/yolk/boot"

// The BCM2711's ARM address map in low-peripheral mode (BCM2711 ARM
// Peripherals, 1.2 "Address map"): RAM from 0, the main peripherals at
// 0xfc000000-0xff7fffff and the ARM local peripherals (GIC-400 at
// 0xff840000) up to 4 GiB. All of it is mapped Device-nGnRE. The firmware
// passes the device tree in x0; there is no fallback address.
var bootConfig = boot.Config{
	UART: 0xfe20_1000,
	Devices: [4]boot.Window{
		{Base: 0xfc00_0000, Size: 0x0400_0000},
	},
	CopiesDTB: true, // hwinit0's saveDTB
}
