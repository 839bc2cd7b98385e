"""portscope scan -sS: the raw SYN scan, in lab namespaces.

A scanner namespace (198.18.0.1, fd00:5c09::1) and a target namespace
(198.18.0.2, fd00:5c09::2) joined by a veth pair; listeners and an nftables
firewall in the target. Raw packets never leave these namespaces.
"""
import os
import random
import socket
import struct
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import have, link_veth, needs_root, portscope_bin

pytestmark = needs_root

# Listens on every port given, IPv4 and IPv6, and closes what it accepts.
LISTENER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for p in [int(x) for x in sys.argv[1:]]:
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, p))
        s.listen(512)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
print("READY", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            c.close()
        except OSError:
            pass
"""

# Runs in the target namespace: for every SYN it sees arrive on the veth, sends
# the scanner a SYN-ACK and a RST from the probed port whose acknowledgement
# number is wrong (seq + 2, seq, a random one). Prints how many it forged.
FORGER = r"""
import os, random, select, socket, struct, sys, time
dev, stop_after = sys.argv[1], float(sys.argv[2])
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
rx.bind((dev, 0))
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def forge(src, dst, sport, dport, ack, flags):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), ack, 5 << 4,
                      flags, 1024, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst)
    tx.sendto(ip + tcp, (socket.inet_ntoa(dst), 0))

print("READY", flush=True)
n = 0
end = time.monotonic() + stop_after
while time.monotonic() < end:
    if not select.select([rx], [], [], 0.05)[0]:
        continue
    f = rx.recv(2048)
    ip = f[14:]
    if len(ip) < 40 or ip[9] != 6:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport, seq = struct.unpack("!HHI", ip[ihl:ihl + 8])
    flags = ip[ihl + 13]
    if flags & 0x12 != 0x02:
        continue
    for ack in ((seq + 2) & 0xffffffff, seq, random.getrandbits(32) | 1):
        forge(ip[16:20], ip[12:16], dport, sport, ack, 0x12)
        n += 1
    forge(ip[16:20], ip[12:16], dport, sport, (seq + 3) & 0xffffffff, 0x14)
    n += 1
    if n % 400 == 0:
        print(n, flush=True)
print("FORGED", n, flush=True)
"""


def start_listeners(ns, ports):
    p = ns.popen(["python3", "-u", "-c", LISTENER] + [str(x) for x in ports], text=True)
    line = p.stdout.readline()
    if line.strip() != "READY":
        raise RuntimeError(f"listeners did not start: {line!r} {p.stderr.read()}")
    for port in ports:
        ns.wait_port("tcp", port)
    return p


def nft(ns, ruleset):
    r = ns.run(["nft", "-f", "-"], input=ruleset)
    assert r.rc == 0, r


def xml_states(text):
    """{port: (state, reason)} listed in an nmap XML document, and {state: count} of extraports."""
    root = ET.fromstring(text)
    ports, extra = {}, {}
    for host in root.iter("host"):
        for port in host.iter("port"):
            st = port.find("state")
            ports[int(port.get("portid"))] = (st.get("state"), st.get("reason"))
        for ep in host.iter("extraports"):
            extra[ep.get("state")] = extra.get(ep.get("state"), 0) + int(ep.get("count"))
    return ports, extra


def port_records(r):
    return {x["port"]: x for x in r.jsonl() if x["type"] == "port"}


@pytest.fixture
def lab(netns):
    scanner, target = netns("rs"), netns("rt")
    va, vb = link_veth(scanner, target, "198.18.0.1", "198.18.0.2")
    scanner.sh(f"ip -6 addr add fd00:5c09::1/64 dev {va} nodad")
    target.sh(f"ip -6 addr add fd00:5c09::2/64 dev {vb} nodad")
    scanner.veth, target.veth = va, vb
    return scanner, target


@pytest.mark.skipif(not have("nmap") or not have("nft"), reason="needs nmap and nft")
def test_syn_agrees_with_nmap(lab, tmp_path):
    """Open, closed, dropped and admin-prohibited ports: the same states as nmap -sS."""
    scanner, target = lab
    rng = random.Random()
    opens = sorted(rng.sample(range(20000, 20500), 4)) + [22]
    start_listeners(target, opens)
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 20600-20619 drop\n"
        " tcp dport 20620-20624 reject with icmpx type admin-prohibited\n }\n}\n")
    spec = "20-25,20000-20700"
    mine_xml, nmap_xml = tmp_path / "mine.xml", tmp_path / "nmap.xml"
    mine = scanner.portscope("scan", "-sS", "-n", "--reason", "-p", spec, "-oX", str(mine_xml),
                             "198.18.0.2", timeout=60)
    assert mine.rc == 0, mine
    theirs = scanner.run(["nmap", "-sS", "-Pn", "-n", "--reason", "-p", spec, "-oX",
                          str(nmap_xml), "198.18.0.2"], timeout=120)
    assert theirs.rc == 0, theirs
    ports, extra = xml_states(mine_xml.read_text())
    nports, nextra = xml_states(nmap_xml.read_text())
    assert {p for p, s in ports.items() if s[0] == "open"} == set(opens)
    assert {p: s[0] for p, s in ports.items()} == {p: s[0] for p, s in nports.items()}
    assert extra == nextra, (extra, nextra)
    assert sum(extra.values()) + len(ports) == 6 + 701
    # The reasons nmap gives for the ports it lists (its reason names are ours). The
    # target rate-limits its ICMP errors, so nmap may hear silence where we heard
    # admin-prohibited: the reject rule must give that reason to all five here.
    for p, (state, reason) in nports.items():
        if reason != "no-response":
            assert ports[p] == (state, reason), (p, ports[p], nports[p])
    assert [p for p, s in ports.items() if s[1] == "admin-prohibited"] == list(range(20620, 20625))
    root = ET.fromstring(mine_xml.read_text())
    assert root.find("scaninfo").get("type") == "syn"


def test_syn_ipv6_and_loopback(lab, netns):
    scanner, target = lab
    opens = sorted(random.Random().sample(range(30000, 30200), 3))
    start_listeners(target, opens)
    r = scanner.portscope("scan", "-sS", "-6", "-p", "30000-30199", "-oJ", "-",
                          "fd00:5c09::2", timeout=60)
    assert r.rc == 0, r
    recs = port_records(r)
    assert sorted(p for p, x in recs.items() if x["state"] == "open") == opens
    assert all(x["address"] == "fd00:5c09::2" for x in recs.values())
    assert r.jsonl()[-1]["ports"] == {"open": 3, "closed": 197}

    lo = netns("rl")
    start_listeners(lo, opens)
    r = lo.portscope("scan", "-sS", "-p-", "-oJ", "-", "127.0.0.1", timeout=60)
    assert r.rc == 0, r
    recs = port_records(r)
    assert sorted(p for p, x in recs.items() if x["state"] == "open") == opens
    assert all(x["reason"] == "syn-ack" for x in recs.values())
    assert r.jsonl()[-1]["ports"] == {"open": 3, "closed": 65532}


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_forged_synacks_are_ignored(lab):
    """SYN-ACKs and RSTs with wrong acknowledgements, sent for every probe: none counts."""
    scanner, target = lab
    real = [40001]
    start_listeners(target, real)
    # The target's own stack never answers 40100-41099: only the forger does.
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 40100-41099 drop\n }\n}\n")
    forger = target.popen(["python3", "-u", "-c", FORGER, target.veth, "30"], text=True)
    assert forger.stdout.readline().strip() == "READY"
    r = scanner.portscope("scan", "-sS", "-p", "40000-40002,40100-41099", "--max-rate", "1000",
                          "--max-retries", "1", "-oJ", "-", "198.18.0.2", timeout=60)
    assert r.rc == 0, r
    forger.kill()
    out = forger.stdout.read().split()
    forged = max([int(x) for x in out if x.isdigit()] + [0])
    assert forged >= 400, out  # the forger did answer the probes
    recs = port_records(r)
    assert sorted(p for p, x in recs.items() if x["state"] == "open") == real
    assert r.jsonl()[-1]["ports"] == {"open": 1, "closed": 2, "filtered": 1000}


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_privileges_dropped_during_scan(lab):
    """Once the raw sockets are open the scanner runs as nobody with no capabilities."""
    scanner, target = lab
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 1-65535 drop\n }\n}\n")
    p = scanner.popen([portscope_bin(), "scan", "-sS", "-p", "1-3000", "--max-rate", "1000",
                       "--max-retries", "0", "-oJ", "-", "198.18.0.2"], text=True)
    seen = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and p.poll() is None:
        try:
            st = proc_status(p.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        if st.get("Uid", "").split()[:1] == ["65534"] and st.get("State", "")[:1] in "SR":
            seen = st
            break
        time.sleep(0.02)
    assert seen is not None, "the scan never ran as nobody"
    assert p.poll() is None  # still scanning
    assert seen["Uid"].split() == ["65534"] * 4
    assert seen["Gid"].split() == [seen["Gid"].split()[0]] * 4
    assert seen["Gid"].split()[0] != "0"
    assert seen["Groups"].strip() == ""
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(seen[cap], 16) == 0, (cap, seen[cap])
    assert seen["NoNewPrivs"].strip() == "1"
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert '"filtered":3000' in out.replace(" ", "")


def test_unprivileged_user_gets_connect_scan(lab):
    if not have("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    scanner, target = lab
    start_listeners(target, [22, 8080])
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
              "--inh-caps=-all", "--bounding-set=-all", portscope_bin()]
    r = scanner.run(nobody + ["scan", "-p", "20-25,8080", "-oJ", "-", "198.18.0.2"])
    assert r.rc == 0, r
    assert "note:" in r.err and "-sT" in r.err, r.err
    recs = port_records(r)
    assert sorted(p for p, x in recs.items() if x["state"] == "open") == [22, 8080]
    summary = r.jsonl()[-1]
    assert summary["ports"] == {"open": 2, "closed": 5}
    assert '"reason":"conn-refused"' in r.out.replace(" ", "") or "conn-refused" in r.out

    r = scanner.run(nobody + ["scan", "-sS", "-p", "22", "198.18.0.2"])
    assert r.rc == 3, r
    assert r.out == "" and "CAP_NET_RAW" in r.err and len(r.err.splitlines()) == 1


def start_dnsmasq(ns):
    p = ns.popen(["dnsmasq", "--no-daemon", "--port=53", "--listen-address=198.18.0.2",
                  "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=",
                  "--conf-file=/dev/null"], text=True)
    ns.wait_port("udp", 53)
    return p


@pytest.mark.skipif(not have("dnsmasq") or not have("nmap") or not have("nft"),
                    reason="needs dnsmasq, nmap and nft")
def test_udp_every_closed_port_closed(lab):
    """dnsmasq answers, a dropped port stays silent, every other port is closed: as definite as
    nmap -sU or more, though the target rate-limits its ICMP port unreachables."""
    scanner, target = lab
    # A tenth of Linux's default interval keeps the test short; the pacing is the same.
    target.sh("sysctl -qw net.ipv4.icmp_ratelimit=100")
    start_dnsmasq(target)
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " udp dport 9005 drop\n }\n}\n")
    spec = "53,67-69,123,137,161,500,514,1900,5353,11211,9000-9039"
    nports = 12 + 40
    r = scanner.portscope("scan", "-sU", "-p", spec, "--reason", "-oJ", "-", "198.18.0.2",
                          timeout=120)
    assert r.rc == 0, r
    summary = r.jsonl()[-1]
    assert summary["ports"] == {"open": 1, "closed": nports - 2, "open|filtered": 1}, summary
    recs = port_records(r)
    assert recs[53]["state"] == "open" and recs[53]["reason"] == "udp-response"
    assert recs[9005]["state"] == "open|filtered"

    theirs = scanner.run(["nmap", "-sU", "-Pn", "-n", "-p", spec, "-oG", "-", "198.18.0.2"],
                         timeout=300)
    assert theirs.rc == 0, theirs
    line = [x for x in theirs.out.splitlines() if "Ports:" in x][0]
    nstates = {}
    for item in line.split("Ports: ")[1].split("\t")[0].split(", "):
        f = item.split("/")
        nstates[int(f[0])] = f[1]
    # Ports nmap decided (open, closed), we decided alike.
    for port, st in nstates.items():
        if st in ("open", "closed"):
            assert (recs[port]["state"] if port in recs else "closed") == st, (port, st)
    assert "53/open/" in line


def test_udp_needs_privileges(lab):
    if not have("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    scanner, _ = lab
    r = scanner.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", portscope_bin(), "scan", "-sU",
                     "-p", "53", "198.18.0.2"])
    assert r.rc == 3, r
    assert "CAP_NET_RAW" in r.err and len(r.err.splitlines()) == 1
    r = scanner.portscope("scan", "-sU", "-sS", "-p", "53", "198.18.0.2")
    assert r.rc == 2 and "-sU" in r.err, r


def nft_counters(ns, table):
    """{comment: packets} of the counters in an nftables table (rules carry comments)."""
    import json
    r = ns.run(["nft", "-j", "list", "table"] + table.split())
    assert r.rc == 0, r
    out = {}
    for item in json.loads(r.out)["nftables"]:
        rule = item.get("rule")
        if not rule or "comment" not in rule:
            continue
        for e in rule["expr"]:
            if "counter" in e:
                out[rule["comment"]] = e["counter"]["packets"]
    return out


def warm_neighbours(ns, addrs):
    """Sends each address a datagram so that the kernel resolves its link address."""
    code = ("import socket, sys\n"
            "for a in sys.argv[1:]:\n"
            "    f = socket.AF_INET6 if ':' in a else socket.AF_INET\n"
            "    socket.socket(f, socket.SOCK_DGRAM).sendto(b'', (a, 9))\n")
    ns.run(["python3", "-c", code] + addrs, check=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        out = ns.run(["ip", "neigh", "show"]).out
        if all(any(line.startswith(a + " ") and "lladdr" in line for line in out.splitlines())
               for a in addrs):
            return
        time.sleep(0.05)
    raise AssertionError(f"no neighbour entries: {out}")


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_link_level_sends_skip_output_path(lab):
    """With the next hop's address known, SYN probes (IPv4 and IPv6) leave through a packet
    socket, past the scanner's netfilter output hook; --send-ip takes the raw IP path through
    it. Both find the same ports."""
    scanner, target = lab
    opens = [31001, 31007]
    start_listeners(target, opens)
    # The neighbour entries the link-level path needs, as any earlier traffic leaves them.
    warm_neighbours(scanner, ["198.18.0.2", "fd00:5c09::2"])
    nft(scanner, "table inet out {\n chain output {\n type filter hook output priority 0\n"
        " meta l4proto tcp tcp flags syn counter comment \"syn\"\n }\n}\n")
    for fam, addr in (("-4", "198.18.0.2"), ("-6", "fd00:5c09::2")):
        opts = ["-6"] if fam == "-6" else []
        before = nft_counters(scanner, "inet out")["syn"]
        r = scanner.portscope("scan", "-sS", *opts, "-p", "31000-31049", "-oJ", "-", addr,
                              timeout=60)
        assert r.rc == 0, r
        assert r.jsonl()[-1]["ports"] == {"open": 2, "closed": 48}, r.jsonl()[-1]
        assert sorted(p for p, x in port_records(r).items() if x["state"] == "open") == opens
        assert nft_counters(scanner, "inet out")["syn"] == before, fam
        r = scanner.portscope("scan", "-sS", *opts, "--send-ip", "-p", "31000-31049", "-oJ",
                              "-", addr, timeout=60)
        assert r.rc == 0, r
        assert r.jsonl()[-1]["ports"] == {"open": 2, "closed": 48}, r.jsonl()[-1]
        assert nft_counters(scanner, "inet out")["syn"] >= before + 50, fam


@pytest.mark.skipif(not have("dnsmasq") or not have("nft"), reason="needs dnsmasq and nft")
def test_udp_source_ip_spreads_probes(lab):
    """--source-ip over 8 addresses: probes leave from all of them, and with 8 times the
    target's ICMP budget every closed port is still reported closed."""
    scanner, target = lab
    srcs = [f"198.18.0.{i}" for i in range(16, 24)]
    for a in srcs:
        scanner.sh(f"ip addr add {a}/24 dev {scanner.veth}")
    target.sh("sysctl -qw net.ipv4.icmp_ratelimit=100")
    start_dnsmasq(target)
    rules = "".join(f" ip saddr {a} udp dport 9000-9063 counter comment \"{a}\"\n" for a in srcs)
    nft(target, "table ip seen {\n chain input {\n type filter hook input priority 0\n"
        + rules + " }\n}\n")
    r = scanner.portscope("scan", "-sU", "-p", "53,9000-9063", "--source-ip",
                          "198.18.0.16-23", "-oJ", "-", "198.18.0.2", timeout=120)
    assert r.rc == 0, r
    assert r.jsonl()[-1]["ports"] == {"open": 1, "closed": 64}, r.jsonl()[-1]
    seen = nft_counters(target, "ip seen")
    assert all(seen[a] >= 8 for a in srcs), seen

    r = scanner.portscope("scan", "-sU", "-p", "53", "--source-ip", "198.18.0.99",
                          "198.18.0.2")
    assert r.rc == 2 and r.out == "", r
    assert r.err.strip() == ("portscope scan: --source-ip: 198.18.0.99 is not an address "
                             "of this machine"), r.err
    r = scanner.portscope("scan", "-sT", "-p", "53", "-S", "198.18.0.16", "198.18.0.2")
    assert r.rc == 2 and "needs a raw scan" in r.err, r


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_raw_host_timeout(lab):
    """--host-timeout ends a raw scan of a host that has not finished: the host is reported
    timed out with no port results, as nmap does; a host that finishes in time is not."""
    scanner, target = lab
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 1-65535 drop\n udp dport 1-65535 drop\n }\n}\n")
    for tech in ("-sS", "-sU"):
        r = scanner.portscope("scan", tech, "-p", "1-5000", "--max-rate", "1000",
                              "--host-timeout", "300ms", "-oJ", "-", "198.18.0.2", timeout=60)
        assert r.rc == 0, r
        recs = r.jsonl()
        assert [x["type"] for x in recs] == ["host", "summary"], recs
        assert recs[0]["timedout"] is True
        assert recs[-1]["hosts"]["timedout"] == 1
        assert recs[-1]["duration_s"] < 3, recs[-1]  # 5000 probes at 1000/s take 5 s
    r = scanner.portscope("scan", "-sS", "-p", "1-20", "--max-retries", "0",
                          "--host-timeout", "30s", "-oJ", "-", "198.18.0.2", timeout=60)
    assert r.rc == 0, r
    assert r.jsonl()[-1]["hosts"]["timedout"] == 0
    assert r.jsonl()[-1]["ports"] == {"filtered": 20}


def test_rate_backs_off_on_lossy_link(lab):
    """The target's replies pass a 1 Mbit/s token bucket that drops the excess (about 2,300
    RSTs a second). The SYN scan notices the loss (replies that only come to retries), backs
    off to what gets through and reports every port right; held at 30,000 probes/s by
    --min-rate, the same scan loses ports to the link."""
    scanner, target = lab
    start_listeners(target, [32001])
    target.sh(f"tc qdisc add dev {target.veth} root tbf rate 1mbit burst 3kb limit 3kb")
    r = scanner.portscope("scan", "-sS", "-p", "32000-34999", "-oJ", "-", "198.18.0.2",
                          timeout=120)
    assert r.rc == 0, r
    summary = r.jsonl()[-1]
    assert summary["ports"] == {"open": 1, "closed": 2999}, summary
    assert summary["retries"] > 0, summary  # the link did drop replies
    r = scanner.portscope("scan", "-sS", "-p", "32000-34999", "--min-rate", "30000", "-oJ", "-",
                          "198.18.0.2", timeout=120)
    assert r.rc == 0, r
    assert r.jsonl()[-1]["ports"].get("filtered", 0) > 0, r.jsonl()[-1]


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_retries_go_link_level_once_resolved(lab):
    """A scan that starts before the next hop is resolved sends its first pass through the
    raw IP socket (the kernel resolves the neighbour); the retries then go link-level."""
    scanner, target = lab
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 33010-33019 drop\n }\n}\n")
    nft(scanner, "table inet out {\n chain output {\n type filter hook output priority 0\n"
        " meta l4proto tcp tcp flags syn counter comment \"syn\"\n }\n}\n")
    assert "lladdr" not in scanner.run(["ip", "neigh", "show", "198.18.0.2"]).out
    r = scanner.portscope("scan", "-sS", "-p", "33000-33019", "--max-retries", "2", "-oJ", "-",
                          "198.18.0.2", timeout=60)
    assert r.rc == 0, r
    summary = r.jsonl()[-1]
    assert summary["ports"] == {"closed": 10, "filtered": 10}, summary
    assert summary["probes_sent"] > 20, summary  # the dropped ports were retried
    assert nft_counters(scanner, "inet out")["syn"] == 20  # the first pass only
