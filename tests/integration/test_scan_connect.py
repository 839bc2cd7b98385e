"""portscope scan -sT: the connect-scan engine and its outputs, in lab namespaces.

A scanner namespace (198.18.0.1) and a target namespace (198.18.0.2) joined by a
veth pair; listeners and an nftables firewall in the target. Loopback tests use
one fresh namespace. Nothing here touches the root namespace.
"""
import os
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

import schemas
from conftest import have, link_veth, needs_root, portscope_bin

pytestmark = needs_root

# Listens on every port given (all addresses) and accepts and closes connections,
# so repeated scans never fill an accept queue; with LISTENER_BANNER in its
# environment, it sends that line to each connection first. Raises its own file
# limit for a thousand listeners.
LISTENER = r"""
import os, resource, selectors, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
banner = os.environ.get("LISTENER_BANNER", "").encode()
sel = selectors.DefaultSelector()
for p in [int(x) for x in sys.argv[1:]]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p))
    s.listen(512)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("READY", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            if banner:
                c.setblocking(False)
                c.send(banner + b"\r\n")
            c.close()
        except OSError:
            pass
"""


def start_listeners(ns, ports, banner=None):
    ports = list(ports)
    env = dict(os.environ, LISTENER_BANNER=banner) if banner else None
    p = ns.popen(["python3", "-u", "-c", LISTENER] + [str(x) for x in ports], text=True,
                 env=env)
    line = p.stdout.readline()
    if line.strip() != "READY":
        raise RuntimeError(f"listeners did not start: {line!r} {p.stderr.read()}")
    # READY comes once every socket listens; a long list is checked at its last port.
    for port in ports if len(ports) <= 64 else ports[-1:]:
        ns.wait_port("tcp", port)
    return p


def pick_ports(rng, n_low, n_eph, avoid=()):
    """Random distinct ports: n_low below 1024, n_eph in the ephemeral range."""
    taken = set(avoid)
    out = []
    for lo, hi, n in ((1, 1023, n_low), (32768, 60999, n_eph)):
        while n:
            p = rng.randint(lo, hi)
            if p not in taken:
                taken.add(p)
                out.append(p)
                n -= 1
    return out


def xml_states(text):
    """{port: state} listed in an nmap XML document, and {state: count} of extraports."""
    root = ET.fromstring(text)
    ports, extra = {}, {}
    for host in root.iter("host"):
        for port in host.iter("port"):
            ports[int(port.get("portid"))] = port.find("state").get("state")
        for ep in host.iter("extraports"):
            extra[ep.get("state")] = extra.get(ep.get("state"), 0) + int(ep.get("count"))
    return ports, extra


def grep_open(text):
    """Open ports of every 'Ports:' line of grepable output."""
    found = set()
    for line in text.splitlines():
        if "\tPorts: " not in line:
            continue
        ports = line.split("\tPorts: ", 1)[1].split("\t", 1)[0]
        for entry in ports.split(", "):
            fields = entry.split("/")
            if len(fields) > 2 and fields[1] == "open":
                found.add(int(fields[0]))
    return found


@pytest.fixture
def lab(netns):
    scanner, target = netns("scn"), netns("tgt")
    link_veth(scanner, target, "198.18.0.1", "198.18.0.2")
    return scanner, target


def nft(ns, rules):
    ns.run(["nft", "-f", "-"], input=rules, check=True)


def firewall(target, drop, reset, admin):
    rules = (
        "table inet lab {\n chain input {\n type filter hook input priority 0; policy accept\n"
        f" tcp dport {{ {drop} }} drop\n"
        f" tcp dport {reset} reject with tcp reset\n"
        f" tcp dport {admin} reject with icmpx type admin-prohibited\n }}\n}}\n"
    )
    nft(target, rules)


@pytest.mark.skipif(not have("nmap") or not have("nft"), reason="needs nmap and nft")
def test_states_agree_with_nmap(lab):
    scanner, target = lab
    rng = random.Random()
    opens = pick_ports(rng, 3, 3)
    drop, reset, admin, open_dropped = rng.sample(range(2000, 9999), 4)
    opens = [p for p in opens if p not in (drop, reset, admin, open_dropped)]
    start_listeners(target, opens + [open_dropped, reset])
    firewall(target, f"{drop}, {open_dropped}", reset, admin)
    spec = ",".join(str(p) for p in sorted(opens + [drop, reset, admin, open_dropped]))
    spec += ",20000-20300"

    mine = scanner.portscope("scan", "-sT", "-Pn", "-n", "--reason", "-p", spec,
                             "-oX", "-", "198.18.0.2", timeout=120)
    assert mine.rc == 0, mine
    theirs = scanner.run(["nmap", "-sT", "-Pn", "-n", "-p", spec, "-oX", "-", "198.18.0.2"],
                         timeout=300)
    assert theirs.rc == 0, theirs

    ports, extra = xml_states(mine.out)
    nports, nextra = xml_states(theirs.out)
    for p in opens:
        assert ports[p] == "open", (p, ports)
    assert ports[drop] == "filtered"
    assert ports[open_dropped] == "filtered"
    assert ports[admin] == "filtered"
    assert extra == {"closed": 301 + 1} and reset not in ports  # the range and the reset port
    # Port by port: what both list, and the collapsed rest, are the same.
    assert ports == nports, (ports, nports)
    assert extra == nextra, (extra, nextra)


@pytest.mark.skipif(not have("ndiff") or not have("xmllint"), reason="needs ndiff and xmllint")
def test_xml_valid_and_ndiff_reads_it(lab, tmp_path):
    scanner, target = lab
    ports = pick_ports(random.Random(), 2, 2)
    keep = start_listeners(target, ports[:3])
    other = start_listeners(target, ports[3:])
    spec = ",".join(map(str, ports)) + ",1000-1100"

    def scan(name):
        path = tmp_path / name
        r = scanner.portscope("scan", "-sT", "-p", spec, "-oX", str(path), "198.18.0.2")
        assert r.rc == 0, r
        return path

    a, b = scan("a.xml"), scan("b.xml")
    dtd = "/usr/share/nmap/nmap.dtd"
    if os.path.exists(dtd):
        v = subprocess.run(["xmllint", "--noout", "--dtdvalid", dtd, str(a)],
                           capture_output=True, text=True)
        assert v.returncode == 0, v.stderr
    same = subprocess.run(["ndiff", str(a), str(b)], capture_output=True, text=True)
    assert same.returncode == 0, same
    other.kill()
    other.wait()
    c = scan("c.xml")
    diff = subprocess.run(["ndiff", str(a), str(c)], capture_output=True, text=True)
    assert diff.returncode == 1, diff
    assert f"{ports[3]}/tcp" in diff.stdout, diff.stdout
    assert keep.poll() is None


def test_loopback_no_false_open(netns):
    """50 full scans of loopback: only the real listeners, never a self-connect."""
    ns = netns("lo")
    rng = random.Random()
    ports = pick_ports(rng, 2, 6)
    start_listeners(ns, ports)
    for i in range(50):
        r = ns.portscope("scan", "-sT", "-p-", "-oG", "-", "127.0.0.1", timeout=60)
        assert r.rc == 0, r
        assert grep_open(r.out) == set(ports), (i, r.out)
        assert "Ignored State: closed (%d)" % (65535 - len(ports)) in r.out


@pytest.mark.skipif(not have("nft") or not have("prlimit"), reason="needs nft and prlimit")
def test_few_descriptors(lab):
    """ulimit -n 256: the window shrinks to fit and the results stay right."""
    scanner, target = lab
    rng = random.Random()
    opens = sorted(rng.sample(range(20000, 21000), 5))
    start_listeners(target, opens)
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 21000-21299 drop\n }\n}\n")
    r = scanner.run(["prlimit", "--nofile=256:256", "--", portscope_bin(), "scan", "-sT",
                     "-p", "20000-22000", "-oJ", "-", "198.18.0.2"], timeout=120)
    assert r.rc == 0, r
    recs = r.jsonl()
    assert recs[-1]["type"] == "summary"
    assert recs[-1]["ports"] == {"open": 5, "closed": 2001 - 5 - 300, "filtered": 300}
    found = sorted(x["port"] for x in recs if x["type"] == "port" and x["state"] == "open")
    assert found == opens

    lo = scanner.run(["prlimit", "--nofile=256:256", "--", portscope_bin(), "scan", "-sT", "-p-",
                      "-oG", "-", "127.0.0.1"], timeout=60)
    assert lo.rc == 0, lo
    assert grep_open(lo.out) == set()


def test_output_formats(lab, tmp_path):
    scanner, target = lab
    ports = pick_ports(random.Random(), 2, 1)
    start_listeners(target, ports)
    spec = ",".join(map(str, ports)) + ",3000-3100"
    base = tmp_path / "all"

    r = scanner.portscope("scan", "-sT", "-p", spec, "--json", "-oA", str(base), "198.18.0.2")
    assert r.rc == 0, r
    recs = r.jsonl()
    assert [x["type"] for x in recs][0] == "host"
    assert recs[-1]["type"] == "summary"
    assert recs[-1]["hosts"] == {"total": 1, "up": 1, "down": 0, "timedout": 0}
    assert recs[-1]["probes_sent"] >= len(ports) + 101
    assert recs[0]["not_shown"] == [{"state": "closed", "count": 101,
                                     "reasons": {"conn-refused": 101}}]
    port_recs = [x for x in recs if x["type"] == "port"]
    assert sorted(x["port"] for x in port_recs) == sorted(ports)
    for x in port_recs:
        assert x["address"] == "198.18.0.2" and x["proto"] == "tcp"
        assert x["state"] == "open" and x["reason"] == "syn-ack"
        # the port table's name, or null for a port without one (nmap writes no <service>)
        assert x["service"] is None or x["service"]["method"] == "table", x

    for ext in (".nmap", ".xml", ".gnmap", ".jsonl"):
        assert (tmp_path / ("all" + ext)).stat().st_size > 0, ext
    normal = (tmp_path / "all.nmap").read_text()
    assert normal.startswith("# portscope ")
    assert "portscope scan report for 198.18.0.2\n" in normal
    assert "Not shown: 101 closed tcp ports (conn-refused)\n" in normal
    assert "PORT" in normal and "STATE" in normal and "SERVICE" in normal
    gnmap = (tmp_path / "all.gnmap").read_text()
    assert "Host: 198.18.0.2 ()\tStatus: Up\n" in gnmap
    assert grep_open(gnmap) == set(ports)
    assert "\tIgnored State: closed (101)" in gnmap
    assert gnmap.rstrip().splitlines()[-1].startswith("# portscope done at ")
    xml_ports, _ = xml_states((tmp_path / "all.xml").read_text())
    assert xml_ports == {p: "open" for p in ports}
    jl = schemas.check_text("scan", (tmp_path / "all.jsonl").read_text())
    assert jl == recs  # the same records as on stdout

    # --open on stdout (normal output): only open ports, REASON column with --reason.
    r = scanner.portscope("scan", "-sT", "-p", spec + ",5000", "--open", "--reason", "198.18.0.2")
    assert r.rc == 0, r
    assert "REASON" in r.out and "syn-ack" in r.out
    rows = [line.split() for line in r.out.splitlines() if "/tcp " in line]
    assert sorted(int(row[0].split("/")[0]) for row in rows) == sorted(ports)
    assert all(row[1] == "open" and row[3] == "syn-ack" for row in rows), rows
    assert r.out.rstrip().splitlines()[-1].startswith(
        "portscope done: 1 IP address (1 host up) scanned in ")


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_host_timeout_and_retries(lab):
    scanner, target = lab
    nft(target, "table inet lab {\n chain input {\n type filter hook input priority 0\n"
        " tcp dport 1-65535 drop\n }\n}\n")
    r = scanner.portscope("scan", "-sT", "-p", "1-5000", "--host-timeout", "300ms", "-oJ", "-",
                          "198.18.0.2", timeout=60)
    assert r.rc == 0, r
    recs = r.jsonl()
    assert recs[0]["type"] == "host" and recs[0]["timedout"] is True
    assert recs[-1]["hosts"]["timedout"] == 1
    assert recs[-1]["duration_s"] < 30  # bounded by the host timeout, not 5000 timeouts

    r = scanner.portscope("scan", "-sT", "-p", "1-40", "--max-retries", "0", "--reason",
                          "198.18.0.2", timeout=60)
    assert r.rc == 0, r
    assert "Not shown: 40 filtered tcp ports (no-response)" in r.out
    assert "All 40 scanned ports on 198.18.0.2 are in ignored states." in r.out


def test_max_rate(lab):
    scanner, _ = lab
    r = scanner.portscope("scan", "-sT", "-p", "1-300", "--max-rate", "500", "-oJ", "-",
                          "198.18.0.2", timeout=60)
    assert r.rc == 0, r
    s = r.jsonl()[-1]
    assert s["ports"] == {"closed": 300}
    # 300 probes at 500/s take at least 0.5 s (allowing a 10 ms burst).
    assert s["duration_s"] >= 0.5, s


@pytest.mark.parametrize("args, word", [
    (["-T9", "198.18.0.2"], "-T"),
    (["--max-rate", "fast", "198.18.0.2"], "--max-rate"),
    (["--min-rate", "100", "--max-rate", "10", "198.18.0.2"], "--min-rate"),
    (["--max-retries", "99", "198.18.0.2"], "--max-retries"),
    (["--host-timeout", "5x", "198.18.0.2"], "--host-timeout"),
    (["-oZ", "x", "198.18.0.2"], "-oZ"),
    (["-oA", "-", "198.18.0.2"], "-oA"),
    (["-oX", "-", "-oG", "-", "198.18.0.2"], "stdout"),
    (["-p", "U:53", "198.18.0.2"], "TCP"),
])
def test_bad_usage(netns, args, word):
    ns = netns("bad")
    r = ns.portscope("scan", *args)
    assert r.rc == 2, r
    assert r.out == ""
    assert len(r.err.splitlines()) == 1 and word in r.err, r.err
