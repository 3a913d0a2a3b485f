//go:build linux

package main

// The kernel's structures for configuring a network interface and a route
// with ioctl(2), which net_linux.go uses (here, without -tags benchnet,
// so that the host tests check their layout).

import "syscall"

// struct ifreq (40 bytes on 64-bit): the interface name, then a union,
// here its struct sockaddr or its short flags.
type ifreqAddr struct {
	name [syscall.IFNAMSIZ]byte
	addr syscall.RawSockaddrInet4
	_    [8]byte
}

type ifreqFlags struct {
	name  [syscall.IFNAMSIZ]byte
	flags uint16
	_     [22]byte
}

// struct rtentry, for SIOCADDRT (unsigned long and pointers: uintptr).
type rtentry struct {
	pad1    uintptr
	dst     syscall.RawSockaddrInet4
	gateway syscall.RawSockaddrInet4
	genmask syscall.RawSockaddrInet4
	flags   uint16
	pad2    int16
	pad3    uintptr
	pad4    uintptr
	metric  int16
	dev     uintptr // char *
	mtu     uintptr
	window  uintptr
	irtt    uint16
}

// netmask is the IPv4 netmask of prefix length bits (0 to 32).
func netmask(bits int) [4]byte {
	m := uint32(0)
	if bits > 0 {
		m = ^uint32(0) << (32 - bits)
	}
	return [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
}
