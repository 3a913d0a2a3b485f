#!/usr/bin/env bash
# build.sh - build a yolk application for the Raspberry Pi 4 and lay out the
# boot partition of its SD card (what `make rpi4` runs).
#
# Usage: build.sh APP OUT
#   APP  the application's package directory (default app: ./cmd/demo)
#   OUT  output directory: OUT/yolk-rpi4.elf and OUT/sd/, the files to copy
#        onto a FAT32 partition (or to write with `make flash`)
#
# Environment: TAMAGO (the TamaGo go command), RPI4_LDFLAGS, FIRMWARE_DIR
# (where `make rpi4-firmware` put start4.elf and fixup4.dat).
#
# An application written for board/qemu-virt is built for board/rpi4 as it
# is: its import of board/qemu-virt is replaced by board/rpi4 through a
# go build -overlay, so the same program runs on both.
set -euo pipefail

prog=build.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: build.sh APP OUT"
app=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${TAMAGO:?TAMAGO must name the TamaGo go command}"
: "${RPI4_LDFLAGS:=-T 0x81000 -R 0x1000 -checklinkname=0}"
fwdir=${FIRMWARE_DIR:-$out/firmware}

cd "$root"
[ -d "$app" ] || die "no application directory $app"
mkdir -p "$out/overlay" "$out/sd"
out=$(cd "$out" && pwd)
appdir=$(cd "$app" && pwd)

# The overlay: every file of APP that imports board/qemu-virt or one of its
# packages (board/qemu-virt/network), with those imports pointing at
# board/rpi4's.
virt='"github.com/yolkos/yolk/board/qemu-virt'
pi='"github.com/yolkos/yolk/board/rpi4'
json='{"Replace":{'
sep=
for f in "$appdir"/*.go; do
	case $f in *_test.go) continue ;; esac
	grep -q "$virt" "$f" || continue
	g=$out/overlay/$(basename "$f")
	sed "s#$virt#$pi#" "$f" >"$g"
	json+="$sep\"$f\":\"$g\""
	sep=,
done
json+='}}'
printf '%s\n' "$json" >"$out/overlay.json"

echo "building $app for board/rpi4"
GOOS=tamago GOARCH=arm64 GOOSPKG=github.com/usbarmory/tamago \
	"$TAMAGO" build -overlay "$out/overlay.json" -ldflags "$RPI4_LDFLAGS" -o "$out/yolk-rpi4.elf" "$app"
go run ./board/rpi4/mkimage -base 0x80000 -o "$out/sd/kernel8.img" "$out/yolk-rpi4.elf"

cp board/rpi4/sd/config.txt board/rpi4/sd/cmdline.txt "$out/sd/"
cp board/rpi4/testdata/bcm2711-rpi-4-b.dtb "$out/sd/"
missing=
for f in start4.elf fixup4.dat; do
	if [ -f "$fwdir/$f" ]; then
		cp "$fwdir/$f" "$out/sd/"
	else
		missing+=" $f"
	fi
done
board/rpi4/firmware.sh verify "$out/sd" >/dev/null 2>&1 || [ -n "$missing" ] ||
	die "the firmware files in $fwdir do not match board/rpi4/firmware.lock"

size=$(wc -c <"$out/sd/kernel8.img")
sum=$(sha256sum "$out/sd/kernel8.img" | cut -d' ' -f1)
{
	echo "yolk SD card for the Raspberry Pi 4 Model B"
	echo "============================================"
	echo
	echo "Copy every file of this directory to the first partition (FAT32) of an"
	echo "SD card, or write a card with \`make flash DEV=/dev/sdX\`. Connect a 3.3 V"
	echo "serial adapter to GPIO 14 (TXD, pin 8), GPIO 15 (RXD, pin 10) and ground"
	echo "(pin 6), 115200 8N1. The green LED blinks a heartbeat while the cores"
	echo "idle and fast while they are busy."
	echo
	echo "  kernel8.img          yolk, $app ($size bytes, SHA-256 $sum)"
	echo "  config.txt           firmware settings: 64-bit, kernel8.img at 0x80000, UART"
	echo "  cmdline.txt          yolk's command line (yolk.* settings, arguments)"
	echo
	echo "Firmware files, with their source and SHA-256 (board/rpi4/firmware.lock):"
	echo
	grep -v '^#' board/rpi4/firmware.lock | grep -v '^[[:space:]]*$' | while read -r n s src; do
		printf '  %-20s %s\n  %-20s from %s\n' "$n" "$s" "" "$src"
	done
	if [ -n "$missing" ]; then
		echo
		echo "MISSING:$missing -- run \`make rpi4-firmware\` on a machine with internet"
		echo "access (or copy them from the Raspberry Pi firmware release named above),"
		echo "then \`make rpi4\` again."
	fi
} >"$out/sd/README.txt"
echo "SD card files in $out/sd (kernel8.img: $size bytes)"
[ -z "$missing" ] || echo "firmware missing:$missing (make rpi4-firmware)"
