//go:build benchnet

package main

// The netserve row: the guest starts its network, serves HTTP, HTTPS (the
// same handler) and TCP echo and prints SERVING; the host harness then measures through QEMU's port
// forwards (requests per second, echo round trips, bulk transfers, the
// host CPU of the idle server) and ends the row with POST /quit.
//
// It is built only with -tags benchnet, so the other rows' images (and
// their boot times and sizes) stay those of a program without net/http
// and, on yolk, without a TCP/IP stack.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/yolkos/yolk/bench/proto"
)

// maxTransfer bounds /bytes and /upload.
const maxTransfer = 1 << 30

func netserveRow() {
	if err := startNetwork(netOpts.ip, netOpts.gw); err != nil {
		fail("netserve", "starting the network: "+err.Error())
		return
	}
	hl, err := net.Listen("tcp", netOpts.http)
	if err != nil {
		fail("netserve", err.Error())
		return
	}
	defer hl.Close()
	el, err := net.Listen("tcp", netOpts.echo)
	if err != nil {
		fail("netserve", err.Error())
		return
	}
	defer el.Close()
	cert, err := selfSigned()
	if err != nil {
		fail("netserve", "making a certificate: "+err.Error())
		return
	}
	sl, err := tls.Listen("tcp", netOpts.https, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		fail("netserve", err.Error())
		return
	}
	defer sl.Close()
	httpPort, err1 := listenPort(hl)
	echoPort, err2 := listenPort(el)
	httpsPort, err3 := listenPort(sl)
	if err := errors.Join(err1, err2, err3); err != nil {
		fail("netserve", err.Error())
		return
	}

	quit := make(chan struct{})
	var once sync.Once
	srv := &http.Server{Handler: netHandler(func() { once.Do(func() { close(quit) }) })}
	go srv.Serve(hl)
	go srv.Serve(sl)
	go echoServe(el)
	fmt.Println(proto.FormatServing(map[string]int{"http": httpPort, "echo": echoPort, "https": httpsPort}))

	var timeout <-chan time.Time
	if netOpts.serve > 0 {
		timeout = time.After(netOpts.serve)
	}
	select {
	case <-quit:
	case <-timeout:
		fail("netserve", fmt.Sprintf("no POST /quit within -serve %v", netOpts.serve))
	}
	// Let the reply to /quit go out before the machine ends.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

// selfSigned makes an ECDSA P-256 certificate for the HTTPS server (the
// harness does not check it: the row measures handshakes, not trust).
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bench guest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func listenPort(l net.Listener) (int, error) {
	_, port, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}

// netHandler serves
//
//	GET /              proto.HelloBody
//	GET /bytes?n=N     N bytes of proto's pattern
//	POST /upload       reads the body; replies "n=<length>\n" as soon as it
//	                   is in, then "sha256=<hex>\n" (hashing is not part of
//	                   the transfer the host times)
//	GET /conns         the echo server's connections, open and accepted
//	GET /debug/pprof/profile?seconds=N   a CPU profile (for finding where
//	                   the time goes; not used by the rows)
//	POST /quit         ends the row
func netHandler(quit func()) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(proto.HelloBody)))
		io.WriteString(w, proto.HelloBody)
	})
	mux.HandleFunc("GET /bytes", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 || n > maxTransfer {
			http.Error(w, "want n=<bytes>, at most 1 GiB", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		io.Copy(w, proto.NewPattern(n))
	})
	var upload struct {
		sync.Mutex
		buf []byte
	}
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		upload.Lock()
		defer upload.Unlock()
		b, err := readAll(r.Body, upload.buf[:0], r.ContentLength)
		upload.buf = b
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "n=%d\n", len(b))
		http.NewResponseController(w).Flush()
		fmt.Fprintf(w, "sha256=%x\n", sha256.Sum256(b))
	})
	mux.HandleFunc("GET /conns", serveConns)
	mux.HandleFunc("GET /debug/pprof/profile", serveProfile)
	mux.HandleFunc("GET /debug/netinfo", serveNetInfo)
	mux.HandleFunc("POST /quit", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "bye\n")
		quit()
	})
	return mux
}

// readAll reads r to its end into buf (reused between uploads); size is
// the length, if known (-1 if not).
func readAll(r io.Reader, buf []byte, size int64) ([]byte, error) {
	if size > maxTransfer {
		return buf, errors.New("body larger than 1 GiB")
	}
	if size > 0 && int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxTransfer {
				return buf, errors.New("body larger than 1 GiB")
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// echoServe echoes what each connection sends, through one buffer per
// connection (the same code on every system: no splice).
func echoServe(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		echoOpen.Add(1)
		echoAccepted.Add(1)
		go func() {
			defer echoOpen.Add(-1)
			defer c.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}
