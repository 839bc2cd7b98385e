#!/usr/bin/env bash
# Service detection on the real-daemon lab (sshd on 80, nginx, TLS, vsftpd, redis, dnsmasq,
# postgresql, telnetd) beside nmap -sV: see bench/detect_lab.py.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/detect-lab.sh: needs root (network namespaces)" >&2; exit 1; }
: "${PORTSCOPE_BIN:?set PORTSCOPE_BIN to the built portscope}"
exec /usr/bin/python3 "$(dirname "$0")/detect_lab.py"
