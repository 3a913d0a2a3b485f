//go:build !tamago

package rpi4

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeDisk adds a disk to a fake sysfs tree: /sys/block/NAME with its
// partitions, and the /sys/class/block links the kernel makes.
type fakeDisk struct {
	name      string
	removable bool
	sectors   int
	parts     int
	slaves    []string // for device-mapper devices
	holders   []string
	mmcType   string // device/type of an mmcblk disk: "SD" or "MMC"
}

func makeSysfs(t *testing.T, disks ...fakeDisk) string {
	t.Helper()
	sys := t.TempDir()
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		os.MkdirAll(filepath.Join(sys, "class/block"), 0o755)
		if err := os.Symlink(target, filepath.Join(sys, "class/block", name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range disks {
		dir := filepath.Join(sys, "block", d.name)
		rem := "0"
		if d.removable {
			rem = "1"
		}
		write(filepath.Join(dir, "removable"), rem+"\n")
		write(filepath.Join(dir, "size"), itoa(d.sectors)+"\n")
		write(filepath.Join(dir, "device/model"), "Fake Card Reader\n")
		if d.mmcType != "" {
			write(filepath.Join(dir, "device/type"), d.mmcType+"\n")
		}
		link(dir, d.name)
		for i := 1; i <= d.parts; i++ {
			p := d.name + itoa(i)
			if strings.HasPrefix(d.name, "mmcblk") {
				p = d.name + "p" + itoa(i)
			}
			write(filepath.Join(dir, p, "partition"), itoa(i)+"\n")
			link(filepath.Join(dir, p), p)
		}
		for _, s := range d.slaves {
			write(filepath.Join(dir, "slaves", s), "")
		}
		for _, h := range d.holders {
			write(filepath.Join(dir, "holders", h), "")
		}
	}
	return sys
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func sdDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"kernel8.img", "start4.elf", "fixup4.dat", "config.txt", "bcm2711-rpi-4-b.dtb"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
	}
	return dir
}

func flash(t *testing.T, sys, mounts string, args ...string) (string, int) {
	t.Helper()
	mf := filepath.Join(t.TempDir(), "mounts")
	os.WriteFile(mf, []byte(mounts), 0o644)
	cmd := exec.Command(filepath.Join(root, "board/rpi4/flash.sh"), args...)
	cmd.Env = append(os.Environ(), "SYSFS="+sys, "MOUNTS="+mf, "YES=", "DRY_RUN=")
	cmd.Stdin = nil // not a terminal
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

const rootMounts = "/dev/nvme0n1p2 / ext4 rw 0 0\nproc /proc proc rw 0 0\n"

func TestFlashRefuses(t *testing.T) {
	gb := 2 * 1024 * 1024 // sectors in a GiB
	sys := makeSysfs(t,
		fakeDisk{name: "nvme0n1", sectors: 500 * gb, parts: 2},
		fakeDisk{name: "sdz", sectors: 32 * gb, parts: 1},                  // not removable
		fakeDisk{name: "sdy", removable: true, sectors: 32 * gb, parts: 1}, // mounted
		fakeDisk{name: "sdx", removable: true, sectors: 32 * gb, parts: 2}, // holds / through dm-0
		fakeDisk{name: "dm-0", sectors: 30 * gb, slaves: []string{"sdx2"}},
		fakeDisk{name: "sdw", removable: true, sectors: 32 * gb, parts: 1, holders: []string{"dm-1"}},
		fakeDisk{name: "sdu", removable: true, sectors: 4096 * gb},            // too big
		fakeDisk{name: "sdv", removable: true, sectors: 32 * gb, parts: 1},    // fine
		fakeDisk{name: "mmcblk0", sectors: 16 * gb, parts: 1, mmcType: "SD"},  // SD card, no removable flag
		fakeDisk{name: "mmcblk1", sectors: 32 * gb, parts: 2, mmcType: "MMC"}, // built-in eMMC
	)
	sd := sdDir(t)
	for _, c := range []struct {
		name, mounts string
		args         []string
		code         int
		want         string
	}{
		{"non-removable", rootMounts, []string{"/dev/sdz", sd}, 1, "is not a removable device"},
		{"system disk", rootMounts, []string{"/dev/nvme0n1", sd}, 1, "is not a removable device"},
		{"partition", rootMounts, []string{"/dev/sdv1", sd}, 1, "is a partition"},
		{"mounted", rootMounts + "/dev/sdy1 /media/card vfat rw 0 0\n", []string{"/dev/sdy", sd}, 1, "is mounted: /dev/sdy1 on /media/card"},
		{"root disk", "/dev/dm-0 / ext4 rw 0 0\n", []string{"/dev/sdx", sd}, 1, "holds the root file system"},
		{"held", rootMounts, []string{"/dev/sdw", sd}, 1, "is in use"},
		{"too big", rootMounts, []string{"/dev/sdu", sd}, 1, "larger than 2 TiB"},
		{"missing", rootMounts, []string{"/dev/sdq", sd}, 1, "no such block device"},
		{"no image", rootMounts, []string{"/dev/sdv", t.TempDir()}, 1, "has no kernel8.img"},
		{"unconfirmed", rootMounts, []string{"/dev/sdv", sd}, 1, "not a terminal: confirm with YES=1"},
		{"dry run", rootMounts, []string{"-n", "/dev/sdv", sd}, 0, "About to ERASE /dev/sdv: Fake Card Reader, 32768 MiB"},
		{"sd card", rootMounts, []string{"-n", "/dev/mmcblk0", sd}, 0, "16384 MiB, SD card"},
		{"emmc", rootMounts, []string{"-n", "/dev/mmcblk1", sd}, 1, "is an MMC device of type MMC, not an SD card"},
	} {
		out, code := flash(t, sys, c.mounts, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output %q; want exit %d and %q", c.name, code, out, c.code, c.want)
		}
		if c.code != 0 && c.name != "unconfirmed" && strings.Contains(out, "About to ERASE") {
			t.Errorf("%s: refused only after announcing the erase:\n%s", c.name, out)
		}
	}
}

// The card's contents, as sdimage.sh writes them (flash.sh copies this
// image to the card): an MBR with one bootable FAT32 partition at 4 MiB
// holding every file of the SD directory, byte for byte.
func TestSDImage(t *testing.T) {
	for _, tool := range []string{"sfdisk", "mkfs.vfat", "mcopy", "mtype"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (packages fdisk, dosfstools, mtools): %v", tool, err)
		}
	}
	dir := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"kernel8.img", "start4.elf", "fixup4.dat", "config.txt", "cmdline.txt", "bcm2711-rpi-4-b.dtb"} {
		files[f] = "the contents of " + f + "\n" + strings.Repeat(f, 1000)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(files[f]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(t.TempDir(), "sd.img")
	if out, err := exec.Command(filepath.Join(root, "board/rpi4/sdimage.sh"), img, dir).CombinedOutput(); err != nil {
		t.Fatalf("sdimage.sh: %v\n%s", err, out)
	}
	dump, err := exec.Command("sfdisk", "--dump", img).Output()
	if err != nil {
		t.Fatalf("sfdisk --dump: %v", err)
	}
	if !regexp.MustCompile(`label: dos`).Match(dump) ||
		!regexp.MustCompile(`sd\.img1 : start= *8192, size= *524288, type=c, bootable`).Match(dump) ||
		regexp.MustCompile(`sd\.img2`).Match(dump) {
		t.Errorf("partition table:\n%s", dump)
	}
	part := img + "@@4194304"
	label, err := exec.Command("mlabel", "-s", "-i", part, "::").Output()
	if err != nil || !strings.Contains(string(label), "YOLK") {
		t.Errorf("volume label: %q, %v", label, err)
	}
	for f, want := range files {
		got, err := exec.Command("mtype", "-i", part, "::/"+f).Output()
		if err != nil || string(got) != want {
			t.Errorf("%s on the card: %d bytes, %v; want the %d bytes written", f, len(got), err, len(want))
		}
	}
	// The firmware reads FAT32 (type 0x0c): the boot sector says so.
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if bs := b[4194304:]; string(bs[82:90]) != "FAT32   " || bs[510] != 0x55 || bs[511] != 0xaa {
		t.Errorf("the partition's boot sector is not FAT32: %q", bs[82:90])
	}
	// Missing firmware files are refused before anything is written.
	os.Remove(filepath.Join(dir, "start4.elf"))
	out, err := exec.Command(filepath.Join(root, "board/rpi4/sdimage.sh"), img+".2", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "has no start4.elf") {
		t.Errorf("without start4.elf: %v, %s", err, out)
	}
	if _, err := os.Stat(img + ".2"); err == nil {
		t.Error("an image was written without start4.elf")
	}
}
