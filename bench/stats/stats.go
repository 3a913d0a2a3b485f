// Package stats has the few statistics the benchmarks report: median,
// percentiles, min and max. It is shared by the guest program and the
// host harness, so it builds for every target.
package stats

import (
	"math"
	"slices"
)

// Summary describes a set of samples.
type Summary struct {
	N                int
	Median, Min, Max float64
}

// Summarize returns the median, minimum and maximum of xs. With no
// samples, N is 0 and the values are NaN.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		nan := math.NaN()
		return Summary{Median: nan, Min: nan, Max: nan}
	}
	s := sorted(xs)
	return Summary{N: len(s), Median: median(s), Min: s[0], Max: s[len(s)-1]}
}

// Median is the middle sample, or the mean of the two middle samples when
// there is an even number of them; NaN when there are none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return median(sorted(xs))
}

// Percentile returns the p-th percentile (0 <= p <= 100) of xs by the
// nearest-rank method: the smallest sample such that at least p percent of
// the samples are less than or equal to it. It is always one of the
// samples (p = 0 gives the minimum, p = 100 the maximum); NaN when there
// are none or p is out of range.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || !(p >= 0 && p <= 100) {
		return math.NaN()
	}
	s := sorted(xs)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

func sorted(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Slope is the Theil–Sen estimate of how fast y grows with x: the median
// of the slopes between every pair of points with different x. A few
// outliers (a sample taken mid-burst) do not move it, unlike a
// least-squares fit. NaN with fewer than two distinct x.
func Slope(x, y []float64) float64 {
	var slopes []float64
	for i := range x {
		for j := i + 1; j < len(x) && j < len(y); j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	return Median(slopes)
}
