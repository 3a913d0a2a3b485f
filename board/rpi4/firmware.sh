#!/usr/bin/env bash
# firmware.sh - fetch and verify the Raspberry Pi 4 firmware files that the
# yolk SD card needs (the list, with checksums, is board/rpi4/firmware.lock).
#
# Usage:
#   firmware.sh fetch DIR     download what DIR lacks, verify everything
#   firmware.sh verify DIR    only verify (exit 1 if a file is missing or wrong)
#
# Environment:
#   FIRMWARE_DEB   take start4.elf and fixup4.dat from this Debian
#                  raspi-firmware package (.deb) instead of downloading
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lock=$here/firmware.lock
prog=firmware.sh

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -eq 2 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
cmd=$1 dir=$2
command -v sha256sum >/dev/null || die "sha256sum is needed"

entries() { grep -v '^#' "$lock" | grep -v '^[[:space:]]*$'; }

check() { # check FILE SUM
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

download() { # download URL FILE
	if command -v curl >/dev/null; then
		curl -fsSL --retry 3 -o "$2" "$1"
	elif command -v wget >/dev/null; then
		wget -q -O "$2" "$1"
	else
		die "need curl or wget to download $1"
	fi
}

fetch_one() { # fetch_one NAME SUM SOURCE
	local name=$1 sum=$2 src=$3 tmp
	check "$dir/$name" "$sum" && return 0
	tmp=$(mktemp "$dir/.$name.XXXXXX")
	case $src in
	https://*)
		if [ -n "${FIRMWARE_DEB:-}" ]; then
			local x
			x=$(mktemp -d)
			dpkg-deb -x "$FIRMWARE_DEB" "$x" || { rm -rf "$x" "$tmp"; die "cannot unpack $FIRMWARE_DEB"; }
			local f
			f=$(find "$x" -name "$name" -type f -print -quit)
			[ -n "$f" ] || { rm -rf "$x" "$tmp"; die "$FIRMWARE_DEB has no $name"; }
			cp "$f" "$tmp"
			rm -rf "$x"
		else
			echo "downloading $name from $src"
			download "$src" "$tmp" || { rm -f "$tmp"; die "download of $src failed"; }
		fi
		;;
	*) cp "$root/$src" "$tmp" ;;
	esac
	if ! check "$tmp" "$sum"; then
		local got
		got=$(sha256sum "$tmp" | cut -d' ' -f1)
		rm -f "$tmp"
		die "$name: SHA-256 $got, want $sum (from $src): not using it"
	fi
	chmod 644 "$tmp"
	mv "$tmp" "$dir/$name"
	echo "$name: ok"
}

case $cmd in
fetch)
	mkdir -p "$dir"
	while read -r name sum src; do fetch_one "$name" "$sum" "$src"; done < <(entries)
	echo "firmware in $dir verified"
	;;
verify)
	bad=0
	while read -r name sum _; do
		if ! check "$dir/$name" "$sum"; then
			echo "$name: missing or wrong checksum" >&2
			bad=1
		fi
	done < <(entries)
	exit $bad
	;;
*) die "unknown command $cmd (fetch or verify)" ;;
esac
