//go:build !tamago

package rpi4

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yolkos/yolk/internal/qemutest"
	ytarget "github.com/yolkos/yolk/internal/target"
)

// genetQEMU names a qemu-system-aarch64 whose raspi4b has a GENET model
// (mainline QEMU's has none and deletes the node from the device tree).
const genetQEMU = "YOLK_GENET_QEMU"

// The default application on an emulated Pi 4 with Ethernet: it gets an
// address by DHCP through GENET and serves its page, an upload and a
// download to the host through a port forward. It needs a QEMU with a
// GENET model (board/rpi4/README.md, "Ethernet"), which neither CI nor
// `make test` has; without YOLK_GENET_QEMU it says so and skips.
func TestQEMUGenetDefaultApp(t *testing.T) {
	q := os.Getenv(genetQEMU)
	if q == "" {
		t.Skipf("%s is not set: no qemu-system-aarch64 with a GENET model (mainline QEMU's raspi4b has none); see board/rpi4/README.md", genetQEMU)
	}
	out := filepath.Join(tmp, "genet-app")
	build := exec.Command("go", "tool", "yolk", "build", "-board", "rpi4", "-o", out, "./cmd/demo")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("yolk build: %v\n%s", err, b)
	}
	port := qemutest.FreePort(t)
	qargs, err := ytarget.QEMU{Board: ytarget.RPi4, DTB: dtb, Kernel: filepath.Join(out, "kernel8.img"),
		Extra: []string{"-nic", fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:80", port)}}.Args()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	qemu := exec.CommandContext(ctx, q, qargs...)
	qemu.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	qemu.Cancel = func() error { return syscall.Kill(-qemu.Process.Pid, syscall.SIGKILL) }
	var mu sync.Mutex
	var console bytes.Buffer
	qemu.Stdout = writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return console.Write(b) })
	qemu.Stderr = qemu.Stdout
	if err := qemu.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		qemu.Wait()
		mu.Lock()
		t.Logf("console:\n%s", strings.ReplaceAll(console.String(), "\r", ""))
		mu.Unlock()
	}()
	serving := false
	for end := time.Now().Add(3 * time.Minute); time.Now().Before(end) && !serving; time.Sleep(200 * time.Millisecond) {
		mu.Lock()
		s := console.String()
		mu.Unlock()
		if strings.Contains(s, "no network") {
			t.Fatal("the application found no network")
		}
		serving = strings.Contains(s, "serving http on :80")
	}
	if !serving {
		t.Fatal("the application does not serve within 3 minutes")
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := &http.Client{Timeout: time.Minute}
	get := func(path string) []byte {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
		}
		return b
	}
	if page := get("/"); !bytes.Contains(page, []byte("<title>yolk")) || !bytes.Contains(page, []byte("on rpi4")) {
		t.Errorf("the page:\n%.500s", page)
	}
	const n = 4 << 20
	if b := get(fmt.Sprintf("/bytes?n=%d", n)); len(b) != n || !patterned(b) {
		t.Errorf("download: %d bytes, want %d of the pattern", len(b), n)
	}
	up := make([]byte, 2<<20)
	rand.Read(up)
	resp, err := c.Post(base+"/sha256", "application/octet-stream", bytes.NewReader(up))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(up)
	if !strings.Contains(string(body), hex.EncodeToString(sum[:])) {
		t.Errorf("upload: the guest answered %q, want the SHA-256 %x", body, sum)
	}
	var st struct {
		Network map[string]any `json:"network"`
	}
	if err := json.Unmarshal(get("/status.json"), &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rx_errors", "rx_drops", "tx_errors", "tx_drops"} {
		if v, _ := st.Network[k].(float64); v != 0 {
			t.Errorf("%s = %v", k, v)
		}
	}
	if e, ok := st.Network["device_error"]; ok {
		t.Errorf("device error: %v", e)
	}
	if f, _ := st.Network["rx_frames"].(float64); f < n/1500 {
		t.Errorf("%v frames received, fewer than the upload needs", f)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// patterned: cmd/demo's /bytes stream (test/net_test.go's pattern).
func patterned(b []byte) bool {
	for i := range b {
		if b[i] != byte(int64(i)*7+int64(i)>>8) {
			return false
		}
	}
	return true
}
