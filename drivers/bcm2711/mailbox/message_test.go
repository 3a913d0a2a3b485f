package mailbox

import (
	"errors"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	buf := make([]uint32, MaxMessageWords)
	n, err := Encode(buf, TagClockRate, []uint32{ClockUART, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{32, 0, TagClockRate, 8, 0, ClockUART, 0, 0}
	if n != len(want) {
		t.Fatalf("n = %d, want %d", n, len(want))
	}
	for i, w := range want {
		if buf[i] != w {
			t.Fatalf("word %d = %#x, want %#x (%#x)", i, buf[i], w, buf[:n])
		}
	}
	// The firmware's answer, in place.
	buf[1] = codeSuccess
	buf[4] = tagResponse | 8
	buf[6] = 48_000_000
	var r [2]uint32
	got, err := Decode(buf[:n], TagClockRate, r[:])
	if err != nil || got != 8 || r[0] != ClockUART || r[1] != 48_000_000 {
		t.Errorf("Decode = %d, %v, %v", got, r, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	buf := make([]uint32, MaxMessageWords)
	n, _ := Encode(buf, TagTemperature, []uint32{0, 0}, 2)
	var r [2]uint32
	if _, err := Decode(buf[:n], TagTemperature, r[:]); !errors.Is(err, ErrBadReply) {
		t.Errorf("unanswered message: %v", err)
	}
	buf[1] = codeError
	if _, err := Decode(buf[:n], TagTemperature, r[:]); !errors.Is(err, ErrRejected) {
		t.Errorf("error code: %v", err)
	}
	buf[1] = codeSuccess
	if _, err := Decode(buf[:n], TagTemperature, r[:]); !errors.Is(err, ErrNoResponse) {
		t.Errorf("tag not answered: %v", err)
	}
	buf[4] = tagResponse | 4 // answered one word only
	buf[5], buf[6] = 7, 99
	if _, err := Decode(buf[:n], TagTemperature, r[:]); err != nil || r[0] != 7 || r[1] != 0 {
		t.Errorf("short answer: %v %v", r, err)
	}
	if _, err := Encode(buf, 1, make([]uint32, 9), 0); !errors.Is(err, ErrTooLong) {
		t.Errorf("9 values: %v", err)
	}
}

func TestRevision(t *testing.T) {
	for _, c := range []struct {
		code Revision
		want string
	}{
		{0xa03111, "Raspberry Pi 4B rev 1.1, 1024 MiB, BCM2711, Sony UK"},
		{0xb03115, "Raspberry Pi 4B rev 1.5, 2048 MiB, BCM2711, Sony UK"},
		{0xc03114, "Raspberry Pi 4B rev 1.4, 4096 MiB, BCM2711, Sony UK"},
		{0xd03114, "Raspberry Pi 4B rev 1.4, 8192 MiB, BCM2711, Sony UK"},
		{0xc03130, "Raspberry Pi 400 rev 1.0, 4096 MiB, BCM2711, Sony UK"},
		{0xa02082, "Raspberry Pi 3B rev 1.2, 1024 MiB, BCM2837, Sony UK"},
		{0x000e, "old-style revision 0xe"},
	} {
		if got := c.code.String(); got != c.want {
			t.Errorf("%#x: %q, want %q", uint32(c.code), got, c.want)
		}
	}
}
