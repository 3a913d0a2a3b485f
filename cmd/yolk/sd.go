//go:build !tamago

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/yolkos/yolk/internal/target"
)

// The Pi 4's SD card files that come with yolk (board/rpi4).
const (
	rpi4Dir      = "board/rpi4"
	firmwareLock = rpi4Dir + "/firmware.lock"
)

// lockEntry is one line of firmware.lock: a file, its SHA-256 and source.
type lockEntry struct{ name, sum, src string }

func readLock(yolk string) ([]lockEntry, error) {
	f, err := os.Open(filepath.Join(yolk, firmwareLock))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var l []lockEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 3 && !strings.HasPrefix(w[0], "#") {
			l = append(l, lockEntry{w[0], w[1], w[2]})
		}
	}
	return l, sc.Err()
}

func fileSum(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// sdcard lays out the SD card directory of a build for the Pi: the raw
// image, the firmware's settings, the device tree, the firmware files
// when firmware names a directory holding them, and a README.txt.
func (m *module) sdcard(bd *build, firmware string) error {
	dir := bd.sd
	img, err := target.RawImage(bd.elf, bd.board.Image)
	if err != nil {
		return fmt.Errorf("%s: %v", bd.elf, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel8.img"), img, 0o644); err != nil {
		return err
	}
	for _, f := range []string{"sd/config.txt", "sd/cmdline.txt"} {
		if err := copyFile(filepath.Join(m.Yolk, rpi4Dir, f), filepath.Join(dir, filepath.Base(f))); err != nil {
			return err
		}
	}
	if err := copyFile(filepath.Join(m.Yolk, bd.board.DTB), filepath.Join(dir, filepath.Base(bd.board.DTB))); err != nil {
		return err
	}
	lock, err := readLock(m.Yolk)
	if err != nil {
		return err
	}
	var missing []string
	for _, e := range lock {
		if e.name == filepath.Base(bd.board.DTB) {
			continue
		}
		src := filepath.Join(firmware, e.name)
		if firmware == "" {
			missing = append(missing, e.name)
			continue
		}
		sum, err := fileSum(src)
		if err != nil {
			return fmt.Errorf("-firmware %s: %v; fetch the files with 'bash %s fetch %s'", firmware, err, filepath.Join(m.Yolk, rpi4Dir, "firmware.sh"), firmware)
		}
		if sum != e.sum {
			return fmt.Errorf("-firmware %s: %s has SHA-256 %s, not %s (%s); fetch it again with 'bash %s fetch %s'", firmware, e.name, sum, e.sum, firmwareLock, filepath.Join(m.Yolk, rpi4Dir, "firmware.sh"), firmware)
		}
		if err := copyFile(src, filepath.Join(dir, e.name)); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(img)
	var r strings.Builder
	fmt.Fprintf(&r, "yolk SD card for the Raspberry Pi 4 Model B\n")
	fmt.Fprintf(&r, "============================================\n\n")
	fmt.Fprintf(&r, "Copy every file of this directory to the first partition (FAT32) of an\n")
	fmt.Fprintf(&r, "SD card, or write a card with `go tool yolk flash /dev/sdX DIR`. Connect a\n")
	fmt.Fprintf(&r, "3.3 V serial adapter to GPIO 14 (TXD, pin 8), GPIO 15 (RXD, pin 10) and\n")
	fmt.Fprintf(&r, "ground (pin 6), 115200 8N1. The green LED blinks a heartbeat while the\n")
	fmt.Fprintf(&r, "cores idle and fast while they are busy.\n\n")
	fmt.Fprintf(&r, "  kernel8.img          yolk, %s (%d bytes, SHA-256 %x)\n", bd.pkg.ImportPath, len(img), sum)
	fmt.Fprintf(&r, "  kernel8.elf          the same program as an ELF (for QEMU and crash reports; the firmware ignores it)\n")
	fmt.Fprintf(&r, "  config.txt           firmware settings: 64-bit, kernel8.img at %#x, UART\n", bd.board.Image)
	fmt.Fprintf(&r, "  cmdline.txt          yolk's command line (yolk.* settings, arguments)\n\n")
	fmt.Fprintf(&r, "Firmware files, with their source and SHA-256 (%s):\n\n", firmwareLock)
	for _, e := range lock {
		fmt.Fprintf(&r, "  %-20s %s\n  %-20s from %s\n", e.name, e.sum, "", e.src)
	}
	if len(missing) > 0 {
		fmt.Fprintf(&r, "\nMISSING: %s -- fetch them on a machine with internet access\n", strings.Join(missing, " "))
		fmt.Fprintf(&r, "(bash board/rpi4/firmware.sh fetch DIR, in the yolk module), then build\n")
		fmt.Fprintf(&r, "again with -firmware DIR.\n")
		fmt.Fprintf(os.Stderr, "yolk: the SD card lacks the Pi's firmware (%s): fetch it with 'bash %s fetch DIR' and build with -firmware DIR\n",
			strings.Join(missing, ", "), filepath.Join(m.Yolk, rpi4Dir, "firmware.sh"))
	}
	return os.WriteFile(filepath.Join(dir, "README.txt"), []byte(r.String()), 0o644)
}

// sdDir checks that dir is an SD card directory yolk built.
func sdDir(dir string) error {
	for _, f := range []string{"kernel8.img", "config.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("%s is not an SD card directory (no %s): make one with 'go tool yolk build -board rpi4 -o %s'", dir, f, dir)
		}
	}
	return nil
}

// script runs one of board/rpi4's shell scripts (the module cache keeps
// files without execute permission, hence bash).
func (m *module) script(name string, args ...string) error {
	cmd := exec.Command("bash", append([]string{filepath.Join(m.Yolk, rpi4Dir, name)}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return exitError{ee.ExitCode()}
		}
		return err
	}
	return nil
}

func cmdImage(args []string) error {
	fs := newFlags("image", "[-o IMG] DIR")
	out := fs.String("o", "", "the image file (default DIR.img)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("image takes the SD card directory that 'go tool yolk build -board rpi4' made")
	}
	dir := fs.Arg(0)
	if err := sdDir(dir); err != nil {
		return err
	}
	img := *out
	if img == "" {
		img = strings.TrimSuffix(filepath.Clean(dir), "/") + ".img"
	}
	m, err := findModule()
	if err != nil {
		return err
	}
	return m.script("sdimage.sh", img, dir)
}

func cmdFlash(args []string) error {
	fs := newFlags("flash", "[-y] [-n] DEV DIR")
	yes := fs.Bool("y", false, "do not ask for confirmation")
	dry := fs.Bool("n", false, "dry run: check everything, print the commands, change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("flash takes the SD card device (the whole card, e.g. /dev/sdX) and the directory 'go tool yolk build -board rpi4' made")
	}
	if err := sdDir(fs.Arg(1)); err != nil {
		return err
	}
	m, err := findModule()
	if err != nil {
		return err
	}
	var a []string
	if *yes {
		a = append(a, "-y")
	}
	if *dry {
		a = append(a, "-n")
	}
	return m.script("flash.sh", append(a, fs.Arg(0), fs.Arg(1))...)
}
