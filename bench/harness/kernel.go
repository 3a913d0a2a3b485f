//go:build !tamago

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The Linux kernel comes from Debian's linux-image-arm64 metapackage:
// apt-get fetches the package it depends on (linux-image-<abi>-arm64) with
// its own package lists for arm64, and the harness keeps the kernel image
// and the few modules the network rows need, under build/bench/linux for
// later runs.
const (
	kernelDir     = buildDir + "/linux"
	kernelImage   = kernelDir + "/vmlinuz"
	kernelVersion = kernelDir + "/package" // "<package> <version>"
	kernelMeta    = "linux-image-arm64"
	modulesDir    = kernelDir + "/modules" // <name>.ko and order (names in load order)
)

// netModules are the modules (paths under lib/modules/<version>/, without
// .ko) that virtio-net over virtio-mmio needs when Debian builds them as
// modules, as it does (CONFIG_VIRTIO_MMIO, CONFIG_VIRTIO_NET,
// CONFIG_FAILOVER, CONFIG_NET_FAILOVER =m). One that the kernel has built
// in (modules.builtin) is left out; the load order follows their
// dependencies (.modinfo).
var netModules = []string{
	"kernel/drivers/virtio/virtio_mmio",
	"kernel/net/core/failover",
	"kernel/drivers/net/net_failover",
	"kernel/drivers/net/virtio_net",
}

// linuxKernel returns the cached kernel image and its package, fetching
// them first if needed, and the network modules' directory (modulesDir;
// "" with modErr saying why there are none: only the network rows need
// them).
func linuxKernel(progress func(string)) (image, pkg, modules string, modErr, err error) {
	b, err := os.ReadFile(kernelVersion)
	if err == nil && fileSize(kernelImage) > 0 && fileSize(modulesDir+"/order") > 0 {
		return kernelImage, strings.TrimSpace(string(b)), modulesDir, nil, nil
	}
	image, pkg, modErr, err = fetchKernel(progress)
	if err == nil && modErr == nil {
		modules = modulesDir
	}
	return image, pkg, modules, modErr, err
}

func fetchKernel(progress func(string)) (image, pkg string, modErr, err error) {
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", "", nil, fmt.Errorf("%s not found: the kernel is fetched from Debian's %s package (or pass -kernel IMAGE)", tool, kernelMeta)
		}
	}
	lists, err := filepath.Abs(filepath.Join(buildDir, "apt", "lists"))
	if err != nil {
		return "", "", nil, err
	}
	if err := os.MkdirAll(filepath.Join(lists, "partial"), 0o755); err != nil {
		return "", "", nil, err
	}
	opts := aptOptions(lists)
	progress("apt-get update (arm64 package lists)")
	// A failing source (say, an unreachable third-party repository) makes
	// apt-get update fail while Debian's lists arrived: go on if they did.
	_, updateErr := command(nil, "apt-get", append(opts, "update")...)
	out, err := command(nil, "apt-cache", append(opts, "depends", kernelMeta)...)
	if err != nil {
		return "", "", nil, errors.Join(updateErr, err)
	}
	pkg = versionedPackage(out)
	if pkg == "" {
		return "", "", nil, fmt.Errorf("apt-cache depends %s names no linux-image-*-arm64 package:\n%s", kernelMeta, out)
	}
	progress("apt-get download " + pkg)
	tmp, err := os.MkdirTemp(buildDir, "download")
	if err != nil {
		return "", "", nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("apt-get", append(opts, "download", pkg)...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", nil, fmt.Errorf("apt-get download %s: %v\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return "", "", nil, fmt.Errorf("apt-get download %s left %d .deb files", pkg, len(debs))
	}
	// <package>_<version>_<arch>.deb, with ':' in the version as %3a.
	ver := strings.ReplaceAll(strings.Split(filepath.Base(debs[0]), "_")[1], "%3a", ":")
	if err := os.MkdirAll(kernelDir, 0o755); err != nil {
		return "", "", nil, err
	}
	modErr, err = extractKernel(debs[0], kernelImage, modulesDir)
	if err != nil {
		return "", "", nil, err
	}
	pkg += " " + ver
	return kernelImage, pkg, modErr, os.WriteFile(kernelVersion, []byte(pkg+"\n"), 0o644)
}

// aptOptions make apt see only arm64 packages, through its own lists
// directory and without a binary cache, so the host's apt state is not
// touched.
func aptOptions(lists string) []string {
	return []string{
		"-oAPT::Architecture=arm64", "-oAPT::Architectures=arm64",
		"-oDir::State::Lists=" + lists,
		"-oDir::Cache::pkgcache=", "-oDir::Cache::srcpkgcache=",
		"-oDebug::NoLocking=true", "-q",
	}
}

var dependsRE = regexp.MustCompile(`(?m)^\s*\|?Depends:\s*(linux-image-\S+-arm64)\s*$`)

// versionedPackage picks the kernel package from `apt-cache depends`.
func versionedPackage(out string) string {
	if m := dependsRE.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// extractKernel copies boot/vmlinuz-* out of the package's data archive
// (dpkg-deb --fsys-tarfile) to dst, and the netModules, uncompressed, to
// the directory mods with their load order (modErr: why not).
func extractKernel(deb, dst, mods string) (modErr, err error) {
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pkg, err := readKernelPackage(r, dst)
	io.Copy(io.Discard, r)
	if werr := cmd.Wait(); werr != nil {
		err = errors.Join(err, fmt.Errorf("dpkg-deb --fsys-tarfile %s: %v %s", deb, werr, stderr.String()))
	}
	if err == nil && !pkg.vmlinuz {
		err = fmt.Errorf("%s has no boot/vmlinuz-*", deb)
	}
	if err != nil {
		return nil, err
	}
	return writeModules(pkg, mods), nil
}

// kernelPackage is what readKernelPackage found in the package.
type kernelPackage struct {
	vmlinuz bool
	modules map[string][]byte // netModules' paths to their (uncompressed) contents
	builtin map[string]bool   // modules.builtin's paths, without .ko
	errs    []error           // modules that could not be read
}

// moduleRE matches lib/modules/<version>/<path>.ko, compressed or not.
var (
	moduleRE  = regexp.MustCompile(`^lib/modules/[^/]+/(.+)\.ko(\.xz|\.zst|\.gz)?$`)
	builtinRE = regexp.MustCompile(`^lib/modules/[^/]+/modules\.builtin$`)
)

// readKernelPackage reads a kernel package's data archive: it copies
// boot/vmlinuz-* to dst and keeps the netModules and modules.builtin.
func readKernelPackage(r io.Reader, dst string) (*kernelPackage, error) {
	pkg := &kernelPackage{modules: map[string][]byte{}, builtin: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return pkg, nil
		}
		if err != nil {
			return pkg, err
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg {
			continue
		}
		switch m := moduleRE.FindStringSubmatch(name); {
		case strings.HasPrefix(name, "boot/vmlinuz-") && !pkg.vmlinuz:
			f, err := os.Create(dst + ".tmp")
			if err != nil {
				return pkg, err
			}
			_, err = io.Copy(f, tr)
			if err = errors.Join(err, f.Close()); err != nil {
				return pkg, err
			}
			if err := os.Rename(dst+".tmp", dst); err != nil {
				return pkg, err
			}
			pkg.vmlinuz = true
		case m != nil && slices.Contains(netModules, m[1]):
			b, err := io.ReadAll(tr)
			if err != nil {
				return pkg, err
			}
			if b, err = decompress(m[2], b); err != nil {
				pkg.errs = append(pkg.errs, fmt.Errorf("%s: %v", name, err))
				continue
			}
			pkg.modules[m[1]] = b
		case builtinRE.MatchString(name):
			b, err := io.ReadAll(tr)
			if err != nil {
				return pkg, err
			}
			for _, l := range strings.Fields(string(b)) {
				pkg.builtin[strings.TrimSuffix(l, ".ko")] = true
			}
		}
	}
}

// decompress undoes a module's compression (ext: "", ".xz", ".zst" or
// ".gz"), with the xz and zstd commands for the first two.
func decompress(ext string, b []byte) ([]byte, error) {
	var tool string
	switch ext {
	case "":
		return b, nil
	case ".gz":
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(z)
	case ".xz":
		tool = "xz"
	case ".zst":
		tool = "zstd"
	default:
		return nil, fmt.Errorf("unknown compression %s", ext)
	}
	cmd := exec.Command(tool, "-d", "-c")
	cmd.Stdin = bytes.NewReader(b)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s -d: %v %s", tool, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// writeModules writes the modules pkg holds to dir, <name>.ko each, and
// their names in load order to dir/order, which it writes last (the
// cache's mark that the modules are complete). It fails when a network
// module is neither in the package nor built in, or needs one that is
// neither.
func writeModules(pkg *kernelPackage, dir string) error {
	if err := errors.Join(pkg.errs...); err != nil {
		return err
	}
	var names []string
	deps := map[string][]string{}
	files := map[string][]byte{}
	builtin := map[string]bool{}
	for p := range pkg.builtin {
		builtin[moduleName(p)] = true
	}
	for _, p := range netModules {
		b, ok := pkg.modules[p]
		if !ok {
			if pkg.builtin[p] {
				continue
			}
			return fmt.Errorf("the package has no module %s.ko (and does not build it in)", p)
		}
		info, err := modinfo(b)
		if err != nil {
			return fmt.Errorf("%s.ko: %v", p, err)
		}
		name := info["name"]
		if name == "" {
			name = moduleName(p)
		}
		files[name] = b
		names = append(names, name)
		deps[name] = nil
		for _, d := range strings.Split(info["depends"], ",") {
			if d != "" {
				deps[name] = append(deps[name], d)
			}
		}
	}
	order, err := loadOrder(names, deps, builtin)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name+".ko"), b, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "order"), []byte(strings.Join(order, "\n")+"\n"), 0o644)
}

// moduleName is the kernel's name for the module at path: its file name
// without .ko, with '-' as '_'.
func moduleName(path string) string {
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(path), ".ko"), "-", "_")
}

// modinfo reads the key=value pairs of a module's .modinfo section.
func modinfo(ko []byte) (map[string]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section")
	}
	b, err := sec.Data()
	if err != nil {
		return nil, err
	}
	return parseModinfo(b), nil
}

// parseModinfo splits a .modinfo section: NUL-terminated key=value
// strings (a repeated key keeps its first value).
func parseModinfo(b []byte) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := m[k]; !dup {
				m[k] = v
			}
		}
	}
	return m
}

// loadOrder orders the modules names (deps: each one's dependencies) so
// that each comes after its dependencies, and otherwise as in names; a
// dependency must be one of them or built in.
func loadOrder(names []string, deps map[string][]string, builtin map[string]bool) ([]string, error) {
	var order []string
	state := map[string]int{} // 1: being visited, 2: done
	var visit func(name, from string) error
	visit = func(name, from string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("modules %s and %s depend on each other", name, from)
		case 2:
			return nil
		}
		d, ok := deps[name]
		if !ok {
			if builtin[name] {
				return nil
			}
			return fmt.Errorf("module %s needs %s, which is neither among the network modules nor built in", from, name)
		}
		state[name] = 1
		for _, dep := range d {
			if err := visit(dep, name); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, name := range names {
		if err := visit(name, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// moduleEntries are the initramfs entries for the modules in dir:
// modules/<name>.ko and modules/order, where the guest looks for them.
func moduleEntries(dir string) ([]cpioEntry, error) {
	b, err := os.ReadFile(filepath.Join(dir, "order"))
	if err != nil {
		return nil, err
	}
	entries := []cpioEntry{
		{name: "modules", mode: modeDir | 0o755},
		{name: "modules/order", mode: modeFile | 0o644, data: b},
	}
	for _, name := range strings.Fields(string(b)) {
		ko, err := os.ReadFile(filepath.Join(dir, name+".ko"))
		if err != nil {
			return nil, err
		}
		entries = append(entries, cpioEntry{name: "modules/" + name + ".ko", mode: modeFile | 0o644, data: ko})
	}
	return entries, nil
}
