//go:build !tamago

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The guest must build for Linux: cheap, so always checked.
func TestGuestBuildsForLinux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	bin, initrd := filepath.Join(dir, "guest"), filepath.Join(dir, "initramfs.cpio.gz")
	if err := buildLinux(bin, initrd); err != nil {
		t.Fatal(err)
	}
	if fileSize(bin) < 1<<20 || fileSize(initrd) < 1<<18 {
		t.Errorf("guest %d bytes, initramfs %d bytes", fileSize(bin), fileSize(initrd))
	}
}

// Booting QEMU takes the TamaGo toolchain and a while: only when asked.
func integration(t *testing.T) {
	if os.Getenv("YOLK_BENCH_INTEGRATION") != "1" {
		t.Skip("set YOLK_BENCH_INTEGRATION=1 to build and boot the guests in QEMU")
	}
}

// bootRows boots tg with a quick run of spawn and idle and checks the
// protocol from end to end.
func bootRows(t *testing.T, tg target, kernel, initrd string) {
	t.Helper()
	b, err := boot(tg.qemuArgs(kernel, initrd, []string{"-quick", "-idle", "1s", "spawn", "idle"}), 2*time.Minute, time.Second, tg.smp)
	if err != nil {
		t.Fatal(err)
	}
	if f := b.failure(); f != "" || b.idleErr != nil || len(b.sess.Bad) > 0 {
		t.Fatalf("failure %q, idle %v, bad %q; output:\n%s", f, b.idleErr, b.sess.Bad, strings.Join(b.tail, "\n"))
	}
	if b.ready <= 0 || b.sess.BootNS <= 0 || b.idlePct < 0 || b.idlePct > 100 {
		t.Errorf("ready %v, boot_ns %d, idle %.2f%%", b.ready, b.sess.BootNS, b.idlePct)
	}
	var names []string
	for _, r := range b.sess.Results {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, " "); got != "cpus gomaxprocs spawn spawn" {
		t.Errorf("results %q", got)
	}
	t.Logf("%s: READY after %v (guest: %.1f ms), idle %.2f%%", tg.label, b.ready, float64(b.sess.BootNS)/1e6, b.idlePct)
}

func TestIntegrationYolk(t *testing.T) {
	integration(t)
	elf := filepath.Join(t.TempDir(), "guest.elf")
	if err := buildYolk(elf); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("yolk2")
	bootRows(t, tg, elf, "")
}

// The Linux kernel comes from make bench's cache (build/bench/linux).
func TestIntegrationLinux(t *testing.T) {
	integration(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(root, kernelImage)
	if fileSize(kernel) == 0 {
		t.Skipf("no %s: run make bench once to fetch the kernel", kernelImage)
	}
	dir := t.TempDir()
	bin, initrd := filepath.Join(dir, "guest"), filepath.Join(dir, "initramfs.cpio.gz")
	if err := buildLinux(bin, initrd); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("linux2")
	bootRows(t, tg, kernel, initrd)
}
