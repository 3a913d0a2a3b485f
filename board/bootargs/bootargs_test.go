package bootargs

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	args, env := Split("-test.v=true a KEY=V x=1=2 -x=y -- B=C d")
	if strings.Join(args, " ") != "-test.v=true a -x=y B=C d" {
		t.Errorf("args %q", args)
	}
	if strings.Join(env, " ") != "KEY=V x=1=2" {
		t.Errorf("env %q", env)
	}
}

func TestLookupAndDuration(t *testing.T) {
	const cmdline = "a yolk.quantum=5ms yolk.tick=bad yolk.zero=0s yolk.quantum=7ms"
	if v, ok := Lookup(cmdline, "yolk.quantum"); !ok || v != "5ms" {
		t.Errorf("Lookup = %q, %v; want the first value", v, ok)
	}
	if _, ok := Lookup(cmdline, "yolk.cpus"); ok {
		t.Error("absent key found")
	}
	if d, ok, err := Duration(cmdline, "yolk.quantum"); d != 5*time.Millisecond || !ok || err != nil {
		t.Errorf("Duration = %v, %v, %v", d, ok, err)
	}
	if _, ok, err := Duration(cmdline, "yolk.absent"); ok || err != nil {
		t.Errorf("absent: %v, %v", ok, err)
	}
	for _, key := range []string{"yolk.tick", "yolk.zero"} {
		if _, ok, err := Duration(cmdline, key); !ok || err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: ok %v err %v, want an error naming it", key, ok, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"5ms": 5 * time.Millisecond, "1.5ms": 1500 * time.Microsecond, "250us": 250 * time.Microsecond,
		"250µs": 250 * time.Microsecond, "2s": 2 * time.Second, "100ns": 100,
	} {
		if got, err := parseDuration(in); got != want || err != nil {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ms", "5", "5m", "5 ms", "1.2.3ms", "-5ms", "99999999999999999999s", "9223372036.9s"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("%q accepted as %v", in, d)
		}
	}
}

func TestSwitch(t *testing.T) {
	for _, c := range []struct {
		cmdline string
		alt     bool
		err     string
	}{
		{"", false, ""},
		{"yolk.idle=wfi", false, ""},
		{"a yolk.idle=poll b", true, ""},
		{"yolk.idle=spin", false, "bootarg yolk.idle=spin: want wfi or poll"},
	} {
		alt, err := Switch(c.cmdline, "yolk.idle", "wfi", "poll")
		if alt != c.alt || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("Switch(%q) = %v, %v; want %v, %q", c.cmdline, alt, err, c.alt, c.err)
		}
	}
}

// EnvSwitch reads the environment Install made of the command line.
func TestEnvSwitch(t *testing.T) {
	for _, c := range []struct {
		cmdline string
		on      bool
		err     string
	}{
		{"", false, ""},
		{"yolk.diag=off", false, ""},
		{"a yolk.diag=on", true, ""},
		{"yolk.diag=1", false, "bootarg yolk.diag=1: want off or on"},
	} {
		os.Unsetenv("yolk.diag")
		Install(c.cmdline)
		on, err := EnvSwitch("yolk.diag", "off", "on")
		if on != c.on || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("%q: EnvSwitch = %v, %v; want %v, %q", c.cmdline, on, err, c.on, c.err)
		}
	}
	os.Unsetenv("yolk.diag")
}
