#!/bin/bash
# Runs the built image (deploy/build-image.sh; both: make image) without any network: `portscope info 22`,
# then a connect scan of 127.0.0.1 inside the container's own network namespace (only its
# lo), where a listener started in that namespace (nsenter) answers on port 8080.
#
#   deploy/check-image.sh [IMAGE]        (default: localhost/portscope:latest)
#
# Needs root, nsenter and python3 on the host, and podman or docker (ENGINE).
set -eu

img=${1:-localhost/portscope:latest}
if [ -z "${ENGINE:-}" ]; then
	if command -v podman >/dev/null 2>&1; then ENGINE=podman; else ENGINE=docker; fi
fi
# The engine's default limits (nofile 1048576) cannot be set by a caller without
# CAP_SYS_RESOURCE (a sandboxed CI): ask for what this process has.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
ul="--ulimit nofile=$nofile:$nofile --ulimit nproc=4096:4096"
name=portscope-check-$$
tmp=$(mktemp -d)
lp=

cleanup() {
	[ -n "$lp" ] && kill "$lp" 2>/dev/null
	"$ENGINE" rm -f "$name" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck disable=SC2086 # $ul is two options
"$ENGINE" run --rm --network=none $ul "$img" info 22 >"$tmp/info"
head -n 2 "$tmp/info"
grep -q '^22 ' "$tmp/info"

# shellcheck disable=SC2086
"$ENGINE" run -d --name "$name" --network=none $ul --entrypoint sleep "$img" 60 >/dev/null
pid=$("$ENGINE" inspect -f '{{.State.Pid}}' "$name")
nsenter -t "$pid" -n python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 8080))
s.listen(8)
open(sys.argv[1], "w").close()
time.sleep(60)' "$tmp/ready" &
lp=$!
i=0
while [ ! -e "$tmp/ready" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "check-image: the listener did not start" >&2; exit 1; }
	sleep 0.1
done
"$ENGINE" exec "$name" portscope scan -sT -Pn -p 8079-8081 --no-history -oG - 127.0.0.1 \
	>"$tmp/scan"
cat "$tmp/scan"
grep -q '8080/open/tcp' "$tmp/scan" && grep -q '8079/closed/tcp' "$tmp/scan"
echo "check-image: $img: info and a scan in its own network namespace work"
