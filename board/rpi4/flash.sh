#!/usr/bin/env bash
# flash.sh - write a yolk SD card for the Raspberry Pi 4 (what `make flash`
# runs): the image sdimage.sh makes (one MBR partition, FAT32, holding the
# files of the SD directory that `make rpi4` laid out).
#
# Usage: flash.sh [-y] [-n] DEV DIR
#   DEV  the whole card, e.g. /dev/sdX or /dev/mmcblk0 (not a partition)
#   DIR  the SD card files (build/rpi4/sd)
#   -y   do not ask for confirmation (also YES=1)
#   -n   dry run: check everything, print the commands, change nothing
#        (also DRY_RUN=1)
#
# It refuses, before touching anything:
#   - a device that is not a whole disk, or that the kernel does not
#     report as removable (an SD card in an MMC slot counts as removable;
#     built-in eMMC storage does not);
#   - a device any of whose partitions is mounted or in use (holders:
#     device-mapper, RAID, LVM);
#   - the disk that holds the root file system, whatever the above say;
#   - a device larger than 2 TiB.
# Then it shows the device and asks to type "yes".
#
# For tests, SYSFS (default /sys) and MOUNTS (default /proc/mounts) can
# point at a fake tree.
set -euo pipefail

prog=flash.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

yes=${YES:-}
dry=${DRY_RUN:-}
while [ $# -gt 0 ]; do
	case $1 in
	-y) yes=1; shift ;;
	-n) dry=1; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || die "usage: flash.sh [-y] [-n] DEV DIR (see -h)"
dev=$1 dir=$2
sys=${SYSFS:-/sys}
mounts=${MOUNTS:-/proc/mounts}

[ -n "$dev" ] || die "no device given: make flash DEV=/dev/sdX"
case $dev in /dev/*) ;; *) die "$dev: give the device as /dev/NAME" ;; esac
[ -f "$dir/kernel8.img" ] || die "$dir has no kernel8.img: run make rpi4 first"
for f in start4.elf fixup4.dat config.txt bcm2711-rpi-4-b.dtb; do
	[ -f "$dir/$f" ] || die "$dir has no $f (make rpi4-firmware, then make rpi4)"
done

# The kernel's name for the device (following /dev/disk/by-* links).
name=$(basename "$(readlink -f "$dev" 2>/dev/null || echo "$dev")")
blk=$sys/class/block/$name
[ -e "$blk" ] || die "$dev: no such block device ($blk missing)"
[ ! -e "$blk/partition" ] || die "$dev is a partition: give the whole card (e.g. /dev/sdX, not /dev/sdX1)"
[ -e "$sys/block/$name" ] || die "$dev is not a whole disk"

# Removable: the kernel's flag, or an SD card in an MMC slot (whose host
# controller may not set it). The MMC core names the card type in
# device/type: "SD" for a card, "MMC" for soldered-on eMMC storage.
removable=$(cat "$sys/block/$name/removable" 2>/dev/null || echo 0)
mmc=
case $name in
mmcblk[0-9]*)
	mmctype=$(cat "$sys/block/$name/device/type" 2>/dev/null || echo unknown)
	[ "$mmctype" = SD ] || die "$dev is an MMC device of type $mmctype, not an SD card (built-in eMMC?): refusing to overwrite it"
	mmc=1
	;;
esac
if [ "$removable" != 1 ] && [ -z "$mmc" ]; then
	die "$dev is not a removable device: refusing to overwrite it"
fi

# Partitions of the disk.
parts=()
for p in "$sys/block/$name"/"$name"*; do
	[ -e "$p/partition" ] && parts+=("$(basename "$p")")
done

# The disks behind a device name: itself, its parent disk if it is a
# partition, or the disks under a device-mapper/RAID device.
disks_of() {
	local n=$1 s
	if [ -e "$sys/class/block/$n/partition" ]; then
		basename "$(dirname "$(readlink -f "$sys/class/block/$n")")"
		return
	fi
	if [ -d "$sys/class/block/$n/slaves" ] && [ -n "$(ls -A "$sys/class/block/$n/slaves" 2>/dev/null)" ]; then
		for s in "$sys/class/block/$n/slaves"/*; do disks_of "$(basename "$s")"; done
		return
	fi
	echo "$n"
}

# Mounted anywhere, or in use through holders?
while read -r src mnt _; do
	case $src in /dev/*) ;; *) continue ;; esac
	s=$(basename "$(readlink -f "$src" 2>/dev/null || echo "$src")")
	for n in "$name" "${parts[@]}"; do
		[ "$s" != "$n" ] || die "$dev is mounted: /dev/$n on $mnt; unmount it first"
	done
	if [ "$mnt" = / ]; then
		for d in $(disks_of "$s"); do
			[ "$d" != "$name" ] || die "$dev holds the root file system: refusing"
		done
	fi
done <"$mounts"
for n in "$name" "${parts[@]}"; do
	h=$sys/class/block/$n/holders
	if [ -d "$h" ] && [ -n "$(ls -A "$h" 2>/dev/null)" ]; then
		die "$dev is in use: /dev/$n is held by $(ls "$h" | tr '\n' ' ')"
	fi
done

sectors=$(cat "$sys/block/$name/size" 2>/dev/null || echo 0)
bytes=$((sectors * 512))
[ "$bytes" -gt 0 ] || die "$dev reports size 0: is a card inserted?"
[ "$bytes" -le $((2 << 40)) ] || die "$dev is larger than 2 TiB: not an SD card, refusing"
model=$(cat "$sys/block/$name/device/model" 2>/dev/null || cat "$sys/block/$name/device/name" 2>/dev/null || echo unknown)
model=$(echo "$model" | tr -s ' ')

imgmb=260 # what sdimage.sh writes: 4 MiB, then a 256 MiB FAT32 partition
[ $((bytes >> 20)) -gt "$imgmb" ] || die "$dev is too small ($((bytes >> 20)) MiB)"

echo "About to ERASE $dev: $model, $((bytes >> 20)) MiB$([ -n "$mmc" ] && echo ", SD card")"
echo "and write an SD card image ($imgmb MiB: one FAT32 partition) with the files of $dir."
if [ -n "$dry" ]; then
	echo "dry run: sdimage.sh IMG $dir; wipefs -a $dev; dd if=IMG of=$dev; files: $(ls "$dir" | tr '\n' ' ')"
	exit 0
fi
if [ -z "$yes" ]; then
	[ -t 0 ] || die "not a terminal: confirm with YES=1 (make flash DEV=$dev YES=1)"
	read -r -p "Type yes to continue: " answer
	[ "$answer" = yes ] || die "not confirmed; nothing written"
fi
[ -b "$dev" ] || die "$dev is not a block device"

# The card's contents are made as an image file first (sdimage.sh, tested
# on the host), then copied to the card in one pass. Old partition-table
# signatures (a GPT's backup at the end of the card) are wiped first.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$(dirname "$0")/sdimage.sh" "$tmp/sd.img" "$dir"
wipefs --all --quiet "$dev"
dd if="$tmp/sd.img" of="$dev" bs=4M conv=fsync status=none
sync
echo "done: $dev holds the yolk SD card; eject it and boot the Pi"
