//go:build tamago

// Package boot is yolk's reset path, shared by every board: it takes the
// core from whatever exception level the loader left it in to EL1, finds
// the device tree, sizes RAM, turns the MMU on and hands over to the Go
// runtime (runtime·_rt0_tamago_start).
//
// The order, each step a named routine in entry_arm64.s:
//
//	board cpuinit -> entry: leaveEL2 -> zeroBSS -> enableFP -> early (Go,
//	nosplit: device tree, RAM, page tables) -> mmuOn -> stacks and vectors
//	-> runtime
//
// Nothing here may allocate or grow a stack: the runtime does not exist yet.
package boot

// Window is a physical address range.
type Window struct {
	Base, Size uint64
}

// Config is what a board tells the shared boot path before any Go code has
// run. A board defines one as a variable initialised with constants only
// (so the linker emits it as data and no init code is needed) and passes
// its address to boot·entry from its cpuinit.
type Config struct {
	// FallbackDTB is where the device tree is when the loader passes
	// none in x0 (QEMU's ELF loader puts it at the base of RAM).
	FallbackDTB uint64
	// UART is a PL011 to report boot failures on before the device tree
	// is read (0: none).
	UART uint64
	// Devices are the MMIO windows, mapped Device-nGnRE.
	Devices [4]Window
	// CopiesDTB says the board copies the device tree out of the loader's
	// memory before the runtime allocates (board/rpi4's hwinit0): a
	// reservation of the blob's own pages then does not limit RAM.
	CopiesDTB bool
}
