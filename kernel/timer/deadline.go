package timer

// The per-core deadline timer is the EL1 virtual timer (ARM ARM D12, "The
// Generic Timer": each core has its own set of timers, each with a 64-bit
// CompareValue view, CNTV_CVAL_EL0, and a control register,
// CNTV_CTL_EL0). It is the virtual timer rather than the EL1 physical one
// because
//
//   - its comparison is against the virtual count, CNTVCT_EL0, which is
//     what cpu.Counter reads and what Nanotime is built on: boot sets
//     CNTVOFF_EL2 to 0 when it enters at EL2 (and an EL1 entry gets the
//     hypervisor's offset, which is then what the clock sees too), so a
//     deadline computed from cpu.Counter() is in the timer's own units;
//   - EL1 may always use it, whereas the EL1 physical timer can be
//     trapped by EL2 (CNTHCTL_EL2.EL1PCEN) under a hypervisor;
//   - it is the timer a guest kernel is expected to use: QEMU's virt
//     (and KVM) wire it to a PPI, INTID 27 on virt, which the device
//     tree's arm,armv8-timer node names (devicetree.Timer.Virtual).
//
// The timer's output is level-sensitive: it stays asserted while
// ENABLE == 1, IMASK == 0 and CNTVCT_EL0 >= CNTV_CVAL_EL0 (the timer
// condition). An interrupt handler must therefore Stop the timer or set a
// later deadline before it signals end of interrupt, or the interrupt is
// taken again at once.
//
// All of these act on the calling core's timer only and are nosplit: they
// run in interrupt handlers.

// CNTV_CTL_EL0 fields (ARM ARM, CNTV_CTL_EL0 register description).
const (
	ctlEnable  = 1 << 0 // ENABLE: the timer is enabled
	ctlIMask   = 1 << 1 // IMASK: the interrupt output is masked
	ctlIStatus = 1 << 2 // ISTATUS: the timer condition is met (read-only)
)

// SetDeadline arms this core's virtual timer to fire when the counter
// (cpu.Counter) reaches count, an absolute value: the compare value is
// written first, then the timer is enabled with its output unmasked. A
// deadline already in the past fires as soon as interrupts allow.
//
//go:nosplit
func SetDeadline(count uint64) {
	setCVAL(count)
	setCTL(ctlEnable)
}

// Stop disables this core's virtual timer; its interrupt output is
// deasserted (ENABLE = 0).
//
//go:nosplit
func Stop() { setCTL(0) }

// Deadline is the compare value last programmed on this core.
//
//go:nosplit
func Deadline() uint64 { return getCVAL() }

// Pending reports whether this core's virtual timer is enabled and its
// condition is met (CNTV_CTL_EL0.ISTATUS), whether or not the interrupt
// has been taken. ISTATUS is UNKNOWN while the timer is disabled, so a
// stopped timer is never pending.
//
//go:nosplit
func Pending() bool {
	c := getCTL()
	return c&(ctlEnable|ctlIStatus) == ctlEnable|ctlIStatus
}
