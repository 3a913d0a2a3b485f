//go:build !tamago

package qemutest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// This file builds tiny bare-metal AArch64 ELF files for the tests: a fake
// header for the fake QEMU, and real programs that talk to QEMU through
// Arm semihosting (HLT #0xF000 at EL1/EL2, operation in x0, block in x1).

const (
	emAArch64 = 0xb7
	emX86_64  = 0x3e
	loadAddr  = 0x40200000 // in virt's RAM, clear of the DTB at its base
	hdrSize   = 64 + 56    // ELF header and one program header
)

// elfFile returns a little-endian ELF64 executable for machine whose only
// segment is the file itself, loaded at loadAddr, entered at the first byte
// of body.
func elfFile(machine uint16, body []byte) []byte { return elfFileAt(machine, loadAddr, body) }

// elfFileAt is elfFile loaded at addr.
func elfFileAt(machine uint16, addr uint64, body []byte) []byte {
	f := make([]byte, hdrSize, hdrSize+len(body))
	copy(f, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(f[16:], 2) // ET_EXEC
	le.PutUint16(f[18:], machine)
	le.PutUint32(f[20:], 1)
	le.PutUint64(f[24:], addr+hdrSize) // entry
	le.PutUint64(f[32:], 64)           // phoff
	le.PutUint16(f[52:], 64)           // ehsize
	le.PutUint16(f[54:], 56)           // phentsize
	le.PutUint16(f[56:], 1)            // phnum
	f = append(f, body...)
	ph := f[64:]
	le.PutUint32(ph[0:], 1) // PT_LOAD
	le.PutUint32(ph[4:], 7) // RWX
	le.PutUint64(ph[16:], addr)
	le.PutUint64(ph[24:], addr)
	le.PutUint64(ph[32:], uint64(len(f)))
	le.PutUint64(ph[40:], uint64(len(f)))
	le.PutUint64(ph[48:], 0x1000)
	return f
}

// AArch64 instruction encodings.
func movz(rd uint32, imm uint16) uint32 { return 0xd2800000 | uint32(imm)<<5 | rd }
func adr(rd uint32, off int) uint32 {
	imm := uint32(off) & 0x1fffff
	return 0x10000000 | (imm&3)<<29 | (imm>>2)<<5 | rd
}

const (
	semihost = 0xd45e0000 // hlt #0xf000
	branch0  = 0x14000000 // b .

	sysWrite0     = 0x04
	sysGetCmdline = 0x15
	sysExit       = 0x18
	appExit       = 0x20026 // ADP_Stopped_ApplicationExit
)

// program assembles code followed by data; code refers to data by label.
type program struct {
	code   []uint32
	labels map[int]string // instruction index -> data label for adr x1
	data   []byte
	addr   map[string]int // data label -> offset in data
}

func newProgram() *program {
	return &program{labels: map[int]string{}, addr: map[string]int{}}
}

func (p *program) emit(w ...uint32) { p.code = append(p.code, w...) }

// call emits a semihosting call: x0 = op, x1 = &label.
func (p *program) call(op uint16, label string) {
	p.emit(movz(0, op))
	p.labels[len(p.code)] = label
	p.emit(0, semihost)
}

func (p *program) datum(label string, b []byte) {
	for len(p.data)%8 != 0 {
		p.data = append(p.data, 0)
	}
	p.addr[label] = len(p.data)
	p.data = append(p.data, b...)
}

// dataAddr is the run-time address of label, for data that holds pointers;
// valid once all code has been emitted.
func (p *program) dataAddr(label string) uint64 {
	return uint64(loadAddr + hdrSize + p.dataStart() + p.addr[label])
}

func (p *program) dataStart() int { return (len(p.code)*4 + 7) &^ 7 }

func (p *program) elf() []byte {
	body := make([]byte, p.dataStart(), p.dataStart()+len(p.data))
	for i, w := range p.code {
		if l, ok := p.labels[i]; ok {
			w = adr(1, p.dataStart()+p.addr[l]-4*i)
		}
		binary.LittleEndian.PutUint32(body[4*i:], w)
	}
	return elfFile(emAArch64, append(body, p.data...))
}

func quads(v ...uint64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return b
}

// echoExitELF prints "cmdline=[<semihosting command line>]" and exits with
// status code.
func echoExitELF(code uint64) []byte {
	const bufLen = 4096
	p := newProgram()
	p.call(sysGetCmdline, "cmdblk")
	p.call(sysWrite0, "prefix")
	p.call(sysWrite0, "buf")
	p.call(sysWrite0, "suffix")
	p.call(sysExit, "exitblk")
	p.emit(branch0)
	p.datum("exitblk", quads(appExit, code))
	p.datum("prefix", []byte("cmdline=[\x00"))
	p.datum("suffix", []byte("]\n\x00"))
	p.datum("buf", make([]byte, bufLen))
	p.datum("cmdblk", quads(0, bufLen)) // pointer patched below
	img := p.elf()
	binary.LittleEndian.PutUint64(img[hdrSize+p.dataStart()+p.addr["cmdblk"]:], p.dataAddr("buf"))
	return img
}

// loopELF spins forever.
func loopELF() []byte { return elfFile(emAArch64, quads(branch0|branch0<<32)) }

// writeFile writes b to a new file named name in a temporary directory.
func writeFile(t *testing.T, name string, b []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, mode); err != nil {
		t.Fatal(err)
	}
	return p
}
