#!/usr/bin/env bash
# Benchmark: portscope ls against ss on ~36,000 TCP sockets, side by side.
#
# Builds a throw-away network namespace (never the root one, see LAB.md) where
# HELPERS processes each hold CONNS established loopback connections (both
# ends: 2*CONNS sockets per process, under the hard RLIMIT_NOFILE of 20000),
# then times, in RUNS paired runs with alternating order:
#   A: portscope ls -t -a               vs  ss -tanp   (with processes)
#   B: portscope ls -t -a --no-process  vs  ss -tan
# Both write to /dev/null. Prints the medians and the ratios, and checks that
# both tools report the same rows: sorted (local, peer, state, pids) sets from
# `portscope ls -t -a --json` and `ss -tanp -H`.
# Environment: PORTSCOPE_BIN (required), RUNS (default 7), HELPERS (4), CONNS (4500).
set -euo pipefail

BIN=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope binary}
RUNS=${RUNS:-7}
HELPERS=${HELPERS:-4}
CONNS=${CONNS:-4500}
[ "$(id -u)" = 0 ] || { echo "bench/ls.sh: needs root (creates a network namespace)" >&2; exit 1; }
command -v ss >/dev/null || { echo "bench/ls.sh: needs ss (iproute2)" >&2; exit 1; }

NS=ps-bench-$$-$(printf '%04x' $((RANDOM)))
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up

# One helper: listens on 127.0.0.1:PORT, makes CONNS connections to itself and
# keeps both ends open; prints READY, then waits for its stdin to close.
cat >"$TMP/helper.py" <<'PY'
import resource, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", port))
lst.listen(4096)
keep = []
for _ in range(n):
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = lst.accept()
    keep += [c, s]
print("READY", flush=True)
sys.stdin.read()
PY

mkfifo "$TMP/hold"
exec 9<>"$TMP/hold"   # helpers read this; it closes when the script exits
for i in $(seq 0 $((HELPERS - 1))); do
	ip netns exec "$NS" python3 "$TMP/helper.py" $((20000 + i)) "$CONNS" \
		<"$TMP/hold" >"$TMP/ready.$i" 2>"$TMP/err.$i" &
	PIDS+=($!)
done
deadline=$((SECONDS + 180))
for i in $(seq 0 $((HELPERS - 1))); do
	until grep -q READY "$TMP/ready.$i" 2>/dev/null; do
		if ((SECONDS > deadline)) || ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
			echo "bench/ls.sh: helper $i did not get ready:" >&2
			cat "$TMP/err.$i" >&2
			exit 1
		fi
		sleep 0.2
	done
done
NSOCK=$(ip netns exec "$NS" ss -tanH | wc -l)
echo "namespace $NS: $NSOCK TCP sockets (ss -tan), $HELPERS processes x $CONNS connections"

# Row sets must match before timing means anything.
ip netns exec "$NS" "$BIN" ls -t -a --json >"$TMP/ps.json"
ip netns exec "$NS" ss -tanp -H >"$TMP/ss.txt"
python3 - "$TMP/ps.json" "$TMP/ss.txt" <<'PY'
import json, re, sys

def split_ep(ep):
    host, port = ep.rsplit(":", 1)
    host = host.split("%", 1)[0].strip("[]")
    if host == "*":
        host = "::"
    return host, 0 if port == "*" else int(port)

ssmap = {"estab": "established", "unconn": "close"}
ss_rows = set()
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) < 5:
        continue
    state = ssmap.get(f[0].lower(), f[0].lower())
    pids = tuple(sorted(int(p) for p in re.findall(r"pid=(\d+)", line)))
    ss_rows.add((split_ep(f[3]), split_ep(f[4]), state, pids))
ps_rows = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    pids = tuple(sorted(p["pid"] for p in (r["processes"] or [])))
    ps_rows.add(((r["local_address"], r["local_port"]), (r["peer_address"], r["peer_port"]),
                 r["state"], pids))
print(f"row sets: portscope {len(ps_rows)}, ss {len(ss_rows)}, "
      f"only portscope {len(ps_rows - ss_rows)}, only ss {len(ss_rows - ps_rows)}")
for r in sorted(ps_rows ^ ss_rows)[:5]:
    print("  differs:", r)
sys.exit(0 if ps_rows == ss_rows else 1)
PY

# Paired runs inside the namespace; order alternates to cancel drift.
ip netns exec "$NS" bash -c '
BIN=$1; RUNS=$2
t() { local t0=$EPOCHREALTIME; "$@" >/dev/null; local t1=$EPOCHREALTIME; echo $(( ${t1/./} - ${t0/./} )); }
for i in $(seq "$RUNS"); do
	if ((i % 2)); then
		a1=$(t ss -tanp); a2=$(t "$BIN" ls -t -a)
		b1=$(t ss -tan);  b2=$(t "$BIN" ls -t -a --no-process)
	else
		a2=$(t "$BIN" ls -t -a); a1=$(t ss -tanp)
		b2=$(t "$BIN" ls -t -a --no-process); b1=$(t ss -tan)
	fi
	echo "$a1 $a2 $b1 $b2"
done' bench "$BIN" "$RUNS" >"$TMP/times"

python3 - "$TMP/times" "$NSOCK" <<'PY'
import statistics, sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
def report(name, ref, ours, col_ref, col_ours, limit):
    r = statistics.median(x[col_ref] for x in rows) / 1e6
    o = statistics.median(x[col_ours] for x in rows) / 1e6
    pr = statistics.median(x[col_ours] / x[col_ref] for x in rows)
    ok = "ok" if pr <= limit else "OVER"
    print(f"{name}: {ref} median {r:.3f} s, {ours} median {o:.3f} s, "
          f"ratio {o / r:.3f} (median of paired ratios {pr:.3f}, limit {limit}) {ok}")
    return pr <= limit
print(f"{len(rows)} paired runs, {sys.argv[2]} sockets")
a = report("A", "ss -tanp", "portscope ls -t -a", 0, 1, 0.30)
b = report("B", "ss -tan", "portscope ls -t -a --no-process", 2, 3, 1.0)
sys.exit(0 if a and b else 1)
PY
