//go:build tamago

package gic_test

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/gic"
	"github.com/yolkos/yolk/kernel/timer"
)

// The tests own the GIC while they run: TestMain builds a Controller,
// initialises the Distributor and this core's interface, and installs its
// Dispatch; afterwards it puts back what it found (the board may already
// drive the GIC for the scheduler: its dispatcher, the interrupts it had
// enabled and a running core timer). They need a single core: per-core
// state (SGIs to self, the timer) must not move under them.

var (
	ctl      *gic.Controller
	core     int    // the core the tests run on
	timerID  uint32 // the virtual timer's PPI
	skipWhy  string
	counts   = func(intid uint32) uint64 { return ctl.Count(core, intid) }
	freq     uint64
	sgiHits  atomic.Uint64
	sgiCore  atomic.Int64
	spiHits  atomic.Uint64
	spiLast  atomic.Uint32
	timerHit atomic.Uint64
	timerAt  atomic.Uint64 // cpu.Counter() in the last timer interrupt
)

const testSGI = 7 // not the scheduler's wake SGI (1)

func onSGI(intid uint32) {
	sgiCore.Store(int64(cpu.Index()))
	sgiHits.Add(1)
}

func onSPI(intid uint32) {
	spiLast.Store(intid)
	spiHits.Add(1)
}

// onTimer stops the timer: its output is level-sensitive and would
// otherwise interrupt again as soon as the interrupt ends.
func onTimer(intid uint32) {
	timerAt.Store(cpu.Counter())
	timer.Stop()
	timerHit.Add(1)
}

func TestMain(m *testing.M) {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		skipWhy = fmt.Sprintf("%d cores run Go: these tests need the one core they configure", n)
		os.Exit(m.Run())
	}
	mach := board.Machine()
	if mach.GIC == nil || mach.Timer == nil || mach.Timer.Virtual == 0 {
		fmt.Println("gic tests: the device tree has no GIC or no virtual timer")
		os.Exit(1)
	}
	freq = cpu.CounterFreq()
	timerID = mach.Timer.Virtual

	irqWasOn := cpu.DisableIRQ()
	savedIRQ := exception.IRQ
	var err error
	if ctl, err = gic.New(*mach.GIC); err != nil {
		fmt.Println("gic tests:", err)
		os.Exit(1)
	}
	saved := ctl.EnableBits()
	core = cpu.Index()
	if err := ctl.Init(); err != nil {
		fmt.Println("gic tests: Init:", err)
		os.Exit(1)
	}
	ctl.InitCPU()
	if err := ctl.Err(); err != nil || !ctl.Online(core) {
		fmt.Println("gic tests: InitCPU:", err)
		os.Exit(1)
	}
	ctl.Handle(testSGI, onSGI)
	ctl.Handle(timerID, onTimer)
	ctl.Enable(testSGI)
	ctl.Enable(timerID)
	exception.IRQ = ctl.Dispatch
	cpu.EnableIRQ()

	code := m.Run()

	cpu.DisableIRQ()
	timer.Stop()
	if err := ctl.Init(); err != nil {
		fmt.Println("gic tests: Init on the way out:", err)
		code = 1
	}
	ctl.InitCPU()
	ctl.SetEnableBits(saved)
	exception.IRQ = savedIRQ
	if savedIRQ != nil && len(saved) > 0 && saved[0]&(1<<timerID) != 0 {
		// The board's core timer was running: give it a tick, which
		// its handler re-arms.
		timer.SetDeadline(cpu.Counter() + freq/1000)
	}
	cpu.RestoreIRQ(irqWasOn)
	os.Exit(code)
}

func need(t *testing.T) {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if cpu.Index() != core {
		t.Fatalf("running on core %d, the tests configured core %d", cpu.Index(), core)
	}
	ctl.ClearErr()
}

// waitFor polls cond for up to d; it reports whether cond came true.
func waitFor(d time.Duration, cond func() bool) bool {
	end := cpu.Counter() + timer.NanosToCounts(int64(d))
	for !cond() {
		if cpu.Counter() > end {
			return cond()
		}
	}
	return true
}

// quiet spins for d with interrupts enabled: time for anything extra to
// arrive.
func quiet(d time.Duration) { waitFor(d, func() bool { return false }) }

func checkErr(t *testing.T) {
	t.Helper()
	if err := ctl.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
}

func TestState(t *testing.T) {
	need(t)
	g := board.Machine().GIC
	if ctl.Version() != g.Version {
		t.Errorf("version %d, device tree %d", ctl.Version(), g.Version)
	}
	if l := ctl.Lines(); l < 64 || l%32 != 0 || l > gic.MaxINTID {
		t.Errorf("Lines() = %d", l)
	}
	if cpu.DAIF()&(1<<7) != 0 {
		t.Errorf("IRQs masked")
	}
	t.Logf("GICv%d (%s), %d INTIDs, Security Extensions %v, core %d, timer INTID %d, counter %d Hz",
		ctl.Version(), g.Compatible, ctl.Lines(), ctl.SecurityExtensions(), core, timerID, freq)
}

// Each SGI sent to this core arrives once, before the next is sent.
func TestSGISelf(t *testing.T) {
	need(t)
	const n = 1000
	h0, c0, u0 := sgiHits.Load(), counts(testSGI), ctl.Unhandled(core)
	var total, worst uint64
	for i := uint64(1); i <= n; i++ {
		start := cpu.Counter()
		ctl.SendSGI(testSGI, core)
		if !waitFor(100*time.Millisecond, func() bool { return sgiHits.Load()-h0 >= i }) {
			t.Fatalf("SGI %d not delivered within 100ms (%d delivered)", i, sgiHits.Load()-h0)
		}
		d := cpu.Counter() - start
		total += d
		worst = max(worst, d)
		if got := sgiHits.Load() - h0; got != i {
			t.Fatalf("after %d sends the handler ran %d times", i, got)
		}
	}
	quiet(5 * time.Millisecond)
	if got := sgiHits.Load() - h0; got != n {
		t.Errorf("handler ran %d times for %d SGIs", got, n)
	}
	if got := counts(testSGI) - c0; got != n {
		t.Errorf("Count(%d, %d) grew by %d, want %d", core, testSGI, got, n)
	}
	if got := sgiCore.Load(); got != int64(core) {
		t.Errorf("SGI handled on core %d", got)
	}
	if ctl.Unhandled(core) != u0 {
		t.Errorf("unhandled interrupts during the SGI test")
	}
	checkErr(t)
	t.Logf("%d SGIs to self: mean %v, worst %v from send to handler done", n,
		time.Duration(timer.CountsToNanos(total/n)), time.Duration(timer.CountsToNanos(worst)))
}

// With one core, "all but self" reaches nobody.
func TestSGIOthers(t *testing.T) {
	need(t)
	if len(board.Machine().CPUs) > 1 {
		t.Skip("other cores exist (not started by these tests)")
	}
	h0, s0 := sgiHits.Load(), ctl.Spurious(core)
	ctl.SendSGIOthers(testSGI)
	quiet(10 * time.Millisecond)
	if got := sgiHits.Load() - h0; got != 0 {
		t.Errorf("SendSGIOthers on a single core delivered %d SGIs to the sender", got)
	}
	if ctl.Spurious(core) != s0 {
		t.Errorf("spurious interrupts after SendSGIOthers")
	}
	checkErr(t)
}

// A disabled SGI stays pending and arrives, once, when enabled again.
func TestSGIDisabled(t *testing.T) {
	need(t)
	ctl.Disable(testSGI)
	if ctl.Enabled(testSGI) {
		ctl.Enable(testSGI)
		t.Skip("this GIC's SGIs cannot be disabled (implementation defined on GICv2)")
	}
	h0 := sgiHits.Load()
	ctl.SendSGI(testSGI, core)
	quiet(10 * time.Millisecond)
	if got := sgiHits.Load() - h0; got != 0 {
		t.Errorf("disabled SGI delivered %d times", got)
	}
	ctl.Enable(testSGI)
	if !waitFor(100*time.Millisecond, func() bool { return sgiHits.Load()-h0 >= 1 }) {
		t.Fatalf("SGI left pending while disabled not delivered after Enable")
	}
	quiet(5 * time.Millisecond)
	if got := sgiHits.Load() - h0; got != 1 {
		t.Errorf("delivered %d times after Enable, want 1", got)
	}
	checkErr(t)
}

// waitTimer waits for the timer interrupt number want (timerHit).
func waitTimer(t *testing.T, want uint64, d time.Duration) {
	t.Helper()
	if !waitFor(d, func() bool { return timerHit.Load() >= want }) {
		t.Fatalf("timer interrupt %d not taken within %v (deadline %d, now %d, pending %v)",
			want, d, timer.Deadline(), cpu.Counter(), timer.Pending())
	}
}

// The timer interrupt comes at the deadline, not before, and once.
func TestTimerDeadline(t *testing.T) {
	need(t)
	h0, c0 := timerHit.Load(), counts(timerID)
	deadline := cpu.Counter() + freq/100 // 10 ms
	timer.SetDeadline(deadline)
	if timer.Deadline() != deadline {
		t.Errorf("Deadline() = %d, want %d", timer.Deadline(), deadline)
	}
	if timer.Pending() {
		t.Errorf("Pending() before the deadline")
	}
	waitTimer(t, h0+1, time.Second)
	at := timerAt.Load()
	if at < deadline {
		t.Errorf("timer interrupt at count %d, %d counts before the deadline %d", at, deadline-at, deadline)
	}
	quiet(20 * time.Millisecond)
	if got := timerHit.Load() - h0; got != 1 {
		t.Errorf("timer interrupt taken %d times for one deadline", got)
	}
	if got := counts(timerID) - c0; got != 1 {
		t.Errorf("Count(timer) grew by %d", got)
	}
	if timer.Pending() {
		t.Errorf("Pending() after Stop")
	}
	checkErr(t)
	t.Logf("10ms deadline: interrupt %v after it", time.Duration(timer.CountsToNanos(at-deadline)))
}

// A deadline moved later before it expires fires once, at the new time.
func TestTimerReprogram(t *testing.T) {
	need(t)
	h0 := timerHit.Load()
	now := cpu.Counter()
	timer.SetDeadline(now + freq/200) // 5 ms
	later := now + freq/50            // 20 ms
	timer.SetDeadline(later)
	waitTimer(t, h0+1, time.Second)
	if at := timerAt.Load(); at < later {
		t.Errorf("fired at %d, before the reprogrammed deadline %d (the first was %d)", at, later, now+freq/200)
	}
	quiet(10 * time.Millisecond)
	if got := timerHit.Load() - h0; got != 1 {
		t.Errorf("fired %d times", got)
	}
}

// With IRQs masked the condition shows in Pending and the interrupt is
// taken when they are unmasked; a deadline in the past fires at once.
func TestTimerPendingMasked(t *testing.T) {
	need(t)
	h0 := timerHit.Load()
	was := cpu.DisableIRQ()
	timer.SetDeadline(cpu.Counter() - 1)
	pending := waitFor(100*time.Millisecond, timer.Pending)
	quiet(time.Millisecond)
	taken := timerHit.Load() - h0
	cpu.RestoreIRQ(was)
	if !pending {
		t.Errorf("Pending() false for a deadline in the past")
	}
	if taken != 0 {
		t.Errorf("interrupt taken with IRQs masked")
	}
	waitTimer(t, h0+1, 100*time.Millisecond)
	if timer.Pending() {
		t.Errorf("Pending() after the handler stopped the timer")
	}
	timer.Stop()
}

// Many deadlines in a row, each delivered exactly once and never early.
func TestTimerManyDeadlines(t *testing.T) {
	need(t)
	const n = 10000
	step := max(freq/20000, 1) // 50 µs
	h0, c0, s0 := timerHit.Load(), counts(timerID), ctl.Spurious(core)
	var late, worst uint64
	for i := uint64(1); i <= n; i++ {
		if got := timerHit.Load() - h0; got != i-1 {
			t.Fatalf("before deadline %d: %d interrupts", i, got)
		}
		deadline := cpu.Counter() + step
		timer.SetDeadline(deadline)
		waitTimer(t, h0+i, time.Second)
		at := timerAt.Load()
		if at < deadline {
			t.Fatalf("deadline %d: interrupt at %d, %d counts early", i, at, deadline-at)
		}
		late += at - deadline
		worst = max(worst, at-deadline)
	}
	quiet(5 * time.Millisecond)
	if got := timerHit.Load() - h0; got != n {
		t.Errorf("%d interrupts for %d deadlines", got, n)
	}
	if got := counts(timerID) - c0; got != n {
		t.Errorf("Count(timer) grew by %d for %d deadlines", got, n)
	}
	if s := ctl.Spurious(core) - s0; s != 0 {
		t.Logf("%d spurious IRQs during the run", s)
	}
	checkErr(t)
	t.Logf("%d deadlines %v apart: mean lateness %v, worst %v", n, time.Duration(timer.CountsToNanos(step)),
		time.Duration(timer.CountsToNanos(late/n)), time.Duration(timer.CountsToNanos(worst)))
}

// freeSPIs picks two SPIs that no device in the device tree uses, made
// pending by software: one with its own counter, one above CountedINTIDs
// (0 if the GIC has none).
func freeSPIs(t *testing.T) (low, high uint32) {
	used := map[uint32]bool{}
	m := board.Machine()
	if m.UART != nil {
		used[m.UART.IRQ] = true
	}
	if m.RTC != nil {
		used[m.RTC.IRQ] = true
	}
	for _, d := range m.VirtioMMIO {
		used[d.IRQ] = true
	}
	for i := uint32(gic.CountedINTIDs - 1); i >= gic.FirstSPI; i-- {
		if i < ctl.Lines() && !used[i] {
			low = i
			break
		}
	}
	if low == 0 {
		t.Skip("no free SPI")
	}
	if l := ctl.Lines(); l > gic.CountedINTIDs && !used[l-1] {
		high = l - 1
	}
	return low, high
}

// An SPI without a handler is counted as unhandled, ended, and does not
// come back; with a handler it reaches the handler.
func TestSPI(t *testing.T) {
	need(t)
	spi, _ := freeSPIs(t)
	ctl.Handle(spi, nil)
	ctl.SetTrigger(spi, true)
	ctl.RouteSPI(spi, core)
	ctl.Enable(spi)
	checkErr(t)
	u0, c0 := ctl.Unhandled(core), counts(spi)
	ctl.SetPending(spi)
	if !waitFor(100*time.Millisecond, func() bool { return counts(spi) > c0 }) {
		t.Fatalf("software-pending SPI %d not delivered", spi)
	}
	quiet(5 * time.Millisecond)
	if got := counts(spi) - c0; got != 1 {
		t.Errorf("SPI %d without a handler acknowledged %d times", spi, got)
	}
	if got := ctl.Unhandled(core) - u0; got != 1 {
		t.Errorf("Unhandled grew by %d", got)
	}

	ctl.Handle(spi, onSPI)
	h0 := spiHits.Load()
	ctl.SetPending(spi)
	if !waitFor(100*time.Millisecond, func() bool { return spiHits.Load() > h0 }) {
		t.Fatalf("SPI %d not delivered to its handler", spi)
	}
	quiet(5 * time.Millisecond)
	if got := spiHits.Load() - h0; got != 1 || spiLast.Load() != spi {
		t.Errorf("handler ran %d times, last INTID %d", got, spiLast.Load())
	}

	// Level-sensitive, made pending by software: the pending latch is
	// cleared by the acknowledge (nothing drives the line).
	ctl.SetTrigger(spi, false)
	h0 = spiHits.Load()
	ctl.SetPending(spi)
	if !waitFor(100*time.Millisecond, func() bool { return spiHits.Load() > h0 }) {
		t.Fatalf("level-sensitive SPI %d not delivered", spi)
	}
	quiet(5 * time.Millisecond)
	if got := spiHits.Load() - h0; got != 1 {
		t.Errorf("level-sensitive software-pending SPI delivered %d times", got)
	}

	// Disabled: stays pending; ClearPending drops it.
	ctl.Disable(spi)
	ctl.SetTrigger(spi, true)
	h0 = spiHits.Load()
	ctl.SetPending(spi)
	quiet(5 * time.Millisecond)
	ctl.ClearPending(spi)
	ctl.Enable(spi)
	quiet(5 * time.Millisecond)
	if got := spiHits.Load() - h0; got != 0 {
		t.Errorf("disabled, cleared SPI delivered %d times", got)
	}
	ctl.Disable(spi)
	ctl.Handle(spi, nil)
	checkErr(t)
}

// Priority 0xff does not pass the CPU interface's priority mask (0xff):
// the SPI waits until its priority is raised.
func TestSPIPriority(t *testing.T) {
	need(t)
	spi, _ := freeSPIs(t)
	ctl.Handle(spi, onSPI)
	ctl.SetTrigger(spi, true)
	ctl.SetPriority(spi, 0xff)
	ctl.Enable(spi)
	h0 := spiHits.Load()
	ctl.SetPending(spi)
	quiet(10 * time.Millisecond)
	if got := spiHits.Load() - h0; got != 0 {
		t.Errorf("SPI at the lowest priority (masked) delivered %d times", got)
	}
	ctl.SetPriority(spi, gic.DefaultPriority)
	if !waitFor(100*time.Millisecond, func() bool { return spiHits.Load() > h0 }) {
		t.Errorf("SPI not delivered after its priority was raised")
	}
	ctl.Disable(spi)
	ctl.Handle(spi, nil)
	checkErr(t)
}

// INTIDs from CountedINTIDs up share one counter.
func TestOtherBucket(t *testing.T) {
	need(t)
	_, spi := freeSPIs(t)
	if spi == 0 {
		t.Skip("no SPI at or above CountedINTIDs")
	}
	ctl.Handle(spi, onSPI)
	ctl.SetTrigger(spi, true)
	ctl.Enable(spi)
	c0, h0 := counts(spi), spiHits.Load()
	for i := uint64(1); i <= 3; i++ {
		ctl.SetPending(spi)
		if !waitFor(100*time.Millisecond, func() bool { return spiHits.Load()-h0 >= i }) {
			t.Fatalf("SPI %d not delivered", spi)
		}
	}
	if got := counts(spi) - c0; got != 3 {
		t.Errorf("Count(%d) grew by %d", spi, got)
	}
	if spiLast.Load() != spi {
		t.Errorf("handler saw INTID %d", spiLast.Load())
	}
	var other uint64
	for _, ic := range ctl.Counts(core) {
		if ic.INTID == gic.OtherINTIDs {
			other = ic.Count
		}
	}
	if other != counts(spi) {
		t.Errorf("Counts: other bucket %d, Count %d", other, counts(spi))
	}
	ctl.Disable(spi)
	ctl.Handle(spi, nil)
	checkErr(t)
}

// An IRQ with nothing to acknowledge is counted, not fatal. Calling the
// dispatcher directly, with IRQs masked and nothing pending, is one.
func TestSpurious(t *testing.T) {
	need(t)
	was := cpu.DisableIRQ()
	s0, u0 := ctl.Spurious(core), ctl.Unhandled(core)
	ctl.Dispatch(nil)
	ctl.Dispatch(nil)
	s1, u1 := ctl.Spurious(core), ctl.Unhandled(core)
	cpu.RestoreIRQ(was)
	if s1-s0 != 2 || u1 != u0 {
		t.Errorf("two empty dispatches: spurious +%d, unhandled +%d", s1-s0, u1-u0)
	}
}

func TestMisuse(t *testing.T) {
	need(t)
	for _, c := range []struct {
		f    func()
		want error
	}{
		{func() { ctl.Enable(gic.MaxINTID) }, gic.ErrBadINTID},
		{func() { ctl.Enable(ctl.Lines()) }, gic.ErrBadINTID},
		{func() { ctl.SendSGI(16, core) }, gic.ErrBadINTID},
		{func() { ctl.SendSGI(1, gic.MaxCores-1) }, gic.ErrCoreOffline},
		{func() { ctl.SendSGI(1, -1) }, gic.ErrBadCore},
		{func() { ctl.RouteSPI(gic.FirstSPI, gic.MaxCores-1) }, gic.ErrCoreOffline},
		{func() { ctl.SetPending(3) }, gic.ErrBadINTID},
	} {
		ctl.ClearErr()
		c.f()
		if err := ctl.Err(); err != c.want {
			t.Errorf("Err() = %v, want %v", err, c.want)
		}
	}
	ctl.ClearErr()
}

func TestCountsSnapshot(t *testing.T) {
	need(t)
	l := ctl.Counts(core)
	seen := map[uint32]bool{}
	for _, ic := range l {
		if ic.Count == 0 || (ic.INTID != gic.OtherINTIDs && ic.Count != counts(ic.INTID)) {
			t.Errorf("Counts entry %+v, Count says %d", ic, counts(ic.INTID))
		}
		seen[ic.INTID] = true
	}
	for id := uint32(0); id < gic.CountedINTIDs; id++ {
		if counts(id) != 0 && !seen[id] {
			t.Errorf("Counts lacks INTID %d: %+v", id, l)
		}
	}
	t.Logf("core %d: %+v; unhandled %d, spurious %d", core, l, ctl.Unhandled(core), ctl.Spurious(core))
}
