package proto

import "io"

// The bulk transfers of the network rows (the guest's GET /bytes, the
// host's POST /upload) carry a fixed pattern: byte i is i mod 251. The
// period is prime, so it does not line up with buffer or segment sizes,
// and both ends produce it by slicing one precomputed block, which costs
// next to nothing next to the transfer.
const patternPeriod = 251

// patternBlock is the pattern from offset 0, 256 periods long (62.75 KiB):
// block[off%period:] is the pattern from any offset off on, for at least
// 255 periods.
var patternBlock = func() []byte {
	b := make([]byte, 256*patternPeriod)
	for i := range b {
		b[i] = byte(i % patternPeriod)
	}
	return b
}()

// PatternAt is the pattern's byte at offset i (i >= 0).
func PatternAt(i int64) byte { return byte(i % patternPeriod) }

// A Pattern reads the first n bytes of the pattern.
type Pattern struct {
	off, n int64
}

// NewPattern returns a reader of the pattern's first n bytes.
func NewPattern(n int64) *Pattern { return &Pattern{n: n} }

// chunk is the next at most max bytes of the pattern, without consuming
// them.
func (p *Pattern) chunk(max int) []byte {
	b := patternBlock[p.off%patternPeriod:]
	b = b[:min(int64(len(b)), p.n-p.off, int64(max))]
	return b
}

func (p *Pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	var n int
	for n < len(b) && p.off < p.n {
		c := copy(b[n:], p.chunk(len(b)-n))
		n += c
		p.off += int64(c)
	}
	return n, nil
}

// WriteTo writes the rest of the pattern to w straight from the block
// (io.Copy uses it).
func (p *Pattern) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for p.off < p.n {
		n, err := w.Write(p.chunk(len(patternBlock)))
		p.off += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
