//go:build !tamago

package timer

import "testing"

func TestConversion(t *testing.T) {
	for _, hz := range []uint64{1_000_000_000, 62_500_000, 54_000_000, 19_200_000, 24_000_000} {
		SetFrequency(hz)
		for _, sec := range []uint64{0, 1, 59, 3600, 86400 * 365} {
			c := sec * hz
			got := CountsToNanos(c)
			want := int64(sec) * 1e9
			if d := got - want; d < -int64(sec)-1 || d > int64(sec)+1 { // within ~1e-9 relative
				t.Errorf("%d Hz, %d s: %d ns, want %d", hz, sec, got, want)
			}
		}
		for _, ns := range []int64{1, 999, 1e6, 1e9 + 7, 3e12} {
			c := NanosToCounts(ns)
			if back := CountsToNanos(c); back < ns {
				t.Errorf("%d Hz: %d ns -> %d counts -> %d ns, fires early", hz, ns, c, back)
			}
			if c > 0 && CountsToNanos(c-1) >= ns {
				t.Errorf("%d Hz: %d ns -> %d counts is not the earliest", hz, ns, c)
			}
		}
	}
	SetFrequency(1_000_000_000)
	if mult != 1<<32 {
		t.Errorf("1 GHz multiplier %#x, want exact 1<<32", mult)
	}
}
