//go:build tamago

package boot

import (
	"errors"
	"fmt"

	"github.com/yolkos/yolk/kernel/exception"
	"github.com/yolkos/yolk/kernel/psci"
)

// A Starter releases a secondary core into secondaryEntry. Boards pick
// the implementation the device tree's enable-method names (PSCI on QEMU
// virt, a spin table on the Raspberry Pi); nothing else in yolk asks how
// a core was started.
type Starter interface {
	Start(core int, mpidr uint64) error
}

// PSCI starts cores with the firmware's CPU_ON call (DEN 0022 5.6).
type PSCI struct{}

func (PSCI) Start(core int, mpidr uint64) error {
	if r := psci.CPUOn(mpidr, uint64(secondaryEntryPC()), uint64(core)); r != psci.Success {
		return fmt.Errorf("PSCI CPU_ON(mpidr %#x) failed: %d", mpidr, r)
	}
	return nil
}

// CoreMain runs on each secondary core once it is at EL1 with the MMU
// on, on the core's exception stack as its handler g (see
// kernel/exception: no runtime calls). It must not return. The scheduler
// sets it before starting cores.
var CoreMain func(core int)

// secondaryMain is called by secondaryEL1.
func secondaryMain(core int) {
	if CoreMain == nil {
		for {
		}
	}
	CoreMain(core)
	for {
	}
}

// secondaryEntryPC is the physical (= virtual) address of secondaryEntry.
func secondaryEntryPC() uintptr

// StartCore starts secondary core number core (1..MaxCores-1) with s.
func StartCore(s Starter, core int, mpidr uint64) error {
	if core <= 0 || core >= exception.MaxCores {
		return fmt.Errorf("core index %d out of range 1..%d", core, exception.MaxCores-1)
	}
	if CoreMain == nil {
		return errors.New("boot.CoreMain is not set")
	}
	return s.Start(core, mpidr)
}
