// Package bootargs reads the kernel command line every board gets from its
// device tree (/chosen/bootargs): the program's arguments and environment,
// and yolk's own yolk.* settings.
package bootargs

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Split splits the command line as Linux does for init: words of the form
// KEY=VALUE become the environment, other words the arguments; everything
// after "--" is an argument.
func Split(cmdline string) (args, env []string) {
	words := strings.Fields(cmdline)
	for i, w := range words {
		switch {
		case w == "--":
			return append(args, words[i+1:]...), env
		case !strings.HasPrefix(w, "-") && strings.Contains(w, "=") && !strings.HasPrefix(w, "="):
			env = append(env, w)
		default:
			args = append(args, w)
		}
	}
	return args, env
}

// Install makes the command line the program's os.Args (after the name
// "yolk") and environment.
func Install(cmdline string) {
	args, env := Split(cmdline)
	os.Args = append([]string{"yolk"}, args...)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
}

// Lookup returns the value of the first KEY=VALUE word with the given key.
func Lookup(cmdline, key string) (string, bool) {
	for _, w := range strings.Fields(cmdline) {
		if k, v, ok := strings.Cut(w, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Duration returns a positive duration setting such as yolk.quantum=10ms;
// ok is false when the key is absent.
func Duration(cmdline, key string) (d time.Duration, ok bool, err error) {
	v, ok := Lookup(cmdline, key)
	if !ok {
		return 0, false, nil
	}
	d, err = parseDuration(v)
	if err != nil || d <= 0 {
		return 0, true, fmt.Errorf("bootarg %s=%s: want a positive duration such as 10ms", key, v)
	}
	return d, true, nil
}

// Switch reads a two-way setting such as yolk.idle=wfi|poll: it reports
// whether key is set to the alternative rather than to the default (or
// absent); any other value is an error naming both.
func Switch(cmdline, key, def, alt string) (bool, error) {
	v, _ := Lookup(cmdline, key)
	return switchValue(key, v, def, alt)
}

// EnvSwitch is Switch for a program's own setting, read from the
// environment that Install made of the command line (e.g. cmd/demo's
// yolk.diag=off|on).
func EnvSwitch(key, def, alt string) (bool, error) {
	return switchValue(key, os.Getenv(key), def, alt)
}

func switchValue(key, v, def, alt string) (bool, error) {
	switch v {
	case "", def:
		return false, nil
	case alt:
		return true, nil
	default:
		return false, fmt.Errorf("bootarg %s=%s: want %s or %s", key, v, def, alt)
	}
}

// parseDuration reads a number and a unit (ns, us, µs, ms, s). Boards read
// settings in hwinit1, before any package initialiser has run, where
// time.ParseDuration fails: it looks units up in a map that time's
// initialiser has not built yet.
func parseDuration(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("no number and unit in %q", s)
	}
	var unit time.Duration
	switch s[i:] {
	case "ns":
		unit = time.Nanosecond
	case "us", "µs":
		unit = time.Microsecond
	case "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	default:
		return 0, fmt.Errorf("unknown unit in %q", s)
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, err
	}
	// A float too large for an int64 converts to an implementation's
	// choice (arm64 saturates, amd64 goes negative): refuse it here.
	if v := f * float64(unit); v >= 1<<63 {
		return 0, fmt.Errorf("%q is longer than %v", s, time.Duration(math.MaxInt64))
	}
	return time.Duration(f * float64(unit)), nil
}
