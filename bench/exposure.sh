#!/bin/bash
# The firewall evaluator (src/lib/firewall) beside `nft -j list ruleset` on the
# same ruleset: a generated ruleset of RULES rules (default 10,000: an inet
# filter with source-restricted and interface-restricted accepts, named sets,
# drops, jumps into 40 user chains, an ip nat prerouting with dnat rules and an
# iptables-style forward chain) loaded into a namespace made for this run, and
# SOCKETS listening sockets (default 1,000: TCP and UDP) in it. The evaluator
# tries every path to every socket and every translated endpoint; its time is
# the best of RUNS (it must stay within 0.2 s), nft's the median of RUNS.
# Sends no packets. Needs root. PORTSCOPE_BIN comes from `make bench`; the
# driver (tests/fw-driver.c) is built beside it.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
driver=${FW_DRIVER:-$(dirname "$bin")/tests/integration/fw-driver}
runs=${RUNS:-5}
rules=${RULES:-10000}
sockets=${SOCKETS:-1000}
if [ "$(id -u)" != 0 ] || ! command -v nft > /dev/null; then
	echo "bench/exposure.sh: skipped (needs root and nft)"
	exit 0
fi
[ -x "$driver" ] || { echo "bench/exposure.sh: no driver at $driver (build first)"; exit 1; }
tmp=$(mktemp -d)
tag=$$-$(printf '%04x' $((RANDOM)))
ns=ps-bexp-$tag peer=ps-bexpp-$tag va=bxa$$ vb=bxb$$
cleanup() {
	ip netns pids "$ns" 2> /dev/null | xargs -r kill 2> /dev/null || true
	ip netns del "$ns" 2> /dev/null || true
	ip netns del "$peer" 2> /dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns add "$peer"
ip link add "$va" type veth peer name "$vb"
ip link set "$va" netns "$ns"
ip link set "$vb" netns "$peer"
ip -n "$ns" addr add 198.18.0.2/24 dev "$va"
ip -n "$ns" addr add fd00:5c09::2/64 dev "$va" nodad
ip -n "$ns" link set lo up
ip -n "$ns" link set "$va" up
ip -n "$peer" link set "$vb" up
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1

# The ruleset: RULES rules in all, ports spread over the sockets' range.
python3 - "$rules" > "$tmp/rules.nft" <<'EOF'
import sys
n = int(sys.argv[1])
user, per_user = 40, n * 4 // 10 // 40
nat, fwd = n // 10, n // 10
direct = n - user * per_user - nat - fwd
out = []
w = out.append
w("table inet bench {")
for k in range(20):
    elems = ", ".join("198.18.%d.%d" % (k + 1, i + 1) for i in range(50))
    w("  set admins%d { type ipv4_addr; elements = { %s } }" % (k, elems))
for c in range(user):
    w("  chain user%d {" % c)
    for i in range(per_user):
        p = 20000 + (c * per_user + i) % 3000
        if i % 4 == 0:
            w("    ip saddr 198.18.%d.%d tcp dport %d accept" % (i % 200 + 1, c + 1, p))
        elif i % 4 == 1:
            w("    udp dport %d accept" % p)
        elif i % 4 == 2:
            w("    tcp dport %d ip saddr @admins%d accept" % (p, c % 20))
        else:
            w("    ip saddr 198.18.%d.0/24 return" % (i % 200 + 1))
    w("  }")
w("  chain input {")
w("    type filter hook input priority 0; policy drop;")
w('    iif "lo" accept')
w("    ct state established,related accept")
for i in range(direct - 2):
    p = 20000 + (i * 7) % 3000
    kind = i % 6
    if kind == 0:
        w("    tcp dport %d drop" % p)
    elif kind == 1:
        w('    iifname "eth%d" tcp dport %d accept' % (i % 8, p))
    elif kind == 2:
        w("    ip saddr 198.18.%d.%d tcp dport %d accept" % (i % 250 + 1, i % 200 + 1, p))
    elif kind == 3:
        w("    udp dport %d reject" % p)
    elif kind == 4:
        w("    tcp dport %d jump user%d" % (p, i % user))
    else:
        w("    ip6 saddr fd00:5c09::%x tcp dport %d accept" % (i + 1, p))
w("  }")
w("}")
w("table ip nat {")
w("  chain prerouting {")
w("    type nat hook prerouting priority dstnat; policy accept;")
for i in range(nat):
    w("    tcp dport %d dnat to 198.18.%d.%d:80" % (30000 + i, 100 + i % 50, i % 250 + 1))
w("  }")
w("}")
w("table ip filter {")
w("  chain forward {")
w("    type filter hook forward priority 0; policy drop;")
for i in range(fwd):
    w('    ip daddr 198.18.%d.%d tcp dport 80 oifname "br%d" accept' % (100 + i % 50, i % 250 + 1, i % 4))
w("  }")
w("}")
print("\n".join(out))
EOF
count=$(grep -E '^    [a-z]' "$tmp/rules.nft" | grep -cv '^    type ' | tr -d ' ')
ip netns exec "$ns" nft -f "$tmp/rules.nft"

# SOCKETS listeners (four in five TCP, the rest UDP), held until the bench ends.
ip netns exec "$ns" python3 - "$sockets" "$tmp/ready" <<'EOF' &
import socket, sys, time
n, ready = int(sys.argv[1]), sys.argv[2]
held = []
for i in range(n):
    port = 20000 + i * 3
    if i % 5 == 4:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", port))
    else:
        s = socket.socket(socket.AF_INET6 if i % 2 else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if i % 2 else "0.0.0.0", port))
        s.listen(1)
    held.append(s)
open(ready, "w").close()
time.sleep(600)
EOF
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
[ -e "$tmp/ready" ] || { echo "bench/exposure.sh: listeners did not start"; exit 1; }

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

for _ in $(seq "$runs"); do
	s=$(date +%s%N)
	ip netns exec "$ns" nft -j list ruleset > /dev/null
	echo $((($(date +%s%N) - s) / 1000))
done | median > "$tmp/nft_us"
nft_ms=$(awk '{printf "%.1f", $1 / 1000}' "$tmp/nft_us")

"$driver" --netns "$ns" --repeat "$runs" > "$tmp/drv.json"
read -r socks paths eps read_ms eval_ms nat_ms < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["sockets"], d["paths"], d["nat_endpoints"], d["read_ms"], d["eval_ms"], d["nat_ms"])' "$tmp/drv.json")
total_ms=$(awk -v a="$eval_ms" -v b="$nat_ms" 'BEGIN {printf "%.1f", a + b}')

echo "exposure: $count rules, $socks sockets ($paths paths), $eps translated endpoints"
printf '  %-44s %8s ms\n' "portscope evaluation (sockets + dnat)" "$total_ms" \
	"  of which the sockets' paths" "$eval_ms" \
	"  of which the dnat endpoints" "$nat_ms" \
	"portscope read (libnftables JSON + parse)" "$read_ms" \
	"nft -j list ruleset (median)" "$nft_ms"
awk -v e="$total_ms" -v n="$nft_ms" 'BEGIN {
	printf "  nft listing / evaluation: %.0fx (the evaluation takes %.2f%% of the nft listing)\n", n / e, 100 * e / n
	if (e > 200) { print "  FAIL: evaluation above 0.2 s"; exit 1 }
	print "  ok: evaluation within 0.2 s"
}'
