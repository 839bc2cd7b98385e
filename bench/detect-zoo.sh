#!/usr/bin/env bash
# Service detection on the daemon zoo of issue 16 (tests/integration/zoo.py: 30+ real Debian
# daemons, each on its default port and on a random unusual port, over four lab addresses):
# the whole zoo in one `portscope scan -sV` beside one `nmap -sV`, TCP, then UDP (-sU -sV),
# paired runs from a scanner namespace. Prints both times, the ratio (target <= 0.1x) and the
# agreement on service names and products. RUNS (default 1: nmap takes minutes), PORTSCOPE_BIN.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/detect-zoo.sh: needs root (network namespaces)" >&2; exit 1; }
command -v nmap >/dev/null || { echo "bench/detect-zoo.sh: needs nmap" >&2; exit 1; }
: "${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}"
exec /usr/bin/python3 - "$(cd "$(dirname "$0")/.." && pwd)" <<'PY'
import os, statistics, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "integration"))
import zoo  # noqa: E402

BIN, RUNS = os.environ["PORTSCOPE_BIN"], int(os.environ.get("RUNS", "1"))
z = zoo.start(tag="bzoo", timeout=60)
worst = 0.0
try:
    if z.failed:
        for n, e in z.failed:
            print(f"did not start: {n}: {e.strip()[-400:]}")
    names = sorted({l.daemon for l in z.listeners})
    print(f"zoo: {len(names)} daemons, {len(z.listeners)} listeners (seed {z.seed})")
    for proto in ("tcp", "udp"):
        ps_t, nm_t = [], []
        for i in range(RUNS):
            ours, a = zoo.portscope_sv(z, BIN, proto)
            theirs, b = zoo.nmap_sv(z, proto)
            ps_t.append(a)
            nm_t.append(b)
            print(f"{proto} run {i + 1}: portscope {a:.2f} s  nmap {b:.2f} s")
        same_name = same_prod = with_prod = named = 0
        for l in (l for l in z.listeners if l.proto == proto):
            k = (l.addr, l.port)
            o, t = ours.get(k, ("", "", "")), theirs.get(k, ("", "", ""))
            if t[0]:
                named += 1
                same_name += o[0] == t[0]
            if t[1]:
                with_prod += 1
                same_prod += o[1] == t[1]
            print(f"  {l.daemon:11} {l.kind:8} {l.addr}:{l.port}/{proto:3}  nmap {t[0] or '-':12} "
                  f"{t[1] or '-':28}  portscope {o[0] or '-':12} {o[1] or '-'} {o[2]}")
        ratio = statistics.median(ps_t) / statistics.median(nm_t)
        if proto == "tcp":
            worst = ratio
        print(f"{proto}: portscope -sV median {statistics.median(ps_t):.2f} s, nmap -sV median "
              f"{statistics.median(nm_t):.2f} s, ratio {ratio:.3f}x (target <= 0.1x); same name "
              f"{same_name}/{named}, same product {same_prod}/{with_prod} where nmap names one")
finally:
    z.close()
if worst > 0.1:
    print("FAIL: the zoo's TCP -sV slower than 0.1x nmap -sV")
    sys.exit(1)
PY
