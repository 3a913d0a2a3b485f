//go:build !benchnet

package main

// Without -tags benchnet the guest has no netserve row: the images of the
// other rows link neither net/http nor (on yolk) a TCP/IP stack.
func netserveRow() {
	skip("netserve", "this guest was built without networking (go build -tags benchnet)")
}
