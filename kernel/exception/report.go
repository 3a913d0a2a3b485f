//go:build tamago

package exception

import (
	"runtime/goos"
	"strconv"
	"unsafe"

	"golang.org/x/arch/arm64/arm64asm"

	"github.com/yolkos/yolk/boot/mmu"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/esr"
)

// The report is written byte by byte through goos.Printk, which works in
// any context; nothing here allocates.

func out(s string) {
	for i := 0; i < len(s); i++ {
		goos.Printk(s[i])
	}
}

func outHex(v uint64, digits int) {
	goos.Printk('0')
	goos.Printk('x')
	for i := digits - 1; i >= 0; i-- {
		goos.Printk("0123456789abcdef"[v>>(4*uint(i))&0xf])
	}
}

func outDec(v uint64) {
	var b [20]byte
	for _, c := range strconv.AppendUint(b[:0], v, 10) {
		goos.Printk(c)
	}
}

// report prints the saved context: what happened, the syndrome decoded,
// the fault address, all registers and the faulting instruction word.
func report(f *Frame, what string) {
	out("\n*** yolk: ")
	out(what)
	out(" on cpu ")
	outDec(uint64(cpu.Index()))
	out(" (")
	out(kindNames[f.Kind&15])
	out(") ***\n  ")
	if k := f.Kind & 3; k == IRQSP0 || k == FIQSP0 {
		out("no syndrome: an interrupt (ESR and FAR are left from an earlier exception)")
	} else {
		var buf [160]byte
		for _, c := range esr.Syndrome(f.ESR).AppendDescription(buf[:0]) {
			goos.Printk(c)
		}
	}
	out("\n  ESR ")
	outHex(f.ESR, 8)
	out("  FAR ")
	outHex(f.FAR, 16)
	out("  ELR ")
	outHex(f.ELR, 16)
	out("  SPSR ")
	outHex(f.SPSR, 8)
	out("\n")
	for i := 0; i < 31; i++ {
		if i%4 == 0 {
			out("  ")
		}
		if i < 10 {
			out(" ")
		}
		goos.Printk('x')
		outDec(uint64(i))
		goos.Printk(' ')
		outHex(f.X[i], 16)
		if i%4 == 3 {
			out("\n")
		} else {
			goos.Printk(' ')
		}
	}
	out("  sp ")
	outHex(f.SP, 16)
	out("\n  instruction at ELR: ")
	if w, ok := instructionAt(uintptr(f.ELR)); ok {
		outHex(uint64(w), 8)
	} else {
		out("(not mapped)")
	}
	out("\n")
}

// instructionAt reads the instruction word at pc if pc is mapped.
func instructionAt(pc uintptr) (uint32, bool) {
	if pc%4 != 0 {
		return 0, false
	}
	if _, _, ok := mmu.Walk(uintptr(cpu.TTBR0()), uint64(pc)); !ok {
		return 0, false
	}
	return *(*uint32)(unsafe.Pointer(pc)), true
}

// printInstruction disassembles the faulting instruction; it runs on the
// goroutine (sigpanic), where the disassembler may allocate.
func printInstruction(label string, pc uintptr) {
	w, ok := instructionAt(pc)
	if !ok {
		print("  ", label, ": not mapped at ", hexString(uint64(pc)), "\n")
		return
	}
	b := []byte{byte(w), byte(w >> 8), byte(w >> 16), byte(w >> 24)}
	inst, err := arm64asm.Decode(b)
	text := "(undefined)"
	if err == nil {
		text = arm64asm.GNUSyntax(inst)
	}
	print("  ", label, ": ", text, "\n")
}

func hexString(v uint64) string {
	b := []byte("0x0000000000000000")
	for i := 17; i >= 2; i-- {
		b[i] = "0123456789abcdef"[v&0xf]
		v >>= 4
	}
	return string(b)
}
