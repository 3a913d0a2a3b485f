#!/usr/bin/env bash
# sdimage.sh - make a disk image of a yolk SD card for the Raspberry Pi 4
# (what `make rpi4-image` and `make flash` run): an MBR with one bootable
# FAT32 partition (type 0x0c) from 4 MiB, holding the files of DIR.
#
# Usage: sdimage.sh IMG DIR
#   IMG  the image file to write (replaced)
#   DIR  the SD card files (build/rpi4/sd)
#
# The image can be written to a card with `make flash`, or with any tool
# that copies a raw image (dd, Raspberry Pi Imager's "custom image").
# Needs sfdisk, mkfs.vfat and mcopy (packages fdisk, dosfstools, mtools);
# no root: everything works on the file.
set -euo pipefail

prog=sdimage.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: sdimage.sh IMG DIR"
img=$1 dir=$2
[ -f "$dir/kernel8.img" ] || die "$dir has no kernel8.img: run make rpi4 first"
for f in start4.elf fixup4.dat config.txt bcm2711-rpi-4-b.dtb; do
	[ -f "$dir/$f" ] || die "$dir has no $f (make rpi4-firmware, then make rpi4)"
done
for t in sfdisk mkfs.vfat mcopy; do
	command -v "$t" >/dev/null || die "$t is needed (packages fdisk, dosfstools, mtools)"
done

# Sizes in 512-byte sectors: the partition starts at 4 MiB (erase-block
# aligned, as the Pi's own images do) and is 256 MiB, which FAT32 needs
# (at 512-byte clusters it wants at least 65525 of them).
start=8192
size=$((256 * 2048))
rm -f "$img"
truncate -s $(((start + size) * 512)) "$img"
printf 'label: dos\nstart=%d, size=%d, type=c, bootable\n' "$start" "$size" | sfdisk --quiet "$img"
mkfs.vfat -F 32 -n YOLK --offset "$start" "$img" $((size / 2)) >/dev/null
for f in "$dir"/*; do
	mcopy -o -i "$img@@$((start * 512))" "$f" ::/
done
echo "$img: $(((start + size) / 2048)) MiB, FAT32 partition with $(ls "$dir" | tr '\n' ' ')"
