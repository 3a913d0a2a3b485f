//go:build !tamago

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/yolkos/yolk/bench/proto"
	ytarget "github.com/yolkos/yolk/internal/target"
)

const qemuBin = ytarget.QEMUBinary

// A target is one way of booting the guest: yolk or Linux, on 1 or 2
// cores, with yolk boot arguments that switch a mechanism off, or yolk on
// another board's machine.
type target struct {
	key      string // short name, e.g. yolk2
	label    string // column header
	linux    bool
	smp      int
	bootargs []string // yolk only
	board    string   // yolk only: "" for board/qemu-virt (-M virt), or rpi4Board (-M raspi4b)
	rows     []string // the guest rows it runs; nil: all
}

// runs reports whether t runs guest row.
func (t target) runs(row string) bool { return t.rows == nil || slices.Contains(t.rows, row) }

var targets = []target{
	{key: "yolk1", label: "yolk smp1", smp: 1},
	{key: "linux1", label: "linux smp1", linux: true, smp: 1},
	{key: "yolk2", label: "yolk smp2", smp: 2},
	{key: "linux2", label: "linux smp2", linux: true, smp: 2},
	{key: "yolk2cpus1", label: "yolk smp2 yolk.cpus=1", smp: 2, bootargs: []string{"yolk.cpus=1"}},
	{key: "yolk2poll", label: "yolk smp2 yolk.idle=poll", smp: 2, bootargs: []string{"yolk.idle=poll"}},
	// The network data path's mechanisms, each switched off on its own.
	{key: "yolk2nooffload", label: "yolk smp2 yolk.netoffload=off", smp: 2, bootargs: []string{"yolk.netoffload=off"}, rows: []string{"netserve"}},
	{key: "yolk2nobatch", label: "yolk smp2 yolk.netbatch=off", smp: 2, bootargs: []string{"yolk.netbatch=off"}, rows: []string{"netserve"}},
	{key: "yolk2exactclock", label: "yolk smp2 yolk.netclock=exact", smp: 2, bootargs: []string{"yolk.netclock=exact"}, rows: []string{"netserve"}},
	{key: "yolk2gvisorclose", label: "yolk smp2 yolk.netclose=gvisor", smp: 2, bootargs: []string{"yolk.netclose=gvisor"}, rows: []string{"netserve"}},
	// The scheduler's mechanisms, each switched off on its own, on the
	// rows it acts on (the idle row where it could cost an idle guest).
	{key: "yolk2nohaltpoll", label: "yolk smp2 yolk.haltpoll=off", smp: 2, bootargs: []string{"yolk.haltpoll=off"},
		rows: []string{"sleep", "timers", "wakeup", "idle"}},
	{key: "yolk2spin", label: "yolk smp2 yolk.wait=spin", smp: 2, bootargs: []string{"yolk.wait=spin"},
		rows: []string{"gc"}},
	{key: "yolk2tickkick", label: "yolk smp2 yolk.kick=tick", smp: 2, bootargs: []string{"yolk.kick=tick"},
		rows: []string{"spawn", "parallel", "timers"}},
	// Four guest cores: more than this machine's host CPUs when it has
	// fewer (the report says so); no network rows (time budget).
	{key: "yolk4", label: "yolk smp4", smp: 4, rows: smp4Rows},
	{key: "linux4", label: "linux smp4", linux: true, smp: 4, rows: smp4Rows},
	{key: "yolk4spin", label: "yolk smp4 yolk.wait=spin", smp: 4, bootargs: []string{"yolk.wait=spin"},
		rows: []string{"parallel", "timers", "gc"}},
	// QEMU's raspi4b has 4 cores, a fixed amount of RAM and no network.
	{key: "rpi4", label: "yolk raspi4b smp4", smp: 4, board: rpi4Board},
}

// smp4Rows are the rows of the -smp 4 targets: all but the network's.
var smp4Rows = []string{"spawn", "pingpong_same", "pingpong_cross", "parallel", "sleep", "timers", "gc", "wakeup", "idle"}

func targetByKey(key string) (target, bool) {
	for _, t := range targets {
		if t.key == key {
			return t, true
		}
	}
	return target{}, false
}

// qemuArgs is the QEMU command line for t booting kernel (yolk: the
// guest's ELF, on raspi4b its kernel8.img; Linux: the kernel's image and
// initrd, the initramfs) and running the guest with guestArgs. With
// forwards (the network rows), the machine gets a virtio-net device on
// QEMU's user network with those ports forwarded. The machine (everything
// up to -kernel) comes from internal/target and is the same for yolk and
// Linux on virt. raspi4b is a fixed machine (4 cores, its own RAM and
// device tree, no network device, so no forwards).
func (t target) qemuArgs(kernel, initrd string, fwd []hostFwd, guestArgs []string) []string {
	q := ytarget.QEMU{Board: ytarget.QEMUVirt, SMP: t.smp, Mem: "1G", Kernel: kernel}
	if t.linux {
		q.Initrd = initrd
	}
	if t.board == rpi4Board {
		q = ytarget.QEMU{Board: ytarget.RPi4, Kernel: kernel, DTB: ytarget.RPi4.DTB}
		fwd = nil
	}
	for _, f := range fwd {
		q.Net = true
		q.Fwd = append(q.Fwd, fmt.Sprintf("tcp:127.0.0.1:%d-:%d", f.host, f.guest))
	}
	// Both kernels pass the words after "--" to the program as arguments.
	cmdline := append([]string{ytarget.Quiet}, t.bootargs...)
	if t.linux {
		cmdline = []string{"console=ttyAMA0", "quiet", "panic=-1"}
	}
	q.Cmdline = strings.Join(append(append(cmdline, "--"), guestArgs...), " ")
	a, err := q.Args()
	if err != nil {
		panic(fmt.Sprintf("harness: QEMU command line for %s: %v", t.key, err))
	}
	return a
}

// shellJoin quotes args for display as a shell command.
func shellJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:") == "" {
			b.WriteString(a)
		} else {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
		}
	}
	return b.String()
}

// bootOut is what one boot produced.
type bootOut struct {
	sess     proto.Session
	ready    time.Duration // QEMU start to the READY line; 0 if none
	idlePct  float64       // host CPU while idle, % of a host core per guest core
	idleErr  error         // why idlePct is missing, when the guest went idle
	timedOut bool
	status   string   // how QEMU ended
	tail     []string // the last lines of output
	served   bool     // the guest printed SERVING and net holds the measurements
	net      netOut
}

// failure says why the boot's results are incomplete, or "".
func (b *bootOut) failure() string {
	err := b.sess.Err()
	switch {
	case b.timedOut:
		return fmt.Sprintf("timed out (%v)", err)
	case err != nil:
		return fmt.Sprintf("%v; QEMU %s", err, b.status)
	}
	return ""
}

// failureDetail is failure with the last lines of output.
func (b *bootOut) failureDetail() string {
	f := b.failure()
	if f != "" && len(b.tail) > 0 {
		f += "; last output: " + strings.Join(b.tail[max(0, len(b.tail)-3):], " | ")
	}
	return f
}

// A bootSpec says how to run one boot.
type bootSpec struct {
	args       []string      // QEMU's arguments
	timeout    time.Duration // QEMU is killed after this long
	idleWindow time.Duration // QEMU's CPU time is sampled this long from IDLE
	smp        int           // guest cores
	// serve, if set, runs at the SERVING line with the guest's process id
	// and services (the network rows); it ends the guest's serving.
	serve func(pid int, serving map[string]int) netOut
}

// boot runs QEMU as spec says until it exits, or kills it after the
// timeout. An error is a harness failure (QEMU could not be started);
// guest failures are in bootOut.
func boot(spec bootSpec) (*bootOut, error) {
	return runGuest(exec.Command(qemuBin, spec.args...), spec)
}

// runGuest runs cmd, QEMU or (in tests) the guest program itself, and
// follows its output through the protocol: at IDLE it samples the
// process's CPU time over spec.idleWindow, at SERVING it runs spec.serve.
func runGuest(cmd *exec.Cmd, spec bootSpec) (*bootOut, error) {
	out := &bootOut{}
	setProcAttr(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var timedOut atomic.Bool
	timer := time.AfterFunc(spec.timeout, func() {
		timedOut.Store(true)
		cmd.Process.Kill()
	})
	defer timer.Stop()
	var idle chan error
	var served chan netOut
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		out.tail = append(out.tail, line)
		if len(out.tail) > 8 {
			out.tail = out.tail[1:]
		}
		switch out.sess.Feed(line) {
		case proto.Ready:
			out.ready = time.Since(start)
		case proto.Idle:
			if idle == nil {
				idle = make(chan error, 1)
				go func() {
					var err error
					out.idlePct, err = sampleIdle(cmd.Process.Pid, spec.idleWindow, spec.smp)
					idle <- err
				}()
			}
		case proto.Serving:
			if served == nil && spec.serve != nil {
				served = make(chan netOut, 1)
				serving := out.sess.Serving
				go func() {
					served <- spec.serve(cmd.Process.Pid, serving)
					// The guest stops serving and ends next.
					timer.Reset(20 * time.Second)
				}()
			}
		case proto.Done:
			// The guest ends the machine next; do not wait long for it.
			timer.Reset(15 * time.Second)
		}
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if idle != nil {
		out.idleErr = <-idle
	}
	if served != nil {
		out.net = <-served
		out.served = true
	}
	out.timedOut = timedOut.Load()
	out.status = "exit status 0"
	if err != nil {
		out.status = err.Error()
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		out.tail = append(out.tail, "qemu: "+s)
	}
	return out, nil
}

// sampleIdle measures the CPU time the process pid uses over window, as
// a percentage of one host core per guest core.
func sampleIdle(pid int, window time.Duration, smp int) (float64, error) {
	t0, err := processCPU(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(window)
	t1, err := processCPU(pid)
	if err != nil {
		return 0, fmt.Errorf("QEMU ended during the idle window: %v", err)
	}
	used := time.Duration(t1.since(t0))
	return 100 * used.Seconds() / time.Since(start).Seconds() / float64(smp), nil
}

// cpuTimes holds CPU time in ns by thread id ("" for the whole process).
type cpuTimes map[string]int64

// since is the CPU time used between b and a by the threads alive at a.
func (a cpuTimes) since(b cpuTimes) int64 {
	var sum int64
	for id, ns := range a {
		sum += ns - b[id]
	}
	return sum
}

// processCPU reads the CPU time of process pid: its threads' run times in
// ns from /proc/<pid>/task/*/schedstat (a thread that ends between two
// readings takes its time with it, which QEMU's long-lived threads do
// not), or, without schedstat, utime+stime from /proc/<pid>/stat, in
// clock ticks of 10 ms.
func processCPU(pid int) (cpuTimes, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	if tasks, err := os.ReadDir(dir); err == nil {
		t := cpuTimes{}
		for _, task := range tasks {
			b, err := os.ReadFile(dir + "/" + task.Name() + "/schedstat")
			if f := strings.Fields(string(b)); err == nil && len(f) == 3 {
				if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					t[task.Name()] = ns
				}
			}
		}
		if len(t) > 0 {
			return t, nil
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	ticks, err := statCPUTicks(string(b))
	return cpuTimes{"": ticks * (1e9 / clockTicks)}, err
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times.
const clockTicks = 100

// statCPUTicks returns utime+stime (fields 14 and 15) of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces and parentheses, so fields count from the last ')'.
func statCPUTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bad /proc/<pid>/stat: no ')'")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("bad /proc/<pid>/stat: too few fields")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("bad /proc/<pid>/stat: %v", err)
	}
	return u + s, nil
}

// statBusy adds up the busy times of the "cpu" line of /proc/stat: user,
// nice, system, irq, softirq, steal (guest time is part of user).
func statBusy(stat string) (time.Duration, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("bad /proc/stat")
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, errors.New("bad /proc/stat")
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / clockTicks), nil
}

// A cpuMeter measures how much CPU time other processes take on the host.
type cpuMeter struct {
	host, ours time.Duration
	at         time.Time
	err        error
}

func startMeter() cpuMeter {
	m := cpuMeter{at: time.Now()}
	m.host, m.ours, m.err = cpuUse()
	return m
}

// others is the average number of host CPUs that processes other than the
// harness and its children kept busy since m started.
func (m cpuMeter) others() (float64, bool) {
	host, ours, err := cpuUse()
	if err != nil || m.err != nil {
		return 0, false
	}
	busy := (host - m.host) - (ours - m.ours)
	return max(busy.Seconds(), 0) / time.Since(m.at).Seconds(), true
}
