#!/bin/bash
# portscope policy apply (read, parse, compile, load through libnftables) beside
# nft -f loading the same ruleset already compiled, the reference: a generated
# policy of RULES rules (ports, ranges, FROM lists of both families, labels)
# loaded into a fresh network namespace made for this run (LAB.md: nftables is
# never touched in the root namespace). Also times `policy check` (the lint
# compares rules pairwise). Paired runs, medians. Sends no packets. Needs root.
# PORTSCOPE_BIN comes from `make bench`.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-11}
rules=${RULES:-1000}
if [ "$(id -u)" != 0 ] || ! command -v nft > /dev/null; then
	echo "bench/policy.sh: skipped (needs root and nft)"
	exit 0
fi
tmp=$(mktemp -d)
ns=ps-bench-$$-$(printf '%04x' $((RANDOM)))
ip netns add "$ns"
trap 'ip netns del "$ns" 2> /dev/null; rm -rf "$tmp"' EXIT

# RULES rules over lab addresses only; every fifth has a FROM list.
awk -v n="$rules" 'BEGIN {
	for (i = 1; i <= n; i++) {
		p = 1000 + i * 7
		from = i % 5 == 0 ? sprintf(" FROM 198.18.%d.0/24, fd00:5c09::%x:0/112", i % 256, i) : ""
		act = i % 3 == 0 ? "DENY" : i % 3 == 1 ? "ALLOW" : "REJECT"
		proto = i % 2 ? "TCP" : "UDP"
		printf "%s %s PORT %d,%d-%d%s (rule %d)\n", act, proto, p, p + 2, p + 5, from, i
	}
	print "DENY ALL (default)"
}' > "$tmp/p.pol"
"$bin" policy compile "$tmp/p.pol" > "$tmp/p.nft"
ip netns exec "$ns" nft -c -f "$tmp/p.nft"

measure() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" > /dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: > "$tmp/nft"; : > "$tmp/ps"; : > "$tmp/chk"
for i in $(seq "$runs"); do
	measure ip netns exec "$ns" nft -f "$tmp/p.nft" >> "$tmp/nft"
	measure ip netns exec "$ns" "$bin" policy apply "$tmp/p.pol" >> "$tmp/ps"
	measure "$bin" policy check "$tmp/p.pol" >> "$tmp/chk" || true
done
[ "$(ip netns exec "$ns" nft list tables | wc -l)" = 1 ] || { echo "bench/policy.sh: more than one table"; exit 1; }

nf=$(median < "$tmp/nft"); ps=$(median < "$tmp/ps"); ck=$(median < "$tmp/chk")
printf '%d policy rules (%d nftables rules), %d paired runs, medians:\n' "$((rules + 1))" \
	"$(grep -c -E '(accept|drop|reject).*comment' "$tmp/p.nft")" "$runs"
printf '  nft -f (precompiled ruleset)             %8.4f s\n' "$nf"
printf '  portscope policy apply (parse+compile)   %8.4f s\n' "$ps"
printf '  portscope policy check (lint, pairwise)  %8.4f s\n' "$ck"
r=$(paste -d' ' "$tmp/nft" "$tmp/ps" | awk '$2 > 0 { print $1 / $2 }' | median)
printf 'nft/portscope apply: %.2fx\n' "$r"
