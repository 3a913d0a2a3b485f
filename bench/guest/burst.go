//go:build benchnet

package main

// What the harness's burst mode (bench/harness/burst.go) needs of the
// netserve row, on every system: the echo server's count of open
// connections (GET /conns), which says how many of the connections the
// host opened reached the guest.

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// The echo server's connections: open now, and accepted in all.
var echoOpen, echoAccepted atomic.Int64

// serveConns answers GET /conns: "open=N accepted=M\n".
func serveConns(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "open=%d accepted=%d\n", echoOpen.Load(), echoAccepted.Load())
}
