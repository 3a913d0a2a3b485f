// Package sched is the glue between the Go scheduler and the cores: the
// runtime/goos hooks Task (start an M on a core) and Idle (sleep a core
// until its next timer or an interrupt), cross-core wake-ups, time
// slicing and interrupt-to-goroutine delivery.
//
// # What the runtime gives (tamago-go1.26.0, see RUNTIME-NOTES)
//
// An M never drops its P: findRunnable calls goos.Idle and then loops back
// to its top. With GOMAXPROCS = cores there is one M per core, bound to it
// for good, and an idle M sits in Idle while the runtime still counts it
// as spinning, so the runtime's own wakep never wakes anyone. There is no
// sysmon: nothing preempts a long-running goroutine and nothing wakes an
// idle core when work or a stop-the-world appears elsewhere.
//
// # Cores
//
// Boot starts every secondary core (boot.Starter: PSCI or a spin table).
// Each one sets up its interrupt controller interface and parks in WFI on
// its exception stack (coreMain), in state parked. goos.Task, called by
// the runtime's newosproc, claims a parked core (CAS parked -> claimed),
// stores the M's stack, g0 and entry, publishes them (state assigned) and
// sends the core the wake SGI. The core then leaves its exception stack
// for the M's stack for good (enterM). Task runs with write barriers
// forbidden, so the hand-off holds plain integers, never pointers.
//
// # Idle and wake-ups
//
// Idle(pollUntil) programs the core's timer for pollUntil (the earliest
// timer the runtime knows of, 0 for none) and sleeps in WFI. The lost
// wake-up race (an interrupt handled between the last check and WFI) is
// closed by masking IRQs first: WFI still wakes on a pending masked
// interrupt, and the handler runs once IRQs are unmasked after it.
//
// A busy core takes a timer interrupt every tick (1 ms). The tick
//   - preempts the running goroutine, as sysmon would, once it has run for
//     a quantum (10 ms, bootarg yolk.quantum): it sets g.preempt and
//     g.stackguard0 = stackPreempt, so the goroutine yields at its next
//     function call;
//   - preempts asynchronously a goroutine that is asked to yield (by the
//     quantum or by the runtime: a stop-the-world, the collector's
//     suspendG) when the runtime says the interrupted PC is an
//     asynchronous safe point: the IRQ returns into runtime.asyncPreempt,
//     as a preemption signal would on Linux (asyncpreempt.go), so loops
//     without calls yield too (bootarg yolk.preempt=call turns it off);
//   - wakes one sleeping core with an SGI when this core's P has
//     goroutines waiting in its run queue or the global run queue is not
//     empty, so parallel work spreads;
//   - wakes every sleeping core when the runtime waits for every P: a
//     stop-the-world (sched.gcwaiting) or a safe-point function that each
//     P must run (forEachP, the collector's ragged barrier:
//     sched.safePointWait), since an M in Idle holds its P and only
//     notices either at the top of findRunnable.
//
// Work does not wait for the tick, as a rule: the runtime calls nanotime
// whenever it schedules, and OnNanotime (called by the board's Nanotime,
// a load or two when nothing is pending) wakes one sleeping core once
// goroutines have stayed queued for 20 us (a kick: what wakep would do
// on an OS; the grace keeps a hand-off between two goroutines on one core
// from dragging a partner to another core; yolk.kick=tick leaves it to
// the tick). A core running one goroutine without pause calls nanotime
// rarely: then work waits up to a tick. A stop-the-world or forEachP is
// noticed sooner: the core that waits for the other Ps calls nanotime,
// and OnNanotime fires that core's timer at once, or wakes the sleepers
// itself before it naps, so they notice within about a hundred
// microseconds. A goroutine in a loop without calls is stopped at the
// first tick on its core that finds it at a safe point (the runtime never
// preempts its own code asynchronously, so a goroutine spinning inside
// the runtime still waits for its next call).
//
// # Halt polling
//
// A core that WFIs until a timer runs some tens of microseconds after
// the deadline under QEMU. Idle therefore sets the timer a learned
// wake-up delay early (per core: average plus twice the mean deviation of
// how late its timer woke it, at most 250 us), and when the deadline is
// nearer than that it polls instead: it spins in Idle until the deadline,
// an event, a stop-the-world or queued goroutines, reading the counter
// only once every 64 rounds (each read takes QEMU's global lock, which
// the busy cores need) and the latest reading of any core in between. A
// 1 ms sleep overshoots by a polling round, not by a host wake-up. A core
// with no timer sleeps without one, so an idle guest costs what it did
// (yolk.haltpoll=off turns polling off).
//
// # Waits that give the host its CPU back (naps)
//
// The runtime's own waits spin: a parked M (stopm, a stop-the-world's
// stopped Ms) and a runtime-lock waiter spin on the M's semaphore in
// semasleep without calling anything; a stop-the-world or forEachP
// waiter spins in a timed semasleep calling nanotime. With more guest
// cores than host CPUs the spinners take the host CPUs from the cores
// they wait for: measured with 4 guest cores on 2 host CPUs, the gc
// benchmark's stop-the-world spent 8.6 of 9 ms waiting for the last P,
// on a vCPU the host had descheduled, while the others spun.
//
// A nap halts such a core (WFI) and publishes the word it waits on (its
// M's m.waitsemacount). semawakeup only adds to that word, so whoever
// may have posted it rings the doorbell: ringNappers runs in OnNanotime
// on every core (one load while nobody naps), at every tick, in Idle and
// before a nap, and sends the wake SGI to each napper whose word is no
// longer zero. The lost wake-up race is closed as for Idle: the napper
// publishes, then checks the word, with IRQs masked; a poster posts,
// then reads what is published; both are sequentially consistent
// atomics, and an SGI sent before the WFI keeps it from sleeping.
//
//   - Untimed waits are caught by the tick: its PC is on semasleep's
//     two-instruction wait loop (LDAR, CBZ: found by decoding semasleep
//     at start-up) and the semaphore is zero. Nowhere else in semasleep:
//     after the loop the M may own what was posted, and a nap there
//     would stop it for good (a nap ends with a timer interrupt, taken
//     before the interrupted code runs again). The first tick that finds
//     a wait naps it only if the host is contended (below); otherwise a
//     second tick must find the same M waiting: a short wait ends sooner
//     spinning, and the spin costs nothing the host needs. The nap is
//     taken after the end of interrupt (a WFI inside a handler would not
//     see interrupts of the handler's priority), for a tick, then twice
//     as long while the same M stays parked, up to 64 ms; but 100 us at a
//     time while other Ms wait for a core: one may become ready with
//     nobody to ring (a goroutine locked to its M hands its P to another
//     M and parks at once), and this core is where it would run.
//   - Timed waits (m.blocked, set by notesleep/notetsleep around
//     semasleep) nap from OnNanotime while the runtime waits for every
//     P, for up to 100 us (the runtime's own re-check period), after
//     spinning 50 us, or at once when the host is contended.
//   - Spins on the clock with nothing to watch, the collector's suspendG
//     waiting for a goroutine to stop so that it can scan its stack, nap
//     from OnNanotime for up to 100 us when the host is contended: the
//     nanotime call is recognised by walking the frame records up to a
//     return address in suspendG.
//
// The host is contended when a tick lately (200 ms) came more than 500 us
// late: it is descheduling guest cores, and a core that spins takes a
// host CPU from one that has work.
//
// A core running a parked M that is rung because a suspended M became
// ready, or because Task queued a new M, switches to it at the wake SGI
// (mswitch.go), instead of at its next tick. A core ticks every 100 us
// while the runtime waits for every P (stopped Ms nap soon, running
// goroutines are asked to stop sooner), after it switched Ms, and while
// it runs a goroutine locked to its M with Ms sharing cores (such a
// goroutine hands its P to another M each time it blocks, and the switch
// to that M waits for a tick). yolk.wait=spin turns naps off.
//
// # Interrupts to goroutines
//
// An Event counts signals from interrupt handlers (Signal: an atomic add,
// legal on the handler g) and wakes sleeping cores; Wait blocks a
// goroutine on a channel. Handlers cannot touch runtime state, so the
// channel send happens in Idle, on the M's g0 with its P (where the
// runtime allows it), as a non-blocking send: Idle runs whenever a core
// has nothing else to do, and every Signal wakes a sleeping core. A signal
// can still find no core asleep (all busy), so a waiter also waits on a
// timer and checks again: one quantum while the system is busy (goroutines
// queued behind it, or no other core asleep; the busy core's scheduler
// runs expired timers when the tick preempts its goroutine), 200 ms
// otherwise. Delivery under full load takes about a quantum and a tick;
// when the load starts after the waiter looked, up to 200 ms once. An idle
// system pays five timer wake-ups a second per waiter, not a hundred.
//
// What this relies on inside the runtime (struct offsets, linknamed
// functions, semasleep's wait loop) is in internal/goruntime, pinned to
// tamago-go1.26.0 and checked against it; the hooks keep the shape of
// upstream TamaGo's newer API (Idle beside a Wake(procid) hook:
// wakeCPU).
package sched
