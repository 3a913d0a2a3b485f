package dma

// Defined in cache_arm64.s.
func clean(start, end uintptr)
func cleanInvalidate(start, end uintptr)
func writebackGranule() uintptr
