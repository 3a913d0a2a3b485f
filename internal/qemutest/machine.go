//go:build !tamago

package qemutest

import (
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Machine is a guest left running in the background (a server), for
// tests that talk to it while it runs.
type Machine struct {
	t    testing.TB
	cmd  *exec.Cmd
	all  *lockedBuffer
	done chan struct{}
	code int
}

// Start boots elf like Run but returns at once. The machine is stopped
// (SIGTERM to run-qemu.sh, which stops QEMU) when the test ends, and its
// output is logged if the test failed.
func Start(t testing.TB, elf string, opts Options, args ...string) *Machine {
	t.Helper()
	script, argv := command(t, elf, opts, args)
	cmd := exec.Command(script, argv...)
	setProcAttr(cmd)
	cmd.Env = environ(opts)
	m := &Machine{t: t, cmd: cmd, all: &lockedBuffer{}, done: make(chan struct{})}
	var stdout, stderr lockedBuffer
	cmd.Stdout = &teeWriter{m.all, &stdout}
	cmd.Stderr = &teeWriter{m.all, &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("qemutest: starting %s: %v", script, err)
	}
	go func() {
		cmd.Wait()
		m.code = cmd.ProcessState.ExitCode()
		close(m.done)
	}()
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("output of %s %s:\n%s", script, strings.Join(argv, " "), m.Output())
		}
	})
	return m
}

// Output is everything the machine printed so far.
func (m *Machine) Output() string { return m.all.String() }

// WaitFor waits until the output contains s, failing the test if the
// machine stops or timeout passes first.
func (m *Machine) WaitFor(s string, timeout time.Duration) {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(m.Output(), s) {
		select {
		case <-m.done:
			m.t.Fatalf("qemutest: the machine stopped (status %d) before printing %q:\n%s", m.code, s, m.Output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("qemutest: no %q within %v:\n%s", s, timeout, m.Output())
		}
	}
}

// Stop stops the machine and returns its exit status (-1 if killed).
func (m *Machine) Stop() int {
	select {
	case <-m.done:
		return m.code
	default:
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(15 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
	return m.code
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for a QEMU host forward.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
