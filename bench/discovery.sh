#!/usr/bin/env bash
# Host discovery and many hosts at once beside nmap, in one run: -sn of the lab, -F of the
# sparse range, -sV of 64 hosts x 4 services, peak RSS of -sn over a /16 (bench/discovery.py).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/discovery.sh: needs root (network namespaces)" >&2; exit 1; }
: "${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}"
exec /usr/bin/python3 "$(dirname "$0")/discovery.py"
