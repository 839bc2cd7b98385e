"""Host discovery (issue 15), on the lab of disc_lab.py: an on-link /22 with some fifty
live addresses (ARP, ND), an off-link /24 behind a router (some drop ICMP echo, some
drop everything), both families. portscope's hosts up equal the lab's truth and
nmap's, run after run; -Pn still scans every address; the unprivileged path
(connect() to 80 and 443) as nobody; outputs say why a host is up or down; bad
-P options exit 2 with one line.
"""
import json
import os
import random
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import Netns, have, needs_root, portscope_bin, run
from disc_lab import DARK4, FAR4, ONLINK4, ROUTER4, SCANNER4, SCANNER6, DiscLab

SANITIZED = os.environ.get("PORTSCOPE_SANITIZE", "none") != "none"
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
RANGE4 = [str(ONLINK4), str(FAR4)]


@pytest.fixture(scope="module")
def lab():
    if os.geteuid() != 0:
        pytest.skip("needs root: creates network namespaces")
    made = []

    def make(tag):
        ns = Netns(tag)
        made.append(ns)
        return ns

    seed = random.randrange(1 << 30)
    print(f"disc lab seed {seed}")
    try:
        lab = DiscLab(make, seed=seed).build()
        lab.listen()
        yield lab
    finally:
        for ns in reversed(made):
            ns.close()


def ps(lab, *args, **kw):
    return lab.scanner.portscope("scan", "--no-history", *args, **kw)


def grep_status(text):
    """{address: 'Up'|'Down'} from -oG output."""
    res = {}
    for line in text.splitlines():
        if line.startswith("Host: ") and "\tStatus: " in line:
            res[line.split()[1]] = line.split("Status: ")[1].strip()
    return res


def ups(text):
    return {a for a, s in grep_status(text).items() if s == "Up"}


def nmap(lab, *args, timeout=300):
    r = lab.scanner.run(["nmap", "-n", *args], timeout=timeout)
    assert r.rc == 0, r
    return r


needs_nmap = pytest.mark.skipif(SANITIZED or not have("nmap"),
                                reason="nmap comparisons run in the plain build only")


@needs_root
def test_sn_ipv4_is_the_truth_every_run(lab):
    for _ in range(5):
        r = ps(lab, "-sn", *RANGE4, "-oG", "-")
        assert r.rc == 0, r
        assert ups(r.out) == lab.up4, r
        assert f"1280 IP addresses ({len(lab.up4)} hosts up)" in r.out


@needs_root
@needs_nmap
def test_sn_ipv4_equals_nmap(lab):
    theirs = ups(nmap(lab, "-sn", *RANGE4, "-oG", "-").out)
    assert theirs == lab.up4  # the lab is what nmap says, too
    for _ in range(5):
        r = ps(lab, "-sn", *RANGE4, "-oG", "-")
        assert ups(r.out) == theirs, r


def ipv6_list(lab, tmp_path):
    on = lab.hosts[0].addrs6[:6] + lab.hosts[2].addrs6[:3]
    dead_on = ["fd00:5c09::dead:%x" % i for i in range(1, 6)]
    far = lab.far_live6[:8]  # some of them drop echo
    targets = on + dead_on + far + lab.far_dark6 + ["fd00:5c09:1::beef", SCANNER6]
    path = tmp_path / "targets6"
    path.write_text("\n".join(targets) + "\n")
    want = set(on) | set(far) | {SCANNER6}
    assert set(lab.far_noecho6) & set(far)
    return str(path), want


@needs_root
def test_sn_ipv6_list_by_neighbour_discovery(lab, tmp_path):
    path, want = ipv6_list(lab, tmp_path)
    for _ in range(5):
        r = ps(lab, "-6", "-sn", "-iL", path, "-oX", "-", "-v")
        assert r.rc == 0, r
        root = ET.fromstring(r.out)
        status = {h.find("address").get("addr"): h.find("status") for h in root.iter("host")}
        assert {a for a, s in status.items() if s.get("state") == "up"} == want
        reasons = {a: s.get("reason") for a, s in status.items()}
        assert reasons[lab.hosts[0].addrs6[0]] == "nd-response"
        assert reasons[SCANNER6] == "localhost-response"
        assert reasons[lab.far_noecho6[0]] in ("reset", "syn-ack")
        assert status[lab.far_dark6[0]].get("state") == "down"


@needs_root
@needs_nmap
def test_sn_ipv6_equals_nmap(lab, tmp_path):
    path, want = ipv6_list(lab, tmp_path)
    theirs = ups(nmap(lab, "-6", "-sn", "-iL", path, "-oG", "-").out)
    assert theirs == want
    r = ps(lab, "-6", "-sn", "-iL", path, "-oG", "-")
    assert ups(r.out) == theirs


@needs_root
def test_pn_scans_every_address(lab):
    r = ps(lab, "-Pn", "-sS", "-p", "22", "198.18.4.0/28", "-oX", "-")
    assert r.rc == 0, r
    root = ET.fromstring(r.out)
    hosts = list(root.iter("host"))
    assert len(hosts) == 16
    assert {h.find("status").get("reason") for h in hosts} == {"user-set"}
    assert root.find("runstats/hosts").get("up") == "16"


@needs_root
@pytest.mark.parametrize("tech", ["-sS", "-sU"])
def test_pn_scan_goes_on_past_addresses_without_a_route(lab, tech):
    """With -Pn the raw scans meet addresses the kernel will not route to (the range's
    broadcast address, a network without a route): those get their ports filtered, as
    the connect scan says, and every other host is scanned as before."""
    live = lab.hosts[0].addrs4[0]  # listens on TCP 22
    bcast, noroute = str(ONLINK4.broadcast_address), "198.19.200.1"
    r = ps(lab, "-Pn", tech, "-p", "22", "--reason", live, bcast, noroute, "-oX", "-")
    assert r.rc == 0, r
    root = ET.fromstring(r.out)
    ports = {h.find("address").get("addr"): h.find("ports/port/state") for h in root.iter("host")}
    assert set(ports) == {live, bcast, noroute}, r.out
    assert ports[noroute].attrib["state"] == "filtered"
    assert ports[noroute].get("reason") == "net-unreach"
    assert ports[bcast].attrib["state"] == "filtered"
    assert ports[bcast].get("reason") == "host-unreach"
    if tech == "-sS":
        assert ports[live].get("state") == "open", r.out


@needs_root
def test_unprivileged_connect_discovery(lab):
    h0, h1 = lab.hosts[0], lab.hosts[1]  # h0 listens on 80, h1 on 443, neither on both
    live = h0.addrs4[:3] + h1.addrs4[:3] + [ROUTER4] + lab.far_noecho4[:2]
    dead = lab.far_dark4[:2] + ["198.18.8.3" if "198.18.8.3" not in lab.far_live4 else "198.18.8.4"]
    r = lab.scanner.run(NOBODY + [portscope_bin(), "scan", "--no-history", "-sn", "-v",
                                  "--reason", *live, *dead, SCANNER4, "-oX", "-"], timeout=120)
    assert r.rc == 0, r
    root = ET.fromstring(r.out)
    status = {h.find("address").get("addr"): h.find("status") for h in root.iter("host")}
    assert {a for a, s in status.items() if s.get("state") == "up"} == set(live) | {SCANNER4}
    assert {status[a].get("reason") for a in h0.addrs4[:3]} == {"syn-ack"}  # 80 open
    assert status[ROUTER4].get("reason") == "conn-refused"
    assert status[SCANNER4].get("reason") == "localhost-response"
    # Unprivileged, no crafted packets: ICMP and UDP probes are refused.
    bad = lab.scanner.run(NOBODY + [portscope_bin(), "scan", "--no-history", "-sn", "-PU",
                                    ROUTER4])
    assert bad.rc == 3 and "CAP_NET_RAW" in bad.err, bad


def open_ports(text):
    """{address: {open port, ...}} of the hosts up in -oG output."""
    res = {}
    for line in text.splitlines():
        if line.startswith("Host: ") and "\tPorts: " in line:
            addr = line.split()[1]
            ports = line.split("\tPorts: ")[1].split("\t")[0]
            res[addr] = {int(p.split("/")[0]) for p in ports.split(", ")
                         if p.split("/")[1] == "open"}
    return res


@needs_root
def test_port_scan_of_the_sparse_range(lab):
    args = ["-p", "22,25,80,443,3306,8080,9", *RANGE4, "-oG", "-"]
    r = ps(lab, *args)
    assert r.rc == 0, r
    assert ups(r.out) == lab.up4
    got = open_ports(r.out)
    for addr in lab.up4 - {SCANNER4, ROUTER4}:
        assert got.get(addr, set()) == lab.open_ports(addr), addr
    if not SANITIZED and have("nmap"):
        theirs = nmap(lab, *args).out
        assert ups(theirs) == ups(r.out)
        assert open_ports(theirs) == got


@needs_root
def test_outputs_say_up_down_and_why(lab, tmp_path):
    dark, live = lab.far_dark4[0], lab.hosts[1].addrs4[0]
    targets = [live, dark, lab.far_noecho4[0], SCANNER4]
    base = str(tmp_path / "out")
    r = ps(lab, "-sn", *targets, "-oA", base)
    assert r.rc == 0, r
    assert "4 IP addresses (3 hosts up)" in r.out
    assert dark not in r.out  # down: counted, not shown
    assert "MAC Address: " in r.out
    xml = ET.parse(base + ".xml").getroot()
    assert xml.find("scaninfo") is None  # -sn scans no ports, as nmap
    st = {h.find("address").get("addr"): h.find("status") for h in xml.iter("host")}
    assert dark not in st
    assert st[live].get("reason") == "arp-response" and st[live].get("reason_ttl") == "0"
    assert st[lab.far_noecho4[0]].get("reason") in ("reset", "timestamp-reply", "syn-ack")
    assert int(st[lab.far_noecho4[0]].get("reason_ttl")) == 63  # one router on the way
    assert [a.get("addrtype") for a in xml.iter("address")].count("mac") == 1
    assert xml.find("runstats/hosts").attrib == {"up": "3", "down": "1", "total": "4"}
    grep = open(base + ".gnmap").read()
    assert grep_status(grep) == {live: "Up", lab.far_noecho4[0]: "Up", SCANNER4: "Up"}
    recs = [json.loads(x) for x in open(base + ".jsonl")]
    hosts = {x["address"]: x for x in recs if x["type"] == "host"}
    assert hosts[live]["status"] == "up" and hosts[live]["reason"] == "arp-response"
    assert "mac" in hosts[live]
    assert recs[-1]["type"] == "summary" and recs[-1]["hosts"]["up"] == 3
    # -v lists the host down, everywhere.
    r = ps(lab, "-sn", "-v", "--reason", *targets, "-oA", base)
    assert f"portscope scan report for {dark} [host down, received no-response]" in r.out
    st = {h.find("address").get("addr"): h.find("status")
          for h in ET.parse(base + ".xml").getroot().iter("host")}
    assert st[dark].get("state") == "down" and st[dark].get("reason") == "no-response"
    dtd = "/usr/share/nmap/nmap.dtd"
    if os.path.exists(dtd) and have("xmllint"):  # hosts down and up, without scaninfo
        v = run(["xmllint", "--noout", "--dtdvalid", dtd, base + ".xml"])
        assert v.rc == 0, v
    assert grep_status(open(base + ".gnmap").read())[dark] == "Down"
    hosts = {x["address"]: x for x in map(json.loads, open(base + ".jsonl")) if x["type"] == "host"}
    assert hosts[dark]["status"] == "down"


@needs_root
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_history_keeps_why_a_host_is_up(lab, tmp_path, request, backend):
    """The history keeps discovery's verdicts (schema 2: reason, its TTL, the MAC):
    show replays the host records of the scan's own -oJ, in SQLite and PostgreSQL."""
    db = str(tmp_path / "h.db") if backend == "sqlite" else request.getfixturevalue("pg_db")
    live, dark, noecho = lab.hosts[1].addrs4[0], lab.far_dark4[0], lab.far_noecho4[0]
    out = str(tmp_path / "scan.jsonl")
    r = lab.scanner.portscope("scan", "-sn", "-v", live, dark, noecho, "--db", db, "-oJ", out)
    assert r.rc == 0, r
    keys = ("address", "status", "reason", "reason_ttl", "mac")

    def hosts(recs):
        return {x["address"]: {k: x.get(k) for k in keys} for x in recs if x["type"] == "host"}

    scanned = hosts(map(json.loads, open(out)))
    assert scanned[live]["reason"] == "arp-response" and scanned[live]["mac"], scanned
    assert scanned[noecho]["reason_ttl"] == 63 and scanned[dark]["status"] == "down", scanned
    shown = run([portscope_bin(), "show", "last", "--json", "--db", db], check=True).jsonl()
    del scanned[dark]  # as scan without -v, show counts the host down without a record
    assert hosts(shown) == scanned
    assert shown[-1]["type"] == "summary", shown
    assert {k: shown[-1]["hosts"][k] for k in ("total", "up")} == {"total": 3, "up": 2}, shown


@needs_root
def test_a_host_found_up_is_scanned_before_the_sweep_ends(lab):
    """The first live host's port results stream out while discovery still waits on
    a silent /24 (two probe timeouts at least)."""
    live = lab.hosts[0].addrs4[0]
    p = lab.scanner.popen([portscope_bin(), "scan", "--no-history", "-p", "22,80", live,
                           str(DARK4), "-oJ", "-"], text=True)
    t0 = time.monotonic()
    first = None
    for line in p.stdout:
        rec = json.loads(line)
        if rec.get("type") == "port" and rec["address"] == live and first is None:
            first = time.monotonic() - t0
    p.wait(timeout=60)
    total = time.monotonic() - t0
    assert p.returncode == 0, p.stderr.read()
    assert first is not None and first < total - 0.5, (first, total)


@pytest.mark.parametrize("args,word", [
    (["-P"], "-P"),
    (["-PX"], "-PX"),
    (["-Pq22"], "-Pq22"),
    (["-PEx"], "-PEx"),
    (["-PPP"], "-PPP"),
    (["-PM1"], "-PM1"),
    (["-PR5"], "-PR5"),
    (["-Pnx"], "-Pnx"),
    (["-PS70000"], "70000"),
    (["-PS22,,80"], "22,,80"),
    (["-PSssh-"], "ssh-"),
    (["-PST:22"], "T:22"),
    (["-PAU:53"], "U:53"),
    (["-PUT:53"], "T:53"),
    (["-PS80-22"], "80-22"),
    (["-PS22", "-PS80"], "-PS"),
    (["-PA22", "-PA80"], "-PA"),
    (["-PU53", "-PU161"], "-PU"),
    (["-PU99999"], "99999"),
    (["-Pn", "-PS22"], "-PS"),
    (["-Pn", "-PE"], "-PE"),
    (["-Pn", "-PU"], "-PU"),
    (["-Pn", "-PR"], "-PR"),
    (["-PR", "--disable-arp-ping"], "--disable-arp-ping"),
    (["-PR", "--send-ip"], "--send-ip"),
    (["-6", "-PP"], "-PP"),
    (["-6", "-PM"], "-PM"),
    (["-sn", "-p", "22"], "-p"),
    (["-sn", "-F"], "-F"),
    (["-sn", "--top-ports", "10"], "--top-ports"),
    (["-sn", "-sS"], "-sn"),
    (["-sn", "-sV"], "-sn"),
    (["-sn", "--open"], "--open"),
    (["-sL", "-sn"], "-sL"),
    (["-sL", "-PE"], "-sL"),
    (["-sL", "--disable-arp-ping"], "-sL"),
    (["--disable-arp-ping=yes"], "--disable-arp-ping"),
    (["-vx"], "-vx"),
    (["-v10"], "-v10"),
])
@needs_root
def test_bad_discovery_options_exit_2(args, word):
    # In a namespace of its own: should a case parse after all, nothing leaves it.
    target = "fd00:5c09::1" if "-6" in args else "198.18.0.1"
    r = run(["unshare", "--net", portscope_bin(), "scan", "--no-history", *args, target])
    assert r.rc == 2, r
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    if word:
        assert word in lines[0], r


@needs_root
def test_remote_audit_skips_and_reports_hosts_down(lab):
    live = lab.hosts[0].addrs4[0]  # listens on 22 and 80
    dead = ["198.18.4.3" if "198.18.4.3" not in lab.live4 else "198.18.4.5", lab.far_dark4[0]]
    r = lab.scanner.portscope("audit", "--no-history", "--json", "-p", "22,80", live, *dead)
    assert r.rc == 3, r  # the hosts down are the unreachable targets
    assert "2 of 3 targets unreachable" in r.err and dead[0] in r.err, r
    doc = json.loads(r.out)
    assert doc["hosts"]["up"] == 1 and doc["hosts"]["down_count"] == 2
    assert doc["summary"]["targets"] == 3 and doc["summary"]["unreachable"] == 2, doc
    assert {d["address"] for d in doc["hosts"]["down"]} == set(dead)
    assert {e["address"] for e in doc["endpoints"]} == {live}
    assert {e["port"] for e in doc["endpoints"]} == {22, 80}
    human = lab.scanner.portscope("audit", "--no-history", "-p", "22,80", live, *dead)
    assert human.rc == 3, human
    assert f"{dead[0]} is down (no-response)" in human.out, human
    r = lab.scanner.portscope("audit", "--no-history", "--json", "-p", "22,80", live)
    assert r.rc in (0, 1), r  # every target up and answering: audited, not unreachable
    assert json.loads(r.out)["summary"]["unreachable"] == 0, r


@needs_root
def test_service_detection_of_many_hosts_at_once(lab):
    """-sV over hosts of three namespaces: every open port of every host is probed (the
    lab's listeners accept and close at once: tcpwrapped, or unknown when the close comes
    late under load), each host reported once."""
    hosts = [a for h in lab.hosts for a in h.addrs4[:4]]
    r = ps(lab, "-sV", "-p", "22,80,443,8080,25,3306", *hosts, "-oX", "-")
    assert r.rc == 0, r
    root = ET.fromstring(r.out)
    seen = {}
    for host in root.iter("host"):
        addr = host.find("address").get("addr")
        assert addr not in seen
        seen[addr] = {int(p.get("portid")): p.find("service") for p in host.iter("port")
                      if p.find("state").get("state") == "open"}
    assert set(seen) == set(hosts)
    for addr, ports in seen.items():
        assert set(ports) == lab.open_ports(addr), addr
        for port, svc in ports.items():
            assert svc is not None and svc.get("method") == "probed", (addr, port)
            assert svc.get("name") in ("tcpwrapped", "unknown"), (addr, port, svc.attrib)
