//go:build tamago

// Command demo is yolk's default application (`make qemu`). It says
// hello, brings up the network and serves:
//
//	:80   HTTP  a live page of the runtime's state (/), the same as JSON
//	            (/status.json), and a few tools: /bytes?n=N streams N
//	            bytes, POST /sha256 hashes the body, /resolve?name=NAME
//	            looks a name up
//	:443  HTTPS the same, with a certificate made at boot
//	:7    TCP and UDP echo
//
// Diagnostic endpoints that make the machine act are off unless the boot
// argument yolk.diag=on turns them on (the page says which): /dial?addr=
// HOST:PORT connects where it is told and returns what the server sends,
// /burn?for=D keeps every core busy, /panic?kind=value|nil panics in the
// handler (net/http recovers it; nil dereferences address 0, a hardware
// fault).
//
// A configuration it cannot use (no network device, a malformed ip=, gw=
// or dns=) is an error message and exit status 1.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	_ "github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/board/bootargs"
	"github.com/yolkos/yolk/board/network"
)

// diag is yolk.diag: the diagnostic endpoints are served.
var diag bool

func main() {
	fmt.Printf("hello from Go %s on %d core(s); it is %s\n", runtime.Version(), runtime.NumCPU(), time.Now().UTC().Format(time.RFC1123))
	var err error
	if diag, err = bootargs.EnvSwitch("yolk.diag", "off", "on"); err != nil {
		fmt.Println("demo:", err)
		os.Exit(1)
	}
	st, err := network.Start()
	if err != nil {
		fmt.Printf("demo: %v\nno network: the servers are not started\n", err)
		os.Exit(1)
	}
	info := st.Info()
	fmt.Printf("network: %v, gateway %v, dns %v\n", info.Addr, info.Gateway, info.DNS)
	// Every socket is open before the banner says so.
	httpL, err1 := net.Listen("tcp", ":80")
	httpsL, err2 := net.Listen("tcp", ":443")
	echoL, err3 := net.Listen("tcp", ":7")
	echoP, err4 := net.ListenPacket("udp", ":7")
	cert, err5 := selfSigned()
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		fmt.Println("demo:", err)
		os.Exit(1)
	}
	errs := make(chan error, 4)
	go func() { errs <- serveHTTP(httpL) }()
	go func() { errs <- serveHTTPS(httpsL, cert) }()
	go func() { errs <- serveEchoTCP(echoL) }()
	go func() { errs <- serveEchoUDP(echoP) }()
	fmt.Printf("serving http on :80 and https on :443, echo on tcp and udp :7 (make qemu forwards http://localhost:8080/)\n")
	if diag {
		fmt.Println("diagnostics on (yolk.diag=on): /dial, /burn and /panic act on request")
	}
	err = <-errs
	fmt.Println("demo:", err)
	os.Exit(1)
}
