//go:build !tamago

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/yolkos/yolk/internal/target"
)

// killGrace is how long QEMU gets to stop after SIGTERM before SIGKILL.
const killGrace = 5 * time.Second

// A runner runs QEMU and ends with the guest's exit status: it stops QEMU
// on a timeout (status 124) and when it is itself told to stop (status
// 128+signal), and restores the terminal.
type runner struct {
	prog    string // prefix of messages
	qemu    string // the QEMU binary
	args    []string
	timeout time.Duration // 0: none
	stdin   bool          // hand stdin to the guest's serial port
	lf      bool          // turn the guest's "\r\n" into "\n"
	// quiet drops QEMU's notes about devices it does not model (raspi4b
	// disables device tree nodes and says so), so that a test's output
	// is the test binary's.
	quiet bool
	debug bool // print the command
	// debugTimeout prints the timeout too (run-qemu.sh prints its own).
	debugTimeout bool
}

// qemuBinary is the QEMU to run: $QEMU or qemu-system-aarch64 on PATH.
func qemuBinary(prog string) (string, error) {
	q := os.Getenv("QEMU")
	if q == "" {
		q = target.QEMUBinary
	}
	if _, err := exec.LookPath(q); err != nil {
		return "", fmt.Errorf("QEMU binary '%s' not found; install it (Debian: apt-get install qemu-system-arm; in the yolk repository 'bash .ci/install-qemu.sh' installs QEMU 10), or point QEMU at a qemu-system-aarch64 binary", q)
	}
	return q, nil
}

func (r *runner) run() (int, error) {
	if r.debugTimeout {
		fmt.Fprintf(os.Stderr, "%s: timeout=%s\n", r.prog, fmtSeconds(r.timeout))
	}
	if r.debug {
		fmt.Fprintf(os.Stderr, "%s: exec: %s\n", r.prog, shellQuote(append([]string{r.qemu}, r.args...)))
	}
	cmd := exec.Command(r.qemu, r.args...)
	setProcAttr(cmd)
	if r.stdin {
		cmd.Stdin = os.Stdin
	}
	var lf *target.LF
	cmd.Stdout = os.Stdout
	if r.lf {
		lf = &target.LF{W: os.Stdout}
		cmd.Stdout = lf
	}
	cmd.Stderr = os.Stderr
	var notes *lineFilter
	if r.quiet {
		notes = &lineFilter{w: os.Stderr, drop: qemuNote}
		cmd.Stderr = notes
	}
	var tty string
	if r.stdin && isTerminal(os.Stdin) {
		if out, err := exec.Command("stty", "-g").Output(); err == nil {
			tty = strings.TrimSpace(string(out))
		}
	}
	restore := func() {
		if tty != "" {
			c := exec.Command("stty", tty)
			c.Stdin = os.Stdin
			c.Run()
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 2, fmt.Errorf("starting %s: %v", r.qemu, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var expire <-chan time.Time
	if r.timeout > 0 {
		t := time.NewTimer(r.timeout)
		defer t.Stop()
		expire = t.C
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(killGrace):
			cmd.Process.Kill()
			<-done
		}
		restore()
	}
	select {
	case err := <-done:
		restore()
		if lf != nil {
			lf.Flush()
		}
		if notes != nil {
			os.Stderr.Write(notes.buf) // an unfinished last line
		}
		return status(cmd, err), nil
	case <-expire:
		stop()
		fmt.Fprintf(os.Stderr, "%s: timeout after %v, QEMU killed\n", r.prog, fmtSeconds(r.timeout))
		return 124, nil
	case s := <-sigs:
		stop()
		return 128 + int(s.(syscall.Signal)), nil
	}
}

// fmtSeconds writes a duration as run-qemu.sh did: whole seconds, "1s".
func fmtSeconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second))
}

// status is the exit status of a finished command, 128+N if killed by
// signal N.
func status(cmd *exec.Cmd, err error) int {
	ps := cmd.ProcessState
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// shellQuote writes args as a shell command, for messages.
func shellQuote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:+@%") == "" {
			b.WriteString(a)
		} else {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
		}
	}
	return b.String()
}

// qemuNote matches QEMU's warnings that it disabled a device tree node of
// a device it does not emulate.
var qemuNote = regexp.MustCompile(`^qemu-system-aarch64: warning: .* has been disabled!\r?$`)

// lineFilter writes whole lines to w, except those drop matches.
type lineFilter struct {
	w    io.Writer
	drop *regexp.Regexp
	buf  []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			break
		}
		line := f.buf[:i+1]
		if !f.drop.Match(line[:i]) {
			if _, err := f.w.Write(line); err != nil {
				return 0, err
			}
		}
		f.buf = f.buf[i+1:]
	}
	return len(p), nil
}
