#include "go_asm.h"
#include "textflag.h"

// Register values from the ARM ARM (DDI 0487), cited per register.

// D24.2.161 SCTLR_EL1: RES1 bits 29, 28, 23, 22, 20, 11 (EL1 without
// FEAT_* that reassign them), everything else off: MMU and caches off.
#define SCTLR_EL1_RES1	0x30d00800
// The same plus M (MMU), C (data cache), SA (SP alignment check),
// I (instruction cache) and WXN (writable implies execute-never: W^X).
#define SCTLR_EL1_ON	0x30d8180d

// D24.2.198 TCR_EL1: T0SZ=25 (39-bit VA, walks start at level 1),
// IRGN0=ORGN0=01 (write-back walks), SH0=11 (inner shareable), TG0=4KB,
// EPD1=1 (no TTBR1 walks), TG1=4KB. IPS is filled in from PARange.
#define TCR_EL1_VALUE	0x80803519

// D24.2.174 SPSR_EL2 for the ERET to EL1: M=EL1h, D, A, I, F masked.
#define SPSR_EL1H_MASKED	0x3c5

// entry is the shared reset path. The board's cpuinit jumps here with
// R0 = device tree address from the loader (0 if none) and R1 = the
// board's *Config. It never returns.
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	MOVD	R0, R19		// loader's DTB
	MOVD	R1, R20		// board config
	MRS	CurrentEL, R22
	UBFX	$2, R22, $2, R22
	CMP	$2, R22
	BEQ	el2
	MRS	CNTVCT_EL0, R21	// reset timestamp
	B	·el1(SB)
el2:
	MRS	CNTPCT_EL0, R21	// reset timestamp (CNTVOFF_EL2 is not set yet)
	MOVD	$·el1(SB), R3
	B	·leaveEL2(SB)

// leaveEL2 configures EL2 to stay out of the way and drops to EL1h at the
// address in R3.
TEXT ·leaveEL2(SB),NOSPLIT|NOFRAME,$0
	// D24.2.48 HCR_EL2: RW=1 (EL1 is AArch64); no traps, no stage 2.
	MOVD	$(1<<31), R2
	WORD	$0xd51c1102	// msr hcr_el2, x2
	// D24.2.37 CNTHCTL_EL2: EL1PCTEN, EL1PCEN: EL1 may use the physical
	// counter and timer.
	MOVD	$3, R2
	WORD	$0xd51ce102	// msr cnthctl_el2, x2
	// D24.2.62 CNTVOFF_EL2 = 0: virtual count == physical count.
	WORD	$0xd51ce07f	// msr cntvoff_el2, xzr
	// D24.2.43 CPTR_EL2: RES1 bits only, TFP=0: FP/SIMD not trapped.
	MOVD	$0x33ff, R2
	WORD	$0xd51c1142	// msr cptr_el2, x2
	// D24.2.50 HSTR_EL2 = 0: no traps of system register accesses.
	WORD	$0xd51c117f	// msr hstr_el2, xzr
	// EL1 reads of MIDR/MPIDR return VPIDR_EL2/VMPIDR_EL2: pass the truth.
	MRS	MIDR_EL1, R2
	WORD	$0xd51c0002	// msr vpidr_el2, x2
	MRS	MPIDR_EL1, R2
	WORD	$0xd51c00a2	// msr vmpidr_el2, x2
	// With a GICv3 CPU interface, ICC_SRE_EL2.SRE|Enable (D24.3.26) let
	// EL1 use the ICC_* system registers.
	MRS	ID_AA64PFR0_EL1, R2
	UBFX	$24, R2, $4, R2
	CBZ	R2, nogicv3
	WORD	$0xd53cc9a2	// mrs x2, icc_sre_el2
	ORR	$9, R2, R2
	WORD	$0xd51cc9a2	// msr icc_sre_el2, x2
	ISB	$15
nogicv3:
	MOVD	$SCTLR_EL1_RES1, R2
	MSR	R2, SCTLR_EL1
	MOVD	$SPSR_EL1H_MASKED, R2
	WORD	$0xd51c4002	// msr spsr_el2, x2
	WORD	$0xd51c4023	// msr elr_el2, x3
	ERET

// el1 runs on the boot core at EL1h (or EL3/EL0, which early rejects).
TEXT ·el1(SB),NOSPLIT|NOFRAME,$0
	MSR	$15, DAIFSet
	BL	·zeroBSS(SB)
	BL	·enableFP(SB)
	// The exception vectors go in first, so that even a failing early
	// boot (or a semihosting probe without a host) is handled.
	MOVD	$github·com∕yolkos∕yolk∕kernel∕exception·vectors(SB), R2
	MSR	R2, VBAR_EL1
	MSR	ZR, TPIDR_EL1	// core index 0 (kernel/cpu.Index)
	ISB	$15
	// A stack in .bss for early, which runs before the runtime. g points
	// at core 0's handler g, still all zeros: a stack check in anything
	// early calls compares against a guard of 0 and passes, instead of
	// reading address 0x10 through a nil g.
	MOVD	$·earlyStack(SB), R2
	ADD	$const_earlyStackSize, R2
	MOVD	R2, RSP
	MOVD	$github·com∕yolkos∕yolk∕kernel∕exception·handlerGs(SB), g
	// early(cfg *Config, dtb uintptr, resetCount uint64, el uint64)
	SUB	$48, RSP
	MOVD	R20, 8(RSP)
	MOVD	R19, 16(RSP)
	MOVD	R21, 24(RSP)
	MOVD	R22, 32(RSP)
	BL	·early(SB)
	ADD	$48, RSP
	BL	·planRAM(SB)
	BL	·earlyTables(SB)
	BL	·mmuOn(SB)
	// Exceptions get SP_EL1, this core's exception stack; Go runs on SP_EL0.
	MOVD	·handoff+const_hoExcStack(SB), R2
	MOVD	R2, RSP
	MSR	$0, SPSel
	MOVD	·handoff+const_hoStackTop(SB), R2
	MOVD	R2, RSP
	MSR	$4, DAIFClr	// SError reported from now on
	B	_rt0_tamago_start(SB)

// zeroBSS clears .bss and .noptrbss with 8-byte stores: a loader need not
// clear them (the Pi firmware loads a raw image), and DC ZVA would fault
// on Device memory while the MMU is off.
TEXT ·zeroBSS(SB),NOSPLIT|NOFRAME,$0
	MOVD	$runtime·bss(SB), R2
	MOVD	$runtime·enoptrbss(SB), R3
loop:
	CMP	R3, R2
	BHS	done
	MOVD	ZR, (R2)
	ADD	$8, R2
	B	loop
done:
	RET

// enableFP stops EL1 FP/SIMD traps: CPACR_EL1.FPEN = 0b11 (D24.2.33).
TEXT ·enableFP(SB),NOSPLIT|NOFRAME,$0
	MOVD	$(3<<20), R2
	MSR	R2, CPACR_EL1
	ISB	$15
	RET

// mmuOn loads the tables early built and turns on the MMU and caches.
TEXT ·mmuOn(SB),NOSPLIT|NOFRAME,$0
	// Lines of the table pool may be stale in the caches if a loader ran
	// with them on: invalidate to the point of coherency (DC IVAC).
	MOVD	·handoff+const_hoPoolBase(SB), R2
	MOVD	·handoff+const_hoPoolEnd(SB), R3
inval:
	CMP	R3, R2
	BHS	invalidated
	DC	IVAC, R2
	ADD	$64, R2
	B	inval
invalidated:
	DSB	$15
	MOVD	$const_mair, R2
	MSR	R2, MAIR_EL1
	MRS	ID_AA64MMFR0_EL1, R3
	AND	$7, R3, R3	// PARange -> TCR_EL1.IPS
	MOVD	$TCR_EL1_VALUE, R2
	ORR	R3<<32, R2, R2
	MSR	R2, TCR_EL1
	MOVD	·handoff+const_hoTTBR0(SB), R2
	MSR	R2, TTBR0_EL1
	ISB	$15
	TLBI	VMALLE1
	WORD	$0xd508751f	// ic iallu
	DSB	$15
	ISB	$15
	MOVD	$SCTLR_EL1_ON, R2
	MSR	R2, SCTLR_EL1
	ISB	$15
	RET

// func imageLayout() (text, rodata, data, end uintptr)
// The linker starts each segment on a new page (-R 0x1000): text is
// executable, rodata (with the pclntab) read-only, the rest read-write.
TEXT ·imageLayout(SB),NOSPLIT,$0-32
	MOVD	$runtime·text(SB), R0
	MOVD	R0, text+0(FP)
	MOVD	$runtime·rodata(SB), R0
	MOVD	R0, rodata+8(FP)
	MOVD	$runtime·noptrdata(SB), R0
	MOVD	R0, data+16(FP)
	MOVD	$runtime·end(SB), R0
	MOVD	R0, end+24(FP)
	RET

// secondaryEntry is where PSCI CPU_ON starts a secondary core, with x0 =
// its core index (the context argument). It follows the boot core's path
// with the boot core's tables, then runs CoreMain on its exception stack.
TEXT ·secondaryEntry(SB),NOSPLIT|NOFRAME,$0
	MOVD	R0, R19
	MRS	CurrentEL, R2
	UBFX	$2, R2, $2, R2
	CMP	$2, R2
	BEQ	atel2
	B	·secondaryEL1(SB)
atel2:
	MOVD	$·secondaryEL1(SB), R3
	B	·leaveEL2(SB)

TEXT ·secondaryEL1(SB),NOSPLIT|NOFRAME,$0
	MSR	$15, DAIFSet
	BL	·enableFP(SB)
	MOVD	$github·com∕yolkos∕yolk∕kernel∕exception·vectors(SB), R2
	MSR	R2, VBAR_EL1
	MSR	R19, TPIDR_EL1
	ISB	$15
	BL	·mmuOn(SB)
	// SP_EL1 = the top of this core's exception stack; Go code runs on it
	// as the core's handler g until the core is given an M.
	MOVD	·handoff+const_hoExcBase(SB), R2
	ADD	$1, R19, R3
	LSL	$const_excStackShift, R3, R3
	ADD	R3, R2, R2
	MOVD	R2, RSP
	MOVD	$github·com∕yolkos∕yolk∕kernel∕exception·handlerGs(SB), R2
	LSL	$const_handlerGShift, R19, R3
	ADD	R3, R2, g
	MSR	$4, DAIFClr
	SUB	$16, RSP
	MOVD	R19, 8(RSP)
	BL	·secondaryMain(SB)
	UNDEF

TEXT ·secondaryEntryPC(SB),NOSPLIT,$0-8
	MOVD	$·secondaryEntry(SB), R0
	MOVD	R0, ret+0(FP)
	RET
