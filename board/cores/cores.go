//go:build tamago

// Package cores brings up what every board does the same way once its
// device tree is parsed: the interrupt controller and the scheduler glue
// on the boot core, then the other cores, started with the board's
// boot.Starter (PSCI on QEMU virt, a spin table on the Raspberry Pi).
package cores

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/yolkos/yolk/board/bootargs"
	"github.com/yolkos/yolk/boot"
	"github.com/yolkos/yolk/devicetree"
	"github.com/yolkos/yolk/kernel/cpu"
	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/gic"
	"github.com/yolkos/yolk/sched"
)

// SetupInterrupts initialises the GIC the device tree describes on the
// boot core, routes IRQs to it and installs the scheduler glue, tuned by
// the yolk.quantum, yolk.tick, yolk.idle, yolk.preempt, yolk.haltpoll,
// yolk.kick and yolk.wait bootargs. It runs in hwinit1,
// before any package initialiser.
func SetupInterrupts(m *devicetree.Machine) (*gic.Controller, error) {
	if m.GIC == nil || m.Timer == nil {
		return nil, errors.New("device tree: no interrupt controller or no generic timer")
	}
	c, err := gic.New(*m.GIC)
	if err != nil {
		return nil, err
	}
	cfg := sched.DefaultConfig
	if d, ok, err := bootargs.Duration(m.Bootargs, "yolk.quantum"); err != nil {
		return nil, err
	} else if ok {
		cfg.Quantum = d
	}
	if d, ok, err := bootargs.Duration(m.Bootargs, "yolk.tick"); err != nil {
		return nil, err
	} else if ok {
		cfg.Tick = d
	}
	if cfg.IdlePoll, err = bootargs.Switch(m.Bootargs, "yolk.idle", "wfi", "poll"); err != nil {
		return nil, err
	}
	if cfg.CallPreemptOnly, err = bootargs.Switch(m.Bootargs, "yolk.preempt", "async", "call"); err != nil {
		return nil, err
	}
	if cfg.NoHaltPoll, err = bootargs.Switch(m.Bootargs, "yolk.haltpoll", "on", "off"); err != nil {
		return nil, err
	}
	if cfg.KickAtTick, err = bootargs.Switch(m.Bootargs, "yolk.kick", "queue", "tick"); err != nil {
		return nil, err
	}
	if cfg.SpinWaits, err = bootargs.Switch(m.Bootargs, "yolk.wait", "nap", "spin"); err != nil {
		return nil, err
	}
	c.Init()
	c.InitCPU()
	exception.IRQ = c.Dispatch
	sched.Setup(c, m.Timer.Virtual, cfg)
	return c, nil
}

// Start starts the other cores the device tree lists (at most yolk.cpus
// in all) with s and gives the Go scheduler one P per core. It must run on
// a goroutine (a package initialiser).
func Start(m *devicetree.Machine, s boot.Starter) error {
	max := len(m.CPUs)
	if v, ok := bootargs.Lookup(m.Bootargs, "yolk.cpus"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("bootarg yolk.cpus=%q: want a positive number", v)
		}
		max = min(max, n)
	}
	self := cpu.Affinity(cpu.MPIDR())
	var others []uint64
	for _, c := range m.CPUs {
		if c.Reg != self && 1+len(others) < max {
			others = append(others, c.Reg)
		}
	}
	return sched.StartCores(s, others)
}
