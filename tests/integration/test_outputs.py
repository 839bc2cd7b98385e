"""Outputs a script can trust (issue 17): the history's times and states, --db errors,
output files and signals, nmap's flags and names, rough edges. Each test names the defect
it guards; the JSON of every test here is checked against schema/ by Result.json()/jsonl().
"""
import os
import re
import shutil
import signal
import sqlite3
import time
import xml.etree.ElementTree as ET

import pytest

import schemas
from conftest import have, link_veth, needs_root, portscope_bin, run, run_on_pty
from test_scan_connect import start_listeners

DTD = "/usr/share/nmap/nmap.dtd"
TGT, SLOW = "198.18.0.2", "198.18.0.3"


def lab(netns, tag="o"):
    scan, tgt = netns(tag + "s"), netns(tag + "t")
    link_veth(scan, tgt, "198.18.0.1", TGT)
    return scan, tgt


def slow_host(tgt):
    """SLOW answers on 22 and drops every other port: its scan takes retries (seconds)."""
    tgt.sh(f"ip addr add {SLOW}/32 dev lo; nft -f - <<'EOF'\n"
           "table inet slow {\n chain input {\n  type filter hook input priority 0;\n"
           f"  ip daddr {SLOW} tcp dport != 22 drop\n }}\n}}\nEOF")


def tty_env(term="xterm"):
    return dict({k: v for k, v in os.environ.items() if k != "NO_COLOR"}, TERM=term)


def dtd_valid(path):
    if not have("xmllint") or not os.path.exists(DTD):
        return True
    return run(["xmllint", "--noout", "--dtdvalid", DTD, str(path)]).rc == 0


# ---- history: times, states, reprint ----

@needs_root
def test_history_times_to_the_microsecond(netns, tmp_path):
    """Start times were whole seconds: a 0.25 s scan showed 1.07 s."""
    ns = netns("ht")
    start_listeners(ns, [22])
    db = tmp_path / "h.db"
    r = ns.portscope("scan", "-sT", "-p", "20-30", "127.0.0.1", "--db", str(db), "--json")
    assert r.rc == 0, r
    summary = r.jsonl()[-1]
    h = run([portscope_bin(), "history", "--db", str(db), "--json"])
    (run_rec, _) = h.jsonl()
    assert not run_rec["start"].endswith(".000000Z"), run_rec  # microseconds kept
    assert run_rec["end"] is not None
    # The run's duration is the scan's (plus set-up), not inflated by a truncated start.
    assert abs(run_rec["duration_s"] - summary["duration_s"]) < 0.3, (run_rec, summary)
    assert re.search(r" \d+\.\d\ds ", run([portscope_bin(), "history", "--db", str(db)]).out)


@needs_root
def test_show_reprints_version_detection(netns, tmp_path):
    """show lost -sV: SSH (OpenSSH) found on 80 was reprinted as "80/tcp open http" with
    "method":"table", in every format, and ndiff saw false changes."""
    ns = netns("sv")
    start_listeners(ns, [80], banner="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")
    db, base = tmp_path / "h.db", tmp_path / "live"
    r = ns.portscope("scan", "-sT", "-sV", "-p", "79-81", "127.0.0.1", "--db", str(db),
                     "-oA", str(base), timeout=120)
    assert r.rc == 0, r
    live = {x["port"]: x["service"] for x in
            schemas.check_text("scan", (tmp_path / "live.jsonl").read_text())
            if x["type"] == "port"}
    assert live[80]["name"] == "ssh" and live[80]["method"] == "probed", live
    assert live[80]["product"] == "OpenSSH", live
    shown = {x["port"]: x["service"] for x in
             run([portscope_bin(), "show", "--db", str(db), "last", "--json"]).jsonl()
             if x["type"] == "port"}
    for k in ("name", "method", "confidence", "product", "version", "extrainfo", "cpe",
              "ostype", "port_default", "mismatch"):
        assert shown[80].get(k) == live[80].get(k), (k, shown[80], live[80])
    text = run([portscope_bin(), "show", "--db", str(db), "last"]).out
    line = [x for x in text.splitlines() if x.startswith("80/tcp")]
    assert line and re.match(r"80/tcp open +ssh +OpenSSH 9\.2p1", line[0]), text
    assert "VERSION" in text
    # The reprinted XML says what the live XML said, port for port.
    xml = tmp_path / "show.xml"
    xml.write_text(run([portscope_bin(), "show", "--db", str(db), "last", "-oX"]).out)

    def services(path):
        root = ET.parse(path).getroot()
        return {p.get("portid"): (dict(p.find("service").attrib),
                                  [c.text for c in p.find("service").iter("cpe")])
                for p in root.iter("port")}
    assert services(xml) == services(tmp_path / "live.xml")
    if have("ndiff"):
        d = run(["ndiff", str(tmp_path / "live.xml"), str(xml)])
        changed = [x for x in d.out.splitlines() if x.startswith(("+", "-"))
                   and "Nmap" not in x and "portscope" not in x]
        assert d.rc in (0, 1) and changed == [], d.out


@needs_root
def test_killed_run_is_incomplete_at_once_and_end_is_null(netns, tmp_path):
    """end was missing (not null); a SIGKILLed run stayed "running" until the next write."""
    scan, tgt = lab(netns, "k")
    slow_host(tgt)
    db = tmp_path / "h.db"
    p = scan.popen([portscope_bin(), "scan", "-sT", "-p", "1-200", SLOW, "--db", str(db)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the run is recorded first thing
        if db.exists() and run([portscope_bin(), "history", "--db", str(db)]).out.count("\n") > 1:
            break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    # The next reader (read-only: it writes nothing) sees the run dead.
    (rec, summary) = run([portscope_bin(), "history", "--db", str(db), "--json"]).jsonl()
    assert rec["status"] == "incomplete" and "end" in rec and rec["end"] is None, rec
    assert rec["duration_s"] is None and summary == {"type": "summary", "runs": 1}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert con.execute("SELECT status FROM runs").fetchall() == [(0,)]  # nothing written
    con.close()


@needs_root
def test_db_errors_are_one_line_and_create_nothing(netns, tmp_path):
    """--db /no/such/dir made the directories, postgresql:// became a directory tree,
    a damaged file ended in "...: not an error"."""
    ns = netns("db")
    bad = [str(tmp_path / "no" / "such" / "h.db"), str(tmp_path)]
    for db in bad:
        for argv in (["history", "--db", db], ["show", "--db", db, "last"],
                     ["diff", "--db", db], ["scan", "-sT", "-p", "1", "127.0.0.1", "--db", db],
                     ["audit", "-p", "1", "127.0.0.1", "--db", db]):
            r = ns.run([portscope_bin()] + argv, timeout=60, cwd=str(tmp_path))
            assert r.rc == 2, (argv, r)
            lines = r.err.splitlines()
            assert len(lines) == 1 and lines[0].startswith("portscope "), (argv, r)
            assert "not an error" not in r.err and r.out == "", (argv, r)
    assert not (tmp_path / "no").exists()
    # A URL is issue 19's PostgreSQL backend (no server in this namespace): an error,
    # never a directory tree named "postgresql:".
    for db in ("postgresql://user@localhost/ps", "postgres://x"):
        r = ns.run([portscope_bin(), "history", "--db", db], timeout=60, cwd=str(tmp_path))
        assert r.rc in (2, 3) and "not an error" not in r.err and r.out == "", r
    assert sorted(os.listdir(tmp_path)) == []
    # A damaged history: named, "corrupt", exit 2, left as it was.
    db = tmp_path / "d.db"
    start_listeners(ns, [22])
    for _ in range(3):
        assert ns.portscope("scan", "-sT", "-p", "1-3000", "127.0.0.1", "--db", str(db)).rc == 0
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(db.read_bytes())
    assert len(data) > 16384
    data[4096:len(data) - 4096] = os.urandom(len(data) - 8192)
    db.write_bytes(bytes(data))
    for argv in (["history"], ["show", "1"], ["diff", "1", "2"]):
        r = run([portscope_bin()] + argv + ["--db", str(db)])
        assert r.rc == 2 and len(r.err.splitlines()) == 1 and str(db) in r.err, (argv, r)
        assert "corrupt" in r.err or "malformed" in r.err, r
    assert db.read_bytes() == bytes(data)


def test_empty_history_is_no_error(tmp_path):
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    r = run([portscope_bin(), "history"], env=env)
    assert r.rc == 0 and r.out == "no runs recorded\n" and r.err == "", r
    r = run([portscope_bin(), "history", "--json"], env=env)
    assert r.rc == 0 and r.jsonl() == [{"type": "summary", "runs": 0}], r
    assert not (tmp_path / "state").exists()


# ---- output files and signals ----

@needs_root
def test_normal_file_has_no_colour_nor_screen_header(netns, tmp_path):
    """-oN FILE written while the screen is a terminal got ANSI colour and the header."""
    ns = netns("nc")
    start_listeners(ns, [22, 80])
    base = tmp_path / "all"
    rc, screen = run_on_pty(ns.argv([portscope_bin(), "scan", "-sT", "-p", "1-100", "127.0.0.1",
                                  "--no-history", "-oN", str(tmp_path / "n.nmap"), "-oA",
                                  str(base)]), tty_env())
    assert rc == 0, screen
    assert "\x1b[32mopen" in screen and "Starting portscope" in screen  # the screen has both
    for f in (tmp_path / "n.nmap", tmp_path / "all.nmap"):
        text = f.read_text()
        assert "\x1b" not in text and "Starting portscope" not in text, text
        assert text.startswith("# portscope ")
        assert re.search(r"^22/tcp open +ssh$", text, re.M), text  # grep '22/tcp open' works
    # TERM=dumb: no colour on the terminal either.
    rc, screen = run_on_pty(ns.argv([portscope_bin(), "scan", "-sT", "-p", "22", "127.0.0.1",
                                  "--no-history"]), tty_env("dumb"))
    assert rc == 0 and "\x1b" not in screen and "22/tcp open" in screen, screen


def test_list_scan_writes_every_format(tmp_path):
    """-sL ignored -oX/-oG files; -sL -oG - printed the normal format."""
    r = run([portscope_bin(), "scan", "-sL", "198.18.0.0/30", "-oG", "-"])
    assert r.rc == 0, r
    assert r.out.splitlines()[0].startswith("# portscope ")
    assert re.findall(r"^Host: (\S+) \(\)\tStatus: Unknown$", r.out, re.M) == \
        ["198.18.0.0", "198.18.0.1", "198.18.0.2", "198.18.0.3"]
    r = run([portscope_bin(), "scan", "-sL", "198.18.0.0/31", "-oX", str(tmp_path / "l.xml"),
             "-oJ", str(tmp_path / "l.jsonl")])
    assert r.rc == 0 and "portscope scan report for 198.18.0.1" in r.out, r
    root = ET.parse(tmp_path / "l.xml").getroot()
    assert [(h.find("status").get("state"), h.find("address").get("addr"))
            for h in root.iter("host")] == [("unknown", "198.18.0.0"), ("unknown", "198.18.0.1")]
    assert root.find("runstats/hosts").get("total") == "2"
    assert dtd_valid(tmp_path / "l.xml")
    recs = schemas.check_text("scan", (tmp_path / "l.jsonl").read_text())
    assert [x["address"] for x in recs if x["type"] == "target"] == ["198.18.0.0", "198.18.0.1"]


@needs_root
@pytest.mark.skipif(os.environ.get("PORTSCOPE_SANITIZE", "none") != "none",
                    reason="timing: under the sanitizers the slow host's window is not reliable")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_every_document(netns, tmp_path, sig):
    """SIGINT/SIGTERM mid-scan: nothing was printed, the XML was left unfinished and show
    hid the open ports recorded. Now: complete documents, the run marked interrupted."""
    scan, tgt = lab(netns, "g")
    start_listeners(tgt, [22, 80])
    slow_host(tgt)
    db, base = tmp_path / "h.db", tmp_path / "out"
    # One host at a time: TGT's group ends (and is written) while SLOW's goes on.
    p = scan.popen([portscope_bin(), "scan", "-sT", "-p", "1-60,80", "--max-retries", "50",
                    "--max-rate", "40", "--max-hostgroup", "1", "--host-timeout", "60s", "-Pn",
                    TGT, SLOW, "--db", str(db), "-oA", str(base)], text=True)
    deadline = time.monotonic() + 20
    xml = tmp_path / "out.xml"
    while time.monotonic() < deadline:  # TGT written, SLOW still going
        if xml.exists() and "</host>" in xml.read_text():
            break
        time.sleep(0.05)
    n, deadline = 0, time.monotonic() + 5
    while time.monotonic() < deadline:  # SLOW's open port recorded (batches of 250 ms)
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            n = con.execute("SELECT count(*) FROM ports WHERE host = ? AND port = 22",
                            (SLOW,)).fetchone()[0]
            con.close()
        except sqlite3.Error:
            n = 0
        if n:
            break
        time.sleep(0.1)
    assert p.poll() is None, "the scan ended before the signal"
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    assert p.returncode == -sig, (p.returncode, out, err)  # it dies of the signal
    name = signal.Signals(sig).name
    assert f"interrupted by {name}" in err and len(err.splitlines()) == 1, err
    assert f"portscope interrupted by {name}: 1 IP address (1 host up)" in out, out
    root = ET.parse(xml).getroot()  # well-formed
    assert [h.find("address").get("addr") for h in root.iter("host")] == [TGT]
    fin = root.find("runstats/finished")
    assert fin.get("exit") == "error" and name in fin.get("errormsg"), ET.tostring(fin)
    assert dtd_valid(xml)
    for ext in (".nmap", ".gnmap"):
        last = (tmp_path / ("out" + ext)).read_text().splitlines()[-1]
        assert last.startswith("# portscope interrupted at ") and f"by {name} --" in last, last
    recs = schemas.check_text("scan", (tmp_path / "out.jsonl").read_text())
    assert recs[-1]["type"] == "summary" and recs[-1]["status"] == "interrupted"
    assert recs[-1]["signal"] == name and recs[-1]["hosts"]["total"] == 1
    # The history: marked interrupted at once, with SLOW's open port found so far.
    (rec, _) = run([portscope_bin(), "history", "--db", str(db), "--json"]).jsonl()
    assert rec["status"] == "interrupted" and rec["end"] is not None, rec
    shown = run([portscope_bin(), "show", "--db", str(db), "last", "--json"])
    assert shown.rc == 0 and "interrupted" in shown.err, shown
    recs = shown.jsonl()
    slow = [x for x in recs if x["type"] == "host" and x["address"] == SLOW]
    assert not n or (slow and slow[0]["unfinished"] is True), recs
    want = {(TGT, 22), (TGT, 80)} | ({(SLOW, 22)} if n else set())  # SLOW's, when recorded
    assert {(x["address"], x["port"]) for x in recs if x["type"] == "port"
            and x["state"] == "open"} == want, recs
    assert recs[-1]["status"] == "interrupted"
    text = run([portscope_bin(), "show", "--db", str(db), "last"]).out
    assert "22/tcp open" in text and (not n or "Unfinished: the run stopped with" in text), text


# ---- nmap's flags and names ----

@needs_root
def test_nmap_output_flags(netns, tmp_path):
    """-v, -vv, -d, --append-output, --stylesheet, --webxml were rejected (exit 2)."""
    ns = netns("nf")
    start_listeners(ns, [22])
    argv = [portscope_bin(), "scan", "-sT", "-Pn", "-p", "22", "127.0.0.1", "--no-history"]

    def xml(*extra):
        r = ns.run(argv + ["-oX", "-"] + list(extra))
        assert r.rc == 0, r
        return r.out

    out = xml("-vv", "-d2")
    assert '<verbose level="2"/>' in out and '<debugging level="2"/>' in out
    out = xml("-v", "-d")
    assert '<verbose level="1"/>' in out and '<debugging level="1"/>' in out
    assert '<?xml-stylesheet href="' in xml()  # nmap's by default: a browser renders it
    assert '<?xml-stylesheet href="https://nmap.org/svn/docs/nmap.xsl" type="text/xsl"?>' \
        in xml("--webxml")
    assert '<?xml-stylesheet href="my.xsl" type="text/xsl"?>' in xml("--stylesheet", "my.xsl")
    assert "xml-stylesheet" not in xml("--no-stylesheet")
    r = ns.run(argv + ["--webxml", "--no-stylesheet"])
    assert r.rc == 2 and len(r.err.splitlines()) == 1, r
    f = tmp_path / "a.nmap"
    for _ in range(2):
        assert ns.run(argv + ["-oN", str(f), "--append-output"]).rc == 0
    assert f.read_text().count("# portscope done at ") == 2
    assert ns.run(argv + ["-oN", str(f)]).rc == 0
    assert f.read_text().count("# portscope done at ") == 1  # without it: replaced


@needs_root
def test_reason_ttl_from_the_reply(netns):
    """reason_ttl was always 0: a raw scan now says the TTL of the reply that decided the
    port, as nmap does (XML, JSON, and --reason's "syn-ack ttl 64")."""
    scan, tgt = lab(netns, "rt")
    start_listeners(tgt, [22])
    tgt.sh("sysctl -qw net.ipv4.ip_default_ttl=77")  # not a default a bug could hide behind
    argv = ["-sS", "-Pn", "-p", "22,23", TGT]
    r = scan.portscope("scan", *argv, "--no-history", "-oX", "-")
    assert r.rc == 0, r
    ours = {p.get("portid"): (p.find("state").get("reason"), p.find("state").get("reason_ttl"))
            for p in ET.fromstring(r.out).iter("port")}
    assert ours == {"22": ("syn-ack", "77"), "23": ("reset", "77")}, ours
    if have("nmap"):
        n = scan.run(["nmap", "-n", *argv, "-oX", "-"], timeout=60)
        assert n.rc == 0, n
        theirs = {p.get("portid"): (p.find("state").get("reason"),
                                    p.find("state").get("reason_ttl"))
                  for p in ET.fromstring(n.out).iter("port")}
        assert ours == theirs, (ours, theirs)
    recs = scan.portscope("scan", *argv, "--no-history", "--json").jsonl()
    assert {x["port"]: x["reason_ttl"] for x in recs if x["type"] == "port"} == {22: 77, 23: 77}
    text = scan.portscope("scan", *argv, "--no-history", "--reason", "--no-color").out
    assert re.search(r"^22/tcp +open +ssh +syn-ack ttl 77$", text, re.M), text


@needs_root
def test_target_names_are_kept(netns, tmp_path):
    """Names were dropped: `scan localhost` gave "Host: 127.0.0.1 ()" and <hostnames/>, and
    the results of an -iL list of names could not be mapped back."""
    scan, tgt = lab(netns, "nm")
    start_listeners(tgt, [22])
    tgt.sh(f"ip addr add {SLOW}/32 dev lo")
    hosts = f"/etc/netns/{scan.name}"
    os.makedirs(hosts, exist_ok=True)  # ip netns exec mounts it over /etc/hosts
    try:
        with open(f"{hosts}/hosts", "w") as f:
            f.write(f"127.0.0.1 localhost\n{TGT} web1.lab\n{SLOW} web2.lab\n")
        names = tmp_path / "names.txt"
        names.write_text("web1.lab\nweb2.lab\n")
        base = tmp_path / "n"
        db = tmp_path / "h.db"
        r = scan.portscope("scan", "-sT", "-p", "22,23", "-iL", str(names), "--db", str(db),
                           "-oA", str(base), "--json")
        assert r.rc == 0, r
        by_addr = {x["address"]: x["hostname"] for x in r.jsonl() if x["type"] == "host"}
        assert by_addr == {TGT: "web1.lab", SLOW: "web2.lab"}
        assert all(x["hostname"] == by_addr[x["address"]] for x in r.jsonl()
                   if x["type"] == "port")
        normal = (tmp_path / "n.nmap").read_text()
        assert f"portscope scan report for web1.lab ({TGT})\n" in normal, normal
        assert f"Host: {TGT} (web1.lab)\tStatus: Up" in (tmp_path / "n.gnmap").read_text()
        root = ET.parse(tmp_path / "n.xml").getroot()
        got = {h.find("address").get("addr"): [(n.get("name"), n.get("type"))
                                                for n in h.iter("hostname")]
               for h in root.iter("host")}
        assert got == {TGT: [("web1.lab", "user")], SLOW: [("web2.lab", "user")]}
        assert dtd_valid(tmp_path / "n.xml")
        # The history keeps them: show reprints the names as the scan wrote them.
        shown = run([portscope_bin(), "show", "--db", str(db), "last", "-oG"]).out
        assert f"Host: {TGT} (web1.lab)\tStatus: Up" in shown, shown
        recs = run([portscope_bin(), "show", "--db", str(db), "last", "--json"]).jsonl()
        assert {x["address"]: x["hostname"] for x in recs if x["type"] == "host"} == by_addr
        r = scan.portscope("scan", "-sT", "-p", "22", "localhost", "--no-history")
        assert "portscope scan report for localhost (127.0.0.1)\n" in r.out, r
    finally:
        shutil.rmtree(hosts, ignore_errors=True)


@needs_root
def test_bare_ports_are_tcp_in_audit_and_verify(netns, tmp_path):
    """Ports without T:/U: also counted as UDP in audit -p and policy verify -p (nmap: TCP
    unless -sU), which also gave UDP notes for -p 80."""
    scan, tgt = lab(netns, "tu")
    start_listeners(tgt, [22, 80])
    pol = tmp_path / "p.pol"
    pol.write_text("ALLOW TCP PORT 22\nALLOW TCP PORT 80\nDENY ALL\n")
    r = scan.portscope("policy", "verify", "--json", "-p", "22,80", str(pol), TGT)
    assert r.rc == 0, r
    assert [(x["proto"], x["port"]) for x in r.jsonl()[:-1]] == [("tcp", 22), ("tcp", 80)]
    r = scan.portscope("policy", "verify", "--json", "-p", "22,U:53", str(pol), TGT)
    assert {x["proto"] for x in r.jsonl()[:-1]} == {"tcp", "udp"}, r
    r = scan.portscope("audit", "-p", "80", TGT, "--no-history", "--no-color", timeout=60)
    assert r.rc in (0, 1) and "UDP" not in r.out + r.err, r
    doc = scan.portscope("audit", "-p", "22,80", TGT, "--no-history", "--json",
                         timeout=60).json()
    assert {e["proto"] for e in doc["endpoints"]} == {"tcp"}, doc


def _libnmap_view(path):
    from libnmap.parser import NmapParser
    rep = NmapParser.parse_fromfile(str(path))
    out = {}
    for h in rep.hosts:
        for svc in h.services:
            d = svc.service_dict
            out[(h.address, h.status, svc.port, svc.protocol)] = (
                svc.state, svc.service, d.get("product"), d.get("version"),
                d.get("extrainfo"), d.get("method"), d.get("conf"),
                sorted(c.cpestring for c in svc.cpelist))
    return out


def _python_nmap_view(path):
    import nmap
    res = nmap.PortScanner().analyse_nmap_xml_scan(path.read_text())["scan"]
    return {(ip, port): {k: v[k] for k in ("state", "name", "product", "version", "extrainfo",
                                            "conf", "cpe")}
            for ip, h in res.items() for port, v in h.get("tcp", {}).items()}


@needs_root
@pytest.mark.skipif(not have("nmap") or not have("ndiff") or not have("xsltproc"),
                    reason="nmap, ndiff and xsltproc are in the Makefile's DEBS")
def test_nmap_consumers_read_our_xml_as_nmaps(netns, tmp_path):
    """ndiff both ways, xsltproc with nmap.xsl, python3-libnmap and python3-nmap: our XML
    of a lab scan reads as nmap's XML of the same scan (hosts, ports, states, services)."""
    pytest.importorskip("libnmap")
    pytest.importorskip("nmap")
    scan, tgt = lab(netns, "cx")
    start_listeners(tgt, [22, 80], banner="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")
    ports = "20-23,79-81"
    theirs, ours = tmp_path / "nmap.xml", tmp_path / "portscope.xml"
    r = scan.run(["nmap", "-sT", "-sV", "-Pn", "-n", "-p", ports, TGT, "-oX", str(theirs)],
                 timeout=120)
    assert r.rc == 0, r
    r = scan.portscope("scan", "-sT", "-sV", "-Pn", "-p", ports, TGT, "--no-history",
                       "-oX", str(ours), timeout=120)
    assert r.rc == 0, r
    for a, b in ((theirs, ours), (ours, theirs)):
        d = run(["ndiff", str(a), str(b)])
        assert d.rc == 0, d.out  # 0: no difference in hosts, ports, states, services
    html = run(["xsltproc", "/usr/share/nmap/nmap.xsl", str(ours)])
    assert html.rc == 0 and "<html" in html.out and "OpenSSH" in html.out, html.err
    assert dtd_valid(ours)
    mine, nmaps = _libnmap_view(ours), _libnmap_view(theirs)
    assert mine == nmaps and any(k[2] == 80 for k in mine), (mine, nmaps)
    mine, nmaps = _python_nmap_view(ours), _python_nmap_view(theirs)
    assert mine == nmaps and mine[(TGT, 80)]["name"] == "ssh", (mine, nmaps)


# ---- rough edges ----

def test_help_command_and_ascii_help():
    """`portscope help` was an unknown command; help printed UTF-8 under LC_ALL=C."""
    r = run([portscope_bin(), "help"])
    assert r.rc == 0 and r.out == run([portscope_bin(), "--help"]).out, r
    assert "scan" in r.out and "help" in r.out
    env = dict(os.environ, LC_ALL="C")
    words = [["--help"]] + [[c, "--help"] for c in ("info", "ls", "scan", "audit", "history",
                                                    "show", "diff", "quiz")] + \
        [["policy", s, "--help"] for s in ("check", "eval", "compile", "apply", "import",
                                          "listening", "verify")]
    for w in words:
        r = run([portscope_bin()] + w, env=env)
        assert r.rc == 0, (w, r)
        assert r.out.isascii() and r.err.isascii(), (w, [c for c in r.out if not c.isascii()])


def test_lint_messages_are_whole(tmp_path):
    """Lint messages were cut at 256 bytes ("...rsh 514/tcp, rsync 8")."""
    pol = tmp_path / "wide.pol"
    pol.write_text("ALLOW TCP PORT 1-65535\nALLOW UDP PORT 1-65535\nDENY ALL\n")
    doc = run([portscope_bin(), "policy", "check", "--json", str(pol)]).json()
    risky = [f["message"] for f in doc["findings"] if f["check"] == "high-risk"]
    assert risky, doc
    for m in risky:
        names = m.split(": ", 1)[1].split(", ")
        for n in names:  # every entry whole: "name port/proto", or the count of the rest
            assert re.fullmatch(r"[a-z0-9-]+ \d+/(tcp|udp)|and \d+ more", n), (n, m)
    text = run([portscope_bin(), "policy", "check", "--no-color", str(pol)]).out
    assert re.search(r"3 rules, 0 errors, \d+ warnings?, \d+ info$", text, re.M), text
    one = tmp_path / "one.pol"
    one.write_text("ALLOW TCP PORT 23\nDENY ALL\n")
    text = run([portscope_bin(), "policy", "check", "--no-color", str(one)]).out
    assert "2 rules, 0 errors, 1 warning, 0 info" in text, text  # not "1 warnings"


@needs_root
def test_audit_table_sorted_and_plural(netns):
    """The audit socket table was unsorted; "1 open ports"."""
    scan, tgt = lab(netns, "as")
    start_listeners(tgt, [9000, 22, 8080])
    r = tgt.portscope("audit", "--no-history", "--no-color", timeout=60)
    assert r.rc in (0, 1), r
    ports = [int(m) for m in re.findall(r"^\S+:(\d+)/tcp ", r.out, re.M)]
    assert ports == sorted(ports) and {22, 8080, 9000} <= set(ports), r.out
    doc = tgt.portscope("audit", "--no-history", "--json", timeout=60).json()
    keys = [(e["proto"], e["port"]) for e in doc["endpoints"]]
    assert keys == sorted(keys, key=lambda k: (k[0] != "tcp", k[1])), keys
    r = scan.portscope("audit", "-p", "22", TGT, "--no-history", "--no-color", timeout=60)
    assert "attack surface: 1 open port," in r.out, r
