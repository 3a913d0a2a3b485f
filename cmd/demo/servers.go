//go:build tamago

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		writePage(w)
	})
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		e.Encode(status())
	})
	mux.HandleFunc("GET /bytes", serveBytes)
	mux.HandleFunc("POST /sha256", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %s\n", n, hex.EncodeToString(h.Sum(nil)))
	})
	if diag {
		mux.HandleFunc("GET /dial", serveDial)
		mux.HandleFunc("GET /burn", serveBurn)
		mux.HandleFunc("GET /panic", servePanic)
	}
	mux.HandleFunc("GET /resolve", func(w http.ResponseWriter, r *http.Request) {
		addrs, err := net.DefaultResolver.LookupHost(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, strings.Join(addrs, " "))
	})
	return mux
}

// Pattern is the byte stream /bytes sends: byte i is i*7+i>>8 (mod 256),
// so a client can check every byte without a copy of it.
func Pattern(i int64) byte { return byte(i*7 + i>>8) }

func serveBytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 0 {
		http.Error(w, "want /bytes?n=COUNT", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	buf := make([]byte, 64<<10)
	for off := int64(0); off < n; {
		k := min(int64(len(buf)), n-off)
		for i := range k {
			buf[i] = Pattern(off + i)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		off += k
	}
}

// serveDial connects to addr, reads what the server sends until it
// closes (at most 1 MiB, 10 s) and returns it: the guest as a client.
func serveDial(w http.ResponseWriter, r *http.Request) {
	addr := r.URL.Query().Get("addr")
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(r.Context(), "tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Write(b)
}

// serveBurn keeps GOMAXPROCS goroutines computing (function calls in a
// loop, so time slicing applies) for the given duration.
func serveBurn(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("for"))
	if err != nil || d <= 0 || d > time.Minute {
		http.Error(w, "want /burn?for=DURATION (at most 1m)", http.StatusBadRequest)
		return
	}
	n := runtime.GOMAXPROCS(0)
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(1)
			for time.Now().Before(end) {
				for range 10000 {
					x = step(x)
				}
			}
			sink.Store(x)
		}()
	}
	if r.URL.Query().Get("wait") != "" {
		wg.Wait()
	}
	fmt.Fprintf(w, "%d goroutines busy for %v\n", n, d)
}

var sink atomic.Uint64

// servePanic panics in the handler: kind=value panics with a string,
// kind=nil reads through a nil pointer (a fault the exception handler
// turns into the runtime's nil-dereference panic). net/http recovers
// both, logs them and closes the connection; the server goes on.
func servePanic(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("kind") {
	case "value":
		panic("demo: /panic?kind=value")
	case "nil":
		var p *struct{ n int }
		fmt.Fprintln(w, p.n)
	default:
		http.Error(w, "want /panic?kind=value or kind=nil", http.StatusBadRequest)
	}
}

//go:noinline
func step(x uint64) uint64 { return x*6364136223846793005 + 1442695040888963407 }

func serveHTTP(l net.Listener) error {
	srv := &http.Server{Handler: handler(), ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(l)
}

func serveHTTPS(l net.Listener, cert tls.Certificate) error {
	srv := &http.Server{Handler: handler(), ReadHeaderTimeout: 30 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	return srv.ServeTLS(l, "", "")
}

// selfSigned makes a certificate for "yolk" and localhost, valid a day.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "yolk"},
		DNSNames:     []string{"yolk", "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func serveEchoTCP(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

func serveEchoUDP(pc net.PacketConn) error {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		pc.WriteTo(buf[:n], from)
	}
}
