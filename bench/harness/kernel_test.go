//go:build !tamago

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeModule is a minimal ELF object whose .modinfo section holds info
// (key=value strings), like a kernel module's.
func fakeModule(t *testing.T, info ...string) []byte {
	t.Helper()
	modinfo := []byte(strings.Join(info, "\x00") + "\x00")
	shstrtab := []byte("\x00.modinfo\x00.shstrtab\x00")
	const hdr = 64
	infoOff := uint64(hdr)
	strOff := infoOff + uint64(len(modinfo))
	shOff := (strOff + uint64(len(shstrtab)) + 7) &^ 7
	var b bytes.Buffer
	h := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_AARCH64), Version: uint32(elf.EV_CURRENT),
		Shoff: shOff, Ehsize: hdr, Shentsize: 64, Shnum: 3, Shstrndx: 2,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.Write(&b, binary.LittleEndian, h)
	b.Write(modinfo)
	b.Write(shstrtab)
	for uint64(b.Len()) < shOff {
		b.WriteByte(0)
	}
	for _, s := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_PROGBITS), Off: infoOff, Size: uint64(len(modinfo)), Addralign: 1},
		{Name: 10, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: uint64(len(shstrtab)), Addralign: 1},
	} {
		binary.Write(&b, binary.LittleEndian, s)
	}
	return b.Bytes()
}

func TestModinfo(t *testing.T) {
	m, err := modinfo(fakeModule(t, "license=GPL", "depends=net_failover", "name=virtio_net", "alias=virtio:d00000001v*", "alias=second"))
	if err != nil {
		t.Fatal(err)
	}
	if m["name"] != "virtio_net" || m["depends"] != "net_failover" || m["alias"] != "virtio:d00000001v*" {
		t.Errorf("modinfo %v", m)
	}
	if _, err := modinfo([]byte("not an ELF file")); err == nil {
		t.Error("modinfo of garbage")
	}
	if got := parseModinfo([]byte("depends=\x00name=failover\x00\x00junk\x00")); got["depends"] != "" || got["name"] != "failover" || len(got) != 2 {
		t.Errorf("parseModinfo %v", got)
	}
}

func TestLoadOrder(t *testing.T) {
	names := []string{"virtio_mmio", "virtio_net", "failover", "net_failover"}
	deps := map[string][]string{
		"virtio_mmio":  {"virtio"},
		"virtio_net":   {"net_failover"},
		"failover":     nil,
		"net_failover": {"failover"},
	}
	builtin := map[string]bool{"virtio": true, "virtio_ring": true}
	got, err := loadOrder(names, deps, builtin)
	if want := []string{"virtio_mmio", "failover", "net_failover", "virtio_net"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("order %v, %v; want %v", got, err, want)
	}
	if _, err := loadOrder(names, deps, nil); err == nil || !strings.Contains(err.Error(), "virtio_mmio needs virtio") {
		t.Errorf("a missing dependency: %v", err)
	}
	deps["failover"] = []string{"virtio_net"}
	if _, err := loadOrder(names, deps, builtin); err == nil || !strings.Contains(err.Error(), "each other") {
		t.Errorf("a cycle: %v", err)
	}
	if moduleName("kernel/drivers/net/net-failover.ko") != "net_failover" {
		t.Error("moduleName")
	}
}

// debTar is a kernel package's data archive as dpkg-deb --fsys-tarfile
// writes it.
func debTar(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "./lib/modules/6.1.0-9-arm64/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, name := range slices.Sorted(maps.Keys(files)) {
		tw.WriteHeader(&tar.Header{Name: "./" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[name]))})
		tw.Write(files[name])
	}
	tw.Close()
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	z.Write(b)
	z.Close()
	return out.Bytes()
}

func TestKernelPackage(t *testing.T) {
	mod := func(name, depends string) []byte {
		return fakeModule(t, "depends="+depends, "name="+name, "vermagic=6.1.0-9-arm64 SMP mod_unload aarch64")
	}
	const lib = "lib/modules/6.1.0-9-arm64/"
	files := map[string][]byte{
		"boot/vmlinuz-6.1.0-9-arm64":                  []byte("kernel image"),
		"boot/config-6.1.0-9-arm64":                   []byte("CONFIG_VIRTIO_NET=m\n"),
		lib + "modules.builtin":                       []byte("kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\n"),
		lib + "kernel/drivers/virtio/virtio_mmio.ko":  mod("virtio_mmio", ""),
		lib + "kernel/net/core/failover.ko.gz":        gz(mod("failover", "")),
		lib + "kernel/drivers/net/net_failover.ko":    mod("net_failover", "failover"),
		lib + "kernel/drivers/net/virtio_net.ko":      mod("virtio_net", "net_failover"),
		lib + "kernel/drivers/net/virtio_blk.ko":      mod("virtio_blk", ""),
		lib + "kernel/drivers/net/not_a_module.ko.7z": []byte("?"),
	}
	if _, err := exec.LookPath("xz"); err == nil {
		// xz, as Debian's newer kernels compress their modules.
		cmd := exec.Command("xz", "-c")
		cmd.Stdin = bytes.NewReader(mod("virtio_net", "net_failover"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		delete(files, lib+"kernel/drivers/net/virtio_net.ko")
		files[lib+"kernel/drivers/net/virtio_net.ko.xz"] = out
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, "vmlinuz")
	pkg, err := readKernelPackage(bytes.NewReader(debTar(t, files)), dst)
	if err != nil || !pkg.vmlinuz || len(pkg.errs) > 0 {
		t.Fatalf("read: %v, vmlinuz %v, errs %v", err, pkg.vmlinuz, pkg.errs)
	}
	if b, _ := os.ReadFile(dst); string(b) != "kernel image" {
		t.Errorf("vmlinuz %q", b)
	}
	if len(pkg.modules) != 4 || !pkg.builtin["kernel/drivers/virtio/virtio"] {
		t.Errorf("modules %d, builtin %v", len(pkg.modules), pkg.builtin)
	}
	mods := filepath.Join(dir, "modules")
	if err := writeModules(pkg, mods); err != nil {
		t.Fatal(err)
	}
	order, _ := os.ReadFile(filepath.Join(mods, "order"))
	if string(order) != "virtio_mmio\nfailover\nnet_failover\nvirtio_net\n" {
		t.Errorf("order %q", order)
	}
	for _, name := range strings.Fields(string(order)) {
		if m, err := modinfo(must(os.ReadFile(filepath.Join(mods, name+".ko")))); err != nil || m["name"] != name {
			t.Errorf("%s.ko: %v %v", name, m, err)
		}
	}
	entries, err := moduleEntries(mods)
	if err != nil || len(entries) != 6 || entries[1].name != "modules/order" || entries[5].name != "modules/virtio_net.ko" {
		t.Errorf("entries %d, %v", len(entries), err)
	}

	// A kernel with virtio-net built in needs fewer modules.
	pkg.builtin["kernel/drivers/net/virtio_net"] = true
	delete(pkg.modules, "kernel/drivers/net/virtio_net")
	if err := writeModules(pkg, mods); err != nil {
		t.Fatal(err)
	}
	if order, _ := os.ReadFile(filepath.Join(mods, "order")); string(order) != "virtio_mmio\nfailover\nnet_failover\n" {
		t.Errorf("order %q", order)
	}
	// One neither there nor built in.
	delete(pkg.modules, "kernel/net/core/failover")
	if err := writeModules(pkg, mods); err == nil || !strings.Contains(err.Error(), "no module kernel/net/core/failover.ko") {
		t.Errorf("a missing module: %v", err)
	}
	// A module that does not decompress.
	files[lib+"kernel/net/core/failover.ko.gz"] = []byte("not gzip")
	pkg, err = readKernelPackage(bytes.NewReader(debTar(t, files)), dst)
	if err != nil || len(pkg.errs) != 1 || writeModules(pkg, mods) == nil {
		t.Errorf("a broken module: %v, %v", err, pkg.errs)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The modules make bench fetched, if it did: the real thing.
func TestCachedModules(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, modulesDir)
	if fileSize(filepath.Join(dir, "order")) == 0 {
		t.Skipf("no %s: run make bench once to fetch the kernel", modulesDir)
	}
	entries, err := moduleEntries(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[2:] {
		m, err := modinfo(e.data)
		if err != nil || !strings.Contains(m["vermagic"], "aarch64") {
			t.Errorf("%s: %v, vermagic %q", e.name, err, m["vermagic"])
		}
	}
}
