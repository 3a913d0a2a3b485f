package goruntime

// Version is the runtime these offsets belong to (runtime.Version()).
const Version = "go1.26.0"

// Offsets into the runtime's structures (src/runtime/runtime2.go,
// os_tamago.go), as go_asm.h gives them.
const (
	GStackLo           = 0    // g.stack.lo
	GStackHi           = 8    // g.stack.hi
	GStackguard0       = 16   // g.stackguard0
	GStackguard1       = 24   // g.stackguard1
	GM                 = 48   // g.m
	GPreempt           = 177  // g.preempt (bool)
	GSig               = 224  // g.sig (uint32)
	GSigcode0          = 256  // g.sigcode0
	GSigcode1          = 264  // g.sigcode1
	GSigpc             = 272  // g.sigpc
	MG0                = 0    // m.g0
	MP                 = 160  // m.p
	MNextp             = 168  // m.nextp
	MLocks             = 216  // m.locks (int32)
	MBlocked           = 229  // m.blocked (bool): waits on a note
	MPark              = 296  // m.park.key (0, locked, or the sleeping m)
	MLockedg           = 336  // m.lockedg: the goroutine locked to m (LockOSThread)
	MWaitsema          = 1264 // m.mOS.waitsemacount (uint32): semasleep's semaphore
	PRunqhead          = 400  // p.runqhead (uint32)
	PRunqtail          = 404  // p.runqtail (uint32)
	SchedRunqSize      = 144  // sched.runq.size (int32)
	SchedGCWaiting     = 264  // sched.gcwaiting (atomic.Bool)
	SchedSafePointWait = 304  // sched.safePointWait (int32)

	// StackPreempt is the stackguard0 value that makes the next function
	// prologue call into the scheduler (runtime/stack.go).
	StackPreempt = 0xffff_ffff_ffff_fade
)

// asmhdr names each offset above as go_asm.h spells it: the sum of the
// listed #define names (a field of an embedded struct is two).
var asmhdr = []struct {
	names  []string
	offset uintptr
}{
	{[]string{"g_stack", "stack_lo"}, GStackLo},
	{[]string{"g_stack", "stack_hi"}, GStackHi},
	{[]string{"g_stackguard0"}, GStackguard0},
	{[]string{"g_stackguard1"}, GStackguard1},
	{[]string{"g_m"}, GM},
	{[]string{"g_preempt"}, GPreempt},
	{[]string{"g_sig"}, GSig},
	{[]string{"g_sigcode0"}, GSigcode0},
	{[]string{"g_sigcode1"}, GSigcode1},
	{[]string{"g_sigpc"}, GSigpc},
	{[]string{"m_g0"}, MG0},
	{[]string{"m_p"}, MP},
	{[]string{"m_nextp"}, MNextp},
	{[]string{"m_locks"}, MLocks},
	{[]string{"m_blocked"}, MBlocked},
	{[]string{"m_park", "note_key"}, MPark},
	{[]string{"m_lockedg"}, MLockedg},
	{[]string{"m_mOS", "mOS_waitsemacount"}, MWaitsema},
	{[]string{"p_runqhead"}, PRunqhead},
	{[]string{"p_runqtail"}, PRunqtail},
	{[]string{"schedt_runq", "gQueue_size"}, SchedRunqSize},
	{[]string{"schedt_gcwaiting"}, SchedGCWaiting},
	{[]string{"schedt_safePointWait"}, SchedSafePointWait},
}
