//go:build !tamago

package target

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// How a program's arguments and environment reach the guest: QEMU's
// -append puts the words into the device tree's /chosen/bootargs, and
// board/bootargs makes them the program's os.Args and environment:
// KEY=VALUE words before "--" become environment variables, the other
// words and everything after "--" become arguments. yolk.* words are
// yolk's own settings.

// MaxCmdline is the longest command line the tools pass (bytes).
const MaxCmdline = 2048

// Quiet is the boot argument that leaves out the banner, so that a test
// binary's output is what go test expects.
const Quiet = "yolk.quiet=1"

// Words is the command line for a guest with the environment env (KEY=VALUE
// each) and the arguments args: env first, then "--" and args, so that an
// argument containing "=" stays an argument.
func Words(env, args []string) ([]string, error) {
	w := make([]string, 0, len(env)+1+len(args))
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.HasPrefix(k, "-") {
			return nil, fmt.Errorf("bad environment variable %q: want NAME=value", kv)
		}
		w = append(w, kv)
	}
	if len(args) > 0 {
		w = append(w, "--")
		w = append(w, args...)
	}
	return w, nil
}

// Cmdline joins words with single spaces. The guest splits the line on
// spaces, so words that are empty or hold whitespace or a double quote
// cannot round-trip and are refused, as is a line longer than MaxCmdline.
func Cmdline(words []string) (string, error) {
	for _, w := range words {
		if w == "" {
			return "", fmt.Errorf("refusing an empty guest argument: it cannot survive the kernel command line")
		}
		if strings.ContainsAny(w, " \t\n\v\f\r\"") {
			return "", fmt.Errorf("refusing guest argument %s: whitespace and double quotes cannot survive the kernel command line", strconv.Quote(w))
		}
	}
	s := strings.Join(words, " ")
	if len(s) > MaxCmdline {
		return "", fmt.Errorf("kernel command line is %d bytes, more than the %d allowed", len(s), MaxCmdline)
	}
	return s, nil
}

// TestTimeout is how long to let QEMU run a test binary given go test's
// arguments: its -test.timeout plus 30 s, so that the guest's own timeout
// fires first and prints its goroutine dump. ok is false when the
// arguments set no timeout (or 0).
func TestTimeout(args []string) (d time.Duration, ok bool, err error) {
	var v string
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimLeft(a, "-")
		if s, found := strings.CutPrefix(a, "test.timeout="); found {
			v = s
		} else if a == "test.timeout" && i+1 < len(args) {
			v = args[i+1]
		}
	}
	if v == "" {
		return 0, false, nil
	}
	d, err = time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, false, fmt.Errorf("bad -test.timeout value %q", v)
	}
	if d == 0 {
		return 0, false, nil
	}
	return d + 30*time.Second, true, nil
}

// LF copies the guest's serial output to w with each "\r\n" turned into
// "\n": the console ends lines for a serial terminal, and a pipe (go
// test, a log) wants them as on Linux.
type LF struct {
	W  io.Writer
	cr bool // the last write ended in '\r', held back
}

func (l *LF) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+1)
	for _, c := range p {
		if l.cr {
			l.cr = false
			if c != '\n' {
				out = append(out, '\r')
			}
		}
		if c == '\r' {
			l.cr = true
			continue
		}
		out = append(out, c)
	}
	if _, err := l.W.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a '\r' held back at the end of the output.
func (l *LF) Flush() error {
	if !l.cr {
		return nil
	}
	l.cr = false
	_, err := l.W.Write([]byte{'\r'})
	return err
}
