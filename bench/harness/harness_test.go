//go:build !tamago

package main

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yolkos/yolk/bench/proto"
)

func TestStatCPUTicks(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want int64
	}{
		{"4242 (qemu-system-aar) S 1 4242 1 34816 4242 4194560 12345 0 0 0 1500 250 0 0 20 0 5 0 100 0 0\n", 1750},
		// A command name with spaces and parentheses.
		{"7 (a) b (c)) R 1 7 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0", 7},
	} {
		got, err := statCPUTicks(tc.stat)
		if err != nil || got != tc.want {
			t.Errorf("statCPUTicks(%q) = %d, %v; want %d", tc.stat, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 u s 0"} {
		if _, err := statCPUTicks(bad); err == nil {
			t.Errorf("statCPUTicks(%q): no error", bad)
		}
	}
	// Our own process: some CPU time, and it grows.
	a, err := processCPU(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	// Spin until the count shows 20 ms (the host may give us little of
	// its CPU): it must, and it must not exceed the time spent.
	start := time.Now()
	var d int64
	for d < int64(20*time.Millisecond) && time.Since(start) < 10*time.Second {
		b, err := processCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		d = b.since(a)
	}
	if wall := time.Since(start); d < int64(20*time.Millisecond) || d > int64(wall+100*time.Millisecond) {
		t.Errorf("spinning for %v took %v of CPU time", wall, time.Duration(d))
	}
}

func TestStatBusy(t *testing.T) {
	stat := "cpu  100 2 30 5000 40 6 7 8 9 0\ncpu0 50 1 15 2500 20 3 3 4 4 0\n"
	if d, err := statBusy(stat); err != nil || d != 1530*time.Millisecond {
		t.Errorf("statBusy = %v, %v; want 1.53s", d, err)
	}
	if _, err := statBusy("intr 1 2 3"); err == nil {
		t.Error("statBusy accepted a line that is not cpu")
	}
	host0, ours0, err := cpuUse()
	if err != nil {
		t.Skip(err)
	}
	// Spin until both show 20 ms, however little CPU the host gives us.
	start := time.Now()
	var host, ours time.Duration
	for (ours < 20*time.Millisecond || host < 20*time.Millisecond) && time.Since(start) < 10*time.Second {
		host1, ours1, err := cpuUse()
		if err != nil {
			t.Fatal(err)
		}
		host, ours = host1-host0, ours1-ours0
	}
	if ours < 20*time.Millisecond || host < 20*time.Millisecond {
		t.Errorf("spinning for %v: ours %v, host %v", time.Since(start), ours, host)
	}
}

func TestCPUTimesSince(t *testing.T) {
	a := cpuTimes{"1": 100, "2": 50}
	b := cpuTimes{"1": 400, "3": 30} // 2 ended, 3 started
	if got := b.since(a); got != 330 {
		t.Errorf("since = %d, want 330", got)
	}
}

// readCpio parses a newc archive: names, modes, device numbers, data.
func readCpio(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	for len(b) > 0 {
		if len(b) < 110 || string(b[:6]) != "070701" {
			t.Fatalf("bad header at %q", b[:min(len(b), 16)])
		}
		f := func(i int) uint32 {
			v, err := strconv.ParseUint(string(b[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return uint32(v)
		}
		mode, size, namesize := f(1), int(f(6)), int(f(11))
		name := string(b[110 : 110+namesize-1])
		if b[110+namesize-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		off := (110 + namesize + 3) &^ 3
		e := cpioEntry{name: name, mode: mode, rdev: [2]uint32{f(9), f(10)}, data: b[off : off+size]}
		b = b[(off+size+3)&^3:]
		if name == "TRAILER!!!" {
			if len(bytes.Trim(b, "\x00")) != 0 {
				t.Fatal("data after the trailer")
			}
			return out
		}
		out = append(out, e)
	}
	t.Fatal("no trailer")
	return nil
}

func TestInitramfs(t *testing.T) {
	bin := []byte("\x7fELF pretend binary, 29 bytes")
	var buf bytes.Buffer
	if err := writeInitramfs(&buf, bin); err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", len(raw))
	}
	got := map[string]cpioEntry{}
	for _, e := range readCpio(t, raw) {
		got[e.name] = e
	}
	if e := got["init"]; e.mode != 0o100755 || !bytes.Equal(e.data, bin) {
		t.Errorf("init: mode %o, data %q", e.mode, e.data)
	}
	if e := got["dev/console"]; e.mode != 0o020600 || e.rdev != [2]uint32{5, 1} {
		t.Errorf("dev/console: mode %o, rdev %v", e.mode, e.rdev)
	}
	for _, d := range []string{"dev", "proc", "sys"} {
		if got[d].mode&0o170000 != modeDir {
			t.Errorf("%s: mode %o, want a directory", d, got[d].mode)
		}
	}
	// cpio(1), where installed, agrees.
	if cpio, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command(cpio, "-t", "--quiet")
		cmd.Stdin = bytes.NewReader(raw)
		out, err := cmd.Output()
		if err != nil || strings.Fields(string(out))[4] != "init" {
			t.Errorf("cpio -t: %v %q", err, out)
		}
	}
}

func TestVersionedPackage(t *testing.T) {
	out := "linux-image-arm64\n  Depends: linux-image-6.1.0-56-arm64\n  Recommends: firmware\n"
	if got := versionedPackage(out); got != "linux-image-6.1.0-56-arm64" {
		t.Errorf("got %q", got)
	}
	out = "linux-image-arm64\n |Depends: linux-image-6.12.9+bpo-arm64\n  Depends: linux-image-6.12.9+bpo-arm64-unsigned\n"
	if got := versionedPackage(out); got != "linux-image-6.12.9+bpo-arm64" {
		t.Errorf("got %q", got)
	}
	if got := versionedPackage("linux-image-arm64\n  Depends: initramfs-tools\n"); got != "" {
		t.Errorf("got %q", got)
	}
}

func TestQEMUArgs(t *testing.T) {
	byKey := func(key string) target {
		tg, ok := targetByKey(key)
		if !ok {
			t.Fatalf("no target %s", key)
		}
		return tg
	}
	y := byKey("yolk2").qemuArgs("K", "I", nil, []string{"-quick", "spawn"})
	l := byKey("linux2").qemuArgs("K", "I", nil, []string{"-quick", "spawn"})
	i := slices.Index(y, "-kernel")
	if i < 0 || !slices.Equal(y[:i], l[:i]) {
		t.Errorf("machine options differ:\n%q\n%q", y, l)
	}
	if want := "-M virt -cpu max -smp 2 -m 1G -global virtio-mmio.force-legacy=false -nographic -monitor none -serial stdio -semihosting -no-reboot"; strings.Join(y[:i], " ") != want {
		t.Errorf("machine options %q", y[:i])
	}
	if got := y[len(y)-1]; got != "yolk.quiet=1 -- -quick spawn" {
		t.Errorf("yolk -append %q", got)
	}
	if got := byKey("yolk2poll").qemuArgs("K", "I", nil, []string{"idle"}); got[len(got)-1] != "yolk.quiet=1 yolk.idle=poll -- idle" {
		t.Errorf("yolk.idle=poll -append %q", got[len(got)-1])
	}
	if l[slices.Index(l, "-initrd")+1] != "I" || slices.Contains(y, "-initrd") || l[len(l)-1] != "console=ttyAMA0 quiet panic=-1 -- -quick spawn" || l[slices.Index(l, "-kernel")+1] != "K" {
		t.Errorf("linux args %q", l)
	}
	// The network rows: the same machine plus a virtio-net device with the
	// forwards, on both.
	fwd := []hostFwd{{40001, 80}, {40002, 7}}
	yn := byKey("yolk1").qemuArgs("K", "", fwd, []string{"netserve"})
	ln := byKey("linux1").qemuArgs("K", "I", fwd, []string{"netserve"})
	wantNet := "-global virtio-mmio.force-legacy=false -netdev user,id=n0,hostfwd=tcp:127.0.0.1:40001-:80,hostfwd=tcp:127.0.0.1:40002-:7 -device virtio-net-device,netdev=n0 -nographic"
	for _, a := range [][]string{yn, ln} {
		if !strings.Contains(strings.Join(a, " "), wantNet) {
			t.Errorf("network args %q", a)
		}
	}
	if i := slices.Index(yn, "-kernel"); i < 0 || !slices.Equal(yn[:i], ln[:i]) {
		t.Errorf("machine options differ:\n%q\n%q", yn, ln)
	}
	if strings.Contains(strings.Join(y, " "), "netdev") || strings.Contains(strings.Join(l, " "), "netdev") {
		t.Errorf("a network device without forwards: %q %q", y, l)
	}
	if got := shellJoin([]string{"a", "-append", "x y", "it's", ""}); got != `a -append 'x y' 'it'\''s' ''` {
		t.Errorf("shellJoin: %s", got)
	}
}

func fakeReport() *report {
	r := &report{hostCPUs: 2, date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), env: [][2]string{{"QEMU", "10.0"}}}
	for _, v := range []float64{100e6, 120e6, 110e6} {
		r.add("yolk1", "boot_host", v)
		r.add("linux1", "boot_host", 10*v)
	}
	r.add("yolk2", "parallel_speedup", 1.9)
	r.add("linux2", "parallel_speedup", 1.8)
	r.add("yolk1", "idle_cpu", 0)
	r.add("linux1", "idle_cpu", 0.5)
	r.add("yolk2", "cpus", 2)
	r.add("yolk4", "gc_p50", 12e6)
	r.add("linux4", "gc_p50", 2e6)
	r.add("yolk2", "sleep_p50", 20e3)
	r.add("yolk2nohaltpoll", "sleep_p50", 80e3)
	r.notes = []note{
		{"yolk1", "pingpong_cross", "skipped", "one core (-smp 1)"},
		{"linux2", "", "skipped", "no Linux kernel: apt-get not found"},
		{"yolk2", "gc", "failed", "timed out"},
	}
	r.cmdlines = [][2]string{{"yolk smp1", "qemu-system-aarch64 -M virt"}}
	return r
}

func TestReportTables(t *testing.T) {
	r := fakeReport()
	rows := r.mainTable()
	find := func(title string) []string {
		for _, row := range rows {
			if strings.HasPrefix(row[0], title) {
				return row
			}
		}
		t.Fatalf("no row %q", title)
		return nil
	}
	// row, unit, yolk1, yolk2, yolk4, linux1, linux2, linux4, ratio1, ratio2, ratio4
	boot := find("boot to READY")
	if boot[2] != "110 (100–120)" || boot[5] != "1100 (1000–1200)" || boot[8] != "0.10×" || boot[9] != "" {
		t.Errorf("boot row %q", boot)
	}
	if row := find("parallel speedup"); row[3] != "1.90" || row[9] != "1.06×" {
		t.Errorf("speedup row %q", row)
	}
	if row := find("host CPU of an idle"); row[2] != "0" || row[8] != "0×" {
		t.Errorf("idle row %q", row)
	}
	if row := find("channel ping-pong round trip, cross"); row[2] != "skipped" || row[6] != "skipped" {
		t.Errorf("cross row %q", row)
	}
	if row := find("GC pause p50"); row[3] != "failed" || row[2] != "-" {
		t.Errorf("gc row %q", row)
	}
	if row := find("runtime.NumCPU"); row[3] != "2" || row[9] != "" {
		t.Errorf("cpus row %q", row)
	}
	if row := find("GC pause p50"); row[4] != "12000" || row[7] != "2000" || row[10] != "6.00×" {
		t.Errorf("smp4 gc row %q", row)
	}
	if h := rows[0]; h[4] != "yolk smp4 (oversubscribed)" || h[7] != "linux smp4 (oversubscribed)" {
		t.Errorf("header %q: the 4-core columns of a 2-CPU host are not marked oversubscribed", h)
	}
	// A mechanism's row it is not measured on stays empty; the others
	// compare with plain yolk.
	abl := r.ablationTable()
	for _, row := range abl {
		switch {
		case strings.HasPrefix(row[0], "goroutine spawn"):
			if row[5] != "" || row[7] != "" {
				t.Errorf("spawn row %q: haltpoll=off and wait=spin do not run it", row)
			}
		case strings.HasPrefix(row[0], "time.Sleep(1ms) overshoot p50"):
			if row[2] != "20.0" || row[5] != "80.0" || row[10] != "4.00×" {
				t.Errorf("sleep row %q", row)
			}
		}
	}
	if abl4 := r.ablation4Table(); len(abl4) < 2 || abl4[0][2] != "yolk smp4 (oversubscribed)" {
		t.Errorf("smp4 ablation table %q", abl4)
	}

	var text, md bytes.Buffer
	r.writeText(&text)
	r.writeMarkdown(&md, "benchmarks.svg")
	for _, want := range []string{"yolk smp1", "yolk.idle=poll", "Skipped, failed or retried", "linux smp2, all rows: skipped: no Linux kernel", "yolk smp2, gc: failed: timed out"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{"# Benchmarks", "2025-01-02 03:04 UTC", "- QEMU: 10.0", "![yolk / Linux ratios](benchmarks.svg)",
		"| row | unit | yolk smp1 |", "|---|", "```\nqemu-system-aarch64 -M virt\n```", "- yolk smp1, pingpong_cross: skipped: one core (-smp 1)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

func TestSVG(t *testing.T) {
	for _, r := range []*report{fakeReport(), {}} {
		var b bytes.Buffer
		if err := r.writeSVG(&b); err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		var texts []string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG is not well-formed XML: %v\n%s", err, b.String())
			}
			if cd, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
				texts = append(texts, string(cd))
			}
		}
		if len(r.samples) == 0 {
			continue
		}
		all := strings.Join(texts, "|")
		for _, want := range []string{"boot to READY (host)", "0.10×", "parallel speedup (higher is better)", "1.06×", "idle host CPU", "0×"} {
			if !strings.Contains(all, want) {
				t.Errorf("chart lacks %q: %s", want, all)
			}
		}
	}
}

func TestRecord(t *testing.T) {
	feed := func(b *bootOut, out string) {
		for _, l := range strings.Split(out, "\n") {
			b.sess.Feed(l)
		}
	}
	tg := targets[0]
	var r report
	b := &bootOut{ready: 90 * time.Millisecond, idlePct: 0.25}
	feed(b, "banner\nREADY boot_ns=45000000\nRESULT name=cpus unit=count value=1\nIDLE\nDONE")
	if st := record(&r, tg, "idle", b); !strings.HasPrefix(st, "ok") {
		t.Errorf("status %q", st)
	}
	b = &bootOut{ready: 95 * time.Millisecond, timedOut: true, tail: []string{"READY", "RESULT name=spawn unit=ns value=3", "stuck"}}
	feed(b, "READY\nRESULT name=spawn unit=ns value=3\nSKIP name=pingpong_cross reason=one core")
	if st := record(&r, tg, "spawn", b); !strings.Contains(st, "FAILED: timed out") {
		t.Errorf("status %q", st)
	}
	want := map[string][]float64{"boot_host": {90e6, 95e6}, "boot_guest": {45e6}, "cpus": {1}, "idle_cpu": {0.25}, "spawn": {3}}
	for k, v := range want {
		if !slices.Equal(r.samples[tg.key][k], v) {
			t.Errorf("%s: %v, want %v", k, r.samples[tg.key][k], v)
		}
	}
	if len(r.notes) != 2 || r.notes[0].kind != "skipped" || r.notes[1].kind != "failed" || !strings.Contains(r.notes[1].reason, "last output: ") {
		t.Errorf("notes %+v", r.notes)
	}

	// A network row: the harness's measurements count, its boot time not
	// (its image is another).
	var rn report
	b = &bootOut{ready: 99 * time.Millisecond, served: true}
	feed(b, "READY boot_ns=50000000\nSERVING echo=7 http=80\nDONE")
	b.net.add(netHTTP, "rps", 1234, 500)
	b.net.add(netDown, "bytes", 5e6, 0)
	b.net.errs = []string{"upload: 12 bytes, want 13"}
	if st := record(&rn, tg, "netserve", b); !strings.HasPrefix(st, "ok, 1234 req/s") {
		t.Errorf("status %q", st)
	}
	if rn.samples[tg.key]["boot_host"] != nil || rn.samples[tg.key]["boot_guest"] != nil ||
		!slices.Equal(rn.samples[tg.key][netHTTP], []float64{1234}) || !slices.Equal(rn.samples[tg.key][netDown], []float64{5e6}) {
		t.Errorf("samples %v", rn.samples)
	}
	if len(rn.notes) != 1 || rn.notes[0] != (note{tg.key, "netserve", "failed", "upload: 12 bytes, want 13"}) {
		t.Errorf("notes %+v", rn.notes)
	}
	up := tableRows[slices.IndexFunc(tableRows, func(d rowDef) bool { return d.key == netUp })]
	if c := rn.cell(tg.key, up); c != "failed" {
		t.Errorf("upload cell %q", c)
	}
	// The guest could not start its network: no measurement.
	b = &bootOut{ready: 99 * time.Millisecond}
	feed(b, "READY\nFAIL name=netserve reason=starting the network: no eth0\nDONE")
	if st := record(&rn, tg, "netserve", b); !strings.Contains(st, "no eth0") {
		t.Errorf("status %q", st)
	}
	// Or it ended without saying why.
	b = &bootOut{ready: 99 * time.Millisecond}
	feed(b, "READY\nDONE")
	if st := record(&rn, tg, "netserve", b); !strings.Contains(st, "without serving") {
		t.Errorf("status %q", st)
	}
}

// TestGuestOnHost runs the guest program as an ordinary process on the
// host with every row, quick: it must follow the protocol, and produce
// exactly the results the tables show. The network rows run against the
// guest built with networking, serving on the host's loopback.
func TestGuestOnHost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	bin, netBin := filepath.Join(dir, "guest"), filepath.Join(dir, "guest-net")
	for _, b := range [][]string{{bin, ""}, {netBin, netTag}} {
		if out, err := exec.Command("go", "build", "-tags", b[1], "-o", b[0], "../guest").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	var rows []string
	for _, r := range guestRows {
		if r != "netserve" {
			rows = append(rows, r)
		}
	}
	args := append([]string{"-quick", "-idle", "0s"}, rows...)
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var s proto.Session
	idle := false
	for _, l := range strings.Split(string(out), "\n") {
		if s.Feed(l) == proto.Idle {
			idle = true
		}
	}
	if err := s.Err(); err != nil || len(s.Bad) > 0 || len(s.Fails) > 0 || !idle {
		t.Fatalf("err %v, bad %q, fails %v, idle %v\n%s", err, s.Bad, s.Fails, idle, out)
	}
	got := map[string]bool{}
	for _, r := range s.Results {
		got[r.Name] = true
	}
	for _, n := range s.Skips {
		got[n.Name] = true // pingpong_cross on a one-CPU host
	}

	// Without networking, netserve is skipped.
	out, _ = exec.Command(bin, "netserve").Output()
	if !strings.Contains(string(out), "SKIP name=netserve reason=this guest was built without networking") {
		t.Errorf("netserve without networking:\n%s", out)
	}
	// With it, the harness measures it, quickly.
	cfg := netConfig{reps: 2, clients: 4, many: 8, workers: 2, window: 300 * time.Millisecond, trips: 50, msg: 64,
		bulk: 1<<20 + 3, idle: 200 * time.Millisecond, limit: 20 * time.Second, budget: time.Minute}
	cmd := exec.Command(netBin, "-http", "127.0.0.1:0", "-echo", "127.0.0.1:0", "-https", "127.0.0.1:0", "-serve", "1m", "netserve")
	b, err := runGuest(cmd, bootSpec{timeout: 2 * time.Minute, smp: 1,
		serve: func(pid int, serving map[string]int) netOut {
			addrs, err := serviceAddrs(serving, nil)
			if err != nil {
				return netOut{errs: []string{err.Error()}}
			}
			return runNet(cfg, pid, 1, addrs)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if f := b.failureDetail(); f != "" || !b.served || len(b.net.errs) > 0 || len(b.sess.Bad)+len(b.sess.Fails) > 0 {
		t.Fatalf("failure %q, served %v, errors %q, bad %q, fails %v", f, b.served, b.net.errs, b.sess.Bad, b.sess.Fails)
	}
	counts := map[string]int{}
	for _, r := range b.net.results {
		got[r.Name] = true
		counts[r.Name]++
		if r.Value <= 0 && r.Name != netIdle && r.Name != netHTTPStalls && r.Name != netConnStalls {
			t.Errorf("%s = %v", r.Name, r.Value)
		}
	}
	if counts[netIdle] != 1 || counts[netHTTP] != 2 || counts[netUp] != 2 || counts[netCPUPerReq] != 2 || counts[netTLSConns] != 2 || counts[netConns] != 2 || counts[netHTTPMany] != 2 {
		t.Errorf("results per measurement %v", counts)
	}
	t.Logf("on the host: %s", b.net.status())
	got["image_size_net"] = true // the harness's, like image_size

	for _, d := range tableRows {
		produced := d.guest != "" && d.guest != "idle" || d.key == "cpus" || d.key == "gomaxprocs"
		if produced && !got[d.key] && !got[d.guest] {
			t.Errorf("the guest did not produce %s", d.key)
		}
		delete(got, d.key)
	}
	delete(got, "pingpong_cross")
	if len(got) > 0 {
		t.Errorf("results the tables do not show: %v", got)
	}
}

// -strict fails on failed rows and on skips that mean something is
// missing, not on rows a machine cannot run (one core, no network device).
func TestStrictProblems(t *testing.T) {
	r := &report{notes: []note{
		{"yolk-smp1", "pingpong_cross", "skipped", "one core (-smp 1)"},
		{"yolk-rpi4", "netserve", "skipped", rpi4NoNet},
		{"yolk-smp2", "retried-row", "retried", "once"},
	}}
	if p := r.strictProblems(); len(p) != 0 {
		t.Errorf("expected skips counted as problems: %q", p)
	}
	r.notes = append(r.notes, note{"linux-smp1", "netserve", "failed", "http: stalled"})
	r.problems = append(r.problems, "linux-smp2: skipped: no Linux kernel: offline")
	p := r.strictProblems()
	if len(p) != 2 || !strings.Contains(strings.Join(p, "|"), "linux-smp1 netserve: failed: http: stalled") {
		t.Errorf("problems %q", p)
	}
}
