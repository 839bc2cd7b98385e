#!/bin/bash
# portscope info beside getent services (glibc NSS over /etc/services), the
# reference look-up, on the same keys: every port/tcp of /etc/services, one
# process each side. portscope is run twice: with /etc/services only (the same
# data as getent) and with nmap-services too (about 27000 more records loaded,
# sorted and indexed per run). Paired runs, medians. Sends no packets.
# PORTSCOPE_BIN comes from `make bench`.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-11}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t keys < <(awk '!/^#/ && $2 ~ /^[0-9]+\/tcp$/ { print $2 }' /etc/services | sort -u)
[ "${#keys[@]}" -gt 0 ] || { echo "bench/info.sh: no tcp entries in /etc/services"; exit 1; }

# Prints the wall time in seconds of one run of the command.
measure() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" > /dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

. "$(dirname "$0")/lib/time.sh"

: > "$tmp/ge"; : > "$tmp/ps"; : > "$tmp/psn"
for i in $(seq "$runs"); do
	measure getent services "${keys[@]}" >> "$tmp/ge"
	measure "$bin" info --json --nmap-services '' "${keys[@]}" >> "$tmp/ps"
	measure "$bin" info --json "${keys[@]}" >> "$tmp/psn"
done

ge=$(median < "$tmp/ge"); ps=$(median < "$tmp/ps"); psn=$(median < "$tmp/psn")
printf '%d keys (every port/tcp of /etc/services), %d paired runs, medians:\n' "${#keys[@]}" "$runs"
printf '  getent services                          %8.4f s\n' "$ge"
printf '  portscope info --json (/etc/services)    %8.4f s\n' "$ps"
printf '  portscope info --json (+ nmap-services)  %8.4f s\n' "$psn"
r1=$(paste -d' ' "$tmp/ge" "$tmp/ps" | awk '$2 > 0 { print $1 / $2 }' | median)
r2=$(paste -d' ' "$tmp/ge" "$tmp/psn" | awk '$2 > 0 { print $1 / $2 }' | median)
printf 'getent/portscope: %.1fx (same data), %.1fx (portscope also loading nmap-services)\n' "$r1" "$r2"
