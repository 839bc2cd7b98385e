#!/bin/bash
# The HTML report of a 1,000-host fleet, side by side with nmap's way of making a
# page of a scan (xsltproc with nmap.xsl over the XML):
#   1. the history: RUNS_AUDIT remote audits of 1,000 lab hosts
#      (198.18.4-7.1-250, all answered by this namespace's own stack), written
#      by portscope itself (so the schema is the real one), with services that
#      change between the audits; then one scan of the same hosts with -oX;
#   2. portscope report of that history (default: the newest audit, its
#      timeline and changes, and the fleet table of the 1,000 hosts): time and
#      size, against the targets (under 5 MB, under 2 s);
#   3. the scan's page: portscope report RUN vs xsltproc nmap.xsl of the same
#      scan's XML, paired runs, ratio of medians, sizes.
# In a fresh network namespace (unshare --net, needs root). PORTSCOPE_BIN comes
# from `make bench`; RUNS paired runs (default 5).
set -euo pipefail

bin=${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}
runs=${RUNS:-5}
audits=${RUNS_AUDIT:-3}
xsl=/usr/share/nmap/nmap.xsl
targets=198.18.4-7.1-250 # 1,000 hosts
ports=T:22,80,6379

if [ "${1:-}" != "--inside" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/report.sh: needs root for a network namespace"; exit 1; }
	command -v xsltproc >/dev/null && [ -r "$xsl" ] ||
		{ echo "bench/report.sh: needs xsltproc and $xsl (make deps)"; exit 1; }
	exec unshare --net -- "$0" --inside
fi

. "$(dirname "$0")/lib/time.sh"
ip link set lo up
ip route add local 198.18.4.0/22 dev lo
tmp=$(mktemp -d)
export XDG_STATE_HOME=$tmp/state # never the real home
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# The fleet's services for audit N: every host has SSH on 22; a third of them a web
# server on 80 (fewer from audit 2 on); a tenth Redis without AUTH on 6379 (more
# from audit 3 on). Each host's sockets are its own (bound to its address).
serve() {
	[ -n "$pid" ] && { kill "$pid"; wait "$pid" 2>/dev/null || true; }
	python3 -u -c '
import selectors, socket, sys
n = int(sys.argv[1])
sel = selectors.DefaultSelector()
reply = {22: b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 80: b"HTTP/1.0 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n", 6379: b"+PONG\r\n"}
def listen(addr, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(64); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, ("listen", port))
listen("0.0.0.0", 22)
i = 0
for c in range(4, 8):
    for d in range(1, 251):
        addr = "198.18.%d.%d" % (c, d)
        if i % 3 == 0 and not (n >= 2 and i % 6 == 0):
            listen(addr, 80)
        if i % 10 == 0 or (n >= 3 and i % 10 == 5):
            listen(addr, 6379)
        i += 1
print("READY", flush=True)
while True:
    for k, _ in sel.select():
        kind, port = k.data
        if kind == "listen":
            try:
                c, _ = k.fileobj.accept()
            except OSError:
                continue
            c.setblocking(False)
            if port == 22:
                try: c.send(reply[22])
                except OSError: pass
            sel.register(c, selectors.EVENT_READ, ("conn", port))
        else:
            try:
                data = k.fileobj.recv(4096)
                if data and port != 22:
                    k.fileobj.send(reply[port])
            except OSError:
                data = b""
            if not data or port != 22:
                sel.unregister(k.fileobj); k.fileobj.close()
' "$1" > "$tmp/ready" &
	pid=$!
	for _ in $(seq 200); do grep -q READY "$tmp/ready" && return 0; sleep 0.05; done
	echo "the fleet's services did not start"; exit 1
}

size() { stat -c %s "$1"; }

db=$tmp/fleet.db
for n in $(seq "$audits"); do
	serve "$n"
	t=$(elapsed "$bin" audit -p "$ports" "$targets" --db "$db" --no-color)
	printf 'history: audit %d of 1,000 hosts in %.1f s: %s\n' "$n" "$t" \
		"$(grep '^attack surface' "$tmp/out" | cut -c1-110)"
done
t=$(elapsed "$bin" scan -sT -p "$ports" "$targets" --db "$db" -oX "$tmp/scan.xml")
scan=$("$bin" history --db "$db" --limit 1 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
printf 'history: scan %s of the same hosts in %.1f s; %s bytes of history\n' "$scan" "$t" "$(size "$db")"

# The fleet page: the newest audit and its history, the fleet table.
: > "$tmp/fleet"
for i in $(seq "$runs"); do
	t=$(elapsed "$bin" report --db "$db" -o "$tmp/fleet.html")
	echo "$t" >> "$tmp/fleet"
done
hosts=$(grep -c '<tr data-host=' "$tmp/fleet.html" || true)
[ "$hosts" = 1000 ] || { echo "the fleet table has $hosts hosts, not 1000"; exit 1; }
ft=$(median < "$tmp/fleet")
fs=$(size "$tmp/fleet.html")
printf 'fleet page (1,000 hosts, %d audits): %.3f s (median of %d), %.2f MB: %s\n' "$audits" "$ft" \
	"$runs" "$(awk -v s="$fs" 'BEGIN { print s / 1e6 }')" \
	"$(awk -v t="$ft" -v s="$fs" 'BEGIN { print (t < 2 && s < 5e6) ? "within the targets (< 2 s, < 5 MB)" : "OVER the targets (2 s, 5 MB)" }')"

# The scan's page against nmap.xsl's of the same scan.
: > "$tmp/scan"
for i in $(seq "$runs"); do
	ps=$(elapsed "$bin" report --db "$db" --no-fleet -o "$tmp/scan.html" "$scan")
	xs=$(elapsed xsltproc -o "$tmp/nmap.html" "$xsl" "$tmp/scan.xml")
	echo "$ps $xs" >> "$tmp/scan"
	printf 'run %d: portscope report %.4f s  xsltproc nmap.xsl %.4f s\n' "$i" "$ps" "$xs"
done
printf 'scan page, portscope/xsltproc time: %.3fx (median of %d paired ratios; medians %.4f s / %.4f s); sizes %.2f MB / %.2f MB\n' \
	"$(awk '{ print $1 / $2 }' "$tmp/scan" | median)" "$runs" \
	"$(cut -d' ' -f1 "$tmp/scan" | median)" "$(cut -d' ' -f2 "$tmp/scan" | median)" \
	"$(awk -v s="$(size "$tmp/scan.html")" 'BEGIN { print s / 1e6 }')" \
	"$(awk -v s="$(size "$tmp/nmap.html")" 'BEGIN { print s / 1e6 }')"
[ -z "${KEEP:-}" ] || cp "$tmp/fleet.html" "$tmp/scan.html" "$tmp/nmap.html" "$db" "$KEEP"/
