#!/bin/bash
# UDP scan of the top-100 UDP ports of a lab host running dnsmasq, beside nmap -sU:
#   portscope scan -sU --top-ports 100 198.18.0.2   vs   nmap -sU --top-ports 100
# Lab (LAB.md): scanner and target namespaces joined by veth; the target keeps
# Linux's default ICMP rate limit (net.ipv4.icmp_ratelimit, 1 s after a burst of
# 6 per source address). The ICMP floor for one source address is
# (closed ports - 6) x icmp_ratelimit. Prints per run: time, states found, and
# for nmap its open|filtered count. RUNS (default 1: each run takes minutes).
# Then the same with --source-ip over 16 scanner addresses (198.18.0.16-31): the
# target's ICMP budget is per source address, so 16 of them.
# The issue's goal: every state right (1 open, 99 closed), time <= 1.2x the floor;
# with --source-ip over 16 addresses, <= 10 s.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-1}
[ "$(id -u)" = 0 ] || { echo "bench/udp.sh: needs root for network namespaces"; exit 1; }
for t in nmap dnsmasq; do command -v $t >/dev/null || { echo "bench/udp.sh: needs $t"; exit 1; }; done

. "$(dirname "$0")/lib/lab.sh"
lab_two_hosts udp
ip netns exec "$T" dnsmasq --port=53 --listen-address=198.18.0.2 --bind-interfaces \
	--no-resolv --no-hosts --pid-file= --conf-file=/dev/null --keep-in-foreground &
for _ in $(seq 100); do
	ip netns exec "$T" ss -ulnH 'sport = :53' | grep -q . && break
	sleep 0.05
done
ratelimit_ms=$(ip netns exec "$T" sysctl -n net.ipv4.icmp_ratelimit)
for i in $(seq 16 31); do ip -n "$S" addr add "198.18.0.$i/24" dev "$vs"; done

. "$(dirname "$0")/lib/time.sh"
# Ports in state $1: from the JSON Lines summary (portscope), from the XML (nmap).
jstate() { python3 -c 'import json, sys; r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]; print(r["ports"].get(sys.argv[2], 0))' "$tmp/out" "$1"; }
xstate() { python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
n = sum(1 for p in root.iter("port") if p.find("state").get("state") == sys.argv[2])
n += sum(int(e.get("count")) for e in root.iter("extraports") if e.get("state") == sys.argv[2])
print(n)' "$tmp/out" "$1"; }

: > "$tmp/runs"
: > "$tmp/multi"
ok=1
for i in $(seq "$runs"); do
	ps=$(elapsed ip netns exec "$S" "$bin" scan -sU -n --top-ports 100 -oJ - 198.18.0.2)
	ps_open=$(jstate open)
	ps_closed=$(jstate closed)
	ps_of=$(jstate 'open|filtered')
	[ "$ps_open" = 1 ] && [ "$ps_closed" = 99 ] || ok=0
	nm=$(elapsed ip netns exec "$S" nmap -sU -n -Pn --top-ports 100 -oX - 198.18.0.2)
	nm_of=$(xstate 'open|filtered')
	nm_closed=$(xstate closed)
	echo "$ps $nm" >> "$tmp/runs"
	printf 'run %d: portscope %.1f s (open %d, closed %d, open|filtered %d)  nmap %.1f s (closed %d, open|filtered %d)\n' \
		"$i" "$ps" "$ps_open" "$ps_closed" "$ps_of" "$nm" "$nm_closed" "$nm_of"
	mu=$(elapsed ip netns exec "$S" "$bin" scan -sU -n --top-ports 100 --source-ip 198.18.0.16-31 -oJ - 198.18.0.2)
	mu_open=$(jstate open)
	mu_closed=$(jstate closed)
	[ "$mu_open" = 1 ] && [ "$mu_closed" = 99 ] || ok=0
	echo "$mu" >> "$tmp/multi"
	printf 'run %d: portscope --source-ip 198.18.0.16-31: %.1f s (open %d, closed %d)\n' \
		"$i" "$mu" "$mu_open" "$mu_closed"
done
floor=$(awk -v ms="$ratelimit_ms" 'BEGIN { printf "%.1f", (99 - 6) * ms / 1000 }')
ps_med=$(cut -d' ' -f1 "$tmp/runs" | median)
nm_med=$(cut -d' ' -f2 "$tmp/runs" | median)
printf 'ICMP floor, one source address (93 x %d ms): %.1f s\n' "$ratelimit_ms" "$floor"
printf 'portscope -sU --top-ports 100: median %.1f s = %.2fx the floor (goal <= 1.2x)\n' \
	"$ps_med" "$(awk -v a="$ps_med" -v b="$floor" 'BEGIN { print a / b }')"
printf 'nmap -sU --top-ports 100     : median %.1f s\n' "$nm_med"
printf 'portscope --source-ip x16    : median %.1f s (goal <= 10 s)\n' "$(median < "$tmp/multi")"
[ $ok = 1 ] || { echo "FAIL: portscope got some state wrong"; exit 1; }
