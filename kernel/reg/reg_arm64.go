package reg

// Defined in reg_arm64.s.

// Read8 reads the byte register at addr.
func Read8(addr uintptr) uint8

// Read16 reads the 16-bit register at addr.
func Read16(addr uintptr) uint16

// Read32 reads the 32-bit register at addr.
func Read32(addr uintptr) uint32

// Write8 writes the byte register at addr.
func Write8(addr uintptr, v uint8)

// Write32 writes the 32-bit register at addr.
func Write32(addr uintptr, v uint32)

// Read32Relaxed reads the 32-bit register at addr with no barrier: only
// the first two guarantees of the package comment hold.
func Read32Relaxed(addr uintptr) uint32

// Write32Relaxed writes the 32-bit register at addr with no barrier:
// only the first two guarantees of the package comment hold.
func Write32Relaxed(addr uintptr, v uint32)
