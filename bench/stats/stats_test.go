package stats

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 1, 100}, 1},
		{[]float64{-1, 7}, 3},
	} {
		if got := Median(tc.xs); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestMedianDoesNotReorder(t *testing.T) {
	xs := []float64{3, 1, 2}
	Median(xs)
	Percentile(xs, 50)
	Summarize(xs)
	if xs[0] != 3 || xs[1] != 1 || xs[2] != 2 {
		t.Errorf("input reordered: %v", xs)
	}
}

func TestPercentile(t *testing.T) {
	var hundred []float64
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, float64(i))
	}
	for _, tc := range []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{hundred, 50, 50},
		{hundred, 99, 99},
		{hundred, 99.5, 100},
		{hundred, 100, 100},
		{hundred, 0, 1},
		{hundred, 1, 1},
		{hundred, 1.5, 2},
		{[]float64{7}, 99, 7},
		{[]float64{7}, 0, 7},
		{[]float64{10, 20, 30, 40}, 50, 20},
		{[]float64{10, 20, 30, 40}, 51, 30},
		{[]float64{10, 20, 30, 40}, 75, 30},
		{[]float64{10, 20, 30, 40}, 99, 40},
		// p99 of fewer than 100 samples is the maximum.
		{[]float64{1, 2, 3, 1000}, 99, 1000},
	} {
		if got := Percentile(tc.xs, tc.p); got != tc.want {
			t.Errorf("Percentile(%d samples, %v) = %v, want %v", len(tc.xs), tc.p, got, tc.want)
		}
	}
	for _, p := range []float64{-1, 101, math.NaN()} {
		if !math.IsNaN(Percentile(hundred, p)) {
			t.Errorf("Percentile(p=%v) is not NaN", p)
		}
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("Percentile(nil) is not NaN")
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{9, 2, 5, 4})
	if s != (Summary{N: 4, Median: 4.5, Min: 2, Max: 9}) {
		t.Errorf("Summarize = %+v", s)
	}
	e := Summarize(nil)
	if e.N != 0 || !math.IsNaN(e.Median) || !math.IsNaN(e.Min) || !math.IsNaN(e.Max) {
		t.Errorf("Summarize(nil) = %+v", e)
	}
}

func TestSlope(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 100 + 3*x[i]
	}
	if s := Slope(x, y); s != 3 {
		t.Errorf("a line of slope 3: %v", s)
	}
	y[4], y[7] = 1e6, -1e6 // two wild samples
	if s := Slope(x, y); math.Abs(s-3) > 0.5 {
		t.Errorf("with two outliers: %v, want about 3", s)
	}
	if s := Slope([]float64{1, 1}, []float64{2, 5}); !math.IsNaN(s) {
		t.Errorf("one x: %v", s)
	}
}
