//go:build !tamago

package test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yolkos/yolk/internal/qemutest"
)

// monitor sends one command to QEMU's monitor on a unix socket and
// returns what it answered before the next prompt.
func monitor(t *testing.T, sock, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	readPrompt := func() string {
		var b strings.Builder
		for !strings.HasSuffix(b.String(), "(qemu) ") {
			ch, err := r.ReadByte()
			if err != nil {
				t.Fatalf("monitor: %v after %q", err, b.String())
			}
			b.WriteByte(ch)
		}
		return b.String()
	}
	readPrompt() // the banner
	fmt.Fprintf(c, "%s\n", cmd)
	return readPrompt()
}

// TestNetLinkDownUp takes the link down and up through the QEMU monitor
// (set_link) with a connection open: the guest sees both, renews its
// DHCP lease when the link comes back, and the connection carries on.
func TestNetLinkDownUp(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "monitor.sock")
	p := []int{qemutest.FreePort(t), qemutest.FreePort(t)}
	fwd := fmt.Sprintf("tcp:127.0.0.1:%d-:80 tcp:127.0.0.1:%d-:7", p[0], p[1])
	m := qemutest.Start(t, demoELF, qemutest.Options{SMP: 2, Mem: "1G", Net: true, Timeout: 5 * time.Minute, Isolated: true,
		Env: []string{"YOLK_HOSTFWD=" + fwd, "QEMU_EXTRA=-monitor unix:" + sock + ",server,nowait"}})
	m.WaitFor("serving http on :80", 60*time.Second)
	base := fmt.Sprintf("http://127.0.0.1:%d", p[0])
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p[1]), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	echo := func(msg string) {
		t.Helper()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo of %q: %q, %v", msg, buf, err)
		}
	}
	echo("before")
	monitor(t, sock, "set_link n0 off")
	m.WaitFor("netstack: link down", 30*time.Second)
	monitor(t, sock, "set_link n0 on")
	m.WaitFor("netstack: link up", 30*time.Second)
	m.WaitFor("dhcp: renewing", 30*time.Second)
	echo("after the link came back")
	var st struct {
		Network struct {
			Counters map[string]uint64 `json:"counters"`
		} `json:"network"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := json.Unmarshal(get(t, http.DefaultClient, base+"/status.json"), &st); err != nil {
			t.Fatal(err)
		}
		c := st.Network.Counters
		if c["link.downs"] == 1 && c["link.ups"] == 1 && c["dhcp.renewals"] >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters: link downs %d, ups %d, DHCP renewals %d; want 1, 1, at least 1", c["link.downs"], c["link.ups"], c["dhcp.renewals"])
		}
		time.Sleep(200 * time.Millisecond)
	}
}
