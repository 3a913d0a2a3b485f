//go:build !tamago

package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The Linux kernel comes from Debian's linux-image-arm64 metapackage:
// apt-get fetches the package it depends on (linux-image-<abi>-arm64) with
// its own package lists for arm64, and the harness keeps only the kernel
// image, under build/bench/linux for later runs.
const (
	kernelDir     = buildDir + "/linux"
	kernelImage   = kernelDir + "/vmlinuz"
	kernelVersion = kernelDir + "/package" // "<package> <version>"
	kernelMeta    = "linux-image-arm64"
)

// linuxKernel returns the cached kernel image and its package, fetching
// them first if needed.
func linuxKernel(progress func(string)) (image, pkg string, err error) {
	if b, err := os.ReadFile(kernelVersion); err == nil && fileSize(kernelImage) > 0 {
		return kernelImage, strings.TrimSpace(string(b)), nil
	}
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", "", fmt.Errorf("%s not found: the kernel is fetched from Debian's %s package (or pass -kernel IMAGE)", tool, kernelMeta)
		}
	}
	lists, err := filepath.Abs(filepath.Join(buildDir, "apt", "lists"))
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(filepath.Join(lists, "partial"), 0o755); err != nil {
		return "", "", err
	}
	opts := aptOptions(lists)
	progress("apt-get update (arm64 package lists)")
	// A failing source (say, an unreachable third-party repository) makes
	// apt-get update fail while Debian's lists arrived: go on if they did.
	_, updateErr := command(nil, "apt-get", append(opts, "update")...)
	out, err := command(nil, "apt-cache", append(opts, "depends", kernelMeta)...)
	if err != nil {
		return "", "", errors.Join(updateErr, err)
	}
	pkg = versionedPackage(out)
	if pkg == "" {
		return "", "", fmt.Errorf("apt-cache depends %s names no linux-image-*-arm64 package:\n%s", kernelMeta, out)
	}
	progress("apt-get download " + pkg)
	tmp, err := os.MkdirTemp(buildDir, "download")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("apt-get", append(opts, "download", pkg)...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("apt-get download %s: %v\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return "", "", fmt.Errorf("apt-get download %s left %d .deb files", pkg, len(debs))
	}
	// <package>_<version>_<arch>.deb, with ':' in the version as %3a.
	ver := strings.ReplaceAll(strings.Split(filepath.Base(debs[0]), "_")[1], "%3a", ":")
	if err := os.MkdirAll(kernelDir, 0o755); err != nil {
		return "", "", err
	}
	if err := extractKernel(debs[0], kernelImage); err != nil {
		return "", "", err
	}
	pkg += " " + ver
	return kernelImage, pkg, os.WriteFile(kernelVersion, []byte(pkg+"\n"), 0o644)
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
// (dpkg-deb --fsys-tarfile) to dst, leaving the modules alone.
func extractKernel(deb, dst string) error {
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	r, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	found, err := copyVmlinuz(r, dst)
	io.Copy(io.Discard, r)
	if werr := cmd.Wait(); werr != nil {
		err = errors.Join(err, fmt.Errorf("dpkg-deb --fsys-tarfile %s: %v %s", deb, werr, stderr.String()))
	}
	if err == nil && !found {
		err = fmt.Errorf("%s has no boot/vmlinuz-*", deb)
	}
	return err
}

func copyVmlinuz(r io.Reader, dst string) (bool, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg || !strings.HasPrefix(name, "boot/vmlinuz-") {
			continue
		}
		f, err := os.Create(dst + ".tmp")
		if err != nil {
			return false, err
		}
		_, err = io.Copy(f, tr)
		if err = errors.Join(err, f.Close()); err != nil {
			return false, err
		}
		return true, os.Rename(dst+".tmp", dst)
	}
}
