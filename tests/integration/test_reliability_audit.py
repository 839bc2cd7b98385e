"""The remote audit's UDP ports (issue 12, item 7), in a lab namespace.

An unverified UDP port (nothing answered on it) is not an open port; as root the
audit scans UDP with the raw engine instead of saying it would need it.
"""
from conftest import have, needs_root, portscope_bin
from test_audit import start_snmpd

pytestmark = needs_root

ECHO = r"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40000))
print("READY", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"pong", peer)
"""


def test_remote_udp_counts_only_answers(netns, tmp_path):
    ns = netns("au")
    ns.sh("ip addr add 198.18.0.9/32 dev lo")
    start_snmpd(ns, tmp_path, "lab-private-community")  # does not answer 'public'
    p = ns.popen(["python3", "-u", "-c", ECHO], text=True)
    assert p.stdout.readline().strip() == "READY"
    ns.wait_port("udp", 40000)
    r = ns.portscope("audit", "-p", "U:53,161,40000", "198.18.0.9", "--no-history",
                     "--no-color", timeout=60)
    assert r.rc == 0, r
    rows = sorted(line.split()[:2] for line in r.out.splitlines()
                  if line.startswith("198.18.0.9:"))
    assert rows == [["198.18.0.9:161/udp", "unverified"],
                    ["198.18.0.9:40000/udp", "reachable"]], r.out
    assert "attack surface: 1 open port, 1 reachable" in r.out, r.out
    assert "1 UDP port(s) did not answer" in r.out, r.out
    assert "raw-socket engine" not in r.out and "CAP_NET_RAW" not in r.out, r.out
    # Without CAP_NET_RAW there is no UDP scan, and the note says what it needs.
    if have("setpriv"):
        r = ns.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", portscope_bin(), "audit", "-p",
                    "U:53,40000", "198.18.0.9", "--no-history", "--no-color"], timeout=60)
        assert r.rc == 0, r
        assert "attack surface: 0 open ports" in r.out, r.out
        assert "2 UDP port(s) without a safe check were not scanned (a UDP scan needs " \
               "CAP_NET_RAW" in r.out, r.out
