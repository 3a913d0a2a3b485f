// Package reg is the one way yolk's drivers touch device registers:
// single loads and stores of the register's width at a physical address
// (identity mapped, Device-nGnRE), with the same guarantees everywhere.
//
// The guarantees, which every driver relies on and none repeats:
//
//   - The compiler keeps every access. Each accessor is an assembly
//     function (reg_arm64.s), never inlined, so two stores are never merged
//     into a wider one, a polled register is read again on every call, and
//     no access is hoisted out of a loop or dropped. (A plain Go
//     dereference gives none of this.)
//   - One instruction of the register's width does the access: byte-only
//     registers (GICD_IPRIORITYR) stay byte accesses, 32-bit registers
//     32-bit ones.
//   - Memory before a write: Write8/Write32 execute DMB OSH first, so
//     every load and store of normal memory that precedes the write in
//     program order is observed by every agent of the outer shareable
//     domain (a DMA master included) before the device sees the write.
//     Filling a buffer or a ring and then writing a doorbell needs nothing
//     more (but see drivers/dma for caches that are not coherent with the
//     device).
//   - Memory after a read: Read8/Read16/Read32 execute DMB OSHLD after the
//     load, so no later load or store is performed before the register
//     value has arrived: reading a producer index and then the descriptors
//     or buffers it covers reads them after the index.
//   - Device-nGnRE itself keeps the accesses to one device in program
//     order (ARM ARM B2.7.2, "Device memory"); the barriers add the
//     ordering against normal memory.
//
// These are the semantics of Linux's readl/writel on arm64 (a load
// followed by a read barrier, a write barrier followed by a store), with
// the full DMB OSH on writes also ordering earlier loads, so that a
// buffer read by the CPU is finished before the register write that hands
// it back to a device.
//
// Read32Relaxed and Write32Relaxed leave out the barriers, as Linux's
// readl_relaxed/writel_relaxed do, for the hot paths whose ordering
// against memory is not needed: the GIC's acknowledge and end-of-interrupt
// registers, read and written once per interrupt (Linux's gic_handle_irq
// uses the relaxed forms there too).
//
// Every accessor is nosplit and allocation-free: they run in interrupt
// handlers, in runtime hooks (printk) and before the runtime exists. On
// other architectures (host tests against fake register blocks in Go
// memory) they are sync/atomic loads and stores.
//
// Poll and Wait (poll.go) are the one bounded polling loop.
package reg
