package virtionet

import (
	"bytes"
	"testing"
)

func rxBuffer(hdr [HeaderLen]byte, frame []byte) ([]byte, uint32) {
	b := make([]byte, bufSize)
	copy(b, hdr[:])
	n := copy(b[HeaderLen:], frame)
	return b, uint32(HeaderLen + n)
}

func TestFrame(t *testing.T) {
	eth := bytes.Repeat([]byte{0xab}, 60)
	buf, n := rxBuffer([HeaderLen]byte{}, eth)
	f, err := Frame(buf, n)
	if err != nil || !bytes.Equal(f, eth) {
		t.Fatalf("Frame = %x, %v", f, err)
	}
	// DATA_VALID (flag 2) is harmless: accepted.
	buf[0] = 2
	if _, err := Frame(buf, n); err != nil {
		t.Fatalf("DATA_VALID rejected: %v", err)
	}
	for name, c := range map[string]struct {
		hdr [HeaderLen]byte
		n   uint32
	}{
		"longer than the buffer": {n: bufSize + 1},
		"no ethernet header":     {n: HeaderLen + 13},
		"no virtio header":       {n: 5},
		"jumbo":                  {n: HeaderLen + MaxFrame + 1},
		"NEEDS_CSUM":             {hdr: [HeaderLen]byte{1}, n: HeaderLen + 60},
		"GSO":                    {hdr: [HeaderLen]byte{0, 1}, n: HeaderLen + 60},
	} {
		b, _ := rxBuffer(c.hdr, eth)
		if _, err := Frame(b, c.n); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzFrame: any header and length the device writes is either rejected
// or yields a frame inside the buffer, of an Ethernet frame's size.
func FuzzFrame(f *testing.F) {
	f.Add([]byte{0, 0}, uint32(HeaderLen+60))
	f.Add([]byte{1, 0}, uint32(HeaderLen+60))
	f.Add([]byte{0, 3}, uint32(1<<31))
	f.Add([]byte{2}, uint32(0))
	f.Fuzz(func(t *testing.T, hdr []byte, n uint32) {
		buf := make([]byte, bufSize)
		copy(buf, hdr)
		frame, err := Frame(buf, n)
		if err != nil {
			return
		}
		if len(frame) < EthernetHeaderLen || len(frame) > MaxFrame || uint32(len(frame)) != n-HeaderLen {
			t.Fatalf("frame of %d bytes from n=%d", len(frame), n)
		}
	})
}
