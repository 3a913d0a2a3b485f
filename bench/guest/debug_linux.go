//go:build benchnet && linux

package main

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// serveProfile is net/http/pprof's CPU profile: the Go program's own
// user-space time (the kernel's is not in it).
func serveProfile(w http.ResponseWriter, r *http.Request) { pprof.Profile(w, r) }

// serveNetInfo reports what the kernel negotiated with the network device
// (virtio feature bits, one character per bit from bit 0) and its
// interrupt counts, for comparing the two guests' data paths.
func serveNetInfo(w http.ResponseWriter, r *http.Request) {
	if _, err := os.Stat("/sys/bus"); err != nil {
		os.MkdirAll("/sys", 0o755)
		if err := syscall.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
			http.Error(w, "mounting sysfs: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		os.MkdirAll("/proc", 0o755)
		syscall.Mount("proc", "/proc", "proc", 0, "")
	}
	devs, _ := filepath.Glob("/sys/bus/virtio/devices/*")
	for _, d := range devs {
		f, _ := os.ReadFile(filepath.Join(d, "features"))
		dev, _ := os.ReadFile(filepath.Join(d, "device"))
		fmt.Fprintf(w, "%s device=%s features=%s", filepath.Base(d), strings.TrimSpace(string(dev)), f)
	}
	for _, f := range []string{"/proc/interrupts", "/proc/net/snmp", "/proc/net/netstat"} {
		b, _ := os.ReadFile(f)
		fmt.Fprintf(w, "== %s\n%s", f, b)
	}
}
