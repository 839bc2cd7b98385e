#!/bin/bash
# -sL over a /8: time and peak RSS of portscope (must stay <= 16 MB), and beside it
# nmap -sL -n on a /12 for scale (nmap materialises its target list; a /8 takes it
# minutes). -sL sends nothing and -n resolves nothing; nmap still runs in a fresh
# empty network namespace (unshare --net, needs root), as LAB.md asks.
# Paired runs, medians. PORTSCOPE_BIN comes from `make bench`.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-5}
limit_kb=$((16 * 1024))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v /usr/bin/time >/dev/null || { echo "bench/list.sh: needs /usr/bin/time (package time)"; exit 1; }

# Prints "seconds max_rss_kb" for one run of the command: wall time from bash's
# microsecond clock ($EPOCHREALTIME), peak RSS from /usr/bin/time.
measure() {
	local t0 t1
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M' -o "$tmp/t" "$@" > /dev/null
	t1=$EPOCHREALTIME
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(cat "$tmp/t")"
}

. "$(dirname "$0")/lib/time.sh"

: > "$tmp/ps8"; : > "$tmp/ps12"; : > "$tmp/nm12"
for i in $(seq "$runs"); do
	measure "$bin" scan -sL 198.0.0.0/8 >> "$tmp/ps8"
	measure "$bin" scan -sL 198.16.0.0/12 >> "$tmp/ps12"
	if command -v nmap >/dev/null && [ "$(id -u)" = 0 ]; then
		measure unshare --net nmap -sL -n 198.16.0.0/12 >> "$tmp/nm12"
	fi
done

ps8_t=$(cut -d' ' -f1 "$tmp/ps8" | median); ps8_m=$(cut -d' ' -f2 "$tmp/ps8" | median)
ps12_t=$(cut -d' ' -f1 "$tmp/ps12" | median); ps12_m=$(cut -d' ' -f2 "$tmp/ps12" | median)
printf 'portscope scan -sL 198.0.0.0/8    (16777216 addresses): %7.3f s  peak RSS %6d kB\n' "$ps8_t" "$ps8_m"
printf 'portscope scan -sL 198.16.0.0/12  (1048576 addresses): %7.3f s  peak RSS %6d kB\n' "$ps12_t" "$ps12_m"
if [ -s "$tmp/nm12" ]; then
	nm_t=$(cut -d' ' -f1 "$tmp/nm12" | median); nm_m=$(cut -d' ' -f2 "$tmp/nm12" | median)
	printf 'nmap -sL -n 198.16.0.0/12         (1048576 addresses): %7.3f s  peak RSS %6d kB\n' "$nm_t" "$nm_m"
	ratio=$(paste -d' ' "$tmp/nm12" "$tmp/ps12" | awk '$3 > 0 { print $1 / $3 }' | median)
	printf 'nmap/portscope time on the /12: %.1fx (median of %d paired ratios)\n' "$ratio" "$runs"
fi
if [ "$ps8_m" -gt "$limit_kb" ]; then
	echo "FAIL: peak RSS ${ps8_m} kB over the ${limit_kb} kB budget for a /8"
	exit 1
fi
echo "ok: /8 listing within ${limit_kb} kB"
