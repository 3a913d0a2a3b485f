//go:build benchnet && linux

package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// moduleDir holds the kernel modules the harness puts into the initramfs
// (virtio-mmio, virtio-net and what they need, which Debian's kernel
// builds as modules): <name>.ko, and "order", their names in load order.
const moduleDir = "/modules"

// ethWait is how long the network device may take to appear.
const ethWait = 10 * time.Second

// startNetwork, when the guest is the machine's init, loads the modules
// and configures lo and eth0 statically with ip (prefix) and the default
// route through gw, as a minimal init would. As an ordinary process it
// uses the host's network as it is.
func startNetwork(ip, gw string) error {
	if os.Getpid() != 1 {
		return nil
	}
	addr, err := netip.ParsePrefix(ip)
	if err != nil || !addr.Addr().Is4() {
		return fmt.Errorf("-ip %q: want an IPv4 address/prefix", ip)
	}
	var gateway netip.Addr
	if gw != "" {
		if gateway, err = netip.ParseAddr(gw); err != nil || !gateway.Is4() {
			return fmt.Errorf("-gw %q: want an IPv4 address", gw)
		}
	}
	loaded, err := loadModules(moduleDir)
	if err != nil {
		return err
	}
	if err := ifUp("lo", netip.MustParsePrefix("127.0.0.1/8")); err != nil {
		return err
	}
	if err := waitInterface("eth0", ethWait); err != nil {
		if len(loaded) == 0 {
			return fmt.Errorf("%v; no modules loaded (none in %s)", err, moduleDir)
		}
		return fmt.Errorf("%v; modules loaded: %s", err, strings.Join(loaded, " "))
	}
	if err := ifUp("eth0", addr); err != nil {
		return err
	}
	if gateway.IsValid() {
		return addDefaultRoute(gateway)
	}
	return nil
}

// loadModules loads the modules dir/order names, in that order, with
// finit_module(2). A module the kernel already has is fine. No order file:
// nothing to load (a kernel with the drivers built in).
func loadModules(dir string) (loaded []string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, "order"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sysFinitModule == 0 {
		return nil, errors.New("loading kernel modules: finit_module is not wired up for this GOARCH")
	}
	params, _ := syscall.BytePtrFromString("")
	for _, name := range strings.Fields(string(b)) {
		f, err := os.Open(filepath.Join(dir, name+".ko"))
		if err != nil {
			return loaded, err
		}
		_, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(params)), 0)
		f.Close()
		if e != 0 && e != syscall.EEXIST {
			return loaded, fmt.Errorf("loading module %s: finit_module: %v", name, e)
		}
		loaded = append(loaded, name)
	}
	return loaded, nil
}

// waitInterface polls (through netlink) until the interface name exists.
func waitInterface(name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := net.InterfaceByName(name)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no network interface %s after %v (%v)", name, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sockaddr(a netip.Addr) syscall.RawSockaddrInet4 {
	return syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: a.As4()}
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// ifUp gives the interface name the address p and brings it up.
func ifUp(name string, p netip.Prefix) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var a ifreqAddr
	copy(a.name[:len(a.name)-1], name)
	a.addr = sockaddr(p.Addr())
	if err := ioctl(fd, syscall.SIOCSIFADDR, unsafe.Pointer(&a)); err != nil {
		return fmt.Errorf("%s: setting address %v: %v", name, p.Addr(), err)
	}
	a.addr = sockaddr(netip.AddrFrom4(netmask(p.Bits())))
	if err := ioctl(fd, syscall.SIOCSIFNETMASK, unsafe.Pointer(&a)); err != nil {
		return fmt.Errorf("%s: setting netmask /%d: %v", name, p.Bits(), err)
	}
	var f ifreqFlags
	copy(f.name[:len(f.name)-1], name)
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, unsafe.Pointer(&f)); err != nil {
		return fmt.Errorf("%s: reading flags: %v", name, err)
	}
	f.flags |= syscall.IFF_UP
	if err := ioctl(fd, syscall.SIOCSIFFLAGS, unsafe.Pointer(&f)); err != nil {
		return fmt.Errorf("%s: bringing it up: %v", name, err)
	}
	return nil
}

// addDefaultRoute routes everything off-link through gw.
func addDefaultRoute(gw netip.Addr) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	any4 := netip.IPv4Unspecified()
	rt := rtentry{dst: sockaddr(any4), gateway: sockaddr(gw), genmask: sockaddr(any4),
		flags: syscall.RTF_UP | syscall.RTF_GATEWAY}
	if err := ioctl(fd, syscall.SIOCADDRT, unsafe.Pointer(&rt)); err != nil {
		return fmt.Errorf("adding the default route via %v: %v", gw, err)
	}
	return nil
}
