//go:build !tamago

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOverlayReplace(t *testing.T) {
	files := map[string][]byte{
		"sys_tamago.go": []byte("package main\n\nimport (\n\t_ \"github.com/yolkos/yolk/board/qemu-virt\"\n\t\"github.com/yolkos/yolk/boot\"\n)\n"),
		"net_tamago.go": []byte("package main\n\nimport \"github.com/yolkos/yolk/board/qemu-virt/network\"\n"),
		"main.go":       []byte("package main\n\n// Runs on board/qemu-virt and on Linux.\nimport \"fmt\"\n"),
		"virt_test.go":  []byte("package main\n\nimport _ \"github.com/yolkos/yolk/board/qemu-virt\"\n"),
		"notes.txt":     []byte("\"github.com/yolkos/yolk/board/qemu-virt\"\n"),
	}
	got := overlayReplace(files)
	var names []string
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"net_tamago.go", "sys_tamago.go"}) {
		t.Fatalf("replaced %q", names)
	}
	if s := string(got["sys_tamago.go"]); !strings.Contains(s, "_ \"github.com/yolkos/yolk/board/rpi4\"\n") ||
		!strings.Contains(s, "\"github.com/yolkos/yolk/boot\"") || strings.Contains(s, "qemu-virt") {
		t.Errorf("sys_tamago.go:\n%s", s)
	}
	if s := string(got["net_tamago.go"]); !strings.Contains(s, "\"github.com/yolkos/yolk/board/rpi4/network\"") {
		t.Errorf("net_tamago.go:\n%s", s)
	}
	// A mention outside an import path stays.
	if b, ok := retarget(files["main.go"]); ok || !bytes.Equal(b, files["main.go"]) {
		t.Errorf("main.go retargeted: %q", b)
	}
	for name, want := range map[string]bool{"a.go": true, "a_test.go": false, "a.s": false, "go.mod": false} {
		if overlayCandidate(name) != want {
			t.Errorf("overlayCandidate(%q) = %v", name, !want)
		}
	}
}

func TestWriteOverlay(t *testing.T) {
	dir := t.TempDir()
	src, out := filepath.Join(dir, "guest"), filepath.Join(dir, "out", "overlay")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.go", "package main\n")
	if _, err := writeOverlay(src, out); err == nil {
		t.Error("no error without a board/qemu-virt import")
	}
	write("sys.go", "package main\n\nimport _ \"github.com/yolkos/yolk/board/qemu-virt\"\n")
	path, err := writeOverlay(src, out)
	if err != nil {
		t.Fatal(err)
	}
	if path != out+".json" {
		t.Errorf("overlay file %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ov struct{ Replace map[string]string }
	if err := json.Unmarshal(b, &ov); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(ov.Replace) != 1 {
		t.Fatalf("overlay %s", b)
	}
	for from, to := range ov.Replace {
		if from != filepath.Join(src, "sys.go") || to != filepath.Join(out, "sys.go") || !filepath.IsAbs(from) {
			t.Errorf("replace %s with %s", from, to)
		}
		if c, err := os.ReadFile(to); err != nil || string(c) != "package main\n\nimport _ \"github.com/yolkos/yolk/board/rpi4\"\n" {
			t.Errorf("copy %q, %v", c, err)
		}
	}
}

// The guest's own files: the overlay must cover its board import.
func TestGuestOverlay(t *testing.T) {
	entries, err := os.ReadDir("../guest")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("../guest", e.Name())); err == nil {
			files[e.Name()] = b
		}
	}
	if _, ok := overlayReplace(files)["sys_tamago.go"]; !ok {
		t.Error("bench/guest/sys_tamago.go is not retargeted")
	}
}

func TestQEMUArgsRPi4(t *testing.T) {
	tg, ok := targetByKey("rpi4")
	if !ok || tg.linux || tg.board != rpi4Board || tg.smp != 4 {
		t.Fatalf("target %+v", tg)
	}
	a := tg.qemuArgs("IMG", "", nil, []string{"-quick", "spawn"})
	want := "-M raspi4b -dtb board/rpi4/testdata/bcm2711-rpi-4-b.dtb -nographic -monitor none -serial stdio -no-reboot -semihosting -kernel IMG -append"
	if got := strings.Join(a[:len(a)-1], " "); got != want {
		t.Errorf("args %q", got)
	}
	if got := a[len(a)-1]; got != "yolk.quiet=1 -- -quick spawn" {
		t.Errorf("-append %q", got)
	}
	// No network device, forwards or not; no -smp or -m (fixed machine).
	n := strings.Join(tg.qemuArgs("IMG", "", []hostFwd{{40001, 80}}, []string{"netserve"}), " ")
	if strings.Contains(n, "netdev") || strings.Contains(n, "-smp") || strings.Contains(n, "-m ") {
		t.Errorf("args %q", n)
	}
}

func TestRPi4Table(t *testing.T) {
	r := fakeReport()
	r.add("rpi4", "spawn", 3000)
	r.add("rpi4", "spawn", 3400)
	r.add("rpi4", "cpus", 4)
	r.add("rpi4", "image_size", 2<<20)
	r.notes = append(r.notes, note{"rpi4", "netserve", "skipped", rpi4NoNet}, note{"rpi4", "gc", "failed", "timed out"})
	tab := r.rpi4Table()
	if !slices.Equal(tab[0], []string{"row", "unit", "yolk raspi4b smp4"}) {
		t.Errorf("header %q", tab[0])
	}
	cells := map[string]string{}
	for _, row := range tab[1:] {
		if len(row) != 3 {
			t.Fatalf("row %q", row)
		}
		cells[row[0]] = row[2]
	}
	for title, want := range map[string]string{
		"goroutine spawn (start, run, exit)": "3.20 (3.00–3.40)",
		"runtime.NumCPU() in the guest":      "4",
		"image size (kernel8.img)":           "2.00",
		"GC pause p50 under allocation load": "failed",
		"time.Sleep(1ms) overshoot p50":      "-",
	} {
		if cells[title] != want {
			t.Errorf("%s: %q, want %q", title, cells[title], want)
		}
	}
	for title := range cells {
		if strings.Contains(title, "HTTP") || strings.Contains(title, "TCP") || strings.Contains(title, "networking") {
			t.Errorf("network row %q", title)
		}
	}
	var text, md bytes.Buffer
	r.writeText(&text)
	r.writeMarkdown(&md, "benchmarks.svg")
	for _, want := range []string{"yolk on raspi4b (4 cores)", "yolk raspi4b smp4, netserve: skipped: no network device on raspi4b"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s\n%s", want, text.String(), md.String())
		}
	}
	if !strings.Contains(md.String(), "## yolk on raspi4b (4 cores)") || !strings.Contains(md.String(), "| row | unit | yolk raspi4b smp4 |") {
		t.Errorf("markdown lacks the raspi4b table:\n%s", md.String())
	}
}
