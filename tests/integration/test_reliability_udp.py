"""Forged replies never decide a UDP scan (issue 12, item 2), in lab namespaces.

A scanner (198.18.0.1) and a target (198.18.0.2, and 198.18.0.3 where every
UDP datagram is dropped: all its ports are silent). 198.18.0.2 answers on three
UDP ports: snmpd on 161 (its reply echoes the request id), a DNS-like responder
on 5353 (echoes the query id) and a bare echo on 40000 (echoes nothing of the
probe); its other ports are closed. While the scans run, tests/lab-forge.c
floods the scanner from both target addresses, blind (it never sees a probe):
ICMP port unreachables with every inner-header variant, and UDP datagrams from
the probed ports, at 50,000 packets a second and more.
"""
import pytest

from conftest import built_helper, have, link_veth, needs_root
from test_audit import start_snmpd

pytestmark = needs_root

# 5353 answers like a DNS server (the query id back, QR set); 40000 says "pong".
RESPONDERS = r"""
import selectors, socket
sel = selectors.DefaultSelector()
for port in (5353, 40000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, port)
print("READY", flush=True)
while True:
    for key, _ in sel.select():
        try:
            data, peer = key.fileobj.recvfrom(2048)
        except OSError:
            continue
        if key.data == 5353:
            if len(data) >= 12:
                key.fileobj.sendto(data[:2] + b"\x84\x00" + data[4:], peer)
        else:
            key.fileobj.sendto(b"pong", peer)
"""

ANSWERING = {161, 5353, 40000}
CLOSED = {53, 123, 137, 1900, 11211} | set(range(9000, 9020))
PORTS = ",".join(str(p) for p in sorted(ANSWERING | CLOSED))
SEED = 5 << 13  # portscope's old fixed source ports for this seed: 61080-61095


@pytest.fixture
def udp_lab(netns, tmp_path):
    scanner, target = netns("us"), netns("ut")
    link_veth(scanner, target, "198.18.0.1", "198.18.0.2")
    # Closed ports answer at once: the scan's pacing is tested elsewhere.
    target.sh("sysctl -qw net.ipv4.icmp_ratelimit=0")
    start_snmpd(target, tmp_path, "public")
    p = target.popen(["python3", "-u", "-c", RESPONDERS], text=True)
    assert p.stdout.readline().strip() == "READY"
    target.wait_port("udp", 40000)
    # 198.18.0.3 is the target's too, and silent: every UDP datagram to it is dropped.
    target.sh("ip addr add 198.18.0.3/32 dev lo")
    scanner.sh("ip route add 198.18.0.3/32 via 198.18.0.2")
    r = target.run(["nft", "-f", "-"], input="table inet lab {\n chain input {\n"
                   " type filter hook input priority 0\n"
                   " ip daddr 198.18.0.3 meta l4proto udp drop\n }\n}\n")
    assert r.rc == 0, r
    return scanner, target


def states(r):
    """{(host, port): state} of a scan's JSON Lines; unlisted ports have their host's hidden state."""
    assert r.rc == 0, r
    got = {}
    for x in r.jsonl():
        if x["type"] == "host" and x["not_shown"]:
            hidden = "|".join(n["state"] for n in x["not_shown"])  # one state, or ambiguous
            got.update({(x["address"], p): hidden for p in ANSWERING | CLOSED})
    got.update({(x["address"], x["port"]): x["state"] for x in r.jsonl() if x["type"] == "port"})
    return got


def judge(got):
    """The answering ports not open and the silent or closed ones open, as {(host, port): state}."""
    bad = {}
    for port in ANSWERING | CLOSED:
        st = got.get(("198.18.0.2", port))
        if (port in ANSWERING) != (st == "open"):
            bad[("198.18.0.2", port)] = st
        st = got.get(("198.18.0.3", port))
        if st != "open|filtered":
            bad[("198.18.0.3", port)] = st
    return bad


SCAN = ["scan", "-sU", "-p", PORTS, "-oJ", "-", "198.18.0.2", "198.18.0.3"]


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_forged_replies_never_decide(udp_lab):
    scanner, target = udp_lab
    forge = built_helper("LAB_FORGE")
    # Without the forger: the answering ports open, the others closed or silent.
    clean = states(scanner.portscope(*SCAN))
    assert judge(clean) == {}, clean
    assert all(clean[("198.18.0.2", p)] == "closed" for p in CLOSED), clean
    forger = target.popen([forge, "198.18.0.2,198.18.0.3", "198.18.0.1", PORTS,
                           "61080-61095/32768-65535", "60000", "120"], text=True)
    assert forger.stdout.readline().strip() == "READY"
    bad = []
    try:
        for run in range(10):
            got = states(scanner.portscope(*SCAN, "--seed", str(SEED + run), timeout=120))
            if judge(got):
                bad.append((run, judge(got)))
    finally:
        forger.terminate()
        out, err = forger.communicate(timeout=10)
    words = out.split()
    assert len(words) == 4 and words[0] == "SENT", (out, err)
    assert int(words[1]) / float(words[3]) >= 50000, out
    assert bad == [], bad
