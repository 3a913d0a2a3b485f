//go:build !arm64

package dma

// Host tests: Go memory is coherent with the fake devices (other
// goroutines).
func clean(start, end uintptr)           {}
func cleanInvalidate(start, end uintptr) {}
func writebackGranule() uintptr          { return 64 }
