#!/bin/bash
# TCP connect scan of every port of loopback, side by side with nmap:
#   portscope scan -sT -p- 127.0.0.1   vs   nmap -sT -p- -n -Pn 127.0.0.1
# in a fresh network namespace (unshare --net, needs root) whose loopback holds
# only ~10 listeners this script starts. Paired runs (portscope then nmap, RUNS
# times, default 7); prints both medians and the median of the paired ratios.
# The issue's target: portscope <= 0.5x nmap's time. PORTSCOPE_BIN comes from `make bench`.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-7}

if [ "${1:-}" != "--inside" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/connect.sh: needs root for a network namespace"; exit 1; }
	command -v nmap >/dev/null || { echo "bench/connect.sh: needs nmap"; exit 1; }
	exec unshare --net -- "$0" --inside
fi

# From here on: inside the fresh namespace.
ip link set lo up
tmp=$(mktemp -d)
lpid=
cleanup() { [ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

ports="22 80 443 3306 5432 6379 8080 9000 33000 45000"
python3 -u "$(dirname "$0")/lib/listen.py" 127.0.0.1 512 $ports > "$tmp/ready" &
lpid=$!
for _ in $(seq 100); do grep -q READY "$tmp/ready" && break; sleep 0.05; done
grep -q READY "$tmp/ready" || { echo "listeners did not start"; exit 1; }

. "$(dirname "$0")/lib/time.sh"
nopen() { grep -o '[0-9]*/open/' "$tmp/out" | wc -l; }

: > "$tmp/pairs"
for i in $(seq "$runs"); do
	ps=$(elapsed "$bin" scan -sT -p- -oG - 127.0.0.1)
	ps_open=$(nopen)
	nm=$(elapsed nmap -sT -p- -n -Pn -oG - 127.0.0.1)
	nm_open=$(nopen)
	if [ "$ps_open" != 10 ] || [ "$nm_open" != 10 ]; then
		echo "run $i: open ports found: portscope $ps_open, nmap $nm_open (want 10)"; exit 1
	fi
	echo "$ps $nm" >> "$tmp/pairs"
	printf 'run %d: portscope %.3f s  nmap %.3f s\n' "$i" "$ps" "$nm"
done
ps_med=$(cut -d' ' -f1 "$tmp/pairs" | median)
nm_med=$(cut -d' ' -f2 "$tmp/pairs" | median)
ratio=$(awk '{ print $1 / $2 }' "$tmp/pairs" | median)
printf 'portscope scan -sT -p- 127.0.0.1 : median %.3f s\n' "$ps_med"
printf 'nmap -sT -p- -n -Pn 127.0.0.1   : median %.3f s\n' "$nm_med"
printf 'portscope/nmap time: %.2fx (median of %d paired ratios; target <= 0.50x)\n' "$ratio" "$runs"
awk -v r="$ratio" 'BEGIN { exit !(r <= 0.5) }' || { echo "FAIL: slower than 0.5x nmap"; exit 1; }
