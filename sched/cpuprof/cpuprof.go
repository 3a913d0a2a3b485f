//go:build tamago

// Package cpuprof makes CPU profiles of a yolk program in the pprof
// format, so that `go tool pprof` reads them as it reads a Linux
// program's. The samples come from the scheduler tick (sched.StartSampling):
// the runtime's own profiler (runtime/pprof.StartCPUProfile) depends on
// per-thread SIGPROF timers, which GOOS=tamago does not have.
//
// A sample is the interrupted PC and its callers on the frame-pointer
// chain. Time spent asleep in Idle is not sampled; time in the scheduler
// looking for work is (runtime.findRunnable and below).
package cpuprof

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/google/pprof/profile"

	"github.com/yolkos/yolk/sched"
)

// ringWords is each core's sample buffer: about 40 s at 1000 samples a
// second of 12-frame stacks.
const ringWords = 1 << 19

var period time.Duration

// Start begins sampling each busy core hz times a second (at most the
// scheduler's tick rate; 0 means 1000).
func Start(hz int) error {
	if hz <= 0 {
		hz = 1000
	}
	period = time.Second / time.Duration(hz)
	return sched.StartSampling(int64(period), ringWords)
}

// Stop ends sampling and returns the profile of what was recorded since
// Start.
func Stop(start time.Time) (*profile.Profile, error) {
	samples, lost := sched.StopSampling()
	p := build(samples, period)
	p.TimeNanos = start.UnixNano()
	p.DurationNanos = int64(time.Since(start))
	if lost > 0 {
		p.Comments = append(p.Comments, fmt.Sprintf("%d samples lost: a per-core buffer was full", lost))
	}
	return p, p.CheckValid()
}

// Collect samples for d and writes the gzip-compressed profile to w: what
// net/http/pprof's /debug/pprof/profile?seconds=N serves on Linux.
func Collect(w io.Writer, d time.Duration, hz int) error {
	start := time.Now()
	if err := Start(hz); err != nil {
		return err
	}
	time.Sleep(d)
	p, err := Stop(start)
	if err != nil {
		return err
	}
	return p.Write(w)
}

// build aggregates samples (each leaf+1, link register, frame-pointer
// return addresses) into a profile.
func build(samples [][]uintptr, period time.Duration) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     int64(period),
	}
	text, etext := runtime.TextRegion()
	m := &profile.Mapping{ID: 1, Start: uint64(text), Limit: uint64(etext), File: "yolk", HasFunctions: true, HasFilenames: true, HasLineNumbers: true, HasInlineFrames: true}
	p.Mapping = []*profile.Mapping{m}
	locs := map[uintptr]*profile.Location{}
	funcs := map[string]*profile.Function{}
	byStack := map[string]*profile.Sample{}
	for _, s := range samples {
		pcs := callers(s)
		key := fmt.Sprint(pcs)
		if x := byStack[key]; x != nil {
			x.Value[0]++
			x.Value[1] += int64(period)
			continue
		}
		x := &profile.Sample{Value: []int64{1, int64(period)}}
		for _, pc := range pcs {
			x.Location = append(x.Location, location(p, m, locs, funcs, pc))
		}
		byStack[key] = x
		p.Sample = append(p.Sample, x)
	}
	return p
}

// callers turns a recorded sample into return PCs, leaf first: the link
// register is kept only when it is the caller of a leaf that has not saved
// it (it is neither in the leaf's own function, where calls made by the
// leaf left it, nor the leaf's saved return address).
func callers(s []uintptr) []uintptr {
	if len(s) < 2 {
		return s
	}
	leaf, lr := s[0], s[1]
	keep := lr != 0 && entry(lr-1) != entry(leaf-1) && (len(s) < 3 || s[2] != lr)
	out := []uintptr{leaf}
	if keep {
		out = append(out, lr)
	}
	return append(out, s[2:]...)
}

func entry(pc uintptr) uintptr {
	if f := runtime.FuncForPC(pc); f != nil {
		return f.Entry()
	}
	return 0
}

// location is the profile's location of return PC pc, its inlined frames
// innermost first.
func location(p *profile.Profile, m *profile.Mapping, locs map[uintptr]*profile.Location, funcs map[string]*profile.Function, pc uintptr) *profile.Location {
	if l := locs[pc]; l != nil {
		return l
	}
	l := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: m, Address: uint64(pc - 1)}
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		fr, more := frames.Next()
		name := fr.Function
		if name == "" {
			name = fmt.Sprintf("%#x", pc-1)
		}
		f := funcs[name]
		if f == nil {
			f = &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: fr.File}
			funcs[name] = f
			p.Function = append(p.Function, f)
		}
		l.Line = append(l.Line, profile.Line{Function: f, Line: int64(fr.Line)})
		if !more {
			break
		}
	}
	locs[pc] = l
	p.Location = append(p.Location, l)
	return l
}
