//go:build !tamago

package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestQEMUArgsRPi4(t *testing.T) {
	tg, ok := targetByKey("rpi4")
	if !ok || tg.linux || tg.board != rpi4Board || tg.smp != 4 {
		t.Fatalf("target %+v", tg)
	}
	a := tg.qemuArgs("IMG", "", nil, []string{"-quick", "spawn"})
	want := "-M raspi4b -dtb board/rpi4/testdata/bcm2711-rpi-4-b.dtb -nographic -monitor none -serial stdio -semihosting -no-reboot -kernel IMG -append"
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
