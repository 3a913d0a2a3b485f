//go:build linux

package main

import (
	"testing"
	"unsafe"
)

// The structures must match the kernel's on 64-bit Linux (arm64 and the
// host's amd64 lay them out alike).
func TestIoctlLayouts(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("32-bit")
	}
	var rt rtentry
	for _, c := range []struct {
		what      string
		got, want uintptr
	}{
		{"sizeof(struct ifreq)", unsafe.Sizeof(ifreqAddr{}), 40},
		{"sizeof(struct ifreq) (flags)", unsafe.Sizeof(ifreqFlags{}), 40},
		{"ifr_addr", unsafe.Offsetof(ifreqAddr{}.addr), 16},
		{"ifr_flags", unsafe.Offsetof(ifreqFlags{}.flags), 16},
		{"sizeof(struct rtentry)", unsafe.Sizeof(rt), 120},
		{"rt_dst", unsafe.Offsetof(rt.dst), 8},
		{"rt_gateway", unsafe.Offsetof(rt.gateway), 24},
		{"rt_genmask", unsafe.Offsetof(rt.genmask), 40},
		{"rt_flags", unsafe.Offsetof(rt.flags), 56},
		{"rt_pad3", unsafe.Offsetof(rt.pad3), 64},
		{"rt_metric", unsafe.Offsetof(rt.metric), 80},
		{"rt_dev", unsafe.Offsetof(rt.dev), 88},
		{"rt_irtt", unsafe.Offsetof(rt.irtt), 112},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
}

func TestNetmask(t *testing.T) {
	for bits, want := range map[int][4]byte{0: {}, 8: {255}, 24: {255, 255, 255}, 25: {255, 255, 255, 128}, 32: {255, 255, 255, 255}} {
		if got := netmask(bits); got != want {
			t.Errorf("netmask(%d) = %v, want %v", bits, got, want)
		}
	}
}
