"""portscope info: the real binary against this machine's /etc/services and /proc.

No root and no namespaces needed: info only reads files.
"""
import os
import re

import pytest

from conftest import portscope_bin, run, run_on_pty

ETC_SERVICES = "/etc/services"
NMAP_SERVICES = "/usr/share/nmap/nmap-services"
PROTOS = ("tcp", "udp", "sctp")


def info(*args, env=None):
    return run([portscope_bin(), "info", *args], env=env)


def parse_services(path, nmap=False):
    """Independent parser: {(port, proto): [(name, aliases, freq)]} in file order."""
    table = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) < 2 or "/" not in line[1]:
                continue
            port, proto = line[1].split("/", 1)
            if not port.isdigit() or int(port) > 65535 or proto not in PROTOS:
                continue
            if nmap:
                if len(line) != 3:
                    continue
                entry = (line[0], [], float(line[2]))
            else:
                entry = (line[0], line[2:], None)
            bucket = table.setdefault((int(port), proto), [])
            if all(e[0].lower() != entry[0].lower() for e in bucket):
                bucket.append(entry)
    return table


def read_sysctl(name):
    with open(f"/proc/sys/net/ipv4/{name}") as f:
        return [int(x) for x in f.read().split()]


def one_error_line(r, *words):
    assert r.rc == 2, r
    assert r.out == "", r
    lines = r.err.splitlines()
    assert len(lines) == 1, r
    for w in words:
        assert w in lines[0], (w, r)
    return lines[0]


# ---- bad input ----

@pytest.mark.parametrize("args,word", [
    (["70000"], "'70000'"),
    (["-1"], "'-1'"),
    (["22/sctpx"], "'sctpx'"),
    (["nosuchservice"], "'nosuchservice'"),
    ([""], "''"),
    (["22/"], "'22/'"),
    (["/tcp"], "'/tcp'"),
    (["65536/udp"], "'65536'"),
    (["22", "ssh", "70000", "80"], "'70000'"),       # validated before any output
    (["22", "nosuchservice", "80"], "'nosuchservice'"),
    (["ssh", "22/icmp"], "'icmp'"),
    (["--bogus", "22"], "'--bogus'"),
])
def test_bad_input(args, word):
    line = one_error_line(info(*args), word)
    assert line.startswith("portscope info: ")


def test_no_argument():
    one_error_line(info(), "missing")


def test_missing_services_file_is_usage_error(tmp_path):
    missing = str(tmp_path / "nope")
    one_error_line(info("--services", missing, "22"), missing)


def test_help():
    r = info("--help")
    assert r.rc == 0 and r.err == ""
    assert r.out.startswith("usage: portscope info")
    assert "--json" in r.out
    r2 = run([portscope_bin(), "help", "info"])
    assert r2.rc == 0 and r2.out == r.out
    assert "info" in run([portscope_bin(), "--help"]).out


# ---- JSON against independent readings ----

def json_doc(*args):
    r = info("--json", *args)
    assert r.rc == 0, r
    assert r.err == "", r
    doc = r.json()  # one document on one line, checked against schema/info.json
    assert doc["type"] == "info" and r.out.count("\n") == 1
    return doc["results"]


@pytest.mark.skipif(not os.path.exists(ETC_SERVICES), reason="no /etc/services")
def test_json_matches_etc_services():
    etc = parse_services(ETC_SERVICES)
    ports = sorted({port for port, _ in etc})
    assert len(ports) > 50
    doc = json_doc(*[str(p) for p in ports])
    assert [o["argument"] for o in doc] == [str(p) for p in ports]
    for obj in doc:
        assert obj["kind"] == "port" and obj["proto"] is None and obj["name"] is None
        (p,) = obj["ports"]
        assert p["protos"] == list(PROTOS)
        for proto in PROTOS:
            want = [(n, a) for n, a, _ in etc.get((p["port"], proto), [])]
            got = [(s["name"], s["aliases"]) for s in p["services"]
                   if s["proto"] == proto and s["source"] == "etc-services"]
            assert got == want, (p["port"], proto)
            for s in p["services"]:
                if s["source"] == "etc-services":
                    assert s["frequency"] is None


@pytest.mark.skipif(not os.path.exists(NMAP_SERVICES), reason="nmap not installed")
def test_json_matches_nmap_services():
    nmap = parse_services(NMAP_SERVICES, nmap=True)
    ports = ["22/tcp", "80/tcp", "161/udp", "3389/tcp", "53/udp"]
    doc = json_doc(*ports)
    for arg, obj in zip(ports, doc):
        port, proto = arg.split("/")
        want = sorted((n, f) for n, _, f in nmap.get((int(port), proto), []))
        got = sorted((s["name"], s["frequency"]) for s in obj["ports"][0]["services"]
                     if s["source"] == "nmap-services")
        assert [n for n, _ in got] == [n for n, _ in want]
        for (_, fg), (_, fw) in zip(got, want):
            assert fg == pytest.approx(fw, abs=1e-9)


def test_ephemeral_and_privilege_follow_proc():
    lo, hi = read_sysctl("ip_local_port_range")
    (start,) = read_sysctl("ip_unprivileged_port_start")
    probes = sorted({p for p in (lo - 1, lo, hi, hi + 1, start - 1, start, 0, 65535)
                     if 0 <= p <= 65535})
    doc = json_doc(*[f"{p}/tcp" for p in probes])
    for port, obj in zip(probes, doc):
        (p,) = obj["ports"]
        assert p["port"] == port
        assert p["protos"] == ["tcp"]
        assert p["ephemeral_range"] == [lo, hi]
        assert p["ephemeral"] == (lo <= port <= hi), port
        assert p["unprivileged_port_start"] == start
        assert p["privileged"] == (port < start), port


@pytest.mark.parametrize("port,cls,rng", [
    (0, "well-known", [0, 1023]), (1023, "well-known", [0, 1023]),
    (1024, "registered", [1024, 49151]), (49151, "registered", [1024, 49151]),
    (49152, "dynamic", [49152, 65535]), (65535, "dynamic", [49152, 65535]),
])
def test_port_class_boundaries(port, cls, rng):
    (obj,) = json_doc(str(port))
    assert obj["ports"][0]["class"] == cls
    assert obj["ports"][0]["class_range"] == rng


def test_required_risk_notes():
    doc = json_doc("23", "21", "445", "3389")
    risks = {o["ports"][0]["port"]: o["ports"][0]["risks"] for o in doc}
    for port in (21, 23, 445, 3389):
        assert risks[port], port
        for r in risks[port]:
            for key in ("port", "proto", "name", "severity", "note", "citation",
                        "recommendation"):
                assert r[key] not in (None, ""), (port, key)
            assert r["severity"] == "high"
    assert "cleartext" in risks[23][0]["note"]
    assert "anonymous" in risks[21][0]["note"]
    assert "MS17-010" in risks[445][0]["citation"]
    assert "CVE-2019-0708" in risks[3389][0]["citation"]


def test_risk_follows_protocol_filter():
    (udp,) = json_doc("445/udp")
    assert udp["ports"][0]["risks"] == []
    (tcp,) = json_doc("445/tcp")
    assert [r["proto"] for r in tcp["ports"][0]["risks"]] == ["tcp"]


@pytest.mark.skipif(not os.path.exists(ETC_SERVICES), reason="no /etc/services")
def test_service_name_to_ports():
    etc = parse_services(ETC_SERVICES)
    by_name = {}
    for (port, proto), entries in etc.items():
        for name, aliases, _ in entries:
            for n in [name] + aliases:
                by_name.setdefault(n.lower(), set()).add((port, proto))
    names = ["ssh", "https", "domain"] + sorted(n for n in by_name if n in ("www", "smtp"))
    names = [n for n in names if n in by_name]
    assert names
    doc = json_doc(*names)
    for name, obj in zip(names, doc):
        assert obj["kind"] == "service" and obj["name"] == name
        got = {(p["port"], proto) for p in obj["ports"] for proto in p["protos"]}
        assert by_name[name] <= got, name
    # Case-insensitive, and the protocol filter.
    (upper,) = json_doc("SSH/tcp")
    assert [(p["port"], p["protos"]) for p in upper["ports"]] == [(22, ["tcp"])]
    assert upper["proto"] == "tcp"


def test_fixture_files_replace_the_system_ones(tmp_path):
    etc = tmp_path / "services"
    etc.write_text("# fixture\nwidget\t4242/tcp\tgadget\t# test service\n"
                   "widget\t4242/udp\nbroken line\n")
    nmap = tmp_path / "nmap-services"
    nmap.write_text("widget-n\t4242/tcp\t0.125000\t# from nmap\n")
    (obj,) = json_doc("--services", str(etc), "--nmap-services", str(nmap), "gadget")
    (p,) = obj["ports"]
    assert p["port"] == 4242 and p["protos"] == ["tcp"] and p["name"] == "widget"
    assert [(s["name"], s["source"], s["frequency"]) for s in p["services"]] == [
        ("widget", "etc-services", None), ("widget-n", "nmap-services", 0.125)]
    assert p["services"][0]["aliases"] == ["gadget"]
    assert p["services"][0]["comment"] == "test service"
    # Without nmap-services, ssh is unknown to this fixture.
    r = info("--services", str(etc), "--nmap-services", "", "ssh")
    one_error_line(r, "'ssh'")


# ---- human output ----

def test_human_output_sections():
    r = info("23", "ssh")
    assert r.rc == 0 and r.err == ""
    assert "\x1b" not in r.out  # not a TTY: no colour
    blocks = r.out.strip().split("\n\n")
    assert blocks[0].startswith("23  telnet\n")
    for key in ("class", "ephemeral", "privileged", "services", "risk"):
        assert re.search(rf"^  {key} +\S", blocks[0], re.M), key
    assert "well-known (0-1023)" in blocks[0]
    assert re.search(r"^  risk +high +telnet/tcp: .*cleartext", blocks[0], re.M)
    assert blocks[1].startswith("ssh: 22/tcp")
    assert re.search(r"^22/tcp\S*  ssh$", blocks[1], re.M)


def test_colour_only_on_a_tty():
    rc, text = run_on_pty([portscope_bin(), "info", "445/tcp"], timeout=30,
                          env=dict({k: v for k, v in os.environ.items() if k != "NO_COLOR"},
                                   TERM="xterm"))
    assert rc == 0
    assert "\x1b[31mhigh\x1b[0m" in text  # severity in red
    # --no-color and NO_COLOR turn it off even on a TTY; checked without one here.
    assert "\x1b" not in info("--no-color", "445/tcp").out
