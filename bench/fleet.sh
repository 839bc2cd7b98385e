#!/bin/bash
# Issue 19's figures, in a fresh network namespace (unshare --net, needs root):
#  1. throughput: four shards in parallel against one process on the same lab
#     (198.18.1.0/28 on loopback, -sT -Pn -p 1-$PORTS): probes a second of each way;
#  2. the history store: portscope scan -sT -p- 127.0.0.1 recording into PostgreSQL
#     (a server of its own: initdb in a scratch directory, a unix socket, no TCP)
#     against recording into SQLite; the issue's target: PostgreSQL <= 1.1x SQLite.
# RUNS paired runs (default 5); prints medians and the median of the paired ratios.
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-5}
nports=${PORTS:-16384}

if [ "${1:-}" != "--inside" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/fleet.sh: needs root for a network namespace"; exit 1; }
	exec unshare --net -- "$0" --inside
fi

ip link set lo up
ip route add local 198.18.1.0/28 dev lo
tmp=$(mktemp -d)
chmod 755 "$tmp"
lpid=
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
aspg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -d "$tmp/pg" ] && aspg "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

python3 -u "$(dirname "$0")/lib/listen.py" 0.0.0.0 512 22 80 443 3306 5432 8080 > "$tmp/ready" &
lpid=$!
for _ in $(seq 100); do grep -q READY "$tmp/ready" && break; sleep 0.05; done
grep -q READY "$tmp/ready" || { echo "listeners did not start"; exit 1; }

. "$(dirname "$0")/lib/time.sh"
total=$((16 * nports))
scan=("$bin" scan -sT -Pn -p "1-$nports" --seed 19 --no-history -oG - 198.18.1.0/28)
shards() {
	local pids=()
	for i in 1 2 3 4; do "${scan[@]}" --shard "$i/4" > "$tmp/shard$i" & pids+=($!); done
	for p in "${pids[@]}"; do wait "$p"; done
}
: > "$tmp/pairs"
for i in $(seq "$runs"); do
	one=$(elapsed "${scan[@]}")
	four=$(elapsed shards)
	open=$(cat "$tmp"/shard? | grep -o '/open/' | wc -l)
	[ "$open" = 96 ] || { echo "run $i: the shards found $open open ports, not 96"; exit 1; }
	echo "$one $four" >> "$tmp/pairs"
	printf 'run %d: one process %.3f s, four shards %.3f s\n' "$i" "$one" "$four"
done
one=$(cut -d' ' -f1 "$tmp/pairs" | median)
four=$(cut -d' ' -f2 "$tmp/pairs" | median)
printf 'one process : %d probes in %.3f s = %.0f probes/s\n' "$total" "$one" "$(awk -v n=$total -v t=$one 'BEGIN{print n/t}')"
printf 'four shards : %d probes in %.3f s = %.0f probes/s\n' "$total" "$four" "$(awk -v n=$total -v t=$four 'BEGIN{print n/t}')"
printf 'four shards / one process throughput: %.2fx (median of paired ratios, %d runs, %d CPUs)\n' \
	"$(awk '{ print $1 / $2 }' "$tmp/pairs" | median)" "$runs" "$(nproc)"

[ -n "$pgbin" ] || { echo "no PostgreSQL server binaries: the store comparison is skipped"; exit 0; }
mkdir "$tmp/sock" "$tmp/pg" && chown postgres "$tmp/sock" "$tmp/pg" && chmod 700 "$tmp/pg"
aspg "$pgbin/initdb" -D "$tmp/pg" -U postgres -A trust --no-sync >/dev/null
aspg "$pgbin/pg_ctl" -D "$tmp/pg" -w -l "$tmp/sock/log" \
	-o "-c listen_addresses='' -c unix_socket_directories='$tmp/sock'" start >/dev/null
pg="postgresql://postgres@/postgres?host=$tmp/sock"
: > "$tmp/pairs"
for i in $(seq "$runs"); do
	rm -f "$tmp/h.db"*
	sq=$(elapsed "$bin" scan -sT -p- --db "$tmp/h.db" -oG - 127.0.0.1)
	pq=$(elapsed "$bin" scan -sT -p- --db "$pg" -oG - 127.0.0.1)
	echo "$sq $pq" >> "$tmp/pairs"
	printf 'run %d: SQLite %.3f s, PostgreSQL %.3f s\n' "$i" "$sq" "$pq"
done
ratio=$(awk '{ print $2 / $1 }' "$tmp/pairs" | median)
printf 'scan -sT -p- 127.0.0.1 into SQLite     : median %.3f s\n' "$(cut -d' ' -f1 "$tmp/pairs" | median)"
printf 'scan -sT -p- 127.0.0.1 into PostgreSQL : median %.3f s\n' "$(cut -d' ' -f2 "$tmp/pairs" | median)"
printf 'PostgreSQL/SQLite time: %.2fx (median of %d paired ratios; target <= 1.10x)\n' "$ratio" "$runs"
