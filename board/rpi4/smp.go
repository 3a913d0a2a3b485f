//go:build tamago

package rpi4

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/gic"
	"github.com/yolkos/yolk/sched"
)

// Interrupts is the interrupt controller (the GIC-400).
var Interrupts *gic.Controller

// setupInterrupts brings up the GIC and the scheduler glue on the boot
// core (from hwinit1, before any package initialiser runs).
func setupInterrupts() {
	if Machine.GIC == nil || Machine.Timer == nil {
		fatal("device tree: no interrupt controller or no generic timer")
	}
	var err error
	if Interrupts, err = gic.New(*Machine.GIC); err != nil {
		fatal(err.Error())
	}
	Interrupts.Init()
	Interrupts.InitCPU()
	exception.IRQ = Interrupts.Dispatch
	cfg := sched.DefaultConfig
	if d, ok := bootDuration("yolk.quantum"); ok {
		cfg.Quantum = d
	}
	if d, ok := bootDuration("yolk.tick"); ok {
		cfg.Tick = d
	}
	switch v, _ := bootArg("yolk.idle"); v {
	case "", "wfi":
	case "poll":
		cfg.IdlePoll = true
	default:
		fatal("bootarg yolk.idle=" + v + ": want wfi or poll")
	}
	sched.Setup(Interrupts, Machine.Timer.Virtual, cfg)
}

// startCores releases the other cores through their spin tables (at most
// yolk.cpus in all) and gives the Go scheduler one P per core.
func startCores() error {
	max := len(Machine.CPUs)
	if v, ok := bootArg("yolk.cpus"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("bootarg yolk.cpus=%q: want a positive number", v)
		}
		max = min(max, n)
	}
	self := cpu.Affinity(cpu.MPIDR())
	var others []uint64
	for _, c := range Machine.CPUs {
		if c.Reg != self && 1+len(others) < max {
			others = append(others, c.Reg)
		}
	}
	return sched.StartCores(boot.SpinTable{ReleaseAddr: Board.ReleaseAddrs()}, others)
}

func bootArg(key string) (string, bool) {
	for _, w := range strings.Fields(Machine.Bootargs) {
		if k, v, ok := strings.Cut(w, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func bootDuration(key string) (time.Duration, bool) {
	v, ok := bootArg(key)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		fatal("bootarg " + key + "=" + v + ": want a positive duration such as 10ms")
	}
	return d, true
}
