//go:build !tamago

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The raspi4b target boots the same guest built for board/rpi4: every file
// of bench/guest that imports board/qemu-virt (or one of its packages) is
// replaced, through a go build -overlay, by a copy that imports board/rpi4's
// instead, as board/rpi4/build.sh does for applications. The ELF becomes a
// raw kernel8.img, loaded at 0x80000 as the Pi's firmware does.
const (
	guestDir    = "bench/guest"
	rpi4ELF     = buildDir + "/guest-rpi4.elf"
	rpi4Image   = buildDir + "/guest-rpi4-kernel8.img"
	rpi4Overlay = buildDir + "/rpi4-overlay"
	rpi4DTB     = "board/rpi4/testdata/bcm2711-rpi-4-b.dtb"
	rpi4Base    = "0x80000"
	rpi4LDFlags = "-T 0x81000 -R 0x1000 -checklinkname=0"
	rpi4NoNet   = "no network device on raspi4b"
	virtImport  = `"github.com/yolkos/yolk/board/qemu-virt`
	rpi4Import  = `"github.com/yolkos/yolk/board/rpi4`
	rpi4Board   = "rpi4"
	rpi4Machine = "raspi4b"
)

// retarget returns src with its imports of board/qemu-virt and its
// packages pointing at board/rpi4's, and whether there were any. Only
// import paths change: the quote before the path is part of the match.
func retarget(src []byte) ([]byte, bool) {
	if !bytes.Contains(src, []byte(virtImport)) {
		return src, false
	}
	return bytes.ReplaceAll(src, []byte(virtImport), []byte(rpi4Import)), true
}

// overlayCandidate reports whether a file of the guest's directory goes
// into the build: Go files, not tests.
func overlayCandidate(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// overlayReplace picks, from the files of a package (name to contents),
// those to replace and their new contents.
func overlayReplace(files map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for name, src := range files {
		if !overlayCandidate(name) {
			continue
		}
		if b, ok := retarget(src); ok {
			out[name] = b
		}
	}
	return out
}

// writeOverlay writes the retargeted copies of dir's files under odir and
// returns the path of the overlay file for go build, odir+".json" (the
// paths in it are absolute).
func writeOverlay(dir, odir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !overlayCandidate(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", err
		}
		files[e.Name()] = b
	}
	repl := overlayReplace(files)
	if len(repl) == 0 {
		return "", fmt.Errorf("no file of %s imports board/qemu-virt: nothing to retarget", dir)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	absOut, err := filepath.Abs(odir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(absOut, 0o755); err != nil {
		return "", err
	}
	var ov struct{ Replace map[string]string }
	ov.Replace = map[string]string{}
	names := make([]string, 0, len(repl))
	for n := range repl {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		to := filepath.Join(absOut, n)
		if err := os.WriteFile(to, repl[n], 0o644); err != nil {
			return "", err
		}
		ov.Replace[filepath.Join(absDir, n)] = to
	}
	b, err := json.MarshalIndent(ov, "", "\t")
	if err != nil {
		return "", err
	}
	path := filepath.Clean(odir) + ".json" // as given: shown in errors
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// buildRPi4 builds the guest for board/rpi4 as elf and converts it to the
// raw image img.
func buildRPi4(elf, img string) error {
	gocmd, err := tamagoGo()
	if err != nil {
		return err
	}
	overlay, err := writeOverlay(guestDir, rpi4Overlay)
	if err != nil {
		return err
	}
	ld := rpi4LDFlags
	if f := os.Getenv("YOLK_RPI4_LDFLAGS"); f != "" {
		ld = f
	}
	if _, err := command([]string{"GOOS=tamago", "GOARCH=arm64", "GOOSPKG=github.com/usbarmory/tamago"},
		gocmd, "build", "-overlay", overlay, "-ldflags", ld+" -s -w", "-o", elf, guestPkg); err != nil {
		return err
	}
	_, err = command(nil, "go", "run", "./board/rpi4/mkimage", "-base", rpi4Base, "-o", img, elf)
	return err
}
