//go:build !tamago

package target

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// go.mod pins the TamaGo module this package names.
func TestTamagoVersion(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(TamagoModule) + `\s+(\S+)`).FindSubmatch(b)
	if m == nil || string(m[1]) != TamagoVersion {
		t.Errorf("go.mod requires %s %q, TamagoVersion is %s", TamagoModule, m, TamagoVersion)
	}
	if !bytes.Contains(b, []byte("\ngo "+GoVersion+"\n")) {
		t.Errorf("go.mod's go directive is not %s", GoVersion)
	}
}

func TestLookup(t *testing.T) {
	for _, b := range Boards {
		got, err := Lookup(b.Name)
		if err != nil || got.Name != b.Name {
			t.Errorf("Lookup(%q) = %v, %v", b.Name, got.Name, err)
		}
		if fb, ok := ForPackage(b.Package + "/network"); !ok || fb.Name != b.Name {
			t.Errorf("ForPackage(%s/network) = %v", b.Package, fb.Name)
		}
		if fb, ok := ForMachine(b.Machine + ",x=y"); !ok || fb.Name != b.Name {
			t.Errorf("ForMachine(%s) = %v", b.Machine, fb.Name)
		}
		// The board's package directory exists.
		if _, err := os.Stat(filepath.Join("../..", strings.TrimPrefix(b.Package, Module+"/"))); err != nil {
			t.Error(err)
		}
		if b.DTB != "" {
			if _, err := os.Stat(filepath.Join("../..", b.DTB)); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := Lookup("pi5"); err == nil || !strings.Contains(err.Error(), "qemu-virt or rpi4") {
		t.Errorf("Lookup(pi5): %v", err)
	}
	if _, ok := ForPackage(BoardPackage); ok {
		t.Error("the board-neutral package is not a board")
	}
	if got := RPi4.LDFlags(); got != "-T 0x81000 -R 0x1000 -checklinkname=0" {
		t.Errorf("rpi4 ldflags %q", got)
	}
	if got := QEMUVirt.BuildFlags("", "-s -w"); !slices.Equal(got, []string{"-ldflags", "-T 0x40210000 -R 0x1000 -checklinkname=0 -s -w"}) {
		t.Errorf("virt build flags %q", got)
	}
	if got := RPi4.BuildFlags("", ""); !slices.Equal(got, []string{"-tags", "yolk_rpi4", "-ldflags", "-T 0x81000 -R 0x1000 -checklinkname=0"}) {
		t.Errorf("rpi4 build flags %q", got)
	}
	if got := RPi4.BuildFlags("a,b", ""); !slices.Equal(got[:2], []string{"-tags", "a,b,yolk_rpi4"}) {
		t.Errorf("rpi4 build flags with tags %q", got)
	}
}

// The build tags the boards declare are the ones package board's files use.
func TestBoardTags(t *testing.T) {
	for _, b := range Boards {
		if b.Tag == "" {
			continue
		}
		files, _ := filepath.Glob("../../board/*.go")
		found := false
		for _, f := range files {
			src, _ := os.ReadFile(f)
			if bytes.Contains(src, []byte("//go:build tamago && "+b.Tag+"\n")) && bytes.Contains(src, []byte(`"`+b.Package+`"`)) {
				found = true
			}
		}
		if !found {
			t.Errorf("no file of package board links %s under the tag %s", b.Package, b.Tag)
		}
	}
}

func TestQEMUArgs(t *testing.T) {
	q := QEMU{Board: QEMUVirt, SMP: 2, Mem: "1G", GIC: 3, EL2: true, Net: true, Fwd: []string{"tcp:127.0.0.1:1-:80"},
		Kernel: "K", Cmdline: "a b", Extra: []string{"-S"}}
	a, err := q.Args()
	if err != nil {
		t.Fatal(err)
	}
	want := "-M virt,gic-version=3,virtualization=on -cpu max -smp 2 -m 1G -global virtio-mmio.force-legacy=false " +
		"-netdev user,id=n0,hostfwd=tcp:127.0.0.1:1-:80 -device virtio-net-device,netdev=n0 " +
		"-nographic -monitor none -serial stdio -semihosting -no-reboot -kernel K -append|a b|-S"
	if got := strings.Join(a[:len(a)-2], " ") + "|" + strings.Join(a[len(a)-2:], "|"); got != want {
		t.Errorf("args\n got %s\nwant %s", got, want)
	}
	a, err = QEMU{Board: RPi4, Kernel: "K", DTB: "D", SMP: 4, Mem: "2G"}.Args()
	if err != nil || strings.Join(a, " ") != "-M raspi4b -dtb D -nographic -monitor none -serial stdio -semihosting -no-reboot -kernel K -append " {
		t.Errorf("raspi4b args %q, %v", a, err)
	}
	for _, tc := range []struct {
		q   QEMU
		msg string
	}{
		{QEMU{Board: QEMUVirt, Mem: "4G"}, "at most 3G"},
		{QEMU{Board: QEMUVirt, Mem: "lots"}, "bad -m value"},
		{QEMU{Board: QEMUVirt, GIC: 4}, "bad -gic"},
		{QEMU{Board: RPi4, DTB: "D", SMP: 2}, "always has 4 cores"},
		{QEMU{Board: RPi4, DTB: "D", Mem: "1G"}, "always has 2G"},
		{QEMU{Board: RPi4, DTB: "D", GIC: 3}, "only supported on the virt"},
		{QEMU{Board: RPi4, DTB: "D", Net: true}, "no network device"},
		{QEMU{Board: RPi4}, "needs a device tree"},
		{QEMU{Board: QEMUVirt, Net: true, Fwd: []string{"tcp::1-:2,x"}}, "bad port forward"},
	} {
		if _, err := tc.q.Args(); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: error %v, want %q", tc.q, err, tc.msg)
		}
	}
}

func TestWordsAndCmdline(t *testing.T) {
	w, err := Words([]string{"A=1", "yolk.quiet=1"}, []string{"-test.v=true", "x=y"})
	if err != nil || strings.Join(w, " ") != "A=1 yolk.quiet=1 -- -test.v=true x=y" {
		t.Errorf("Words: %q, %v", w, err)
	}
	if w, _ := Words([]string{"A=1"}, nil); strings.Join(w, " ") != "A=1" {
		t.Errorf("Words without args: %q", w)
	}
	for _, bad := range []string{"NOVALUE", "=x", "-x=1"} {
		if _, err := Words([]string{bad}, nil); err == nil {
			t.Errorf("Words accepted %q", bad)
		}
	}
	for _, bad := range []string{"", "a b", "a\tb", `a"b`} {
		if _, err := Cmdline([]string{bad}); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("Cmdline(%q): %v", bad, err)
		}
	}
	long := strings.Repeat("é", MaxCmdline/2)
	if _, err := Cmdline([]string{long}); err != nil {
		t.Errorf("%d bytes refused: %v", len(long), err)
	}
	if _, err := Cmdline([]string{long + "x"}); err == nil || !strings.Contains(err.Error(), "2049 bytes") {
		t.Errorf("2049 bytes: %v", err)
	}
}

func TestTestTimeout(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
		ok   bool
	}{
		{nil, 0, false},
		{[]string{"-test.timeout=10m0s"}, 10*time.Minute + 30*time.Second, true},
		{[]string{"--test.timeout", "1.5s"}, 31500 * time.Millisecond, true},
		{[]string{"-test.timeout=0s"}, 0, false},
		{[]string{"x", "-test.timeout=1s", "-test.timeout=2s"}, 32 * time.Second, true},
	} {
		d, ok, err := TestTimeout(tc.args)
		if err != nil || ok != tc.ok || d != tc.want {
			t.Errorf("TestTimeout(%q) = %v, %v, %v; want %v, %v", tc.args, d, ok, err, tc.want, tc.ok)
		}
	}
	if _, _, err := TestTimeout([]string{"-test.timeout=forever"}); err == nil {
		t.Error("no error for a bad duration")
	}
}

// LF turns "\r\n" into "\n" even when a write ends between the two, and
// keeps a lone "\r".
func TestLF(t *testing.T) {
	var out bytes.Buffer
	l := &LF{W: &out}
	for _, s := range []string{"a\r\nb\r", "\nc\rd\r", "\r\n", "e\r"} {
		l.Write([]byte(s))
	}
	l.Flush()
	if got := out.String(); got != "a\nb\nc\rd\r\ne\r" {
		t.Errorf("got %q", got)
	}
}

func TestSizes(t *testing.T) {
	for s, want := range map[string]uint64{"512M": 512 << 20, "1G": 1 << 30, "3g": 3 << 30, "256": 256 << 20, "64k": 64 << 10} {
		if n, err := ParseSize(s); err != nil || n != want {
			t.Errorf("ParseSize(%q) = %d, %v", s, n, err)
		}
	}
	for _, bad := range []string{"", "G", "1.5G", "-1G", "0"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if FormatSize(3<<30) != "3G" || FormatSize(1536<<20) != "1536M" {
		t.Error("FormatSize")
	}
}

func TestForward(t *testing.T) {
	for in, want := range map[string]string{
		"8080:80":                "tcp:127.0.0.1:8080-:80",
		"udp:8007:7":             "udp:127.0.0.1:8007-:7",
		"tcp:8443:443":           "tcp:127.0.0.1:8443-:443",
		"tcp:127.0.0.1:8080-:80": "tcp:127.0.0.1:8080-:80",
		"udp::5353-:53":          "udp::5353-:53",
	} {
		if got, err := Forward(in); err != nil || got != want {
			t.Errorf("Forward(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"8080", "80:0", "x:1:2", "tcp::1-:2,x", "99999:80", ""} {
		if _, err := Forward(bad); err == nil {
			t.Errorf("Forward(%q) accepted", bad)
		}
	}
}
