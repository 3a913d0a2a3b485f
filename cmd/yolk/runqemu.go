//go:build !tamago

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yolkos/yolk/internal/target"
)

const runQEMUUsage = `Usage:
  run-qemu.sh [-smp N] [-m SIZE] [-gic 2|3] [-el2] [-machine NAME] [-net]
              [-timeout SECONDS] [--] ELF [args...]

Boots a yolk ELF under qemu-system-aarch64 and exits with the guest's exit
status (go tool yolk run does the same for users of the yolk module). It
also works as a go test -exec wrapper with TamaGo's go command:
  GOOS=tamago GOARCH=arm64 "$(go tool -n tamago)" test -exec "$PWD/run-qemu.sh" ./pkg
go test cannot pass options, so the YOLK_* variables below steer it.

Options (only before ELF; everything after ELF goes to the guest):
  -smp N            number of CPUs                (env YOLK_SMP, default 1)
  -m SIZE           guest RAM, e.g. 512M or 1G    (env YOLK_MEM, default 512M)
  -gic 2|3          GIC version on virt           (env YOLK_GIC, default 2)
  -el2              start at EL2 (virt: virtualization=on)   (env YOLK_EL2=1)
  -machine NAME     QEMU machine: virt or raspi4b (env YOLK_MACHINE, default virt);
                    on raspi4b the ELF (linked for board/rpi4) boots as the
                    Pi's kernel8.img with the Pi's device tree
  -net              user networking + virtio-net-device       (env YOLK_NET=1)
  -timeout SECONDS  kill QEMU after SECONDS, 0 = never (env YOLK_TIMEOUT)

Timeout precedence: -timeout, then YOLK_TIMEOUT, then a go test
-test.timeout=D guest argument (D+30s, so the guest's own timeout fires
first and prints its goroutine dump), then 600 seconds.

Other environment:
  QEMU          QEMU binary (default qemu-system-aarch64)
  QEMU_EXTRA    extra QEMU arguments, split on whitespace, appended last
  YOLK_HOSTFWD  -net port forwards: whitespace-separated QEMU hostfwd rules
                (default tcp:127.0.0.1:8080-:80)
  YOLK_STDIN=1  hand a non-terminal stdin to the guest serial port
                (by default QEMU gets /dev/null unless stdin is a terminal)
  YOLK_DEBUG=1  print the computed timeout and the QEMU command to stderr

Guest arguments are joined with single spaces into the kernel command line
(-append), which the guest splits on spaces; arguments that are empty or
contain whitespace or a double quote cannot round-trip and are refused.

On a terminal the serial port is mon:stdio: Ctrl-C goes to the guest,
Ctrl-A X quits QEMU, Ctrl-A C toggles the QEMU monitor, Ctrl-A H for help.

Exit status: the guest's (semihosting SYS_EXIT); 2 for usage errors or
when QEMU cannot be started (missing binary, missing or non-arm64 ELF);
124 on timeout; 128+N when killed by signal N.
`

// cmdRunQEMU is run-qemu.sh: its options, its YOLK_* variables and its
// messages, with the machine from internal/target. The script runs it as
// `yolk run-qemu -dir ROOT ARGS`, ROOT being the yolk repository.
func cmdRunQEMU(args []string) error {
	prog = "run-qemu.sh"
	root := "."
	if len(args) >= 2 && args[0] == "-dir" {
		root, args = args[1], args[2:]
	}
	env := func(k string) string { return os.Getenv(k) }
	smp, mem, gic, el2 := env("YOLK_SMP"), env("YOLK_MEM"), env("YOLK_GIC"), env("YOLK_EL2")
	machine, net := env("YOLK_MACHINE"), env("YOLK_NET")
	timeout, timeoutFrom := env("YOLK_TIMEOUT"), "YOLK_TIMEOUT"
	if machine == "" {
		machine = target.QEMUVirt.Machine
	}
	for len(args) > 0 {
		a := args[0]
		opt := strings.TrimPrefix(a, "-")
		val := func() (string, error) {
			if len(args) < 2 {
				return "", usagef("option %s needs an argument (see %s -h)", a, prog)
			}
			v := args[1]
			args = args[2:]
			return v, nil
		}
		var err error
		switch opt {
		case "smp", "-smp":
			smp, err = val()
		case "m", "-m":
			mem, err = val()
		case "gic", "-gic":
			gic, err = val()
		case "machine", "-machine", "M":
			machine, err = val()
		case "timeout", "-timeout":
			timeout, err = val()
			timeoutFrom = "-timeout"
		case "el2", "-el2":
			el2, args = "1", args[1:]
		case "net", "-net":
			net, args = "1", args[1:]
		case "h", "help", "-help":
			fmt.Fprint(os.Stderr, runQEMUUsage)
			return nil
		case "-":
			args = args[1:]
		default:
			if strings.HasPrefix(a, "-") {
				return usagef("unknown option %s (see %s -h)", a, prog)
			}
		}
		if err != nil {
			return err
		}
		if opt == "-" || !strings.HasPrefix(a, "-") {
			break
		}
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, runQEMUUsage)
		return usagef("missing ELF argument")
	}
	elf, guest := args[0], args[1:]

	b, ok := target.ForMachine(machine)
	if !ok {
		return usagef("unknown machine %q: want %s or %s", machine, target.QEMUVirt.Machine, target.RPi4.Machine)
	}
	var q target.QEMU
	q.Board = b
	virt := b.Name == target.QEMUVirt.Name
	if !virt && (gic != "" || el2 == "1") {
		return usagef("%s is only supported on the virt machine, not %s", map[bool]string{true: "-gic", false: "-el2"}[gic != ""], machine)
	}
	if smp != "" {
		n, err := strconv.Atoi(smp)
		if err != nil || n < 1 {
			return usagef("bad -smp value '%s': want a positive integer", smp)
		}
		q.SMP = n
	}
	if mem != "" {
		if _, err := target.ParseSize(mem); err != nil {
			return usagef("bad -m value '%s': want e.g. 512M or 1G", mem)
		}
		q.Mem = mem
	}
	switch gic {
	case "":
	case "2", "3":
		q.GIC, _ = strconv.Atoi(gic)
	default:
		return usagef("bad -gic value '%s': want 2 or 3", gic)
	}
	for _, v := range []struct{ name, val string }{{"YOLK_EL2", el2}, {"YOLK_NET", net}} {
		if v.val != "" && v.val != "0" && v.val != "1" {
			return usagef("bad %s value '%s': want 0 or 1", v.name, v.val)
		}
	}
	q.EL2, q.Net = el2 == "1", net == "1"
	if q.Net {
		fwd, set := os.LookupEnv("YOLK_HOSTFWD")
		if !set {
			fwd = "tcp:127.0.0.1:8080-:80"
		}
		for _, f := range strings.Fields(fwd) {
			if strings.Contains(f, ",") {
				return usagef("bad YOLK_HOSTFWD rule '%s': no commas allowed", f)
			}
			q.Fwd = append(q.Fwd, f)
		}
	}
	cmdline, err := target.Cmdline(guest)
	if err != nil {
		return usageError{err.Error()}
	}
	q.Cmdline = cmdline

	var limit time.Duration
	switch {
	case timeout != "":
		n, err := strconv.ParseUint(timeout, 10, 31)
		if err != nil {
			return usagef("bad %s value '%s': want whole seconds", timeoutFrom, timeout)
		}
		limit = time.Duration(n) * time.Second
	default:
		d, ok, err := target.TestTimeout(guest)
		if err != nil {
			return usageError{err.Error()}
		}
		limit, timeoutFrom = 600*time.Second, "default"
		if ok {
			limit, timeoutFrom = d, "-test.timeout + 30s"
		}
	}
	debug := os.Getenv("YOLK_DEBUG") == "1"
	if debug {
		fmt.Fprintf(os.Stderr, "%s: timeout=%s (%s)\n", prog, fmtSeconds(limit), timeoutFrom)
	}

	qemu, err := qemuBinary(prog)
	if err != nil {
		return usageError{err.Error()}
	}
	tmp, err := os.MkdirTemp("", "yolk-run-qemu")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if q.Kernel, err = bootable(elf, b, tmp); err != nil {
		return usageError{err.Error()}
	}
	if b.DTB != "" {
		q.DTB = filepath.Join(root, b.DTB)
	}
	term := isTerminal(os.Stdin)
	if term {
		q.Serial = "mon:stdio"
	}
	q.Extra = strings.Fields(os.Getenv("QEMU_EXTRA"))
	qargs, err := q.Args()
	if err != nil {
		return usageError{err.Error()}
	}
	r := runner{prog: prog, qemu: qemu, args: qargs, timeout: limit,
		stdin: term || os.Getenv("YOLK_STDIN") == "1", debug: debug}
	code, err := r.run()
	if err != nil {
		return usageError{err.Error()}
	}
	return exitStatus(code)
}
