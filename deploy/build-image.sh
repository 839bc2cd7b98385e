#!/bin/sh
# Builds the portscope image (deploy/Containerfile) without a container registry: a minimal
# Debian 12 root filesystem made by debootstrap from the Debian mirror apt already uses,
# imported as localhost/debian:12, is the base of both stages.
#
#   deploy/build-image.sh [TAG]          (default TAG: localhost/portscope:latest)
#
# Environment: MIRROR (default: the first Debian mirror in /etc/apt/sources.list*),
# ENGINE (podman or docker; default: podman if installed), WORK (default: build-image/,
# keeps the root filesystem between runs; remove it to make a fresh one).
# Needs root (debootstrap), debootstrap, and podman or docker. `make image` runs it.
set -eu

tag=${1:-localhost/portscope:latest}
base=localhost/debian:12
src=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$src/build-image}

if [ -z "${ENGINE:-}" ]; then
	if command -v podman >/dev/null 2>&1; then ENGINE=podman; else ENGINE=docker; fi
fi
if [ -z "${MIRROR:-}" ]; then
	# deb822 (URIs: ...) or one-line (deb URL suite ...) sources; the first non-security one.
	MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { print $2 } /^deb / { print ($2 ~ /^\[/ ? $3 : $2) }' |
		grep -v security | head -n 1)
fi
[ -n "$MIRROR" ] || { echo "build-image: no Debian mirror found; set MIRROR" >&2; exit 2; }
command -v debootstrap >/dev/null 2>&1 ||
	{ echo "build-image: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }

t0=$(date +%s)
if ! "$ENGINE" image exists "$base" 2>/dev/null && ! "$ENGINE" image inspect "$base" >/dev/null 2>&1; then
	rootfs=$work/rootfs
	if [ ! -e "$rootfs/etc/debian_version" ]; then
		rm -rf "$rootfs"
		mkdir -p "$rootfs"
		debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR"
	fi
	# Leave no apt lists or caches in the base image.
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
		"$rootfs"/var/cache/apt/archives/*.deb
	tar -C "$rootfs" --numeric-owner -c . | "$ENGINE" import - "$base"
fi
t1=$(date +%s)

# --network=host: the build stages reach the Debian mirror for apt-get (the scan itself
# never runs here).
"$ENGINE" build --network=host --build-arg BASE="$base" --build-arg RUNTIME_BASE="$base" \
	-f "$src/deploy/Containerfile" -t "$tag" "$src"
t2=$(date +%s)

echo "build-image: base $base in $((t1 - t0)) s, image $tag in $((t2 - t1)) s"
"$ENGINE" image ls "$tag"
