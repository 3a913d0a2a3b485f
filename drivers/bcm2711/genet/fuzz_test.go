package genet

import (
	"testing"
)

// FuzzRxDescriptor: whatever the controller writes in a receive
// descriptor and however far it moves the producer index, Receive never
// delivers bytes outside the frame's buffer, delivers exactly the frames
// RxFrame accepts, and stops at an impossible index.
func FuzzRxDescriptor(f *testing.F) {
	f.Add(uint32(166<<descLenShift|descSOP|descEOP), uint16(1), 100)
	f.Add(uint32(0xffff_ffff), uint16(3), 0)
	f.Add(uint32(descSOP|descEOP), uint16(257), 5)
	f.Add(uint32((bufSize+1)<<descLenShift|descSOP|descEOP), uint16(2), 1500)
	f.Fuzz(func(t *testing.T, status uint32, advance uint16, n int) {
		fk := newFake()
		d := start(t, fk)
		n = max(HeaderLen, min(n, bufSize-rxPrefix))
		// Fill the descriptors the index covers, up to a ring's worth.
		for i := 0; i < int(min(advance, descCount)); i++ {
			fk.receiveStatus(frame(i, n), status)
		}
		if advance > descCount {
			fk.jumpRx(advance - descCount)
		}
		_, want := RxFrame(status, bufSize)
		delivered := 0
		got, err := d.Poll(0, func(b []byte) {
			delivered++
			if len(b) > MaxFrame+4 || len(b) < HeaderLen || cap(b) > bufSize-rxPrefix {
				t.Fatalf("delivered %d bytes (cap %d) from a %d-byte buffer", len(b), cap(b), bufSize)
			}
		})
		switch {
		case advance > descCount:
			if err == nil || delivered != 0 {
				t.Fatalf("index %d ahead accepted: %d frames, %v", advance, delivered, err)
			}
		case want != nil:
			if delivered != 0 || err != nil || got != int(advance) || d.Stats.RxErrors.Load() != uint64(advance) {
				t.Fatalf("status %#x (%v) delivered %d, errors %d, %v", status, want, delivered, d.Stats.RxErrors.Load(), err)
			}
		default:
			if delivered != int(advance) || got != delivered || err != nil {
				t.Fatalf("status %#x: %d of %d delivered, %v", status, delivered, advance, err)
			}
		}
	})
}
