"""portscope.exe under wine64 (make windows-test, through windows/test.sh).

windows/test.sh runs this in a network namespace of its own (loopback only)
with a fresh WINEPREFIX: every socket here is on that namespace's loopback.
The listener is tests/windows/listener.exe, a small Winsock program.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import xml.etree.ElementTree as ET

import pytest

BUILD = os.environ["PORTSCOPE_WIN_BUILD"]
SRC = os.environ.get("PORTSCOPE_SRC_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
EXE = os.path.join(BUILD, "portscope.exe")
LISTENER = os.path.join(BUILD, "tests", "windows", "listener.exe")
PROCNAME = os.path.join(BUILD, "tests", "windows", "procname.exe")
NON_ASCII = "lístener-ñ.exe"

# Why the owner is PID 0 under Wine before 9.17 (read in Wine 8.0's source):
# nsiproxy.sys's TCP/UDP tables take each socket's inode from /proc/net/tcp and
# look for "socket:[inode]" in /proc/<unix pid>/fd of every Windows process
# (find_owning_pid). Since Wine 6 a socket lives in wineserver: socket(), bind,
# listen, accept and poll are wineserver ioctls, and a process gets the unix fd
# only for the length of one call (recv, getsockname ...) because socket fds are
# not cacheable (server/fd.c: create_anonymous_fd leaves cacheable 0; ntdll's
# server_get_unix_fd closes an uncached fd after use). So no Windows process
# ever holds the inode, whatever the listener does: checked with a listener that
# calls getsockname and one that blocks in recv on an accepted connection, whose
# inodes only wineserver64 held. Wine 9.17 takes the owner from wineserver
# ("nsiproxy: Implement TCP table on top of a server call").
WINE_OWNER = ("Wine < 9.17 gives owning PID 0: nsiproxy looks for the socket's inode in "
              "/proc/<pid>/fd of each Windows process, and only wineserver holds it")

DOCS = """ALLOW TCP Port 80 (HTTP)
ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)
DENY ALL (Block everything else)
"""


def ps(*args, stdin=None):
    r = subprocess.run(["wine", EXE, *args], input=stdin, capture_output=True, text=True,
                       encoding="utf-8", timeout=180)
    return r


def wine_version():
    out = subprocess.run(["wine", "--version"], capture_output=True, text=True).stdout
    m = re.match(r"wine-(\d+)\.(\d+)", out)
    return (int(m[1]), int(m[2])) if m else None


def xfail_if_wine_gave_no_owner(row):
    """PID 0 from the table: an xfail under Wine before 9.17 only, else a failure."""
    if row["inode"] != 0:  # the owning PID GetExtendedTcpTable gave
        return
    v = wine_version()
    assert v is not None and v < (9, 17), f"owning PID 0 under {v}: {row}"
    pytest.xfail(WINE_OWNER)


def jlines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_listener(exe):
    port = free_port()
    p = subprocess.Popen(["wine", exe, str(port)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    assert line and line[0] == "READY", line
    return p, port, int(line[1])


@pytest.fixture(scope="module")
def listener():
    p, port, pid = start_listener(LISTENER)
    yield port, pid
    p.stdin.close()
    p.wait(timeout=60)


@pytest.fixture(scope="module")
def named_listener(tmp_path_factory):
    """The listener under a name with non-ASCII letters."""
    exe = tmp_path_factory.mktemp("bin") / NON_ASCII
    shutil.copy(LISTENER, exe)
    p, port, pid = start_listener(str(exe))
    yield port, pid
    p.stdin.close()
    p.wait(timeout=60)


def listen_row(port):
    r = ps("ls", "--json")
    assert r.returncode == 0, r.stderr
    rows = [x for x in jlines(r.stdout)
            if x.get("type") == "socket" and x["proto"] == "tcp" and x["port"] == port
            and x["state"] == "listen"]
    assert len(rows) == 1, r.stdout
    return rows[0]


def test_ls_shows_the_listener_with_its_owner(listener):
    port, pid = listener
    row = listen_row(port)
    assert row["address"] == "127.0.0.1" and row["exposure"] == "loopback", row
    xfail_if_wine_gave_no_owner(row)
    assert row["pid"] == pid and row["process"] == "listener.exe", row


def test_non_ascii_process_name_through_the_platform_layer(named_listener):
    """Toolhelp + QueryFullProcessImageNameW, UTF-16 to UTF-8: the name ls gives an owner."""
    _, pid = named_listener
    r = subprocess.run(["wine", PROCNAME, str(pid)], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    hexname, name = r.stdout.decode("utf-8").split(" ", 1)
    assert hexname == NON_ASCII.encode("utf-8").hex(), r.stdout
    assert name.rstrip("\r\n") == NON_ASCII


def test_ls_non_ascii_process_name(named_listener):
    port, pid = named_listener
    row = listen_row(port)
    xfail_if_wine_gave_no_owner(row)
    assert row["pid"] == pid and row["process"] == NON_ASCII, row
    r = ps("ls")
    assert r.returncode == 0, r.stderr
    line = [x for x in r.stdout.splitlines() if f":{port} " in x]
    assert len(line) == 1 and f"{NON_ASCII}" in line[0] and str(pid) in line[0], r.stdout


def test_history_db_with_non_ascii_path(listener, tmp_path):
    port, _ = listener
    d = tmp_path / "dírectory-ñ"
    d.mkdir()
    db = d / "hístory.db"
    r = ps("scan", "-sT", "-p", str(port), "127.0.0.1", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert db.is_file() and db.stat().st_size > 0
    r = ps("history", "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    runs = [x for x in jlines(r.stdout) if x.get("type") == "run"]
    assert len(runs) == 1 and str(db) in runs[0]["command"], r.stdout


def test_audit_firewall_verdict_or_the_reason(listener):
    """The Windows Firewall through INetFwPolicy2: a verdict, or the call that failed."""
    port, _ = listener
    r = ps("audit", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    fw = doc["firewall"]
    eps = [e for e in doc["endpoints"] if e["port"] == port and e["proto"] == "tcp"]
    assert len(eps) == 1 and eps[0]["exposure"] == "loopback-only", eps
    if fw["evaluated"]:
        assert fw["note"].startswith("evaluated: the Windows Firewall"), fw
        return
    # Wine 8.0's hnetcfg: get_CurrentProfileTypes, get_FirewallEnabled, get_DefaultInboundAction
    # and INetFwRules::get__NewEnum are stubs answering E_NOTIMPL
    assert "INetFwPolicy2::" in fw["note"] and "0x" in fw["note"], fw
    assert "unknown" in fw["note"], fw
    r = ps("audit")
    assert r.returncode == 0 and "firewall: not evaluated: the Windows Firewall's API" in r.stdout


def test_connect_scan_open_and_closed(listener):
    port, _ = listener
    closed = free_port()
    r = ps("scan", "-sT", "-p", f"{port},{closed}", "127.0.0.1", "-oJ", "-")
    assert r.returncode == 0, r.stderr
    states = {x["port"]: x["state"] for x in jlines(r.stdout) if x["type"] == "port"}
    assert states == {port: "open", closed: "closed"}, r.stdout
    host = [x for x in jlines(r.stdout) if x["type"] == "host"]
    assert host and host[0]["status"] == "up" and host[0]["reason"] == "localhost-response"


def test_connect_scan_xml(listener, tmp_path):
    """-oX and -oA: nmap's XML (output/xmlw.c, the writer Linux uses too), well-formed."""
    port, _ = listener
    closed = free_port()
    xml = tmp_path / "scan.xml"
    r = ps("scan", "-sT", "--no-history", "-p", f"{port},{closed}", "127.0.0.1", "-oX", str(xml),
           "-oA", str(tmp_path / "all"))
    assert r.returncode == 0, r.stderr
    for path in (xml, tmp_path / "all.xml"):
        root = ET.parse(path).getroot()
        assert root.tag == "nmaprun" and root.get("scanner") == "nmap", path
        assert root.find("scaninfo").get("type") == "connect"
        host = root.find("host")
        assert host.find("status").get("state") == "up"
        assert host.find("address").get("addr") == "127.0.0.1"
        ports = {int(p.get("portid")): p.find("state").get("state")
                 for p in host.iter("port")}
        assert ports == {port: "open", closed: "closed"}, ports  # as nmap: few closed, listed
        assert root.find("runstats/hosts").get("up") == "1"
    assert (tmp_path / "all.nmap").stat().st_size > 0
    assert f"{port}/open/tcp" in (tmp_path / "all.gnmap").read_text()


def promtool_check(path):
    """promtool (Linux) accepts the textfile wine wrote."""
    if not shutil.which("promtool"):
        if os.environ.get("CI"):
            pytest.fail("promtool is missing (make deps)")
        return
    r = subprocess.run(["promtool", "check", "metrics"], input=path.read_bytes(),
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stdout == b"" and r.stderr == b"", r


@pytest.mark.parametrize("command", ["scan", "audit"])
def test_prometheus_textfile(listener, tmp_path, command):
    """--prometheus FILE: written in-process (outfile-windows.c), LF lines, replaced whole."""
    port, _ = listener
    prom = tmp_path / f"{command}.prom"
    prom.write_text("old\n")
    args = ["-sT"] if command == "scan" else []
    r = ps(command, *args, "--no-history", "-p", str(port), "127.0.0.1", "--prometheus",
           str(prom))
    assert r.returncode in (0, 1), r.stderr  # audit: 1 when it has findings
    text = prom.read_bytes()
    assert b"\r" not in text and text.endswith(b"\n"), text
    promtool_check(prom)
    assert f'portscope_open_ports{{kind="{command}",targets="127.0.0.1",proto="tcp"}} 1' \
        in text.decode(), text
    assert sorted(os.listdir(tmp_path)) == [prom.name]  # no temporary file left
    r = ps(command, *args, "--no-history", "-p", "1", "127.0.0.1", "--prometheus",
           str(tmp_path / "no-such-dir" / "x.prom"))
    assert r.returncode == 2 and "cannot write" in r.stderr, r


def test_report_page(listener, tmp_path):
    """portscope report of a history wine wrote: one HTML page (hashes through BCrypt)."""
    port, _ = listener
    db = tmp_path / "h.db"
    r = ps("scan", "-sT", "-p", str(port), "127.0.0.1", "--db", str(db))
    assert r.returncode == 0, r.stderr
    page = tmp_path / "x.html"
    r = ps("report", "--db", str(db), "-o", str(page))
    assert r.returncode == 0, r.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>"), html[:200]
    assert str(port) in html
    for tag in ("style", "script"):  # the CSP names each by its SHA-256 (BCrypt's)
        inline = re.search(f"<{tag}>(.*?)</{tag}>", html, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in html or f"sha256-{digest}" in html, tag


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server (Python's ssl) on this namespace's loopback, with a certificate of the test's."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the TLS server's certificate")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/O=Lab/CN=lab.example",
                    "-addext", "subjectAltName=DNS:lab.example,IP:198.18.0.2"],
                   check=True, capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])  # of the client's h2 and http/1.1
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.5)
    stop = threading.Event()

    def answer(c):
        try:
            with ctx.wrap_socket(c, server_side=True) as t:
                t.settimeout(5)
                t.recv(4096)
                t.sendall(b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\n"
                          b"Content-Length: 2\r\nConnection: close\r\n\r\nok")
        except (OSError, ssl.SSLError):
            pass  # the plain probes, and handshakes the client gives up
        finally:
            c.close()

    def loop():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(c,), daemon=True).start()

    th = threading.Thread(target=loop, daemon=True)
    th.start()
    yield srv.getsockname()[1]
    stop.set()
    th.join(timeout=5)
    srv.close()


def test_version_scan_through_tls(tls_server):
    """-sV's TLS probes over SChannel (tls-schannel.c; Wine: over GnuTLS)."""
    port = tls_server
    r = ps("scan", "-sT", "-sV", "--no-history", "-p", str(port), "127.0.0.1", "-oJ", "-")
    assert r.returncode == 0, r.stderr
    [row] = [x for x in jlines(r.stdout) if x["type"] == "port"]
    svc = row["service"]
    assert row["state"] == "open" and svc["name"] == "http" and svc["tunnel"] == "ssl", row
    assert svc["product"] == "Apache httpd" and svc["version"] == "2.4.57", svc
    tls = svc["tls"]
    assert tls["version"].startswith("TLSv1."), tls
    assert tls["subject"] == "CN=lab.example,O=Lab" and tls["issuer"] == tls["subject"], tls
    assert tls["sans"] == "DNS:lab.example, IP:198.18.0.2", tls
    assert tls["not_after"].endswith("Z") and len(tls["not_after"]) == 20, tls
    assert tls["alpn"] == "http/1.1", tls


@pytest.mark.parametrize("flag", ["-sS", "-sU"])
def test_raw_scans_say_linux_only(flag):
    r = ps("scan", flag, "-p", "80", "127.0.0.1")
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr.count("\n") == 1 and "Linux-only" in r.stderr, r.stderr


def test_info_3389_explains_rdp():
    r = ps("info", "3389")
    assert r.returncode == 0, r.stderr
    assert "ms-wbt-server" in r.stdout and "RDP" in r.stdout, r.stdout
    # the dynamic range from WMI (MSFT_NetTCPSetting), else the default named as such
    # (Wine 8.0: ROOT\\StandardCimv2 is not a namespace it has)
    eph = [x for x in r.stdout.splitlines() if x.strip().startswith("ephemeral")]
    assert len(eph) == 1, r.stdout
    assert "(Windows default: 49152-65535)" in eph[0] or "(this machine: " in eph[0], eph
    assert "net.ipv4" not in r.stdout and "privileged  no (no privileged ports" in r.stdout


def test_quiz_scores_piped_answers():
    r = ps("quiz", "--seed", "7", "--count", "3", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["seed"] == 7 and len(doc["questions"]) == 3, doc


def test_policy_check_and_eval(tmp_path):
    pol = tmp_path / "web.policy"
    pol.write_text(DOCS)
    r = ps("policy", "check", str(pol))
    assert r.returncode in (0, 1) and "ipv6-gap" in r.stdout, r
    for src, verdict in (("10.0.0.5", "allow"), ("10.0.0.6", "deny")):
        r = ps("policy", "eval", str(pol), "--proto", "tcp", "--port", "22", "--from", src,
               "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["verdict"] == verdict, r.stdout


def test_policy_compile_to_windows_gives_the_three_rules(tmp_path):
    pol = tmp_path / "web.policy"
    pol.write_text(DOCS)
    r = ps("policy", "compile", "--to", "windows", str(pol))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # the three rules: two allow rules, and DENY ALL as the profiles' default inbound action
    rules = [x for x in lines if x.startswith("New-NetFirewallRule")]
    assert len(rules) == 2, r.stdout
    web = [x for x in rules if "-LocalPort '80'" in x]
    ssh = [x for x in rules if "-LocalPort '22'" in x]
    assert len(web) == 1 and "-RemoteAddress" not in web[0] and "-Action Allow" in web[0]
    assert len(ssh) == 1 and "-RemoteAddress '10.0.0.5'" in ssh[0] and "-Protocol TCP" in ssh[0]
    deny = [x for x in lines if x.startswith("Set-NetFirewallProfile")]
    assert len(deny) == 1 and "-DefaultInboundAction Block" in deny[0], r.stdout


def test_linux_only_policy_commands_say_so(tmp_path):
    pol = tmp_path / "web.policy"
    pol.write_text(DOCS)
    r = ps("policy", "apply", str(pol))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Linux-only" in r.stderr, r
