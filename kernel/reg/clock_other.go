//go:build !arm64

package reg

// No counter on the host: loops are bounded by polls unless a test sets
// Clock.
var defaultClock Counter
