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
	if err := buildLinux(bin, initrd, ""); err != nil {
		t.Fatal(err)
	}
	if fileSize(bin) < 1<<20 || fileSize(initrd) < 1<<18 {
		t.Errorf("guest %d bytes, initramfs %d bytes", fileSize(bin), fileSize(initrd))
	}
	// With networking, and a module in the initramfs.
	netBin, netInitrd := filepath.Join(dir, "guest-net"), filepath.Join(dir, "initramfs-net.cpio.gz")
	if err := buildLinux(netBin, netInitrd, netTag, cpioEntry{name: "modules", mode: modeDir | 0o755}); err != nil {
		t.Fatal(err)
	}
	if fileSize(netBin) <= fileSize(bin) {
		t.Errorf("guest with networking %d bytes, without %d bytes", fileSize(netBin), fileSize(bin))
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
	b, err := boot(bootSpec{args: tg.qemuArgs(kernel, initrd, nil, []string{"-quick", "-idle", "1s", "spawn", "idle"}),
		timeout: 2 * time.Minute, idleWindow: time.Second, smp: tg.smp})
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
	if err := buildYolk(elf, ""); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("yolk2")
	bootRows(t, tg, elf, "")
}

func TestIntegrationRPi4(t *testing.T) {
	integration(t)
	dir := t.TempDir()
	elf, img := filepath.Join(dir, "guest.elf"), filepath.Join(dir, "kernel8.img")
	// The harness's paths are relative to the repository's root.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	if err := buildRPi4(elf, img); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("rpi4")
	bootRows(t, tg, img, "")
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
	if err := buildLinux(bin, initrd, ""); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("linux2")
	bootRows(t, tg, kernel, initrd)
}

// bootNet boots tg's network image with the forwards, measures it briefly
// and checks that every measurement worked.
func bootNet(t *testing.T, tg target, kernel, initrd string) {
	t.Helper()
	fwd, err := netForwards()
	if err != nil {
		t.Fatal(err)
	}
	cfg := netConfig{reps: 1, clients: 4, many: 8, workers: 2, window: time.Second, trips: 50, msg: 64,
		bulk: 1 << 20, idle: time.Second, limit: 30 * time.Second, budget: time.Minute}
	b, err := boot(bootSpec{args: tg.qemuArgs(kernel, initrd, fwd, []string{"-ip", guestIP, "-gw", guestGW, "-serve", "2m", "netserve"}),
		timeout: 3 * time.Minute, smp: tg.smp,
		serve: func(pid int, serving map[string]int) netOut {
			addrs, err := serviceAddrs(serving, fwd)
			if err != nil {
				return netOut{errs: []string{err.Error()}}
			}
			return runNet(cfg, pid, tg.smp, addrs)
		}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range b.net.results {
		names[r.Name] = true
	}
	if f := b.failure(); f != "" || !b.served || len(b.net.errs) > 0 || len(names) != 12 {
		t.Fatalf("failure %q, served %v, errors %q, results %v; output:\n%s", f, b.served, b.net.errs, names, strings.Join(b.tail, "\n"))
	}
	t.Logf("%s: %s", tg.label, b.net.status())
}

func TestIntegrationNetYolk(t *testing.T) {
	integration(t)
	elf := filepath.Join(t.TempDir(), "guest-net.elf")
	if err := buildYolk(elf, netTag); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("yolk2")
	bootNet(t, tg, elf, "")
}

func TestIntegrationNetLinux(t *testing.T) {
	integration(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	kernel, modules := filepath.Join(root, kernelImage), filepath.Join(root, modulesDir)
	if fileSize(kernel) == 0 || fileSize(filepath.Join(modules, "order")) == 0 {
		t.Skipf("no %s or %s: run make bench once to fetch the kernel", kernelImage, modulesDir)
	}
	mods, err := moduleEntries(modules)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, initrd := filepath.Join(dir, "guest-net"), filepath.Join(dir, "initramfs-net.cpio.gz")
	if err := buildLinux(bin, initrd, netTag, mods...); err != nil {
		t.Fatal(err)
	}
	tg, _ := targetByKey("linux2")
	bootNet(t, tg, kernel, initrd)
}
