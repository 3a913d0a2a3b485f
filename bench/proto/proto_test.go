package proto

import (
	"bytes"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

func feedAll(out string) (*Session, []string) {
	var s Session
	var kinds []string
	for _, l := range strings.Split(out, "\n") {
		if k := s.Feed(l); k != "" {
			kinds = append(kinds, k)
		}
	}
	return &s, kinds
}

func TestYolkSession(t *testing.T) {
	out := "yolk 0.1 on qemu-virt\r\n  boot:   12.5 ms to main\r\n" +
		"READY boot_ns=12500000\r\n" +
		"RESULT name=cpus unit=count value=2\r\n" +
		"RESULT name=spawn unit=ns value=1234.5 n=10000\r\n" +
		"SKIP name=pingpong_cross reason=one core (GOMAXPROCS=1)\r\n" +
		"FAIL name=gc reason=no collection ran\r\n" +
		"IDLE\r\n" +
		"DONE\r\n" +
		"RESULT name=late unit=ns value=1\r\n"
	s, kinds := feedAll(out)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{Ready, Result, Result, Skip, Fail, Idle, Done}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %q, want %q", kinds, want)
	}
	if s.BootNS != 12500000 {
		t.Errorf("BootNS %d", s.BootNS)
	}
	want := []Sample{{"cpus", "count", 2, 0}, {"spawn", "ns", 1234.5, 10000}}
	if !reflect.DeepEqual(s.Results, want) {
		t.Errorf("results %+v", s.Results)
	}
	if len(s.Skips) != 1 || s.Skips[0] != (Note{"pingpong_cross", "one core (GOMAXPROCS=1)"}) {
		t.Errorf("skips %+v", s.Skips)
	}
	if len(s.Fails) != 1 || s.Fails[0] != (Note{"gc", "no collection ran"}) {
		t.Errorf("fails %+v", s.Fails)
	}
	if len(s.Bad) != 0 {
		t.Errorf("bad lines %q", s.Bad)
	}
}

func TestLinuxSessionWithKernelNoise(t *testing.T) {
	out := "[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]\n" +
		"RESULT name=early unit=ns value=1\n" + // before READY: bad, not counted
		"READY\n" +
		"[    1.465228] random: crng init done\n" +
		"RESULT name=sleep_p50 unit=ns value=8.1e+04 n=500\n" +
		"DONE\n" +
		"[    9.1] reboot: Power down\n"
	s, _ := feedAll(out)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if s.BootNS != -1 {
		t.Errorf("BootNS %d, want -1 (unknown)", s.BootNS)
	}
	if len(s.Results) != 1 || s.Results[0].Value != 81000 || s.Results[0].N != 500 {
		t.Errorf("results %+v", s.Results)
	}
	if len(s.Bad) != 1 || !strings.Contains(s.Bad[0], "before READY") {
		t.Errorf("bad %q", s.Bad)
	}
}

func TestIncompleteSessions(t *testing.T) {
	for _, tc := range []struct{ name, out, err string }{
		{"empty", "", "no READY"},
		{"garbage only", "\x00\xff garbage\nDON\nREADYY\n", "no READY"},
		{"bad ready", "READY boot_ns=soon\nDONE\n", "no READY"},
		{"missing DONE", "READY\nRESULT name=a unit=ns value=1\n", "no DONE"},
		{"truncated DONE", "READY\nRESULT name=a unit=ns value=1\nDON", "no DONE"},
		{"panic", "READY\npanic: runtime error\ngoroutine 1 [running]:\n", "no DONE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := feedAll(tc.out)
			if err := s.Err(); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Err() = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestBadLines(t *testing.T) {
	for _, line := range []string{
		"RESULT name=a unit=ns valu",             // truncated
		"RESULT name=a unit=ns",                  // no value
		"RESULT name=a unit=ns value=",           // empty value
		"RESULT name=a unit=ns value=1x",         // not a number
		"RESULT name=a unit=ns value=NaN",        // not finite
		"RESULT name=a unit=ns value=+Inf",       // not finite
		"RESULT name=A unit=ns value=1",          // bad name
		"RESULT name=a unit=n5 value=1",          // bad unit
		"RESULT unit=ns value=1",                 // no name
		"RESULT name=a unit=ns value=1 n=0",      // bad n
		"RESULT name=a unit=ns value=1 n=-3",     // bad n
		"RESULT name=a unit=ns value=1 extra=1",  // unknown field
		"RESULT name=a unit=ns value=1 n=2 junk", // unknown field
		"SKIP name=a",                            // no reason
		"SKIP name=a reason= ",                   // empty reason
		"FAIL reason=x",                          // no name
		"READY",                                  // second READY
		"READY boot_ns=-5",                       // negative
		"IDLE now",                               // trailing text
	} {
		var s Session
		s.Feed("READY")
		if k := s.Feed(line); k != "" || len(s.Bad) != 1 {
			t.Errorf("%q: kind %q, bad %q", line, k, s.Bad)
		}
		if len(s.Results)+len(s.Skips)+len(s.Fails) != 0 {
			t.Errorf("%q was recorded", line)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	var s Session
	lines := []string{
		FormatReady(42),
		FormatResult(Sample{Name: "gc_p99", Unit: "ns", Value: 123456.789, N: 37}),
		FormatResult(Sample{Name: "parallel_speedup", Unit: "x", Value: 1.9734}),
		FormatResult(Sample{Name: "tiny", Unit: "ns", Value: 1e-9}),
		FormatNote(Skip, Note{Name: "pingpong_cross", Reason: "one core\nonly"}),
		FormatNote(Fail, Note{Name: "gc", Reason: "reason=odd"}),
		Idle,
		Done,
	}
	for _, l := range lines {
		if s.Feed(l+"\r") == "" {
			t.Errorf("%q not accepted: %q", l, s.Bad)
		}
	}
	if s.BootNS != 42 || s.Err() != nil {
		t.Errorf("BootNS %d, Err %v", s.BootNS, s.Err())
	}
	r := s.Results
	if len(r) != 3 || r[0].Name != "gc_p99" || math.Abs(r[0].Value-123457) > 0.5 || r[0].N != 37 ||
		r[1].Value != 1.9734 || r[1].N != 0 || r[2].Value != 1e-9 {
		t.Errorf("results %+v", r)
	}
	if s.Skips[0].Reason != "one core only" || s.Fails[0].Reason != "reason=odd" {
		t.Errorf("notes %+v %+v", s.Skips, s.Fails)
	}
	if FormatReady(-1) != "READY" {
		t.Errorf("FormatReady(-1) = %q", FormatReady(-1))
	}
}

func TestServing(t *testing.T) {
	line := FormatServing(map[string]int{"http": 80, "echo": 7})
	if line != "SERVING echo=7 http=80" {
		t.Errorf("FormatServing = %q", line)
	}
	var s Session
	s.Feed("READY")
	if k := s.Feed(line + "\r"); k != Serving || !reflect.DeepEqual(s.Serving, map[string]int{"http": 80, "echo": 7}) {
		t.Errorf("kind %q, serving %v, bad %q", k, s.Serving, s.Bad)
	}
	if k := s.Feed("SERVING http=81"); k != "" || len(s.Bad) != 1 || s.Serving["http"] != 80 {
		t.Errorf("second SERVING: kind %q, serving %v, bad %q", k, s.Serving, s.Bad)
	}
	if s.Feed(Done) != Done || s.Err() != nil {
		t.Errorf("DONE after SERVING: %v", s.Err())
	}

	var early Session
	if early.Feed("SERVING http=80") != "" || early.Serving != nil || len(early.Bad) != 1 {
		t.Errorf("SERVING before READY accepted: %v %q", early.Serving, early.Bad)
	}
	for _, bad := range []string{
		"SERVING",                   // no services
		"SERVING http",              // no port
		"SERVING http=",             // empty port
		"SERVING http=0",            // out of range
		"SERVING http=65536",        // out of range
		"SERVING http=8o",           // not a number
		"SERVING HTTP=80",           // bad name
		"SERVING http2=80",          // digits in a name
		"SERVING http=80 http=8080", // twice
		"SERVING =80",               // no name
	} {
		var s Session
		s.Feed("READY")
		if k := s.Feed(bad); k != "" || s.Serving != nil || len(s.Bad) != 1 {
			t.Errorf("%q: kind %q, serving %v, bad %q", bad, k, s.Serving, s.Bad)
		}
	}
}

func TestPattern(t *testing.T) {
	for _, n := range []int64{0, 1, 250, 251, 252, 64 << 10, 1<<20 + 7} {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i % 251)
		}
		// Read, through buffers of odd sizes.
		var got []byte
		p := NewPattern(n)
		buf := make([]byte, 1000)
		for i := 1; ; i++ {
			k, err := p.Read(buf[:1+i*97%len(buf)])
			got = append(got, buf[:k]...)
			if err == io.EOF {
				break
			}
			if err != nil || k == 0 {
				t.Fatalf("n=%d: Read = %d, %v", n, k, err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("n=%d: Read gave %d bytes, not the pattern", n, len(got))
		}
		// WriteTo, through io.Copy.
		var b bytes.Buffer
		if k, err := io.Copy(&b, NewPattern(n)); err != nil || k != n || !bytes.Equal(b.Bytes(), want) {
			t.Errorf("n=%d: io.Copy = %d, %v", n, k, err)
		}
		for _, i := range []int64{0, n / 2, n - 1} {
			if i >= 0 && i < n && PatternAt(i) != want[i] {
				t.Errorf("PatternAt(%d) = %d, want %d", i, PatternAt(i), want[i])
			}
		}
	}
}
