//go:build !tamago

package target

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
)

// CheckELF makes sure the file at path is an image that b can boot: a
// 64-bit little-endian arm64 ELF whose code starts where b's images do.
// Its errors name the file and the fix.
func CheckELF(path string, b Board) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("cannot boot '%s': no such file", path)
	case err != nil:
		return fmt.Errorf("cannot boot '%s': %v", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("cannot boot '%s': not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("cannot boot '%s': not readable", path)
		}
		return fmt.Errorf("cannot boot '%s': %v", path, err)
	}
	defer f.Close()
	var hdr [20]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[:4]) != elf.ELFMAG {
		return fmt.Errorf("cannot boot '%s': not an ELF file", path)
	}
	mach := elf.Machine(uint16(hdr[18]) | uint16(hdr[19])<<8)
	if hdr[4] != byte(elf.ELFCLASS64) || hdr[5] != byte(elf.ELFDATA2LSB) || mach != elf.EM_AARCH64 {
		what := "a 32-bit or big-endian ELF"
		if hdr[4] == byte(elf.ELFCLASS64) && hdr[5] == byte(elf.ELFDATA2LSB) {
			what = "an ELF for " + mach.String()
		}
		return fmt.Errorf("cannot boot '%s': %s, not a 64-bit little-endian arm64 (AArch64) ELF; build it with `go tool yolk build` (GOOS=tamago GOARCH=arm64)", path, what)
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("cannot boot '%s': %v", path, err)
	}
	text := ef.Section(".text")
	if text == nil {
		return nil // a hand-made image: nothing to compare
	}
	if text.Addr == b.Text {
		return nil
	}
	for _, o := range Boards {
		if o.Text == text.Addr {
			return fmt.Errorf("cannot boot '%s' on %s: it is linked for %s (code at %#x, not %#x); build it with -board %s", path, b.Name, o.Name, text.Addr, b.Text, b.Name)
		}
	}
	return fmt.Errorf("cannot boot '%s' on %s: its code starts at %#x, not at %#x; link it with -ldflags \"%s\" or build it with `go tool yolk build -board %s`", path, b.Name, text.Addr, b.Text, b.LDFlags(), b.Name)
}

// maxImage bounds a raw image: a Go program is a few MiB.
const maxImage = 256 << 20

// RawImage reads the ELF at path and returns the raw image a loader puts
// at base and enters at its first byte (the Pi's kernel8.img). The image
// holds every PT_LOAD segment's file bytes at its address minus base,
// gaps zero-filled (.bss is not stored: boot clears it). The Go linker
// puts the ELF and program headers in the page below the code (-T
// base+0x1000), so the first word is a header word, which RawImage
// replaces with a branch to the entry point; nothing reads the headers
// at run time.
func RawImage(path string, base uint64) ([]byte, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_AARCH64 || f.Data != elf.ELFDATA2LSB {
		return nil, errors.New("not a 64-bit little-endian arm64 ELF")
	}
	var loads []*elf.Prog
	low, high := ^uint64(0), uint64(0)
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		loads = append(loads, p)
		low = min(low, p.Paddr)
		high = max(high, p.Paddr+p.Filesz)
	}
	if len(loads) == 0 {
		return nil, errors.New("no PT_LOAD segment with file contents")
	}
	if low != base {
		return nil, fmt.Errorf("the lowest segment is at %#x, not at the load address %#x: link with -T %#x", low, base, base+0x1000)
	}
	if high-low > maxImage {
		return nil, fmt.Errorf("the segments span %d bytes, more than %d", high-low, maxImage)
	}
	img := make([]byte, high-low)
	for _, p := range loads {
		if _, err := io.ReadFull(p.Open(), img[p.Paddr-low:p.Paddr-low+p.Filesz]); err != nil {
			return nil, fmt.Errorf("segment at %#x: %v", p.Paddr, err)
		}
	}
	if f.Entry != base {
		if f.Entry < base || f.Entry >= high || (f.Entry-base)%4 != 0 || f.Entry-base >= 1<<27 {
			return nil, fmt.Errorf("entry point %#x is not reachable by a branch from %#x", f.Entry, base)
		}
		putBranch(img, f.Entry-base)
	}
	return img, nil
}

// putBranch writes "b .+off" (ARM ARM C6.2.26 B: 0b000101 imm26) at the
// start of img.
func putBranch(img []byte, off uint64) {
	w := uint32(0x1400_0000) | uint32(off/4)&0x03ff_ffff
	img[0], img[1], img[2], img[3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
}

// BoardOf returns the board an ELF is linked for, from where its code
// starts; ok is false for an address no board uses (or no .text).
func BoardOf(path string) (b Board, ok bool) {
	f, err := elf.Open(path)
	if err != nil {
		return Board{}, false
	}
	defer f.Close()
	text := f.Section(".text")
	if text == nil {
		return Board{}, false
	}
	for _, b := range Boards {
		if b.Text == text.Addr {
			return b, true
		}
	}
	return Board{}, false
}
