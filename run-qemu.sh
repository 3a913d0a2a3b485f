#!/usr/bin/env bash
# run-qemu.sh - boot a yolk (TamaGo, GOOS=tamago GOARCH=arm64) ELF under
# qemu-system-aarch64 and exit with the guest's exit status.
#
# Usage:
#   run-qemu.sh [-smp N] [-m SIZE] [-gic 2|3] [-el2] [-machine NAME] [-net]
#               [-timeout SECONDS] [--] ELF [args...]
#
# It also works as a `go test -exec` wrapper, with the YOLK_* variables
# (YOLK_SMP, YOLK_MEM, YOLK_GIC, YOLK_EL2, YOLK_MACHINE, YOLK_NET,
# YOLK_TIMEOUT, YOLK_HOSTFWD, YOLK_STDIN, YOLK_DEBUG) in place of options;
# `run-qemu.sh -h` describes them all.
#
# The work is done by the yolk tool (cmd/yolk, `yolk run-qemu`), from the
# one description of each board's QEMU command line (internal/target);
# users of the yolk module run `go tool yolk run` instead.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# As go test's -exec, the script inherits the target's GOOS and GOARCH:
# the tool is built for the host.
if ! yolk=$(cd "$here" && env -u GOOS -u GOARCH -u GOOSPKG go tool -n yolk); then
	printf 'run-qemu.sh: cannot build the yolk tool (go tool -n yolk in %s failed)\n' "$here" >&2
	exit 2
fi
exec "$yolk" run-qemu -dir "$here" "$@"
