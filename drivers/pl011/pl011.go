// Package pl011 drives an Arm PrimeCell UART (PL011) as a polled console
// (PL011 Technical Reference Manual, DDI 0183, chapter 3 "Programmers
// model"). Output works from any context: exception handlers, runtime hooks
// and all cores, so it only touches the data and flag registers.
package pl011

import "github.com/yolkos/yolk/kernel/reg"

const (
	regDR   = 0x00 // data
	regFR   = 0x18 // flags
	regIBRD = 0x24 // integer baud divisor
	regFBRD = 0x28 // fractional baud divisor
	regLCRH = 0x2c // line control
	regCR   = 0x30 // control
	regIMSC = 0x38 // interrupt mask

	frTXFF = 1 << 5 // transmit FIFO full
	frBUSY = 1 << 3

	lcrhFEN   = 1 << 4 // FIFOs enabled
	lcrhWLEN8 = 3 << 5 // 8 data bits

	crUARTEN = 1 << 0
	crTXE    = 1 << 8
	crRXE    = 1 << 9
)

// UART is one PL011 at a physical address (identity mapped).
type UART struct {
	Base uintptr
}

//go:nosplit
func (u *UART) load(off uintptr) uint32 { return reg.Read32(u.Base + off) }

//go:nosplit
func (u *UART) store(off uintptr, v uint32) { reg.Write32(u.Base+off, v) }

// Init programs 8N1 at the given baud rate from the UART reference clock
// (both in Hz; baud divisor = clock / (16 * baud), in 1/64 steps).
func (u *UART) Init(clock, baud uint32) {
	u.store(regCR, 0)
	for u.load(regFR)&frBUSY != 0 {
	}
	div := (uint64(clock)*4 + uint64(baud)/2) / uint64(baud) // 64 * clock / (16 * baud)
	u.store(regIBRD, uint32(div>>6))
	u.store(regFBRD, uint32(div&63))
	u.store(regLCRH, lcrhFEN|lcrhWLEN8)
	u.store(regIMSC, 0)
	u.store(regCR, crUARTEN|crTXE|crRXE)
}

// Putc sends c, waiting while the transmit FIFO is full. A UART at
// address 0 discards output.
//
//go:nosplit
func (u *UART) Putc(c byte) {
	if u.Base == 0 {
		return
	}
	for u.load(regFR)&frTXFF != 0 {
	}
	u.store(regDR, uint32(c))
}

// WriteString sends s, turning "\n" into "\r\n" for terminals.
//
//go:nosplit
func (u *UART) WriteString(s string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			u.Putc('\r')
		}
		u.Putc(s[i])
	}
}

// WriteHex sends v in hexadecimal with a 0x prefix and no leading zeros
// (for early messages, which cannot format).
//
//go:nosplit
func (u *UART) WriteHex(v uint64) {
	u.WriteString("0x")
	shift := 60
	for shift > 0 && v>>shift == 0 {
		shift -= 4
	}
	for ; shift >= 0; shift -= 4 {
		u.Putc("0123456789abcdef"[v>>shift&15])
	}
}

// WriteDec sends v in decimal.
//
//go:nosplit
func (u *UART) WriteDec(v uint64) {
	div := uint64(1)
	for v/div >= 10 {
		div *= 10
	}
	for ; div > 0; div /= 10 {
		u.Putc(byte('0' + v/div%10))
	}
}
