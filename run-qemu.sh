#!/usr/bin/env bash
# run-qemu.sh - boot a yolk (TamaGo, GOOS=tamago GOARCH=arm64) ELF under
# qemu-system-aarch64 and exit with the guest's exit status.
#
# Usage:
#   run-qemu.sh [-smp N] [-m SIZE] [-gic 2|3] [-el2] [-machine NAME] [-net]
#               [-timeout SECONDS] [--] ELF [args...]
#
# It also works as a `go test -exec` wrapper, with TamaGo's go command
# (`make test-qemu` does this):
#   GOOS=tamago GOARCH=arm64 "$(go tool -n tamago)" test -exec "$PWD/run-qemu.sh" ./pkg
# go test calls it as `run-qemu.sh /tmp/go-build.../x.test -test.v=true ...`;
# since go test cannot pass options, the YOLK_* variables below steer it.
#
# Options (only before ELF; everything after ELF goes to the guest):
#   -smp N            number of CPUs                (env YOLK_SMP, default 1)
#   -m SIZE           guest RAM, e.g. 512M or 1G    (env YOLK_MEM, default 512M)
#   -gic 2|3          GIC version on virt           (env YOLK_GIC, default 2)
#   -el2              start at EL2 (virt: virtualization=on)   (env YOLK_EL2=1)
#   -machine NAME     QEMU machine                  (env YOLK_MACHINE, default virt)
#   -net              user networking + virtio-net-device       (env YOLK_NET=1)
#   -timeout SECONDS  kill QEMU after SECONDS, 0 = never (env YOLK_TIMEOUT)
#
# Timeout precedence: -timeout, then YOLK_TIMEOUT, then a go test
# `-test.timeout=D` guest argument (D+30s, so the guest's own timeout fires
# first and prints its goroutine dump), then 600 seconds.
#
# Other environment:
#   QEMU          QEMU binary (default qemu-system-aarch64)
#   QEMU_EXTRA    extra QEMU arguments, split on whitespace, appended last
#   YOLK_HOSTFWD  -net port forwards: whitespace-separated QEMU hostfwd rules
#                 (default tcp:127.0.0.1:8080-:80)
#   YOLK_STDIN=1  hand a non-terminal stdin to the guest serial port
#                 (by default QEMU gets /dev/null unless stdin is a terminal)
#   YOLK_DEBUG=1  print the computed timeout and the QEMU command to stderr
#
# Guest arguments are joined with single spaces into the kernel command line
# (-append), which the guest splits on spaces; arguments that are empty or
# contain whitespace or a double quote cannot round-trip and are refused.
#
# On a terminal the serial port is `mon:stdio`: Ctrl-C goes to the guest,
# Ctrl-A X quits QEMU, Ctrl-A C toggles the QEMU monitor, Ctrl-A H for help.
#
# Exit status: the guest's (semihosting SYS_EXIT); 2 for usage errors or
# when QEMU cannot be started (missing binary, missing or non-arm64 ELF);
# 124 on timeout; 128+N when the script is killed by signal N.
set -uo pipefail

prog=run-qemu.sh
max_cmdline=2048
kill_grace=5

usage() {
	sed -n '/^# Usage:/,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2
}

die() { # die STATUS MESSAGE...
	local status=$1
	shift
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "$status"
}

debug() {
	if [ "${YOLK_DEBUG:-}" = 1 ]; then printf '%s: %s\n' "$prog" "$*" >&2; fi
}

# go_duration_seconds D: print the Go duration D (e.g. 10m0s, 1h, 1.5s,
# 500ms) rounded up to whole seconds, or fail if D is not a duration.
go_duration_seconds() {
	LC_ALL=C awk -v d="$1" 'BEGIN {
		s = d; total = 0
		if (s == "0") { print 0; exit 0 }
		sub(/^\+/, "", s)
		if (s == "" || s ~ /^-/) exit 1
		while (s != "") {
			if (!match(s, /^([0-9]+(\.[0-9]*)?|\.[0-9]+)/)) exit 1
			n = substr(s, 1, RLENGTH) + 0; s = substr(s, RLENGTH + 1)
			if (!match(s, /^(ns|us|µs|μs|ms|s|m|h)/)) exit 1
			u = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
			if (u == "ns") f = 1e-9
			else if (u == "ms") f = 1e-3
			else if (u == "s") f = 1
			else if (u == "m") f = 60
			else if (u == "h") f = 3600
			else f = 1e-6
			total += n * f
		}
		c = int(total); if (c < total) c++
		print c
	}'
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---- options -------------------------------------------------------------

smp=${YOLK_SMP:-}
mem=${YOLK_MEM:-}
gic=${YOLK_GIC:-}
el2=${YOLK_EL2:-}
machine=${YOLK_MACHINE:-virt}
net=${YOLK_NET:-}
timeout=${YOLK_TIMEOUT:-}
timeout_from=YOLK_TIMEOUT
[ -n "$timeout" ] || timeout_from=

need_arg() { [ "$#" -ge 2 ] || die 2 "option $1 needs an argument (see $prog -h)"; }

while [ "$#" -gt 0 ]; do
	case $1 in
	-smp | --smp) need_arg "$@"; smp=$2; shift 2 ;;
	-m | --m) need_arg "$@"; mem=$2; shift 2 ;;
	-gic | --gic) need_arg "$@"; gic=$2; shift 2 ;;
	-el2 | --el2) el2=1; shift ;;
	-machine | --machine | -M) need_arg "$@"; machine=$2; shift 2 ;;
	-net | --net) net=1; shift ;;
	-timeout | --timeout) need_arg "$@"; timeout=$2; timeout_from=-timeout; shift 2 ;;
	-h | -help | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) die 2 "unknown option $1 (see $prog -h)" ;;
	*) break ;;
	esac
done

[ "$#" -ge 1 ] || { usage; die 2 "missing ELF argument"; }
elf=$1
shift

# Machine-specific settings: -gic, -el2, -smp and -m default only on virt;
# other machines (e.g. raspi4b) have fixed CPU counts and RAM sizes.
case $machine in
virt | virt,* | virt-*) is_virt=1 ;;
*) is_virt= ;;
esac
if [ -n "$is_virt" ]; then
	smp=${smp:-1}
	mem=${mem:-512M}
	gic=${gic:-2}
else
	[ -z "$gic" ] || die 2 "-gic is only supported on the virt machine, not $machine"
	[ -z "$el2" ] || die 2 "-el2 is only supported on the virt machine, not $machine"
fi
[ -z "$smp" ] || { is_uint "$smp" && [ "$smp" -ge 1 ]; } || die 2 "bad -smp value '$smp': want a positive integer"
[ -z "$mem" ] || [[ $mem =~ ^[0-9]+[KMGTkmgt]?$ ]] || die 2 "bad -m value '$mem': want e.g. 512M or 1G"
[ -z "$gic" ] || [ "$gic" = 2 ] || [ "$gic" = 3 ] || die 2 "bad -gic value '$gic': want 2 or 3"
case $el2 in '' | 0 | 1) ;; *) die 2 "bad YOLK_EL2 value '$el2': want 0 or 1" ;; esac
case $net in '' | 0 | 1) ;; *) die 2 "bad YOLK_NET value '$net': want 0 or 1" ;; esac

# ---- guest arguments -----------------------------------------------------

test_timeout=
prev=
for a in "$@"; do
	if [ -z "$a" ]; then
		die 2 "refusing an empty guest argument: it cannot survive the kernel command line"
	fi
	case $a in
	*[[:space:]]* | *'"'*)
		die 2 "refusing guest argument $(printf '%q' "$a"): whitespace and double quotes cannot survive the kernel command line"
		;;
	esac
	case $prev in -test.timeout | --test.timeout) test_timeout=$a ;; esac
	case $a in -test.timeout=* | --test.timeout=*) test_timeout=${a#*=} ;; esac
	prev=$a
done
cmdline="$*"
cmdline_bytes=$(printf '%s' "$cmdline" | wc -c)
cmdline_bytes=$((cmdline_bytes))
if [ "$cmdline_bytes" -gt "$max_cmdline" ]; then
	die 2 "kernel command line is $cmdline_bytes bytes, more than the $max_cmdline allowed"
fi

# ---- timeout -------------------------------------------------------------

if [ -n "$timeout" ]; then
	is_uint "$timeout" || die 2 "bad ${timeout_from} value '$timeout': want whole seconds"
	timeout=$((10#$timeout))
elif [ -n "$test_timeout" ]; then
	d=$(go_duration_seconds "$test_timeout") || die 2 "bad -test.timeout value '$test_timeout'"
	if [ "$d" -gt 0 ]; then
		timeout=$((d + 30))
		timeout_from="-test.timeout=$test_timeout + 30s"
	fi
fi
if [ -z "$timeout" ]; then
	timeout=600
	timeout_from=default
fi
debug "timeout=${timeout}s (${timeout_from})"

# ---- QEMU and ELF checks -------------------------------------------------

qemu=${QEMU:-qemu-system-aarch64}
if ! command -v "$qemu" >/dev/null 2>&1; then
	die 2 "QEMU binary '$qemu' not found; install it by running 'bash .ci/install-qemu.sh' in the yolk repository (needs root and apt), or point QEMU at a qemu-system-aarch64 binary"
fi

[ -e "$elf" ] || die 2 "cannot boot '$elf': no such file"
[ -f "$elf" ] || die 2 "cannot boot '$elf': not a regular file"
[ -r "$elf" ] || die 2 "cannot boot '$elf': not readable"
# ELF header: magic 7f 45 4c 46, class 2 (64-bit), data 1 (little endian),
# e_machine (offset 18) 0xb7 = EM_AARCH64.
hdr=$(LC_ALL=C od -An -tx1 -N20 -v "$elf" 2>/dev/null | tr -s ' \n' ' ')
read -r -a hb <<<"$hdr"
if [ "${#hb[@]}" -lt 20 ] || [ "${hb[0]}${hb[1]}${hb[2]}${hb[3]}" != 7f454c46 ]; then
	die 2 "cannot boot '$elf': not an ELF file"
fi
if [ "${hb[4]}" != 02 ] || [ "${hb[5]}" != 01 ] || [ "${hb[18]}${hb[19]}" != b700 ]; then
	die 2 "cannot boot '$elf': not a 64-bit little-endian arm64 (AArch64) ELF; build it with GOOS=tamago GOARCH=arm64"
fi

# ---- QEMU command --------------------------------------------------------

pass_stdin=
if [ -t 0 ]; then
	pass_stdin=1
	serial=mon:stdio
else
	serial=stdio
	[ "${YOLK_STDIN:-}" = 1 ] && pass_stdin=1
fi

mopt=$machine
if [ -n "$is_virt" ]; then
	[ "$gic" = 3 ] && mopt+=,gic-version=3
	[ "$el2" = 1 ] && mopt+=,virtualization=on
fi
qargs=(-M "$mopt" -cpu max)
[ -z "$smp" ] || qargs+=(-smp "$smp")
[ -z "$mem" ] || qargs+=(-m "$mem")
qargs+=(-nographic -monitor none -serial "$serial" -semihosting -no-reboot
	-kernel "$elf" -append "$cmdline")
# yolk's virtio drivers speak the modern (version 2) virtio-mmio transport.
qargs+=(-global virtio-mmio.force-legacy=false)
if [ "$net" = 1 ]; then
	netdev=user,id=n0
	read -r -a fwds <<<"${YOLK_HOSTFWD-tcp:127.0.0.1:8080-:80}"
	for f in "${fwds[@]}"; do
		case $f in *,*) die 2 "bad YOLK_HOSTFWD rule '$f': no commas allowed" ;; esac
		netdev+=,hostfwd=$f
	done
	qargs+=(-netdev "$netdev" -device "virtio-net-device,netdev=n0")
fi
if [ -n "${QEMU_EXTRA:-}" ]; then
	read -r -a extra <<<"$QEMU_EXTRA"
	qargs+=("${extra[@]}")
fi
debug "exec: $(printf '%q ' "$qemu" "${qargs[@]}")"

# ---- run, with timeout and cleanup --------------------------------------

qpid= # QEMU
tpid= # timeout sleep
tty_state=
if [ -n "$pass_stdin" ] && [ -t 0 ]; then
	tty_state=$(stty -g 2>/dev/null) || tty_state=
fi

# stop_bg PID: kill a helper sleep and reap it. SIGKILL, because a TERM
# sent right after the fork can be lost while the child is still bash.
stop_bg() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# stop_qemu: TERM, then KILL after $kill_grace seconds; reaps QEMU.
stop_qemu() {
	[ -n "$qpid" ] || return 0
	kill -TERM "$qpid" 2>/dev/null
	sleep "$kill_grace" >/dev/null 2>&1 &
	local gpid=$!
	wait -n
	if kill -0 "$gpid" 2>/dev/null; then
		stop_bg "$gpid" # QEMU exited in time
	else
		kill -KILL "$qpid" 2>/dev/null
	fi
	wait "$qpid" 2>/dev/null
	qpid=
}

cleanup() {
	trap '' INT TERM HUP
	if [ -n "$tpid" ]; then stop_bg "$tpid"; tpid=; fi
	stop_qemu
	if [ -n "$tty_state" ]; then stty "$tty_state" 2>/dev/null; fi
}

# shellcheck disable=SC2317 # invoked by the traps below
on_signal() {
	cleanup
	trap - EXIT
	exit $((128 + $1))
}
trap cleanup EXIT
trap 'on_signal 1' HUP
trap 'on_signal 2' INT
trap 'on_signal 15' TERM

if [ -n "$pass_stdin" ]; then
	"$qemu" "${qargs[@]}" <&0 &
else
	"$qemu" "${qargs[@]}" </dev/null &
fi
qpid=$!

if [ "$timeout" -gt 0 ]; then
	sleep "$timeout" >/dev/null 2>&1 &
	tpid=$!
	# Both QEMU and the timer are our only children: wait for the first.
	wait -n
	rc=$?
	if kill -0 "$tpid" 2>/dev/null; then
		stop_bg "$tpid" # QEMU finished first: rc is its status
		tpid=
		wait "$qpid" 2>/dev/null
		rc=$?
		qpid=
	else
		tpid=
		cleanup
		trap - EXIT
		die 124 "timeout after ${timeout}s, QEMU killed"
	fi
else
	wait "$qpid"
	rc=$?
	qpid=
fi

cleanup
trap - EXIT
exit "$rc"
