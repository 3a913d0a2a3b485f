package devicetree

import (
	"encoding/binary"
	"strings"
)

// fdtWriter builds DTBs for tests. Its methods append raw tokens, so
// malformed structure blocks are as easy to write as good ones.
type fdtWriter struct {
	structs []byte
	strs    []byte
	names   map[string]uint32
	rsv     []Range
}

func newWriter() *fdtWriter { return &fdtWriter{names: map[string]uint32{}} }

func (w *fdtWriter) u32(v uint32) *fdtWriter {
	w.structs = binary.BigEndian.AppendUint32(w.structs, v)
	return w
}

func (w *fdtWriter) pad() {
	for len(w.structs)%4 != 0 {
		w.structs = append(w.structs, 0)
	}
}

func (w *fdtWriter) begin(name string) *fdtWriter {
	w.u32(tokBeginNode)
	w.structs = append(append(w.structs, name...), 0)
	w.pad()
	return w
}

func (w *fdtWriter) end() *fdtWriter { return w.u32(tokEndNode) }
func (w *fdtWriter) nop() *fdtWriter { return w.u32(tokNop) }

// nameOff interns a property name in the strings block.
func (w *fdtWriter) nameOff(name string) uint32 {
	off, ok := w.names[name]
	if !ok {
		off = uint32(len(w.strs))
		w.names[name] = off
		w.strs = append(append(w.strs, name...), 0)
	}
	return off
}

func (w *fdtWriter) prop(name string, v []byte) *fdtWriter {
	w.u32(tokProp).u32(uint32(len(v))).u32(w.nameOff(name))
	w.structs = append(w.structs, v...)
	w.pad()
	return w
}

func (w *fdtWriter) cells(name string, c ...uint32) *fdtWriter {
	var v []byte
	for _, x := range c {
		v = binary.BigEndian.AppendUint32(v, x)
	}
	return w.prop(name, v)
}

// str writes a string or, with several arguments, a stringlist.
func (w *fdtWriter) str(name string, s ...string) *fdtWriter {
	return w.prop(name, []byte(strings.Join(s, "\x00")+"\x00"))
}

// blob lays out header, reservation block, structure block (with FDT_END
// appended) and strings block, like dtc, as version 17.
func (w *fdtWriter) blob() []byte { return w.raw(true) }

// raw is blob, optionally without the final FDT_END.
func (w *fdtWriter) raw(withEnd bool) []byte {
	st := append([]byte(nil), w.structs...)
	if withEnd {
		st = binary.BigEndian.AppendUint32(st, tokEnd)
	}
	rsvOff := headerSize
	structOff := rsvOff + 16*(len(w.rsv)+1)
	strOff := structOff + len(st)
	total := strOff + len(w.strs)
	b := make([]byte, headerSize, total)
	be := binary.BigEndian
	for i, v := range []int{fdtMagic, total, structOff, strOff, rsvOff, 17, 16, 0, len(w.strs), len(st)} {
		be.PutUint32(b[4*i:], uint32(v))
	}
	for _, r := range append(w.rsv, Range{}) {
		b = be.AppendUint64(be.AppendUint64(b, r.Base), r.Size)
	}
	return append(append(b, st...), w.strs...)
}

// Header field offsets, for patching.
const (
	hMagic     = 0
	hTotalSize = 4
	hStructOff = 8
	hStringOff = 12
	hRsvOff    = 16
	hVersion   = 20
	hLastComp  = 24
	hBootCPU   = 28
	hStrSize   = 32
	hStructSz  = 36
)

// patch returns a copy of b with the header word at off set to v.
func patch(b []byte, off int, v uint32) []byte {
	c := append([]byte(nil), b...)
	binary.BigEndian.PutUint32(c[off:], v)
	return c
}

func getU32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
