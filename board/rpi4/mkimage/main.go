//go:build !tamago

// Command mkimage turns a yolk ELF image linked for the Raspberry Pi 4
// into kernel8.img, the raw image the firmware (and QEMU's raspi4b
// -kernel) loads at 0x80000 and enters at its first byte:
//
//	mkimage -base 0x80000 -o kernel8.img yolk.elf
//
// The image holds every PT_LOAD segment's file bytes at its address minus
// base, with gaps zero-filled (.bss is not stored: boot clears it). The Go
// linker puts the ELF and program headers in the page below the text
// (link with -T base+0x1000), so the first word is a header word, which
// mkimage replaces with a branch to the ELF entry point; nothing reads
// the headers at run time.
package main

import (
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
)

func main() {
	base := flag.String("base", "0x80000", "load address of the image")
	out := flag.String("o", "kernel8.img", "output file")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: mkimage [-base ADDR] [-o FILE] ELF\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	b, err := strconv.ParseUint(*base, 0, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: bad -base %q: %v\n", *base, err)
		os.Exit(2)
	}
	img, err := Convert(flag.Arg(0), b)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, img, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
		os.Exit(1)
	}
}

// maxImage bounds the output: a Go image is a few MiB.
const maxImage = 256 << 20

// Convert reads the ELF at path and returns the raw image for base.
func Convert(path string, base uint64) ([]byte, error) {
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
