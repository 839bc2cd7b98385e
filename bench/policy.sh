#!/bin/bash
# portscope policy at scale, beside nftables itself. A generated policy of RULES
# rules (default 60,000) in the shapes large rule sets have: service ports from
# anywhere (with ranges that overlap), allowlists of single hosts, networks of
# both families on port ranges, denies and rejects between them, DENY ALL.
#
#   check      portscope policy check (parse + lint); the issue's bound: 2 s
#   nft -f     the reference: nft loading the ruleset portscope compiled
#   apply      portscope policy apply: read, parse, compile, load through
#              libnftables (the issue's bound: 1.5x nft -f)
#
# Loaded into a fresh network namespace made for this run (LAB.md: nftables is
# never touched in the root namespace), replacing the table each time, nft and
# portscope alternating. Paired runs, medians. Sends no packets. Needs root.
# PORTSCOPE_BIN comes from `make bench`.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-5}
rules=${RULES:-60000}
if [ "$(id -u)" != 0 ] || ! command -v nft > /dev/null; then
	echo "bench/policy.sh: skipped (needs root and nft)"
	exit 0
fi
tmp=$(mktemp -d)
ns=ps-bench-$$-$(printf '%04x' $((RANDOM)))
ip netns add "$ns"
trap 'ip netns del "$ns" 2> /dev/null; rm -rf "$tmp"' EXIT

awk -v n="$rules" 'BEGIN {
	for (i = 1; i <= n; i++) {
		k = i % 10
		act = i % 7 == 0 ? "DENY" : i % 11 == 0 ? "REJECT" : "ALLOW"
		proto = i % 3 == 0 ? "UDP" : i % 13 == 0 ? "ANY" : "TCP"
		if (k < 4) {
			p = 1 + (i * 7) % 60000
			printf "%s %s PORT %d,%d-%d (service %d)\n", act, proto, p, p + 2, p + 5, i
		} else if (k < 8) {
			printf "ALLOW TCP PORT %d (%s) FROM 198.%d.%d.%d (host %d)\n", k == 4 ? 22 : 443,
			    k == 4 ? "SSH" : "HTTPS", 18 + int(i / 65536) % 2, int(i / 256) % 256, i % 256, i
		} else {
			p = 1 + (i * 13) % 60000
			printf "%s %s PORT %d-%d FROM 198.18.%d.0/24, fd00:5c09::%x:0/112 (net %d)\n",
			    act, proto, p, p + 20, i % 256, i, i
		}
	}
	print "DENY ALL (default)"
}' > "$tmp/p.pol"
"$bin" policy compile "$tmp/p.pol" > "$tmp/p.nft"
ip netns exec "$ns" nft -f "$tmp/p.nft"

measure() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" > /dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# CPU seconds (user + sys) of a command: on a busy machine the wall time is not all ours.
cpu() {
	/usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" > /dev/null 2>&1 || true
	tail -n 1 "$tmp/cpu" | awk '{ printf "%.6f\n", $1 + $2 }'
}

. "$(dirname "$0")/lib/time.sh"

: > "$tmp/nft"; : > "$tmp/ps"; : > "$tmp/chk"; : > "$tmp/chkcpu"
for i in $(seq "$runs"); do
	measure ip netns exec "$ns" nft -f "$tmp/p.nft" >> "$tmp/nft"
	# --confirm 0: a terminal in an SSH session would otherwise ask
	measure ip netns exec "$ns" "$bin" policy apply --confirm 0 "$tmp/p.pol" >> "$tmp/ps"
	measure "$bin" policy check --json "$tmp/p.pol" >> "$tmp/chk"
	cpu "$bin" policy check --json "$tmp/p.pol" >> "$tmp/chkcpu"
done
[ "$(ip netns exec "$ns" nft list tables | wc -l)" = 1 ] || { echo "bench/policy.sh: more than one table"; exit 1; }
ip netns exec "$ns" "$bin" policy apply --confirm 0 "$tmp/p.pol" > /dev/null

nf=$(median < "$tmp/nft"); ps=$(median < "$tmp/ps"); ck=$(median < "$tmp/chk")
ckc=$(median < "$tmp/chkcpu")
printf '%d policy rules -> %d nftables rules, %d map elements; %d paired runs, medians:\n' \
	"$((rules + 1))" "$(ip netns exec "$ns" nft -a list chain inet portscope input | grep -c 'handle [0-9]*$' || true)" \
	"$(sed -n 's/.*rules as \([0-9]*\) map elements.*/\1/p' "$tmp/p.nft" | awk '{ s += $1 } END { print s + 0 }')" "$runs"
printf '  portscope policy check (parse + lint)            %8.3f s   (bound: 2 s; CPU %.3f s)\n' "$ck" "$ckc"
printf '  nft -f (the ruleset portscope compiled)          %8.3f s\n' "$nf"
printf '  portscope policy apply (parse, compile, load)    %8.3f s\n' "$ps"
r=$(paste -d' ' "$tmp/ps" "$tmp/nft" | awk '$2 > 0 { print $1 / $2 }' | median)
printf 'apply / nft -f: %.2fx (bound: 1.5x)\n' "$r"
