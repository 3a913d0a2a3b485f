//go:build !arm64

package mailbox

func cleanInvalidate(start, end uintptr) {}
