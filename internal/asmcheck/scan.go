package asmcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one finding, located by file and 1-based line.
type Problem struct {
	Path string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Msg) }

// Word is one "WORD $0x<hex>" directive found by Scan.
type Word struct {
	Path    string
	Line    int
	Hex     string // the operand as written, e.g. "0xd5381000"
	Value   uint32
	Comment string // the instruction text assigned to this WORD, "" if none

	reported bool // a pairing problem was already reported for this WORD
}

// Check scans one assembly file and checks every WORD $0x<hex> directive
// against its comment. path is used only in the returned problems.
func Check(path string, src []byte) []Problem {
	words, probs := Scan(path, src)
	return checkScanned(path, words, probs)
}

func checkScanned(path string, words []Word, probs []Problem) []Problem {
	for _, w := range words {
		if w.reported {
			continue
		}
		if w.Comment == "" {
			probs = append(probs, Problem{path, w.Line, fmt.Sprintf("WORD $%s has no instruction comment (want e.g. %q)", w.Hex, "// "+Disassemble(w.Value))})
			continue
		}
		if err := CheckWord(w.Value, w.Comment); err != nil {
			probs = append(probs, Problem{path, w.Line, fmt.Sprintf("WORD $%s: %v", w.Hex, err)})
		}
	}
	sortProblems(probs)
	return probs
}

func sortProblems(p []Problem) {
	// Insertion sort by line keeps Scan's order within a line; lists are short.
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Line < p[j-1].Line; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// event is a WORD directive or a comment found on one line, at byte offset
// pos.
type event struct {
	pos     int
	word    *Word
	comment string
	isLine  bool // a // comment
}

// Scan finds the WORD $0x<hex> directives of an assembly file and assigns
// each its comment. It reports malformed operands, lines whose WORDs and
// comments cannot be paired, and // comments that swallow the line
// continuation of a #define.
func Scan(path string, src []byte) ([]Word, []Problem) {
	var (
		words   []Word
		probs   []Problem
		inBlock bool // inside /* */ carried over from a previous line
		inMacro bool // previous line was a #define line ending in \
	)
	lines := strings.Split(string(src), "\n")
	for n, line := range lines {
		lineNo := n + 1
		line = strings.TrimSuffix(line, "\r")
		var evs []event
		lastCode := byte(0) // last non-blank byte outside comments
		isDefine := inMacro
		if !inBlock && strings.HasPrefix(strings.TrimLeft(line, " \t"), "#define") {
			isDefine = true
		}
		i := 0
		if inBlock {
			end := strings.Index(line, "*/")
			if end < 0 {
				continue
			}
			inBlock = false
			i = end + 2
		}
		for i < len(line) {
			c := line[i]
			switch {
			case strings.HasPrefix(line[i:], "//"):
				evs = append(evs, event{pos: i, comment: line[i+2:], isLine: true})
				i = len(line)
			case strings.HasPrefix(line[i:], "/*"):
				end := strings.Index(line[i+2:], "*/")
				if end < 0 {
					evs = append(evs, event{pos: i, comment: line[i+2:]})
					inBlock = true
					i = len(line)
				} else {
					evs = append(evs, event{pos: i, comment: line[i+2 : i+2+end]})
					i += 2 + end + 2
				}
			case c == '"' || c == '\'' || c == '`':
				j := i + 1
				for j < len(line) && line[j] != c {
					if line[j] == '\\' && c != '`' {
						j++
					}
					j++
				}
				i = j + 1
				lastCode = c
			case isWordAt(line, i):
				w, next, perr := parseWord(line, i+len("WORD"))
				if perr != "" {
					probs = append(probs, Problem{path, lineNo, perr})
				} else if w != nil {
					w.Path, w.Line = path, lineNo
					evs = append(evs, event{pos: i, word: w})
				}
				if next > i {
					lastCode = line[next-1]
				}
				i = next
			default:
				if c != ' ' && c != '\t' {
					lastCode = c
				}
				i++
			}
		}
		inMacro = isDefine && lastCode == '\\'

		lineWords, lineProbs := pair(path, lineNo, evs)
		probs = append(probs, lineProbs...)
		if isDefine && len(lineWords) > 0 && !inMacro {
			for _, e := range evs {
				if e.isLine && strings.HasSuffix(strings.TrimRight(e.comment, " \t"), "\\") {
					probs = append(probs, Problem{path, lineNo, `a // comment inside #define swallows the trailing \ and ends the macro here; write the instruction as /* ... */ before the \`})
				}
			}
		}
		words = append(words, lineWords...)
	}
	return words, probs
}

// isWordAt reports the identifier WORD starting at line[i].
func isWordAt(line string, i int) bool {
	if !strings.HasPrefix(line[i:], "WORD") {
		return false
	}
	if i > 0 && isIdent(line[i-1]) {
		return false
	}
	j := i + len("WORD")
	return j == len(line) || !isIdent(line[j])
}

func isIdent(c byte) bool {
	return c == '_' || c == '.' || c >= 0x80 || // · in Go symbols is UTF-8
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// parseWord parses the operand after WORD at line[i:]. It returns a nil
// Word for operands that are not 0x literals (macro arguments, symbols,
// decimal numbers), which are not checked, and a problem text for a
// malformed 0x literal.
func parseWord(line string, i int) (*Word, int, string) {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i >= len(line) || line[i] != '$' {
		return nil, i, ""
	}
	i++
	if !strings.HasPrefix(line[i:], "0x") && !strings.HasPrefix(line[i:], "0X") {
		return nil, i, ""
	}
	start := i
	for i < len(line) && !strings.ContainsRune(" \t;/\\,)", rune(line[i])) {
		i++
	}
	tok := line[start:i]
	digits := tok[2:]
	if digits == "" {
		return nil, i, fmt.Sprintf("malformed hex in WORD $%s: no digits", tok)
	}
	for _, c := range digits {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return nil, i, fmt.Sprintf("malformed hex in WORD $%s: %q is not a hex digit", tok, c)
		}
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil || v > 0xffffffff {
		return nil, i, fmt.Sprintf("WORD $%s does not fit in 32 bits", tok)
	}
	return &Word{Hex: tok, Value: uint32(v)}, i, ""
}

// pair assigns the comments of one line to its WORDs: each WORD takes the
// first comment between it and the next WORD. A line with a single WORD
// may carry its comment anywhere on the line. When several WORDs share one
// trailing comment, that comment must list one instruction per WORD,
// separated by ";".
func pair(path string, line int, evs []event) ([]Word, []Problem) {
	var words []Word
	var idx []int // event index of each word
	for i, e := range evs {
		if e.word != nil {
			words = append(words, *e.word)
			idx = append(idx, i)
		}
	}
	if len(words) == 0 {
		return nil, nil
	}
	for k := range words {
		end := len(evs)
		if k+1 < len(idx) {
			end = idx[k+1]
		}
		for _, e := range evs[idx[k]+1 : end] {
			if e.word == nil {
				words[k].Comment = cleanComment(e.comment)
				break
			}
		}
	}
	if len(words) == 1 {
		if words[0].Comment == "" {
			for _, e := range evs {
				if e.word == nil {
					words[0].Comment = cleanComment(e.comment)
				}
			}
		}
		return words, nil
	}

	// Several WORDs: only the last has a comment -> split it on ";".
	shared := words[len(words)-1].Comment != ""
	for _, w := range words[:len(words)-1] {
		if w.Comment != "" {
			shared = false
		}
	}
	if !shared {
		return words, nil
	}
	var text string
	for _, e := range evs[idx[len(idx)-1]+1:] {
		if e.word == nil {
			text = e.comment
			break
		}
	}
	if i := strings.Index(text, "//"); i >= 0 {
		text = text[:i]
	}
	parts := strings.Split(text, ";")
	for len(parts) > 0 && strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) != len(words) {
		for k := range words {
			words[k].Comment = ""
			words[k].reported = true
		}
		return words, []Problem{{path, line, fmt.Sprintf("%d WORDs share one comment that lists %d instructions; give one per WORD, separated by ;", len(words), len(parts))}}
	}
	for k := range words {
		words[k].Comment = cleanComment(parts[k])
	}
	return words, nil
}

// cleanComment trims a comment body to the instruction text: surrounding
// blanks and a trailing "\" are removed.
func cleanComment(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "\\")
	return strings.TrimSpace(s)
}
