#!/bin/bash
# History, side by side with nmap's way of keeping scans (XML files + ndiff):
#   1. the cost of recording: portscope scan -sT -p- 127.0.0.1 --db FILE
#      vs the same scan with --no-history (paired runs, ratio of medians)
#   2. the comparison: portscope diff A B vs ndiff A.xml B.xml of the same two
#      scans (one port opened in between), paired runs, ratio.
# In a fresh network namespace (unshare --net, needs root) with ~10 listeners.
# PORTSCOPE_BIN comes from `make bench`; RUNS paired runs (default 7).
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-7}

if [ "${1:-}" != "--inside" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/history.sh: needs root for a network namespace"; exit 1; }
	command -v ndiff >/dev/null || { echo "bench/history.sh: needs ndiff"; exit 1; }
	exec unshare --net -- "$0" --inside
fi

ip link set lo up
tmp=$(mktemp -d)
export XDG_STATE_HOME=$tmp/state # never the real home
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

listen() { # starts listeners on the given ports and waits until they are ready
	python3 -u "$(dirname "$0")/lib/listen.py" 127.0.0.1 512 "$@" > "$tmp/ready.$1" &
	pids+=($!)
	for _ in $(seq 100); do grep -q READY "$tmp/ready.$1" && return 0; sleep 0.05; done
	echo "listeners did not start"; exit 1
}

. "$(dirname "$0")/lib/time.sh"

listen 22 80 443 3306 5432 6379 8080 9000 33000 45000

: > "$tmp/rec"
for i in $(seq "$runs"); do
	rm -f "$tmp/bench.db"*
	off=$(elapsed "$bin" scan -sT -p- -oG - --no-history 127.0.0.1)
	on=$(elapsed "$bin" scan -sT -p- -oG - --db "$tmp/bench.db" 127.0.0.1)
	echo "$on $off" >> "$tmp/rec"
	printf 'run %d: scan -p- with history %.3f s, --no-history %.3f s\n' "$i" "$on" "$off"
done
printf 'recording cost: with/without history %.3fx (median of %d paired ratios; medians %.3f s / %.3f s)\n' \
	"$(awk '{ print $1 / $2 }' "$tmp/rec" | median)" "$runs" \
	"$(cut -d' ' -f1 "$tmp/rec" | median)" "$(cut -d' ' -f2 "$tmp/rec" | median)"

# Two scans, port 7000 opened in between, kept by both tools.
"$bin" scan -sT -p- --db "$tmp/diff.db" -oX "$tmp/a.xml" 127.0.0.1 > /dev/null
listen 7000
"$bin" scan -sT -p- --db "$tmp/diff.db" -oX "$tmp/b.xml" 127.0.0.1 > /dev/null
: > "$tmp/diff"
for i in $(seq "$runs"); do
	ps=$(elapsed "$bin" diff --db "$tmp/diff.db" 1 2)
	grep -q "7000/tcp  closed -> open" "$tmp/out" || { echo "portscope diff missed 7000"; exit 1; }
	nd=$(elapsed ndiff "$tmp/a.xml" "$tmp/b.xml")
	grep -q "7000/tcp" "$tmp/out" || { echo "ndiff missed 7000"; exit 1; }
	echo "$ps $nd" >> "$tmp/diff"
	printf 'run %d: portscope diff %.4f s  ndiff %.4f s\n' "$i" "$ps" "$nd"
done
printf 'portscope diff/ndiff time: %.3fx (median of %d paired ratios; medians %.4f s / %.4f s)\n' \
	"$(awk '{ print $1 / $2 }' "$tmp/diff" | median)" "$runs" \
	"$(cut -d' ' -f1 "$tmp/diff" | median)" "$(cut -d' ' -f2 "$tmp/diff" | median)"
