//go:build tamago

package exception_test

import (
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	_ "github.com/yolkos/yolk/board"
	rt "github.com/yolkos/yolk/internal/goruntime"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/semihosting"
)

type point struct{ x, y int }

//go:noinline
func loadX(p *point) int { return p.y } // a leaf function: no frame, LR not saved

//go:noinline
func storeDeep(p *[8192]byte) { p[100] = 1 }

// catch runs f and returns what it panicked with and the stack printed
// while recovering.
func catch(f func()) (r any, stack string) {
	func() {
		defer func() {
			r = recover()
			stack = string(debug.Stack())
		}()
		f()
	}()
	return r, stack
}

func TestNilDereferenceIsARecoverablePanic(t *testing.T) {
	cases := map[string]func(){
		"load in a leaf":  func() { loadX(nil) },
		"store at offset": func() { storeDeep(nil) },
		"nil map pointer": func() { var m *map[int]int; (*m)[1] = 2 },
		"nil func value":  func() { var f func(); f() },
		"nil interface":   func() { var e error; _ = e.Error() },
	}
	for name, f := range cases {
		r, stack := catch(f)
		err, ok := r.(runtime.Error)
		if !ok {
			t.Errorf("%s: recovered %T %v, want a runtime.Error", name, r, r)
			continue
		}
		if want := "runtime error: invalid memory address or nil pointer dereference"; err.Error() != want {
			t.Errorf("%s: %q, want %q", name, err.Error(), want)
		}
		if !strings.Contains(stack, "TestNilDereferenceIsARecoverablePanic") {
			t.Errorf("%s: the traceback does not reach the test:\n%s", name, stack)
		}
	}
	// The address and PC are kept, as on Linux's runtime.Error for faults.
	r, stack := catch(func() { loadX(nil) })
	var me exception.MemoryError
	if !errors.As(r.(error), &me) || me.Addr() != unsafe.Offsetof(point{}.y) || me.PC() == 0 {
		t.Errorf("MemoryError %#v", r)
	}
	// The faulting leaf function is in the traceback, then its caller:
	// the injected call unwinds exactly.
	i, j := strings.Index(stack, "exception_test.loadX("), strings.Index(stack, "TestNilDereferenceIsARecoverablePanic.func")
	if i < 0 || j < 0 || j < i {
		t.Errorf("traceback does not show loadX called from the test:\n%s", stack)
	}
}

// While a fault's panic unwinds, the g's signal fields describe it (the
// runtime clears them on recovery): this observes the offsets of g.sig,
// g.sigcode0/1 and g.sigpc (internal/goruntime) in use.
func TestSignalFieldOffsets(t *testing.T) {
	var sig uint32
	var esrv, far, pc uintptr
	func() {
		defer func() {
			var e, a, p uint64
			sig, e, a, p = rt.Signal(rt.GetG())
			esrv, far, pc = uintptr(e), uintptr(a), uintptr(p)
			recover()
		}()
		loadX(nil)
	}()
	if sig != 11 || esrv>>26 != 0x25 || far != unsafe.Offsetof(point{}.y) {
		t.Errorf("g.sig %d, g.sigcode0 %#x (want a data abort ESR), g.sigcode1 %#x (want %#x)", sig, esrv, far, unsafe.Offsetof(point{}.y))
	}
	f := runtime.FuncForPC(pc)
	if f == nil || !strings.HasSuffix(f.Name(), ".loadX") {
		t.Errorf("g.sigpc %#x is not in loadX", pc)
	}
	if s, _, _, _ := rt.Signal(rt.GetG()); s != 0 {
		t.Errorf("g.sig = %d after recovery, want 0", s)
	}
}

func TestSemihosting(t *testing.T) {
	if !semihosting.Available() {
		t.Error("semihosting unavailable, but run-qemu.sh starts QEMU with -semihosting")
	}
}

func TestFrameLayout(t *testing.T) {
	if s := unsafe.Sizeof(exception.Frame{}); s != 0x130 {
		t.Fatalf("Frame is %#x bytes; vectors_arm64.s reserves 0x130", s)
	}
	if s := exception.HandlerGSize(); s != 1<<exception.HandlerGShift {
		t.Fatalf("handler g is %d bytes, HandlerGShift says %d", s, 1<<exception.HandlerGShift)
	}
}
