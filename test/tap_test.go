//go:build linux && !tamago

package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/yolkos/yolk/internal/qemutest"
)

// QEMU's user network (slirp) has no virtio-net header, so its
// virtio-net device offers no checksum or segmentation offload; a tap
// device does. These tests boot the default application on a tap device
// inside a network namespace of their own (so nothing on the host
// changes), with the offloads on and off, and move data through the
// paths the offloads take: 100 MB each way checked by SHA-256, UDP, and
// TCP over IPv6. They need root (CAP_NET_ADMIN), as CI has.

const (
	tapName   = "ytap0"
	tapHost   = "10.77.0.1"
	tapGuest  = "10.77.0.15"
	tapPrefix = "/24"
)

var nsSeq atomic.Int32

// tapNamespace makes a network namespace with a tap device configured
// as tapHost, removed at the end of the test.
func tapNamespace(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the tap tests need root (CAP_NET_ADMIN) for a network namespace and a tap device: run them as root, as CI does")
	}
	ns := fmt.Sprintf("yolk-%d-%d", os.Getpid(), nsSeq.Add(1))
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	in := []string{"ip", "netns", "exec", ns}
	run(append(in, "ip", "link", "set", "lo", "up")...)
	run(append(in, "ip", "tuntap", "add", "dev", tapName, "mode", "tap", "vnet_hdr")...)
	run(append(in, "ip", "addr", "add", tapHost+tapPrefix, "dev", tapName)...)
	// No duplicate address detection on the host's side: its IPv6
	// link-local address is usable at once, not a second or two after
	// the link comes up (a fast first subtest dialled before that and
	// got EADDRNOTAVAIL).
	run(append(in, "sh", "-c", "echo 0 >/proc/sys/net/ipv6/conf/"+tapName+"/accept_dad")...)
	run(append(in, "ip", "link", "set", tapName, "up")...)
	return ns
}

// nsDialer dials from inside a network namespace: a goroutine locked to
// a thread that entered the namespace creates every socket, which then
// belongs to the namespace whoever uses it.
type nsDialer struct{ reqs chan func() }

func newNSDialer(t *testing.T, ns string) *nsDialer {
	t.Helper()
	f, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		t.Fatal(err)
	}
	d := &nsDialer{reqs: make(chan func())}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %v", ns, err)
			return
		}
		errc <- nil
		for r := range d.reqs {
			r()
		}
	}()
	err = <-errc
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(d.reqs) })
	return d
}

func (d *nsDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	var err error
	done := make(chan struct{})
	d.reqs <- func() {
		c, err = (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
		close(done)
	}
	<-done
	return c, err
}

// tapDemo boots the default application on a tap device in a fresh
// namespace, with extra boot arguments, and returns an HTTP client and a
// dialer that reach it.
func tapDemo(t *testing.T, args ...string) (*http.Client, *nsDialer) {
	t.Helper()
	ns := tapNamespace(t)
	wrapper := filepath.Join(t.TempDir(), "run-qemu-in-ns.sh")
	script, err := filepath.Abs("../run-qemu.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", ns, script)), 0o755); err != nil {
		t.Fatal(err)
	}
	netdev := fmt.Sprintf("-netdev tap,id=n0,ifname=%s,script=no,downscript=no,vnet_hdr=on -device virtio-net-device,netdev=n0 -global virtio-mmio.force-legacy=false", tapName)
	args = append([]string{"yolk.quiet=1", "ip=" + tapGuest + tapPrefix, "gw=" + tapHost}, args...)
	m := qemutest.Start(t, demoELF, qemutest.Options{SMP: 2, Mem: "1G", Timeout: 10 * time.Minute, Isolated: true,
		Script: wrapper, Env: []string{"QEMU_EXTRA=" + netdev}}, args...)
	m.WaitFor("serving http on :80", 60*time.Second)
	d := newNSDialer(t, ns)
	c := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{DialContext: d.DialContext}}
	return c, d
}

type tapStatus struct {
	Network struct {
		Features []string `json:"features"`
		IPv6     []string `json:"ipv6"`
		RxErrors uint64   `json:"rx_errors"`
		TxErrors uint64   `json:"tx_errors"`
		RxDrops  uint64   `json:"rx_drops"`
		TxDrops  uint64   `json:"tx_drops"`
	} `json:"network"`
}

func tapStatusOf(t *testing.T, c *http.Client) tapStatus {
	t.Helper()
	var st tapStatus
	if err := json.Unmarshal(get(t, c, "http://"+tapGuest+"/status.json"), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTapOffloads moves 100 MB each way with the offloads on and off,
// checks what was negotiated, and that UDP and IPv6 still work.
func TestTapOffloads(t *testing.T) {
	size := int64(100 << 20)
	if !long() {
		size = 20 << 20
	}
	all := []string{"csum", "guest_csum", "guest_tso4", "guest_tso6", "host_tso4", "host_tso6", "mrg_rxbuf", "event_idx"}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"offloads", nil, all},
		{"no offloads", []string{"yolk.netoffload=off"}, []string{"event_idx"}},
		{"no offloads, no batching", []string{"yolk.netoffload=off", "yolk.netbatch=off"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			hc, d := tapDemo(t, c.args...)
			st := tapStatusOf(t, hc)
			if !slices.Equal(st.Network.Features, c.want) {
				t.Fatalf("negotiated %v, want %v", st.Network.Features, c.want)
			}
			base := "http://" + tapGuest
			download(t, hc, base, size)
			upload(t, hc, base, size)
			udpEcho(t, d, tapGuest+":7")
			ipv6HTTP(t, hc, st.Network.IPv6)
			st = tapStatusOf(t, hc)
			if n := st.Network; n.RxErrors+n.TxErrors+n.RxDrops+n.TxDrops != 0 {
				t.Errorf("device counters after the transfers: rx errors %d drops %d, tx errors %d drops %d", n.RxErrors, n.RxDrops, n.TxErrors, n.TxDrops)
			}
		})
	}
}

// udpEcho sends datagrams of several sizes, fragmented ones included,
// to the guest's UDP echo and checks the replies.
func udpEcho(t *testing.T, d *nsDialer, addr string) {
	t.Helper()
	conn, err := d.DialContext(context.Background(), "udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, n := range []int{1, 100, 1472, 4000} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		var got []byte
		for try := 0; try < 5 && got == nil; try++ { // UDP: a datagram may be lost
			conn.Write(msg)
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 8192)
			if k, err := conn.Read(buf); err == nil {
				got = buf[:k]
			}
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("UDP echo of %d bytes: got %d bytes back", n, len(got))
		}
	}
}

// ipv6HTTP fetches the page over TCP/IPv6 from the guest's link-local
// address.
func ipv6HTTP(t *testing.T, c *http.Client, addrs []string) {
	t.Helper()
	var ll string
	for _, a := range addrs {
		if strings.HasPrefix(a, "fe80:") {
			ll, _, _ = strings.Cut(a, "/")
		}
	}
	if ll == "" {
		t.Fatalf("the guest has no IPv6 link-local address: %v", addrs)
	}
	b := get(t, c, fmt.Sprintf("http://[%s%%25%s]/status.json", ll, tapName))
	if !json.Valid(b) {
		t.Fatalf("status over IPv6: %.100s", b)
	}
	download(t, c, fmt.Sprintf("http://[%s%%25%s]", ll, tapName), 4<<20)
}
