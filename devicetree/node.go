package devicetree

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Prop returns the value of the named property. If a node repeats a
// property, the first one wins (the early reader does the same).
func (n *Node) Prop(name string) ([]byte, bool) {
	for _, p := range n.Props {
		if p.Name == name {
			return p.Value, true
		}
	}
	return nil, false
}

// String returns a <string> property (2.2.4.2). For a <stringlist> it
// returns the first string. The value must be NUL-terminated.
func (n *Node) String(name string) (string, bool) {
	v, ok := n.Prop(name)
	if !ok || len(v) == 0 || v[len(v)-1] != 0 {
		return "", false
	}
	return string(v[:bytes.IndexByte(v, 0)]), true
}

// Strings returns a <stringlist> property (2.2.4.2), or nil if it is absent
// or not NUL-terminated.
func (n *Node) Strings(name string) []string {
	v, ok := n.Prop(name)
	if !ok || len(v) == 0 || v[len(v)-1] != 0 {
		return nil
	}
	return strings.Split(string(v[:len(v)-1]), "\x00")
}

// U32 returns a <u32> property; the value must be exactly 4 bytes.
func (n *Node) U32(name string) (uint32, bool) {
	v, ok := n.Prop(name)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return be32(v), true
}

// U64 returns a <u64> property; the value must be exactly 8 bytes.
func (n *Node) U64(name string) (uint64, bool) {
	v, ok := n.Prop(name)
	if !ok || len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// IsCompatible reports whether c is one of the strings of the node's
// compatible property (2.3.1).
func (n *Node) IsCompatible(c string) bool {
	// Scanned in place, not through Strings: Machine asks this of every
	// node many times, and boot time pays for each allocation.
	v, ok := n.Prop("compatible")
	if !ok || len(v) == 0 || v[len(v)-1] != 0 {
		return false
	}
	for len(v) > 0 {
		i := bytes.IndexByte(v, 0)
		if string(v[:i]) == c {
			return true
		}
		v = v[i+1:]
	}
	return false
}

// Enabled reports whether the node's status (2.3.4) is absent, "okay" or
// "ok".
func (n *Node) Enabled() bool {
	s, ok := n.String("status")
	return !ok || s == "okay" || s == "ok"
}

// Path returns the node's full path (2.2.3), "/" for the root.
func (n *Node) Path() string {
	if n.Parent == nil {
		return "/"
	}
	var parts []string
	for ; n.Parent != nil; n = n.Parent {
		parts = append(parts, n.Name)
	}
	var sb strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		sb.WriteByte('/')
		sb.WriteString(parts[i])
	}
	return sb.String()
}

// Child returns the child with the given name. A name without a unit
// address ("intc") matches a child with one ("intc@8000000") when no child
// has exactly that name and exactly one child has that base name (2.2.3).
func (n *Node) Child(name string) *Node {
	var match *Node
	ambiguous := false
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
		if base, _, ok := strings.Cut(c.Name, "@"); ok && base == name && !strings.Contains(name, "@") {
			ambiguous = match != nil
			match = c
		}
	}
	if ambiguous {
		return nil
	}
	return match
}

// Lookup finds a node by full path ("/pl011@9000000", "/intc/v2m") or by a
// path that starts with an alias from /aliases ("serial0", 3.3). It returns
// nil if there is no such node.
func (t *Tree) Lookup(path string) *Node {
	n, rest := t.Root, path
	if !strings.HasPrefix(path, "/") {
		alias, tail, _ := strings.Cut(path, "/")
		var target string
		if a := t.Root.Child("aliases"); a != nil {
			target, _ = a.String(alias)
		}
		// An alias value is a full path, so this cannot recurse further.
		if alias == "" || !strings.HasPrefix(target, "/") {
			return nil
		}
		if n = t.Lookup(target); n == nil {
			return nil
		}
		rest = tail
	}
	for _, c := range strings.Split(rest, "/") {
		if c == "" {
			continue
		}
		if n = n.Child(c); n == nil {
			return nil
		}
	}
	return n
}

// Compatible returns every node, in document order, whose compatible list
// contains c.
func (t *Tree) Compatible(c string) []*Node {
	var out []*Node
	for _, n := range t.nodes {
		if n.IsCompatible(c) {
			out = append(out, n)
		}
	}
	return out
}

// ByPhandle returns the node with the given phandle (2.3.3), or nil.
func (t *Tree) ByPhandle(ph uint32) *Node {
	return t.phandles[ph]
}

// Nodes returns every node in document order (parents before children).
// The slice must not be modified.
func (t *Tree) Nodes() []*Node {
	return t.nodes
}
