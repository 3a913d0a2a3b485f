//go:build !tamago

// Command harness runs the benchmarks of bench/guest on yolk and on Linux
// under QEMU, side by side, and on yolk built for board/rpi4 on QEMU's
// raspi4b (its own table: no Linux guest, no network rows), and writes the
// tables and the chart:
//
//	go run ./bench/harness [-quick] [-only yolk|linux] [-kernel IMAGE] [-rows a,b] [-budget 14m] [-doc FILE]
//	go run ./bench/harness -soak 10m   (make soak: see soak.go)
//	go run ./bench/harness -bursts     (make bursts: see burst.go)
//
// The network rows come from the guest row netserve (-rows netserve runs
// only them); see net.go.
//
// `make bench` runs it (QUICK=1 adds -quick; YOLK_BENCH_ONLY=yolk stands
// for -only yolk). A full run writes docs/BENCHMARKS.md and
// docs/benchmarks.svg, a quick one the same under build/bench. It exits
// non-zero only when the harness itself fails (a build, QEMU missing, no
// guest reaching main at all); guest failures, timeouts and a missing
// Linux kernel are reported as skipped or failed rows.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// guestRows are the guest's rows, one boot each, in the order they run.
var guestRows = []string{"spawn", "pingpong_same", "pingpong_cross", "parallel", "sleep", "timers", "gc", "wakeup", "idle", "netserve"}

// The netserve guest's static address and gateway: QEMU user networking's
// defaults (the gateway, which forwarded connections do not need, is the
// host).
const (
	guestIP = "10.0.2.15/24"
	guestGW = "10.0.2.2"
)

type options struct {
	quick  bool
	strict bool
	rt     bool
	only   string
	kernel string
	rows   []string
	budget time.Duration
	doc    string
	soak   time.Duration
	bursts bool
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "a few seconds per row: fewer repetitions, a 2 s idle window")
	flag.BoolVar(&o.strict, "strict", false, "exit non-zero if a row failed, or was skipped for want of a kernel, an image or time (CI)")
	flag.BoolVar(&o.rt, "rt", false, "run the harness, its load and QEMU at real-time priority (chrt -r), isolated from other processes' load")
	flag.StringVar(&o.only, "only", os.Getenv("YOLK_BENCH_ONLY"), "run only the `yolk` or the `linux` guests (env YOLK_BENCH_ONLY)")
	flag.StringVar(&o.kernel, "kernel", "", "arm64 Linux kernel `image` to boot instead of Debian's linux-image-arm64")
	rows := flag.String("rows", "", "comma-separated guest rows to run (default all: "+strings.Join(guestRows, ",")+")")
	flag.DurationVar(&o.budget, "budget", 40*time.Minute, "the whole run's time limit: no boot starts that could end after it")
	flag.StringVar(&o.doc, "doc", "", "report to write (default docs/BENCHMARKS.md, with -quick "+buildDir+"/BENCHMARKS-quick.md)")
	flag.DurationVar(&o.soak, "soak", 0, "instead of the benchmarks, keep the default application (cmd/demo) under load for this long and check it for errors, stalls and growth (make soak)")
	flag.BoolVar(&o.bursts, "bursts", false, "instead of the benchmarks, run the connection bursts on yolk and Linux and write docs/BURSTS.md (make bursts; with -quick, smaller ones)")
	flag.Parse()
	switch {
	case o.bursts:
		if err := runBursts(o.quick, o.kernel); err != nil {
			fatal(err)
		}
		return
	case o.soak > 0:
		if err := runSoak(o.soak); err != nil {
			fatal(err)
		}
		return
	}
	o.rows = guestRows
	if *rows != "" {
		o.rows = strings.Split(*rows, ",")
		for _, r := range o.rows {
			if !slices.Contains(guestRows, r) {
				fatal(fmt.Errorf("unknown row %q (rows: %s)", r, strings.Join(guestRows, ", ")))
			}
		}
	}
	if o.only != "" && o.only != "yolk" && o.only != "linux" {
		fatal(fmt.Errorf("-only %q: want yolk or linux", o.only))
	}
	if o.doc == "" {
		o.doc = "docs/BENCHMARKS.md"
		if o.quick {
			o.doc = buildDir + "/BENCHMARKS-quick.md"
		}
	}
	if o.rt && os.Getenv(rtEnv) == "" {
		if err := reexecRealTime(); err != nil {
			fatal(err)
		}
	}
	if err := run(o); err != nil {
		fatal(err)
	}
}

// rtEnv marks the harness re-executed at real-time priority.
const rtEnv = "YOLK_BENCH_RT"

// reexecRealTime runs the harness again under chrt -r, so that it, its
// load goroutines and the QEMU processes it starts get the CPUs before
// any ordinary process; the kernel's real-time throttling still leaves
// the others 5%. It returns only on failure.
func reexecRealTime() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	chrt, err := exec.LookPath("chrt")
	if err != nil {
		return fmt.Errorf("-rt needs chrt (util-linux): %v", err)
	}
	if out, err := exec.Command(chrt, "-r", "10", "true").CombinedOutput(); err != nil {
		return fmt.Errorf("-rt: chrt -r 10 is refused (it needs CAP_SYS_NICE; run as root): %v %s", err, out)
	}
	env := append(os.Environ(), rtEnv+"=1")
	return syscall.Exec(chrt, append([]string{chrt, "-r", "10", self}, os.Args[1:]...), env)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func progress(format string, args ...any) {
	fmt.Printf("bench: "+format+"\n", args...)
}

func run(o options) error {
	start := time.Now()
	if err := enterRoot(); err != nil {
		return err
	}
	qemuVersion, err := command(nil, qemuBin, "--version")
	if err != nil {
		return fmt.Errorf("%s is needed: %v", qemuBin, err)
	}
	r := &report{quick: o.quick, date: start, hostCPUs: runtime.NumCPU()}
	r.env = [][2]string{
		{"QEMU", firstLine(strings.TrimSpace(qemuVersion))},
		{"host scheduling", hostScheduling()},
		{"host CPU", hostCPU()},
		{"Go", runtime.Version() + " (Linux guest), " + tamagoVersion() + " (yolk guest)"},
	}
	// What else runs on the host takes CPU time from QEMU.
	meter := startMeter()
	time.Sleep(time.Second)
	if others, ok := meter.others(); ok && others > 0.2 {
		progress("warning: other processes keep %.2f of the host's %d CPUs busy: they disturb the results", others, runtime.NumCPU())
	}
	meter = startMeter()

	run, kernel, err := prepare(o, r)
	if err != nil {
		return err
	}
	// The network rows boot images of their own.
	imagesOf := func(t target, row string) (image, initrd string) {
		switch {
		case t.linux && row == "netserve":
			return kernel, initramfsNet
		case t.linux:
			return kernel, initramfs
		case t.board == rpi4Board:
			return rpi4Image, ""
		case row == "netserve":
			return yolkNetImage, ""
		}
		return yolkImage, ""
	}
	type job struct {
		t   target
		row string
	}
	var jobs []job
	for _, t := range run {
		image, initrd := imagesOf(t, "<row>")
		r.cmdlines = append(r.cmdlines, [2]string{t.label,
			qemuBin + " " + shellJoin(t.qemuArgs(image, initrd, nil, guestArgs(o, "<row>")))})
		for _, row := range o.rows {
			if !t.runs(row) {
				continue
			}
			if row == "pingpong_cross" && t.smp < 2 {
				r.notes = append(r.notes, note{t.key, row, "skipped", "one core (-smp 1)"})
				continue
			}
			if row == "netserve" && r.skipped(t.key, row) {
				continue // prepare said why
			}
			for range bootsFor(row, o.quick) {
				jobs = append(jobs, job{t, row})
			}
		}
		size := fileSize(yolkImage)
		switch {
		case t.linux:
			size = fileSize(kernel) + fileSize(initramfs)
		case t.board == rpi4Board:
			size = fileSize(rpi4Image)
		}
		// A target of the network rows alone adds their image size only.
		if t.rows == nil || slices.ContainsFunc(t.rows, func(row string) bool { return row != "netserve" }) {
			r.add(t.key, "image_size", float64(size))
		}
		if slices.Contains(o.rows, "netserve") && t.runs("netserve") && !r.skipped(t.key, "netserve") {
			image, initrd := imagesOf(t, "netserve")
			r.add(t.key, "image_size_net", float64(fileSize(image)+fileSize(initrd)))
		}
	}

	netCfg := netConfigFor(o.quick, idleWindow(o))
	booted := 0 // boots that reached READY
	netCmdline := map[string]bool{}
	for i, j := range jobs {
		prefix := fmt.Sprintf("[%2d/%d] %-26s %-15s", i+1, len(jobs), j.t.label, j.row)
		// A boot starts only if it ends within the budget even at its
		// time limit: the whole run then ends within it too.
		if left, need := o.budget-time.Since(start), bootTimeout(o, j.row, netCfg); left < need {
			why := fmt.Sprintf("time budget: %v of -budget %v left, the boot may take %v", left.Round(time.Second), o.budget, need)
			progress("%s skipped: %s", prefix, why)
			r.skipMissing(j.t.key, j.row, why)
			continue
		}
		// Every boot gets its own spec: a network row, its own free ports
		// and capture (stall.go).
		var capFile string
		spec := func() (bootSpec, error) {
			image, initrd := imagesOf(j.t, j.row)
			spec := bootSpec{timeout: bootTimeout(o, j.row, netCfg), idleWindow: idleWindow(o), smp: j.t.smp}
			var fwd []hostFwd
			if j.row == "netserve" {
				var err error
				if fwd, err = netForwards(); err != nil {
					return spec, err
				}
				if capFile, err = newCaptureFile(j.t.key); err != nil {
					return spec, err
				}
				capFile := capFile
				spec.serve = func(pid int, serving map[string]int) netOut {
					addrs, err := serviceAddrs(serving, fwd)
					if err != nil {
						return netOut{errs: []string{err.Error()}}
					}
					trace := startCPUTrace(pid)
					out := runNet(netCfg, pid, j.t.smp, addrs)
					trace.Stop()
					out.verdicts, out.capture, out.captureErr = classifyStalls(capFile, out.stalls, fwd, trace)
					return out
				}
			}
			spec.args = j.t.qemuArgs(image, initrd, fwd, guestArgs(o, j.row))
			if capFile != "" {
				spec.args = append(spec.args, captureArgs(capFile)...)
			}
			if j.row == "netserve" && !netCmdline[j.t.key] {
				netCmdline[j.t.key] = true
				r.cmdlines = append(r.cmdlines, [2]string{j.t.label + ", netserve (host ports vary per boot)",
					qemuBin + " " + shellJoin(spec.args)})
			}
			return spec, nil
		}
		t0 := time.Now()
		sp, err := spec()
		if err != nil {
			return err
		}
		b, err := boot(sp)
		// Once more after a failure that was not a timeout (something may
		// have killed QEMU); only the second boot's results count.
		if err == nil && b.failure() != "" && !b.timedOut {
			progress("%s %5.1fs  failed, once more: %s", prefix, time.Since(t0).Seconds(), b.failure())
			r.notes = append(r.notes, note{j.t.key, j.row, "retried", b.failureDetail()})
			t0 = time.Now()
			if sp, err = spec(); err != nil {
				return err
			}
			b, err = boot(sp)
		}
		if err != nil {
			return fmt.Errorf("starting %s: %v", qemuBin, err)
		}
		if !b.served && capFile != "" {
			os.Remove(capFile) // nothing measured, nothing to classify
		}
		if b.ready > 0 {
			booted++
		}
		status := record(r, j.t, j.row, b)
		progress("%s %5.1fs  %s", prefix, time.Since(t0).Seconds(), status)
	}
	r.elapsed = time.Since(start)
	if others, ok := meter.others(); ok {
		r.env = append(r.env, [2]string{"other processes on the host",
			fmt.Sprintf("%.2f of its %d CPUs busy on average during the run", others, runtime.NumCPU())})
		if others > 0.2 {
			w := fmt.Sprintf("other processes kept %.2f of the host's %d CPUs busy: they took CPU time from QEMU and disturbed the results", others, runtime.NumCPU())
			progress("warning: %s", w)
			r.env = append(r.env, [2]string{"warning", w})
		}
	}

	fmt.Println()
	r.writeText(os.Stdout)
	if err := writeReport(r, o.doc); err != nil {
		return err
	}
	progress("wrote %s and %s in %v", o.doc, chartPath(o.doc), r.elapsed.Round(time.Second))
	if booted == 0 && len(jobs) > 0 {
		return errors.New("no guest reached main")
	}
	if o.strict {
		if p := r.strictProblems(); len(p) > 0 {
			return fmt.Errorf("-strict: %d row(s) failed or could not run:\n  %s", len(p), strings.Join(p, "\n  "))
		}
	}
	return nil
}

// prepare builds the guests and gets the Linux kernel, and returns the
// targets that can run. Without a kernel the Linux targets are skipped;
// a build that fails is an error, except for the network rows' images
// (their rows are skipped then) and the raspi4b image (its target's rows
// fail), with the reason. raspi4b has no network rows.
func prepare(o options, r *report) (run []target, kernel string, err error) {
	for _, t := range targets {
		if o.only == "yolk" && t.linux || o.only == "linux" && !t.linux {
			r.notes = append(r.notes, note{t.key, "", "skipped", "-only " + o.only})
		} else {
			run = append(run, t)
		}
	}
	netRows := slices.Contains(o.rows, "netserve")
	if netRows {
		for _, t := range run {
			if t.board == rpi4Board {
				progress("  skipping the network rows on %s: %s", rpi4Machine, rpi4NoNet)
				r.notes = append(r.notes, note{t.key, "netserve", "skipped", rpi4NoNet})
			}
		}
	}
	skipNet := func(linux bool, reason string) {
		progress("  skipping the network rows on %s: %s", map[bool]string{false: "yolk", true: "Linux"}[linux], reason)
		for _, t := range run {
			if t.linux == linux && t.runs("netserve") && !r.skipped(t.key, "netserve") {
				r.skipMissing(t.key, "netserve", reason)
			}
		}
	}
	var sizes []string
	if slices.ContainsFunc(run, func(t target) bool { return !t.linux && t.board == "" }) {
		progress("building the yolk guest (%s, board/qemu-virt)", yolkImage)
		if err := buildYolk(yolkImage, ""); err != nil {
			return nil, "", err
		}
		sizes = append(sizes, fmt.Sprintf("yolk ELF %d bytes", fileSize(yolkImage)))
		if netRows {
			progress("building the yolk guest with networking (%s, -tags %s)", yolkNetImage, netTag)
			if err := buildYolk(yolkNetImage, netTag); err != nil {
				skipNet(false, "the yolk guest with networking (board/qemu-virt/network) does not build: "+buildError(err))
			} else {
				sizes = append(sizes, fmt.Sprintf("with networking %d bytes", fileSize(yolkNetImage)))
			}
		}
	}
	if slices.ContainsFunc(run, func(t target) bool { return t.board == rpi4Board }) {
		// A guest that does not build for board/rpi4 fails its target's
		// rows, with the reason; the other targets still run.
		progress("building the yolk guest for board/rpi4 (%s, %s)", rpi4Image, rpi4Machine)
		if err := buildRPi4(rpi4ELF, rpi4Image); err != nil {
			reason := "the raspi4b image (board/rpi4) does not build: " + buildError(err)
			progress("  %s", reason)
			run = slices.DeleteFunc(run, func(t target) bool {
				if t.board == rpi4Board {
					r.notes = append(r.notes, note{t.key, "", "failed", reason})
				}
				return t.board == rpi4Board
			})
		} else {
			sizes = append(sizes, fmt.Sprintf("yolk raspi4b kernel8.img %d bytes", fileSize(rpi4Image)))
		}
	}
	if slices.ContainsFunc(run, func(t target) bool { return t.linux }) {
		progress("building the Linux guest (%s as /init of %s)", linuxGuest, initramfs)
		if err := buildLinux(linuxGuest, initramfs, ""); err != nil {
			return nil, "", err
		}
		kernel = o.kernel
		pkg, modules := "given with -kernel", ""
		var modErr error
		if kernel == "" {
			progress("getting the Linux kernel (Debian %s, cached in %s)", kernelMeta, kernelDir)
			kernel, pkg, modules, modErr, err = linuxKernel(func(s string) { progress("  %s", s) })
		} else if fileSize(kernel) == 0 {
			err = fmt.Errorf("-kernel %s: no such file or empty", kernel)
		}
		if err != nil {
			progress("no Linux kernel, skipping the Linux guests: %v", err)
			reason := "no Linux kernel: " + firstLine(err.Error())
			run = slices.DeleteFunc(run, func(t target) bool {
				if t.linux {
					r.skipMissing(t.key, "", reason)
				}
				return t.linux
			})
			return run, "", nil
		}
		r.env = append(r.env, [2]string{"Linux kernel", pkg})
		sizes = append(sizes, fmt.Sprintf("Linux kernel %d bytes + initramfs %d bytes (guest binary %d bytes)",
			fileSize(kernel), fileSize(initramfs), fileSize(linuxGuest)))
		if netRows {
			// With -kernel, no modules: the kernel must have the drivers
			// built in (the guest says so if it has not).
			var mods []cpioEntry
			if modErr != nil {
				skipNet(true, "no virtio-net modules for the Linux kernel: "+firstLine(modErr.Error()))
			} else if modules != "" {
				if mods, err = moduleEntries(modules); err != nil {
					return nil, "", err
				}
			}
			if modErr == nil {
				progress("building the Linux guest with networking (%s as /init of %s, with %d modules)", linuxNetGuest, initramfsNet, max(len(mods)-2, 0))
				if err := buildLinux(linuxNetGuest, initramfsNet, netTag, mods...); err != nil {
					return nil, "", err
				}
				sizes = append(sizes, fmt.Sprintf("with networking: initramfs %d bytes", fileSize(initramfsNet)))
			}
		}
	}
	r.env = append(r.env, [2]string{"images", strings.Join(sizes, "; ")})
	return run, kernel, nil
}

// buildError is the gist of a failed build: its first lines of output.
func buildError(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	return strings.Join(lines[:min(len(lines), 4)], " | ")
}

// guestArgs is the guest's command line for one boot running row.
func guestArgs(o options, row string) []string {
	var a []string
	if o.quick {
		a = append(a, "-quick")
	}
	switch row {
	case "idle":
		a = append(a, "-idle", idleWindow(o).String())
	case "netserve":
		// The guest stops by itself, should the harness not ask it to.
		serve := netConfigFor(o.quick, idleWindow(o)).budget + time.Minute
		a = append(a, "-ip", guestIP, "-gw", guestGW, "-serve", serve.String())
	}
	return append(a, row)
}

// bootTimeout is how long a boot running row may take. The slowest boot
// of the other rows (Linux, -smp 2, gc) takes about 10 s.
func bootTimeout(o options, row string, net netConfig) time.Duration {
	t := 60 * time.Second
	if o.quick {
		t = 30 * time.Second
	}
	switch row {
	case "idle":
		t += idleWindow(o)
	case "netserve":
		t += net.budget + 30*time.Second
	}
	return t
}

// idleWindow is how long the harness measures an idle guest.
func idleWindow(o options) time.Duration {
	if o.quick {
		return 2 * time.Second
	}
	return 10 * time.Second
}

// record adds one boot's results to r and returns a status for the
// progress line. The network rows' boots (their own images) give no boot
// times.
func record(r *report, t target, row string, b *bootOut) string {
	s := &b.sess
	if b.ready > 0 && row != "netserve" {
		r.add(t.key, "boot_host", float64(b.ready.Nanoseconds()))
	}
	if s.BootNS > 0 && row != "netserve" {
		r.add(t.key, "boot_guest", float64(s.BootNS))
	}
	for _, res := range s.Results {
		r.add(t.key, res.Name, res.Value)
	}
	for _, n := range s.Skips {
		r.notes = append(r.notes, note{t.key, n.Name, "skipped", n.Reason})
	}
	for _, n := range s.Fails {
		r.notes = append(r.notes, note{t.key, n.Name, "failed", n.Reason})
	}
	status := "ok"
	if row == "idle" && s.Ready {
		if b.idleErr == nil && s.Done {
			r.add(t.key, "idle_cpu", b.idlePct)
			status = fmt.Sprintf("ok, idle %.1f%%", b.idlePct)
		} else if b.idleErr != nil {
			r.notes = append(r.notes, note{t.key, row, "failed", b.idleErr.Error()})
		}
	}
	if row == "netserve" {
		switch {
		case b.served:
			for _, res := range b.net.results {
				r.add(t.key, res.Name, res.Value)
			}
			for _, e := range b.net.errs {
				r.notes = append(r.notes, note{t.key, row, "failed", e})
			}
			noteStalls(r, t, row, b.net)
			status = "ok, " + b.net.status()
		case s.Ready && s.Done && len(s.Skips)+len(s.Fails) == 0:
			r.notes = append(r.notes, note{t.key, row, "failed", "the guest ended without serving"})
			status = "FAILED: the guest ended without serving"
		case len(s.Skips) > 0:
			status = "not served: " + s.Skips[0].Reason
		case len(s.Fails) > 0:
			status = "not served: " + s.Fails[0].Reason
		}
	}
	if f := b.failure(); f != "" {
		r.notes = append(r.notes, note{t.key, row, "failed", b.failureDetail()})
		status = "FAILED: " + f
	}
	if len(s.Bad) > 0 {
		status += fmt.Sprintf(" (%d malformed lines: %s)", len(s.Bad), s.Bad[0])
	}
	return status
}

// bootsFor is how many boots run row: the guest repeats every other row
// itself, but an idle window gives one sample a boot.
func bootsFor(row string, quick bool) int {
	if row == "idle" && !quick {
		return 3
	}
	return 1
}

func chartPath(doc string) string {
	return filepath.Join(filepath.Dir(doc), "benchmarks.svg")
}

func writeReport(r *report, doc string) error {
	if err := os.MkdirAll(filepath.Dir(doc), 0o755); err != nil {
		return err
	}
	var md, svg bytes.Buffer
	r.writeMarkdown(&md, filepath.Base(chartPath(doc)))
	if err := r.writeSVG(&svg); err != nil {
		return err
	}
	return errors.Join(os.WriteFile(doc, md.Bytes(), 0o644), os.WriteFile(chartPath(doc), svg.Bytes(), 0o644))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// hostCPU is the model name from /proc/cpuinfo and the number of CPUs.
func hostCPU() string {
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs (%s/%s)", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// hostScheduling says how the host schedules the harness and QEMU.
func hostScheduling() string {
	if os.Getenv(rtEnv) != "" {
		return "real time (SCHED_RR, priority 10, `-rt`) for the harness, its load and QEMU: other processes get only what the kernel's real-time throttling leaves them"
	}
	return "ordinary (CFS), shared with whatever else runs"
}

func tamagoVersion() string {
	out, err := command(nil, "go", "tool", "tamago", "version")
	if err != nil {
		return "unknown"
	}
	// "go version go1.26.0 linux/amd64"
	if f := strings.Fields(out); len(f) >= 3 {
		return "tamago-" + f[2]
	}
	return "unknown"
}
