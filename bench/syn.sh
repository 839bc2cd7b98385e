#!/bin/bash
# SYN scan of 256 hosts x 4096 ports, side by side with masscan and nmap -sS:
#   portscope scan -sS -p1-4096 198.18.1.0/24   vs   masscan   vs   nmap -sS
# Lab (LAB.md): a scanner namespace and a target namespace joined by veth; the
# target answers for 198.18.1.0/24 (a local route) with 4 open ports per host
# (1,048,576 probes, 1024 open). Paired runs (RUNS, default 5) of portscope and
# masscan; nmap runs NMAP_RUNS times (default 1: it takes minutes). Prints the
# open ports each found per run, the medians and the median paired ratios.
# The issue's goal: 1024/1024 in every run, time <= 1.0x masscan, <= 0.4x nmap.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-5}
nmap_runs=${NMAP_RUNS:-1}
mrate=${MASSCAN_RATE:-250000}
[ "$(id -u)" = 0 ] || { echo "bench/syn.sh: needs root for network namespaces"; exit 1; }
for t in masscan nmap; do command -v $t >/dev/null || { echo "bench/syn.sh: needs $t"; exit 1; }; done

. "$(dirname "$0")/lib/lab.sh"
lab_two_hosts syn
ip -n "$T" route add local 198.18.1.0/24 dev lo
ip -n "$S" route add 198.18.1.0/24 via 198.18.0.2
tmac=$(ip -n "$T" -o link show "$vt" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

open_ports="22 80 443 3306"
ip netns exec "$T" python3 -u "$(dirname "$0")/lib/listen.py" 0.0.0.0 4096 $open_ports > "$tmp/ready" &
for _ in $(seq 100); do grep -q READY "$tmp/ready" && break; sleep 0.05; done
grep -q READY "$tmp/ready" || { echo "listeners did not start"; exit 1; }
# Warm the neighbour entry so no scanner pays for ARP.
ip netns exec "$S" python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b\"\", (\"198.18.0.2\", 9))"
for _ in $(seq 100); do # resolved: masscan is told the MAC, portscope reads the neighbour table
	ip -n "$S" neigh show 198.18.0.2 | grep -q lladdr && break
	sleep 0.02
done

. "$(dirname "$0")/lib/time.sh"
nmed() { [ -s "$1" ] && median < "$1" || echo 0; }
nopen_grep() { grep -o '[0-9]*/open/' "$tmp/out" | wc -l; }
nopen_masscan() { grep -c '^open tcp' "$tmp/out" || true; }

run_ps() { elapsed ip netns exec "$S" "$bin" scan -sS -n -p1-4096 -oG - 198.18.1.0/24; }
run_masscan() {
	elapsed ip netns exec "$S" masscan 198.18.1.0/24 -p1-4096 --rate "$mrate" --wait 1 \
		--adapter "$vs" --adapter-ip 198.18.0.1 --router-mac "$tmac" -oL -
}

: > "$tmp/pairs"
all_found=1
for i in $(seq "$runs"); do
	ps=$(run_ps)
	ps_open=$(nopen_grep)
	ms=$(run_masscan)
	ms_open=$(nopen_masscan)
	[ "$ps_open" = 1024 ] || all_found=0
	echo "$ps $ms $ps_open $ms_open" >> "$tmp/pairs"
	printf 'run %d: portscope %.3f s (%d/1024 open)  masscan %.3f s (%d/1024 open)\n' \
		"$i" "$ps" "$ps_open" "$ms" "$ms_open"
done
: > "$tmp/nmap"
for i in $(seq "$nmap_runs"); do
	nm=$(elapsed ip netns exec "$S" nmap -sS -n -Pn -T4 -p1-4096 -oG - 198.18.1.0/24)
	nm_open=$(nopen_grep)
	echo "$nm" >> "$tmp/nmap"
	printf 'nmap run %d: %.3f s (%d/1024 open)\n' "$i" "$nm" "$nm_open"
done
ps_med=$(cut -d' ' -f1 "$tmp/pairs" | median)
ms_med=$(cut -d' ' -f2 "$tmp/pairs" | median)
nm_med=$(nmed "$tmp/nmap")
ratio=$(awk '{ print $1 / $2 }' "$tmp/pairs" | median)
printf 'portscope -sS -p1-4096 /24 : median %.3f s, %s\n' "$ps_med" \
	"$([ $all_found = 1 ] && echo "1024/1024 in every run" || echo "MISSED ports in some run")"
printf 'masscan --rate %s        : median %.3f s, median found %s/1024\n' "$mrate" "$ms_med" \
	"$(cut -d' ' -f4 "$tmp/pairs" | median)"
printf 'nmap -sS -T4               : median %.3f s\n' "$nm_med"
printf 'portscope/masscan time: %.2fx (median of %d paired ratios; goal <= 1.0x)\n' "$ratio" "$runs"
printf 'portscope/nmap time   : %.2fx (medians; goal <= 0.4x)\n' "$(awk -v a="$ps_med" -v b="$nm_med" 'BEGIN { print a / b }')"
[ $all_found = 1 ] || { echo "FAIL: portscope missed open ports"; exit 1; }
