#!/bin/sh
# Unpacks Debian packages of a benchmark peer (Exim, OpenSMTPD) into bench/tmp/pkg/NAME without
# installing them: Debian lets only one MTA be installed, and Postfix is that one. The .debs are
# fetched with `apt-get download` into bench/tmp/debs (a cache; /tmp/debs is used when it has
# them) and extracted with `dpkg-deb -x`, so no package script ever runs and no service starts.
# Prints the directory. Safe to run concurrently (flock).
#   bench/unpack-peer.sh NAME PACKAGE...
set -eu
root=$(realpath -m "$(dirname "$0")/tmp")
name=$1
shift
mkdir -p "$root/debs" "$root/pkg"
exec 9> "$root/pkg/.lock"
flock 9
target="$root/pkg/$name"
if [ ! -f "$target/.unpacked" ]; then
	rm -rf "$target"
	mkdir -p "$target"
	for package in "$@"; do
		deb=$(ls "$root/debs/${package}_"*.deb 2>/dev/null | head -1 || true)
		if [ -z "$deb" ] && ls /tmp/debs/"${package}_"*.deb >/dev/null 2>&1; then
			cp /tmp/debs/"${package}_"*.deb "$root/debs/"
		fi
		if ! ls "$root/debs/${package}_"*.deb >/dev/null 2>&1; then
			(cd "$root/debs" && apt-get download -q "$package" >&2)
		fi
		dpkg-deb -x "$(ls "$root/debs/${package}_"*.deb | head -1)" "$target"
	done
	touch "$target/.unpacked"
fi
echo "$target"
