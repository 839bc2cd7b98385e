"""Service detection engine against scripted services in a fresh namespace.

The engine is driven through tests/detect-driver.c ($DETECT_DRIVER), which reports
what `portscope scan -sV` does not (probe, source, statistics). Every service here is
a Python script of the test's own (detect_servers.py), bound to 127.0.0.1 inside the
namespace.
"""
import json
import os
import resource
import time

import pytest

from conftest import needs_root, have, run

HERE = os.path.dirname(os.path.abspath(__file__))
NMAP_PROBES = "/usr/share/nmap/nmap-service-probes"


def driver():
    path = os.environ.get("DETECT_DRIVER")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("DETECT_DRIVER is not set (run through meson test)")
    return path


@pytest.fixture
def lab(netns, tmp_path):
    if not have("openssl"):
        pytest.skip("openssl is needed to make the TLS server's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
         str(cert), "-subj", "/CN=lab.example", "-addext",
         "subjectAltName=DNS:lab.example,IP:198.18.0.2", "-days", "2"], check=True)
    ns = netns("det")
    code = ("import runpy, sys; sys.argv = ['detect_servers', %r, %r]; "
            "runpy.run_path(%r, run_name='__main__')" % (str(cert), str(key),
                                                          os.path.join(HERE, "detect_servers.py")))
    ns.spawn_python(code, timeout=20)
    for port in (80, 4443, 7006):
        ns.wait_port("tcp", port)
    return ns


def detect(ns, *endpoints, extra=(), timeout=120):
    t0 = time.monotonic()
    r = ns.run([driver(), *extra, *endpoints], timeout=timeout)
    elapsed = time.monotonic() - t0
    assert r.rc == 0, r
    out = {}
    for rec in r.jsonl():
        if rec.get("type") == "stats":
            out["stats"] = rec
        else:
            out[(rec["proto"], rec["port"])] = rec
    assert len([k for k in out if k != "stats"]) == len(endpoints), r
    return out, elapsed, r


WELL_BEHAVED = {
    # port: (service, product, version)
    80: ("ssh", "OpenSSH", "9.2p1 Debian 2+deb12u3"),
    2222: ("ssh", "OpenSSH", "9.2p1 Debian 2+deb12u3"),
    9999: ("http", "nginx", "1.22.1"),
    21: ("ftp", "vsftpd", "3.0.3"),
    25: ("smtp", "Postfix smtpd", None),
    23: ("telnet", None, None),
    5900: ("vnc", None, None),
    6379: ("redis", "Redis key-value store", "7.0.15"),
    5432: ("postgresql", "PostgreSQL DB", None),
    53: ("domain", "dnsmasq", "2.89"),
}


def check_well_behaved(res):
    for port, (name, product, version) in WELL_BEHAVED.items():
        svc = res[("tcp", port)]["service"]
        assert svc["name"] == name, (port, svc)
        if product:
            assert svc["product"] == product, (port, svc)
        if version:
            assert svc["version"] == version, (port, svc)
        assert svc["method"] == "probed", (port, svc)
    udp = res[("udp", 53)]["service"]
    assert (udp["name"], udp["product"], udp["version"]) == ("domain", "dnsmasq", "2.89"), udp


@needs_root
def test_detect_builtin_only(lab):
    eps = [f"tcp:127.0.0.1:{p}" for p in WELL_BEHAVED] + ["udp:127.0.0.1:53", "tcp:127.0.0.1:4443"]
    res, elapsed, _ = detect(lab, *eps, extra=["--no-nmap"])
    check_well_behaved(res)
    https = res[("tcp", 4443)]["service"]
    assert (https["name"], https["product"], https["tunnel"]) == ("http", "nginx", "ssl"), https
    for rec in res.values():
        assert rec["service"]["source"] == "builtin", rec
    # all at once: far below the sum of per-probe waits
    assert elapsed < 15, elapsed


@needs_root
def test_detect_with_nmap_probes(lab):
    if not os.path.exists(NMAP_PROBES):
        pytest.skip("nmap's service probes are not installed")
    eps = [f"tcp:127.0.0.1:{p}" for p in WELL_BEHAVED] + ["udp:127.0.0.1:53"]
    res, elapsed, _ = detect(lab, *eps, extra=["--probes", NMAP_PROBES])
    check_well_behaved(res)
    assert elapsed < 15, elapsed


@needs_root
@pytest.mark.parametrize("nmap", [False, True], ids=["builtin", "nmap-probes"])
def test_detect_inside_tls(lab, nmap):
    if nmap and not os.path.exists(NMAP_PROBES):
        pytest.skip("nmap's service probes are not installed")
    extra = ["--probes", NMAP_PROBES] if nmap else ["--no-nmap"]
    res, elapsed, _ = detect(lab, "tcp:127.0.0.1:4443", "tcp:127.0.0.1:9993", extra=extra)
    https = res[("tcp", 4443)]["service"]
    assert (https["name"], https["product"], https["version"], https["tunnel"]) == \
        ("http", "nginx", "1.22.1", "ssl"), https
    tls = https["tls"]
    assert tls["version"].startswith("TLSv1."), tls
    assert tls["subject"] == "CN=lab.example" and tls["issuer"] == "CN=lab.example", tls
    assert tls["sans"] == "DNS:lab.example, IP:198.18.0.2", tls
    assert tls["alpn"] == "http/1.1", tls
    assert len(tls["not_after"]) == 20 and tls["not_after"].endswith("Z"), tls
    imaps = res[("tcp", 9993)]["service"]
    assert (imaps["name"], imaps["product"], imaps["tunnel"]) == ("imap", "Dovecot imapd", "ssl"), imaps
    assert imaps["tls"]["alpn"] is None, imaps
    assert elapsed < 10, elapsed


@needs_root
def test_detect_tls_not_opened_with_no_tls(lab):
    res, _, _ = detect(lab, "tcp:127.0.0.1:4443", extra=["--no-nmap", "--no-tls"])
    svc = res[("tcp", 4443)]["service"]
    assert svc["name"] == "ssl" and svc["tunnel"] is None and "tls" not in svc, svc


@needs_root
def test_detect_silent_and_tcpwrapped(lab):
    res, elapsed, _ = detect(lab, "tcp:127.0.0.1:7000", "tcp:127.0.0.1:7001", "tcp:127.0.0.1:7999",
                             "udp:127.0.0.1:7999", extra=["--no-nmap"])
    silent = res[("tcp", 7000)]["service"]
    assert (silent["name"], silent["reason"], silent["method"]) == ("unknown", "no-response", None), silent
    assert res[("tcp", 7001)]["service"]["reason"] == "tcpwrapped"
    assert res[("tcp", 7999)]["service"]["reason"] == "refused"
    assert res[("udp", 7999)]["service"]["reason"] == "port-unreachable"
    assert elapsed < 10, elapsed


@needs_root
def test_detect_hostile_services_bounded(lab):
    """10 MB banner, drip, never closing, garbage, aborted TLS: all end in time, memory bounded."""
    hostile = [7002, 7003, 7004, 7005, 7006]
    extra = ["--probes", NMAP_PROBES] if os.path.exists(NMAP_PROBES) else ["--no-nmap"]
    res, elapsed, _ = detect(lab, *[f"tcp:127.0.0.1:{p}" for p in hostile], extra=extra + ["--stats"],
                             timeout=90)
    for port in hostile:
        rec = res[("tcp", port)]
        if port == 7006:
            # it looked like TLS, then the handshake broke: TLS it is, with nothing inside
            assert rec["service"]["name"] == "ssl" and "tls" not in rec["service"], rec
            assert rec["service"]["tunnel"] is None, rec
        else:
            # nothing here is a known service: none may be guessed
            assert rec["service"]["name"] == "unknown" and rec["service"]["method"] is None, rec
            assert rec["service"]["reason"] in ("unrecognized", "timeout", "no-response"), rec
        # the engine's per-endpoint deadline (20 s by default) holds, with scheduling slack
        assert rec["elapsed_ms"] <= 21000, rec
    assert elapsed < 30, elapsed
    st = res["stats"]
    # reading is bounded per connection: the 10 MB banner and the garbage stream are cut at 64 KiB
    assert st["largest_answer"] == st["max_read"] == 65536, st
    assert st["peak_buffered"] <= st["peak_conns"] * st["max_read"], st
    assert st["peak_buffered"] < 10 * 1024 * 1024, st
    if "ASAN_OPTIONS" not in os.environ:  # sanitizers inflate RSS with shadow memory and quarantine
        assert st["maxrss_kb"] < 100 * 1024, st


@needs_root
def test_detect_max_read_caps_the_buffer(lab):
    """With a tiny read cap the 10 MB banner still ends promptly as an unrecognized answer."""
    res, elapsed, _ = detect(lab, "tcp:127.0.0.1:7002", extra=["--no-nmap", "--max-read", "1024", "--stats"])
    rec = res[("tcp", 7002)]["service"]
    assert rec["name"] == "unknown" and rec["reason"] in ("unrecognized", "timeout"), rec
    assert res["stats"]["largest_answer"] == 1024, res["stats"]
    assert elapsed < 25, elapsed


def test_driver_rejects_bad_arguments():
    r = run([driver(), "tcp:nohost:80"])
    assert r.rc == 2 and "bad argument 'tcp:nohost:80'" in r.err, r
    r = run([driver(), "--intensity", "12"])
    assert r.rc == 2 and "bad --intensity '12'" in r.err, r


@needs_root
def test_detect_honours_exclude(netns, tmp_path):
    """The probe file's Exclude directive keeps detection off those ports entirely."""
    probes = tmp_path / "probes"
    probes.write_text("Exclude T:9100\nProbe TCP NULL q||\nmatch ssh m|^SSH-|\n")
    ns = netns("detx")
    ns.popen(["python3", "-c", "import socket,time\n"
              "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "s.bind(('127.0.0.1', 9100)); s.listen(8)\n"
              "while True:\n c,_=s.accept(); c.sendall(b'SSH-2.0-x\\r\\n')\n"])
    ns.wait_port("tcp", 9100)
    res, _, _ = detect(ns, "tcp:127.0.0.1:9100", extra=["--probes", str(probes)])
    rec = res[("tcp", 9100)]
    assert rec["service"]["reason"] == "excluded" and rec["probes_sent"] == 0, rec
    # the same file without the Exclude line finds the service
    probes.write_text("Probe TCP NULL q||\nmatch ssh m|^SSH-|\n")
    res, _, _ = detect(ns, "tcp:127.0.0.1:9100", extra=["--probes", str(probes)])
    assert res[("tcp", 9100)]["service"]["name"] == "ssh", res


@needs_root
def test_scan_sv_json(lab):
    """portscope scan -sV: detected services in the port records, SSH on 80 flagged as a mismatch."""
    r = lab.portscope("scan", "-sV", "-p", "21,80,4443,6379,7000,9999", "--json", "127.0.0.1",
                      timeout=60)
    assert r.rc == 0, r
    ports = {rec["port"]: rec["service"] for rec in r.jsonl() if rec["type"] == "port"}
    assert set(ports) == {21, 80, 4443, 6379, 7000, 9999}, r
    ssh = ports[80]
    assert (ssh["name"], ssh["product"], ssh["method"]) == ("ssh", "OpenSSH", "probed"), ssh
    assert ssh["port_default"] == "http" and ssh["mismatch"] is True, ssh
    assert "cpe:/a:openbsd:openssh:9.2p1" in ssh["cpe"], ssh
    ftp = ports[21]
    assert (ftp["name"], ftp["product"], ftp["version"]) == ("ftp", "vsftpd", "3.0.3"), ftp
    assert ftp["port_default"] == "ftp" and ftp["mismatch"] is False, ftp
    https = ports[4443]
    assert (https["name"], https["tunnel"], https["product"]) == ("http", "ssl", "nginx"), https
    assert https["tls"]["subject"] == "CN=lab.example", https
    assert ports[6379]["version"] == "7.0.15", ports[6379]
    # a silent port is unknown, never guessed from its number
    silent = ports[7000]
    assert (silent["name"], silent["reason"], silent["mismatch"]) == ("unknown", "no-response", False)
    assert "product" not in silent


@needs_root
def test_scan_sv_normal_grepable_xml(lab, tmp_path):
    base = tmp_path / "out"
    r = lab.portscope("scan", "-sV", "-p", "80,4443", "-oA", str(base), "127.0.0.1", timeout=60)
    assert r.rc == 0, r
    normal = (tmp_path / "out.nmap").read_text()
    assert "VERSION" in normal, normal
    assert "80/tcp   open  ssh      OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)" in normal, normal
    assert "4443/tcp open  ssl/http nginx 1.22.1" in normal, normal
    gnmap = (tmp_path / "out.gnmap").read_text()
    assert "80/open/tcp//ssh//OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)/" in gnmap, gnmap
    assert "4443/open/tcp//ssl|http//nginx 1.22.1/" in gnmap, gnmap
    xml = (tmp_path / "out.xml").read_text()
    assert '<service name="ssh" product="OpenSSH" version="9.2p1 Debian 2+deb12u3"' in xml, xml
    assert 'tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx:1.22.1</cpe>' in xml
    # without -sV the table has no VERSION column and names come from the port table
    r = lab.portscope("scan", "-p", "80", "127.0.0.1")
    assert r.rc == 0 and "VERSION" not in r.out and "80/tcp open  http" in r.out, r


@needs_root
def test_scan_sv_bad_usage(lab):
    r = lab.portscope("scan", "-sV", "--probes", "/nonexistent/probes", "-p", "80", "127.0.0.1")
    assert r.rc == 2 and "--probes: cannot open '/nonexistent/probes'" in r.err, r
    r = lab.portscope("scan", "-sV", "--version-intensity", "12", "-p", "80", "127.0.0.1")
    assert r.rc == 2 and "'12' is not an intensity from 0 to 9" in r.err, r
    r = lab.portscope("scan", "--version-intensity", "3", "-p", "80", "127.0.0.1")
    assert r.rc == 2 and "add -sV" in r.err, r
