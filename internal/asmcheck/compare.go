package asmcheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
)

// CheckWord reports whether comment names the instruction encoded by w.
// It returns nil when it does, and otherwise an error describing what the
// word really is. See the package documentation for the rules.
func CheckWord(w uint32, comment string) error {
	c := normalize(comment)
	if c == "" {
		return errors.New("empty instruction comment")
	}

	// 1. Encode the comment (System-instruction subset) and compare bits.
	enc, aerr := Assemble(c)
	if aerr == nil {
		if enc == w {
			return nil
		}
		return fmt.Errorf("comment %q encodes 0x%08x, but the word 0x%08x is %q", c, enc, w, Disassemble(w))
	}

	// 2. Compare text with arm64asm's GNU and Go syntax.
	inst, derr := decode(w)
	if derr != nil {
		if errors.Is(aerr, ErrNotSystem) {
			return fmt.Errorf("word 0x%08x does not decode with arm64asm (%v) and %q is not in the system-instruction subset asmcheck encodes", w, derr, c)
		}
		return fmt.Errorf("cannot encode comment %q: %v (word 0x%08x is %q)", c, aerr, w, Disassemble(w))
	}
	gnu := arm64asm.GNUSyntax(inst)
	gosyn := arm64asm.GoSyntax(inst, 0, nil, nil)
	cc := canon(c)
	if cc == canon(gnu) || cc == canon(gosyn) {
		return nil
	}
	msg := fmt.Sprintf("comment %q does not match word 0x%08x, which is %q (Go syntax %q)",
		c, w, Disassemble(w), strings.TrimSpace(gosyn))
	if !errors.Is(aerr, ErrNotSystem) {
		msg += fmt.Sprintf("; encoding the comment failed: %v", aerr)
	}
	return errors.New(msg)
}

// normalize lowercases an instruction text, cuts a trailing remark (from a
// further "//" or a ";"), collapses blanks, and writes each comma as ", "
// with no blanks inside brackets.
func normalize(s string) string {
	s = strings.ToLower(s)
	if i := strings.Index(s, "//"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ':
			// Drop blanks before , ] ) } and after [ ( { ,
			if i+1 < len(s) && strings.IndexByte(",])}", s[i+1]) >= 0 {
				continue
			}
			if i > 0 && strings.IndexByte(",[({", s[i-1]) >= 0 {
				continue
			}
			b.WriteByte(c)
		case ',':
			b.WriteString(", ")
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// canon rewrites a normalized text for comparison: immediates (#n or $n,
// decimal or hex) become #<decimal>, system register names from the table
// become their generic s<op0>_<op1>_c<n>_c<m>_<op2> spelling, lr and fp
// become x30 and x29, and a zero offset "[xn, #0]" becomes "[xn]".
func canon(s string) string {
	s = normalize(s)
	var b strings.Builder
	start := 0
	flush := func(end int) {
		if end > start {
			b.WriteString(canonToken(s[start:end]))
		}
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(" ,[]{}()!", s[i]) >= 0 {
			flush(i)
			b.WriteByte(s[i])
			start = i + 1
		}
	}
	flush(len(s))
	return strings.ReplaceAll(b.String(), ", #0]", "]")
}

func canonToken(t string) string {
	if len(t) > 1 && (t[0] == '#' || t[0] == '$') {
		if v, err := strconv.ParseInt(t[1:], 0, 64); err == nil {
			return "#" + strconv.FormatInt(v, 10)
		}
		if v, err := strconv.ParseUint(t[1:], 0, 64); err == nil {
			return "#" + strconv.FormatUint(v, 10)
		}
		return t
	}
	switch t {
	case "lr":
		return "x30"
	case "fp":
		return "x29"
	}
	if r, ok := LookupSysReg(t); ok {
		return r.Generic()
	}
	return t
}
