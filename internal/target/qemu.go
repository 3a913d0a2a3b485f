//go:build !tamago

package target

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// QEMUBinary is the emulator every board runs on.
const QEMUBinary = "qemu-system-aarch64"

// A QEMU is one boot of a board under QEMU.
type QEMU struct {
	Board Board
	SMP   int    // cores; 0: the board's fixed number, or 1
	Mem   string // RAM, e.g. "512M"; "": the board's fixed amount, or 512M
	GIC   int    // virt's GIC version, 2 or 3; 0: 2
	EL2   bool   // virt: enter at EL2 (virtualization=on)
	// Net gives the machine a virtio-net device on QEMU's user network,
	// with Fwd as its port forwards (QEMU hostfwd rules such as
	// tcp:127.0.0.1:8080-:80).
	Net bool
	Fwd []string
	// Serial is QEMU's -serial; "" is stdio. On a terminal, mon:stdio
	// keeps Ctrl-A X and the monitor.
	Serial  string
	Kernel  string // the ELF, or the raw image on boards that boot one
	Initrd  string // an initrd (a Linux guest's initramfs), if any
	DTB     string // the device tree file, for boards that need one
	Cmdline string // the kernel command line
	Extra   []string
}

// Args is QEMU's command line: the machine (board, cores, RAM, devices)
// and the console, then the kernel and its command line, then Extra.
// Everything before -kernel is the machine, so that a yolk and a Linux
// guest booted with the same options see the same machine.
func (q QEMU) Args() ([]string, error) {
	b := q.Board
	if b.Machine == "" {
		return nil, fmt.Errorf("no board")
	}
	virt := b.Machine == QEMUVirt.Machine
	m := b.Machine
	if !virt && (q.GIC != 0 || q.EL2) {
		return nil, fmt.Errorf("-gic and -el2 are only supported on the virt machine, not %s", b.Machine)
	}
	switch q.GIC {
	case 0, 2:
	case 3:
		m += ",gic-version=3"
	default:
		return nil, fmt.Errorf("bad -gic value %d: want 2 or 3", q.GIC)
	}
	if q.EL2 {
		m += ",virtualization=on"
	}
	a := []string{"-M", m}
	if b.DTB != "" {
		if q.DTB == "" {
			return nil, fmt.Errorf("the %s machine needs a device tree (-dtb %s)", b.Machine, b.DTB)
		}
		a = append(a, "-dtb", q.DTB)
	} else {
		// Every feature QEMU can emulate, among them RNDR (entropy).
		a = append(a, "-cpu", "max")
	}
	smp, mem, err := q.size()
	if err != nil {
		return nil, err
	}
	if smp != "" {
		a = append(a, "-smp", smp)
	}
	if mem != "" {
		a = append(a, "-m", mem)
	}
	if virt {
		// yolk's virtio drivers speak the modern (version 2) virtio-mmio
		// transport.
		a = append(a, "-global", "virtio-mmio.force-legacy=false")
	}
	if q.Net {
		if !b.Net {
			return nil, fmt.Errorf("the %s machine has no network device QEMU can emulate for yolk", b.Machine)
		}
		netdev := "user,id=n0"
		for _, f := range q.Fwd {
			if strings.Contains(f, ",") || f == "" {
				return nil, fmt.Errorf("bad port forward %q: want a QEMU hostfwd rule without commas, e.g. tcp:127.0.0.1:8080-:80", f)
			}
			netdev += ",hostfwd=" + f
		}
		a = append(a, "-netdev", netdev, "-device", "virtio-net-device,netdev=n0")
	}
	serial := q.Serial
	if serial == "" {
		serial = "stdio"
	}
	a = append(a, "-nographic", "-monitor", "none", "-serial", serial,
		// -semihosting: the guest's exit status reaches the host.
		"-semihosting", "-no-reboot", "-kernel", q.Kernel)
	if q.Initrd != "" {
		a = append(a, "-initrd", q.Initrd)
	}
	a = append(a, "-append", q.Cmdline)
	return append(a, q.Extra...), nil
}

var fwdRE = regexp.MustCompile(`^(?:(tcp|udp):)?([0-9]{1,5}):([0-9]{1,5})$`)

// Forward reads a port forward: HOSTPORT:GUESTPORT (TCP), or
// tcp:HOSTPORT:GUESTPORT and udp:HOSTPORT:GUESTPORT, forwarded from the
// host's loopback address; or a QEMU hostfwd rule as it is (e.g.
// tcp:127.0.0.1:8080-:80).
func Forward(s string) (string, error) {
	if m := fwdRE.FindStringSubmatch(s); m != nil {
		proto := m[1]
		if proto == "" {
			proto = "tcp"
		}
		for _, p := range m[2:] {
			if n, _ := strconv.Atoi(p); n < 1 || n > 65535 {
				return "", fmt.Errorf("bad port forward %q: port %s is not in 1-65535", s, p)
			}
		}
		return proto + ":127.0.0.1:" + m[2] + "-:" + m[3], nil
	}
	if strings.Contains(s, "-") && !strings.Contains(s, ",") && (strings.HasPrefix(s, "tcp:") || strings.HasPrefix(s, "udp:")) {
		return s, nil
	}
	return "", fmt.Errorf("bad port forward %q: want HOSTPORT:GUESTPORT (e.g. 8080:80, udp:8007:7) or a QEMU hostfwd rule (tcp:127.0.0.1:8080-:80)", s)
}

var memRE = regexp.MustCompile(`^([0-9]+)([KMGTkmgt]?)$`)

// ParseSize reads a QEMU memory size such as 512M or 1G (no suffix:
// MiB, as QEMU takes it).
func ParseSize(s string) (uint64, error) {
	m := memRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad -m value %q: want e.g. 512M or 1G", s)
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad -m value %q: want e.g. 512M or 1G", s)
	}
	shift := map[string]uint{"": 20, "k": 10, "m": 20, "g": 30, "t": 40}[strings.ToLower(m[2])]
	if n > (1<<63)>>shift {
		return 0, fmt.Errorf("bad -m value %q: too large", s)
	}
	return n << shift, nil
}

// size checks -smp and -m against the board.
func (q QEMU) size() (smp, mem string, err error) {
	b := q.Board
	if q.SMP < 0 {
		return "", "", fmt.Errorf("bad -smp value %d: want a positive integer", q.SMP)
	}
	if b.CPUs != 0 {
		if q.SMP != 0 && q.SMP != b.CPUs {
			return "", "", fmt.Errorf("-smp %d: the %s machine always has %d cores (boot argument yolk.cpus=N uses fewer)", q.SMP, b.Machine, b.CPUs)
		}
	} else if q.SMP == 0 {
		smp = "1"
	} else {
		smp = strconv.Itoa(q.SMP)
	}
	if b.RAM != "" {
		if q.Mem != "" && q.Mem != b.RAM {
			return "", "", fmt.Errorf("-m %s: the %s machine always has %s of RAM", q.Mem, b.Machine, b.RAM)
		}
		return smp, "", nil
	}
	mem = q.Mem
	if mem == "" {
		mem = "512M"
	}
	n, err := ParseSize(mem)
	if err != nil {
		return "", "", err
	}
	if b.MaxRAM != 0 && n > b.MaxRAM {
		return "", "", fmt.Errorf("-m %s: yolk on %s can use at most %s (TamaGo's heap must lie below 4 GiB, and the machine's RAM starts at %s)",
			mem, b.Name, FormatSize(b.MaxRAM), FormatSize(4<<30-b.MaxRAM))
	}
	return smp, mem, nil
}

// FormatSize writes n bytes the way -m takes them.
func FormatSize(n uint64) string {
	for _, u := range []struct {
		s     string
		shift uint
	}{{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatUint(n>>u.shift, 10) + u.s
		}
	}
	return strconv.FormatUint(n, 10)
}
