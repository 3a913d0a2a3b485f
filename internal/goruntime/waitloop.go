package goruntime

// The runtime's semasleep on tamago waits for its semaphore in a loop of
// two instructions (os_tamago.go: "for { if v = atomic.Load(addr); v <= 0
// { continue } ... }"):
//
//	loop: LDAR Wt, [Xn]   // load-acquire of m.waitsemacount
//	      CBZ  Wt, loop   // while zero
//
// ARM DDI 0487 C6.2: LDAR (32-bit) is 0x88dffc00 | n<<5 | t; CBZ (32-bit)
// is 0x34000000 | imm19<<5 | t, here with imm19 = -1 (the previous
// instruction). TestWaitLoopEncodings checks both against arm64asm.
const (
	ldarW32Mask = 0xfffffc00
	ldarW32     = 0x88dffc00
	cbzBack1W   = 0x34ffffe0
)

// findWaitLoop returns the index of the LDAR of the first such loop in
// code (instruction words), or -1.
func findWaitLoop(code []uint32) int {
	for i := 0; i+1 < len(code); i++ {
		if code[i]&ldarW32Mask == ldarW32 && code[i+1] == cbzBack1W|code[i]&0x1f {
			return i
		}
	}
	return -1
}
