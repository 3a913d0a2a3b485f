#!/usr/bin/env bash
# Installs qemu-system-aarch64 >= 9 (needed for -M raspi4b) from Debian's
# backports suite. The backports source entry is derived from the system's
# existing apt configuration, so no mirror host is named here.
set -euo pipefail

need_major=9
have_major() {
	command -v qemu-system-aarch64 >/dev/null 2>&1 || return 1
	local v
	v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | sed -n 1p)
	[ -n "$v" ] && [ "$v" -ge "$need_major" ]
}

if have_major; then
	echo "install-qemu: $(qemu-system-aarch64 --version | sed -n 1p)"
	exit 0
fi

. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
bp=/etc/apt/sources.list.d/yolk-backports.sources
if [ ! -f "$bp" ]; then
	src=/etc/apt/sources.list.d/debian.sources
	if [ -f "$src" ]; then
		# Take the first stanza's URIs and Signed-By (the main archive).
		uris=$(awk '/^URIs:/{print $2; exit}' "$src")
		keyring=$(awk '/^Signed-By:/{print $2; exit}' "$src")
	else
		uris=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
		keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	fi
	[ -n "$uris" ] || { echo "install-qemu: cannot derive the Debian archive from apt's configuration" >&2; exit 1; }
	{
		echo "Types: deb"
		echo "URIs: $uris"
		echo "Suites: ${codename}-backports"
		echo "Components: main"
		[ -n "$keyring" ] && echo "Signed-By: $keyring"
	} > "$bp"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t "${codename}-backports" qemu-system-arm qemu-utils >/dev/null
if ! have_major; then
	echo "install-qemu: qemu-system-aarch64 >= $need_major not available after install" >&2
	qemu-system-aarch64 --version >&2 || true
	exit 1
fi
echo "install-qemu: $(qemu-system-aarch64 --version | sed -n 1p)"
