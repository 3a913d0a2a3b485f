package mailbox

// cleanInvalidate cleans and invalidates the data cache lines holding
// [start, end) to the point of coherency (cache_arm64.s).
func cleanInvalidate(start, end uintptr)
