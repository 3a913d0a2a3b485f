package bootargs

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzCommandLine: the command line comes from whoever boots the machine.
// Split puts every word in exactly one place, in order; Lookup finds the
// first KEY=VALUE word; a duration setting is either an error or the
// duration time.ParseDuration reads (within rounding), never a value the
// conversion wrapped or saturated; a switch is one of its two values or an
// error naming it.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"", "a b c", "-test.v=true a KEY=V x=1=2 -x=y -- B=C d", "yolk.quantum=5ms yolk.tick=500us",
		"yolk.quantum=1.5ms", "yolk.tick=250µs", "yolk.idle=poll yolk.preempt=call", "=x", "--", "-- --",
		"yolk.quantum=99999999999999999999s", "yolk.tick=0.0000001ns", "ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3",
		"\tyolk.cpus=2\n", "k==v", "yolk.quantum=", "yolk.quantum=.s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmdline string) {
		words := strings.Fields(cmdline)
		args, env := Split(cmdline)
		if len(args)+len(env) != len(words)-count(words, "--", 1) {
			t.Fatalf("Split(%q) = %q, %q: words lost or made up", cmdline, args, env)
		}
		// Both lists keep the command line's order.
		if !isSubsequence(args, words) || !isSubsequence(env, words) {
			t.Fatalf("Split(%q) = %q, %q: order changed", cmdline, args, env)
		}
		for _, kv := range env {
			if strings.HasPrefix(kv, "-") || strings.HasPrefix(kv, "=") || !strings.Contains(kv, "=") {
				t.Fatalf("Split(%q): %q in the environment", cmdline, kv)
			}
		}
		for _, w := range words {
			key, _, ok := strings.Cut(w, "=")
			if !ok {
				continue
			}
			v, found := Lookup(cmdline, key)
			if !found || key+"="+v != firstWithKey(words, key) {
				t.Fatalf("Lookup(%q, %q) = %q, %v", cmdline, key, v, found)
			}
			d, ok, err := Duration(cmdline, key)
			if !ok {
				t.Fatalf("Duration(%q, %q): the key was not found", cmdline, key)
			}
			if err == nil {
				want, perr := time.ParseDuration(v)
				if d <= 0 || perr != nil || want <= 0 || diff(d, want) > want/1e6+1 {
					t.Fatalf("Duration(%q) = %v, time.ParseDuration: %v, %v", v, d, want, perr)
				}
			} else if !strings.Contains(err.Error(), key) {
				t.Fatalf("Duration error %q does not name %s", err, key)
			}
			on, err := Switch(cmdline, key, "off", "on")
			switch {
			case err != nil && (v == "" || v == "off" || v == "on" || !strings.Contains(err.Error(), key+"="+v)):
				t.Fatalf("Switch(%q): %v", v, err)
			case err == nil && on != (v == "on"):
				t.Fatalf("Switch(%q) = %v", v, on)
			case err == nil && v != "" && v != "off" && v != "on":
				t.Fatalf("Switch accepted %q", v)
			}
		}
	})
}

func count(words []string, w string, max int) int {
	n := 0
	for _, x := range words {
		if x == w && n < max {
			n++
		}
	}
	return n
}

func isSubsequence(sub, of []string) bool {
	i := 0
	for _, w := range of {
		if i < len(sub) && sub[i] == w {
			i++
		}
	}
	return i == len(sub)
}

func firstWithKey(words []string, key string) string {
	i := slices.IndexFunc(words, func(w string) bool { return strings.HasPrefix(w, key+"=") })
	return words[i]
}

func diff(a, b time.Duration) time.Duration {
	if a > b {
		return a - b
	}
	return b - a
}
