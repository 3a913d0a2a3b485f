//go:build !tamago

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yolkos/yolk/internal/target"
)

// multi is a repeatable flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// qemuFlags are the flags of run, test and exec that shape the machine.
type qemuFlags struct {
	board   string
	smp     int
	mem     string
	gic     int
	el2     bool
	net     bool
	fwd     multi
	env     multi
	timeout time.Duration
}

func (q *qemuFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&q.board, "board", "", "the board: "+target.Names())
	fs.IntVar(&q.smp, "smp", 0, "cores (qemu-virt; default 1; rpi4 has 4)")
	fs.StringVar(&q.mem, "m", "", "RAM, e.g. 512M or 1G (qemu-virt: default 512M, at most 3G)")
	fs.IntVar(&q.gic, "gic", 0, "qemu-virt's GIC version, 2 or 3")
	fs.BoolVar(&q.el2, "el2", false, "qemu-virt: enter at EL2")
	fs.BoolVar(&q.net, "net", false, "a virtio-net device on QEMU's user network (qemu-virt)")
	fs.Var(&q.fwd, "fwd", "a port forward for -net: HOSTPORT:GUESTPORT (TCP on the host's 127.0.0.1), udp:HOSTPORT:GUESTPORT, or a QEMU hostfwd rule (repeatable)")
	fs.Var(&q.env, "env", "NAME=value, or NAME to copy it from the host: an environment variable for the guest (repeatable)")
	fs.DurationVar(&q.timeout, "timeout", 0, "stop QEMU after this long (run: default none; test: go test's -timeout + 30s)")
}

// guestEnv resolves the -env flags: NAME alone copies the host's value.
func (q *qemuFlags) guestEnv() ([]string, error) {
	var env []string
	for _, e := range q.env {
		if strings.Contains(e, "=") {
			env = append(env, e)
			continue
		}
		v, ok := os.LookupEnv(e)
		if !ok {
			return nil, usagef("-env %s: %s is not set on the host (give -env %s=value)", e, e, e)
		}
		env = append(env, e+"="+v)
	}
	return env, nil
}

// machine is the QEMU boot of kernel on b with the flags and the
// command line words.
func (q *qemuFlags) machine(b target.Board, kernel, dtb string, words []string) (target.QEMU, error) {
	cmdline, err := target.Cmdline(words)
	if err != nil {
		return target.QEMU{}, err
	}
	if len(q.fwd) > 0 && !q.net {
		return target.QEMU{}, usagef("-fwd needs -net")
	}
	var fwd []string
	for _, f := range q.fwd {
		r, err := target.Forward(f)
		if err != nil {
			return target.QEMU{}, usageError{err.Error()}
		}
		fwd = append(fwd, r)
	}
	return target.QEMU{Board: b, SMP: q.smp, Mem: q.mem, GIC: q.gic, EL2: q.el2,
		Net: q.net, Fwd: fwd, Kernel: kernel, DTB: dtb, Cmdline: cmdline}, nil
}

// bootable prepares an ELF for b: checked, and on boards that boot a raw
// image converted into one in dir. It returns the kernel for QEMU.
func bootable(elf string, b target.Board, dir string) (string, error) {
	if err := target.CheckELF(elf, b); err != nil {
		return "", err
	}
	if b.Image == 0 {
		return elf, nil
	}
	img, err := target.RawImage(elf, b.Image)
	if err != nil {
		return "", fmt.Errorf("%s: %v", elf, err)
	}
	p := filepath.Join(dir, "kernel8.img")
	return p, os.WriteFile(p, img, 0o644)
}

func isELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var h [4]byte
	n, _ := f.Read(h[:])
	return n == 4 && string(h[:]) == "\x7fELF"
}

func cmdRun(args []string) error {
	fs := newFlags("run", "[-board B] [qemu flags] [pkg|ELF|DIR] [-- args]")
	var q qemuFlags
	q.register(fs)
	tags := fs.String("tags", "", "extra build tags, comma-separated")
	if err := parse(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	what := "."
	if len(rest) > 0 && rest[0] != "--" {
		what, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	env, err := q.guestEnv()
	if err != nil {
		return err
	}
	m, err := findModule()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "yolk-run")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	elf := what
	if fi, err := os.Stat(what); err == nil && fi.IsDir() && fileExists(filepath.Join(what, "kernel8.elf")) {
		elf = filepath.Join(what, "kernel8.elf") // an SD card directory
	}
	var b target.Board
	switch {
	case isELF(elf):
		if q.board != "" {
			if b, err = target.Lookup(q.board); err != nil {
				return usageError{err.Error()}
			}
		} else if b, _ = target.BoardOf(elf); b.Name == "" {
			b = target.QEMUVirt // CheckELF says what is wrong
		}
	case fileExists(what) && !isDir(what):
		return target.CheckELF(what, target.QEMUVirt) // says what it is not
	default:
		bd, err := m.build(what, q.board, filepath.Join(tmp, "prog.elf"), *tags, "", "", false)
		if err != nil {
			return err
		}
		b, elf = bd.board, bd.elf
	}
	kernel, err := bootable(elf, b, tmp)
	if err != nil {
		return err
	}
	var dtb string
	if b.DTB != "" {
		dtb = filepath.Join(m.Yolk, b.DTB)
	}
	words, err := target.Words(env, rest)
	if err != nil {
		return usageError{err.Error()}
	}
	mach, err := q.machine(b, kernel, dtb, words)
	if err != nil {
		return err
	}
	term := isTerminal(os.Stdin)
	if term {
		mach.Serial = "mon:stdio"
	}
	qargs, err := mach.Args()
	if err != nil {
		return usageError{err.Error()}
	}
	qemu, err := qemuBinary(prog)
	if err != nil {
		return err
	}
	if term {
		fmt.Fprintf(os.Stderr, "yolk: booting %s on %s (QEMU %s); Ctrl-A X quits\n", what, b.Name, b.Machine)
	}
	r := runner{prog: prog, qemu: qemu, args: qargs, timeout: q.timeout, stdin: term, lf: !isTerminal(os.Stdout), quiet: true}
	code, err := r.run()
	if err != nil {
		return err
	}
	return exitStatus(code)
}

func exitStatus(code int) error {
	if code == 0 {
		return nil
	}
	return exitError{code}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func isDir(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }

// cmdExec runs one test binary in QEMU: it is go test's -exec program
// (`yolk test` passes "yolk exec FLAGS"), called as
// `exec FLAGS ELF -test.paniconexit0 -test.timeout=10m0s ...`. The
// banner is left out (yolk.quiet=1), the environment comes from -env,
// and the output's lines end in "\n", so go test (and -json) sees what a
// Linux test binary prints.
func cmdExec(args []string) error {
	fs := newFlags("exec", "[qemu flags] [-dtb FILE] ELF [test args]")
	var q qemuFlags
	q.register(fs)
	dtb := fs.String("dtb", "", "the device tree for boards that need one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return usagef("exec needs the test binary")
	}
	elf, testArgs := fs.Arg(0), fs.Args()[1:]
	b, err := target.Lookup(orDefault(q.board, target.QEMUVirt.Name))
	if err != nil {
		return usageError{err.Error()}
	}
	tmp, err := os.MkdirTemp("", "yolk-exec")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	kernel, err := bootable(elf, b, tmp)
	if err != nil {
		return err
	}
	env, err := q.guestEnv()
	if err != nil {
		return err
	}
	words, err := target.Words(append([]string{target.Quiet}, env...), testArgs)
	if err != nil {
		return usageError{err.Error()}
	}
	mach, err := q.machine(b, kernel, *dtb, words)
	if err != nil {
		return err
	}
	qargs, err := mach.Args()
	if err != nil {
		return usageError{err.Error()}
	}
	timeout := q.timeout
	if timeout == 0 {
		d, ok, err := target.TestTimeout(testArgs)
		if err != nil {
			return usageError{err.Error()}
		}
		timeout = 10*time.Minute + 30*time.Second
		if ok {
			timeout = d
		}
	}
	qemu, err := qemuBinary(prog)
	if err != nil {
		return err
	}
	r := runner{prog: prog, qemu: qemu, args: qargs, timeout: timeout, lf: true, quiet: true}
	code, err := r.run()
	if err != nil {
		return err
	}
	return exitStatus(code)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
