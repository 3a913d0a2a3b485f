// Package proto is the line protocol between the benchmark guest and the
// host harness. The guest writes it to its console, one line each:
//
//	READY [boot_ns=<int>]     first line from main; boot_ns: boot to main as the guest saw it
//	RESULT name=<row> unit=<unit> value=<float> [n=<int>]
//	SKIP name=<row> reason=<text>    the row cannot run here, and why
//	FAIL name=<row> reason=<text>    the row ran and went wrong
//	IDLE                      the guest goes idle now (the host samples its CPU time)
//	SERVING <service>=<port>...  the guest listens on these TCP ports now (the host measures the network rows)
//	DONE                      every row has finished; the guest exits next
//
// Anything else (a boot banner, kernel messages) is not protocol and is
// ignored, as is everything before READY and after DONE. Lines may end in
// "\r\n" (a serial console). A row name is [a-z0-9_]+, a unit [a-z]+:
// ns, ms, x (a ratio), pct, bytes or count. A service name is [a-z]+,
// e.g. SERVING echo=7 http=80.
//
// The package also defines the data the network rows move in bulk (see
// NewPattern), so the guest and the host agree on it.
package proto

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The protocol's line keywords.
const (
	Ready   = "READY"
	Result  = "RESULT"
	Skip    = "SKIP"
	Fail    = "FAIL"
	Idle    = "IDLE"
	Serving = "SERVING"
	Done    = "DONE"
)

// A Sample is one RESULT line.
type Sample struct {
	Name, Unit string
	Value      float64
	N          int // samples behind Value (e.g. sleeps for a percentile); 0 if not given
}

// A Note is a SKIP or FAIL line.
type Note struct {
	Name, Reason string
}

// HelloBody is what the guest's HTTP server returns for GET / in the
// netserve row.
const HelloBody = "hello from bench/guest\n"

// FormatReady returns the READY line; bootNS < 0 means unknown.
func FormatReady(bootNS int64) string {
	if bootNS < 0 {
		return Ready
	}
	return fmt.Sprintf("%s boot_ns=%d", Ready, bootNS)
}

// FormatResult returns the RESULT line for s.
func FormatResult(s Sample) string {
	line := fmt.Sprintf("%s name=%s unit=%s value=%s", Result, s.Name, s.Unit, strconv.FormatFloat(s.Value, 'g', 6, 64))
	if s.N > 0 {
		line += " n=" + strconv.Itoa(s.N)
	}
	return line
}

// FormatServing returns the SERVING line for ports (service name to TCP
// port), in the order of the names.
func FormatServing(ports map[string]int) string {
	line := Serving
	for _, name := range slices.Sorted(maps.Keys(ports)) {
		line += fmt.Sprintf(" %s=%d", name, ports[name])
	}
	return line
}

// FormatNote returns a SKIP or FAIL line (kind is Skip or Fail). Line
// breaks in the reason become spaces.
func FormatNote(kind string, n Note) string {
	reason := strings.Join(strings.Fields(n.Reason), " ")
	return fmt.Sprintf("%s name=%s reason=%s", kind, n.Name, reason)
}

// Session follows one boot's output through the protocol.
type Session struct {
	Ready   bool
	BootNS  int64 // from READY; -1 if the guest did not say
	Done    bool
	Results []Sample
	Skips   []Note
	Fails   []Note
	Serving map[string]int // service name to TCP port, from SERVING; nil before
	Bad     []string       // protocol lines that could not be parsed, with why
}

// Feed takes one line of output and returns its keyword ("" for a line
// that is not protocol or is ignored).
func (s *Session) Feed(line string) string {
	line = strings.TrimSpace(line)
	kind, rest, _ := strings.Cut(line, " ")
	switch kind {
	case Ready, Result, Skip, Fail, Idle, Serving, Done:
	default:
		return ""
	}
	if s.Done {
		return ""
	}
	if !s.Ready && kind != Ready {
		s.bad(line, errors.New("before READY"))
		return ""
	}
	var err error
	switch kind {
	case Ready:
		if s.Ready {
			err = errors.New("second READY")
			break
		}
		s.BootNS = -1
		if rest != "" {
			f := fields(rest)
			s.BootNS, err = strconv.ParseInt(f["boot_ns"], 10, 64)
			if err == nil && (len(f) != 1 || s.BootNS < 0) {
				err = errors.New("want boot_ns=<nanoseconds> only")
			}
		}
		s.Ready = err == nil
	case Result:
		var r Sample
		if r, err = parseResult(rest); err == nil {
			s.Results = append(s.Results, r)
		}
	case Skip, Fail:
		var n Note
		if n, err = parseNote(rest); err == nil && kind == Skip {
			s.Skips = append(s.Skips, n)
		} else if err == nil {
			s.Fails = append(s.Fails, n)
		}
	case Serving:
		var ports map[string]int
		if s.Serving != nil {
			err = errors.New("second SERVING")
		} else if ports, err = parseServing(rest); err == nil {
			s.Serving = ports
		}
	case Idle, Done:
		if rest != "" {
			err = errors.New("unexpected text after " + kind)
		}
		s.Done = kind == Done && err == nil
	}
	if err != nil {
		s.bad(line, err)
		return ""
	}
	return kind
}

func (s *Session) bad(line string, err error) {
	s.Bad = append(s.Bad, fmt.Sprintf("%q: %v", line, err))
}

// Err says why the session is incomplete: no READY, or no DONE (the
// output was cut short). It is nil once DONE was seen.
func (s *Session) Err() error {
	switch {
	case !s.Ready:
		return errors.New("no READY line: the guest did not reach main")
	case !s.Done:
		return errors.New("no DONE line: the output ended early")
	}
	return nil
}

// fields splits "k=v k=v" into a map; a word without "=" maps to "".
func fields(s string) map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(s) {
		k, v, _ := strings.Cut(w, "=")
		m[k] = v
	}
	return m
}

func parseResult(rest string) (Sample, error) {
	f := fields(rest)
	var r Sample
	if r.Name = f["name"]; !isWord(r.Name, true) {
		return r, errors.New("bad or missing name")
	}
	if r.Unit = f["unit"]; !isWord(r.Unit, false) {
		return r, errors.New("bad or missing unit")
	}
	v, err := strconv.ParseFloat(f["value"], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return r, errors.New("bad or missing value")
	}
	r.Value = v
	want := 3
	if n, ok := f["n"]; ok {
		if r.N, err = strconv.Atoi(n); err != nil || r.N <= 0 {
			return r, errors.New("bad n")
		}
		want++
	}
	if len(f) != want {
		return r, errors.New("unknown fields")
	}
	return r, nil
}

func parseServing(rest string) (map[string]int, error) {
	ports := map[string]int{}
	for _, w := range strings.Fields(rest) {
		name, port, _ := strings.Cut(w, "=")
		p, err := strconv.Atoi(port)
		if !isWord(name, false) || err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q: want <service>=<port>", w)
		}
		if _, dup := ports[name]; dup {
			return nil, fmt.Errorf("%s given twice", name)
		}
		ports[name] = p
	}
	if len(ports) == 0 {
		return nil, errors.New("no services")
	}
	return ports, nil
}

func parseNote(rest string) (Note, error) {
	name, reason, ok := strings.Cut(rest, " reason=")
	name, okName := strings.CutPrefix(name, "name=")
	if !ok || !okName || !isWord(name, true) || strings.TrimSpace(reason) == "" {
		return Note{}, errors.New("want name=<row> reason=<text>")
	}
	return Note{Name: name, Reason: strings.TrimSpace(reason)}, nil
}

// isWord reports whether s is non-empty and made of a-z (and 0-9 and _
// when digits is set).
func isWord(s string, digits bool) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || digits && ('0' <= c && c <= '9' || c == '_')) {
			return false
		}
	}
	return s != ""
}
