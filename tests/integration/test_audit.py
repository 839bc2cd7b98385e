"""portscope audit: the attack-surface report, on real daemons in lab namespaces.

The risky lab: vsftpd (anonymous on), inetutils telnetd behind socat, redis
without auth on an unusual port, sshd on 80, a listener on 127.0.0.1 only and
a port dropped by nftables. Each safe check also meets a look-alike that must
not trigger it (real daemons where Debian has them, scripted servers else).
"""
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import have, is_root, link_veth, portscope_bin, run

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces")

TGT, SCN = "198.18.0.2", "198.18.0.1"
REDIS_PORT = 7379


def wait_tcp(ns, port, timeout=10):
    ns.wait_port("tcp", port, timeout=timeout)


def need(*tools):
    missing = [t for t in tools if not (have(t) or os.path.exists(t))]
    if missing:
        pytest.skip("missing " + " ".join(missing) + " (make deps)")


def start_vsftpd(ns, tmp_path, port=21, anonymous=True):
    need("/usr/sbin/vsftpd")
    root = tmp_path / f"ftproot{port}"
    root.mkdir()
    root.chmod(0o555)
    conf = tmp_path / f"vsftpd{port}.conf"
    conf.write_text(
        "listen=YES\nlisten_ipv6=NO\nbackground=NO\n"
        f"listen_port={port}\n"
        f"anonymous_enable={'YES' if anonymous else 'NO'}\n"
        f"anon_root={root}\nlocal_enable=NO\nwrite_enable=NO\n"
        "seccomp_sandbox=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\n"
        "xferlog_enable=NO\nsyslog_enable=NO\nvsftpd_log_file=/dev/null\n"
        "pasv_enable=NO\n")
    os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
    ns.popen(["/usr/sbin/vsftpd", str(conf)])
    wait_tcp(ns, port)


def start_telnetd(ns, port=23):
    need("/usr/sbin/telnetd", "socat")
    ns.popen(["socat", f"TCP-LISTEN:{port},reuseaddr,fork",
              "EXEC:/usr/sbin/telnetd,nofork"])
    wait_tcp(ns, port)


def start_redis(ns, tmp_path, port=REDIS_PORT, password=None):
    need("/usr/bin/redis-server")
    d = tmp_path / f"redis{port}"
    d.mkdir()
    argv = ["/usr/bin/redis-server", "--port", str(port), "--bind", "0.0.0.0",
            "--protected-mode", "no", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(d), "--logfile", ""]
    if password:
        argv += ["--requirepass", password]
    ns.popen(argv)
    wait_tcp(ns, port)


def start_sshd(ns, tmp_path, port=80):
    need("/usr/sbin/sshd", "ssh-keygen")
    key = tmp_path / "hostkey"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    conf = tmp_path / "sshd_config"
    conf.write_text(f"Port {port}\nHostKey {key}\nPidFile none\nUsePAM no\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n")
    os.makedirs("/run/sshd", exist_ok=True)
    ns.popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(conf)])
    wait_tcp(ns, port)


LISTENER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
print("READY", flush=True)
while True:
    c, _ = s.accept(); c.close()
"""


def start_listener(ns, addr, port):
    p = ns.popen(["python3", "-u", "-c", LISTENER, addr, str(port)], text=True)
    assert p.stdout.readline().strip() == "READY"
    wait_tcp(ns, port)


# A scripted server: greeting (bytes sent on accept), then for each read one
# reply (or the last reply again); used for look-alikes and for services that
# Debian does not ship (MongoDB); the other checks meet their real daemons below too.
SCRIPTED = r"""
import socket, sys, binascii, threading
proto, port = sys.argv[1], int(sys.argv[2])
greet = binascii.unhexlify(sys.argv[3])
replies = [binascii.unhexlify(h) for h in sys.argv[4:]]
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port)); print("READY", flush=True)
    while True:
        d, a = s.recvfrom(4096)
        r = replies[0]
        if b"REQID" in r:
            i = d.find(b"\x02\x04", 13)
            r = r.replace(b"REQID", d[i + 2:i + 6])
        s.sendto(r, a)
def serve(c):
    c.settimeout(5)
    try:
        if greet: c.sendall(greet)
        for r in replies:
            if not c.recv(4096): break
            c.sendall(r)
        c.recv(4096)
    except OSError:
        pass
    c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(16); print("READY", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""


def start_scripted(ns, proto, port, greet=b"", *replies):
    p = ns.popen(["python3", "-u", "-c", SCRIPTED, proto, str(port), greet.hex()]
                 + [r.hex() for r in replies], text=True)
    assert p.stdout.readline().strip() == "READY"
    if proto == "tcp":
        wait_tcp(ns, port)
    else:
        ns.wait_port("udp", port)


def audit(ns, *args, rc=None):
    r = ns.portscope("audit", "--json", *args, timeout=60)
    assert r.err == "" or "warning" in r.err, r
    if rc is not None:
        assert r.rc == rc, r
    return r.json()


def findings(doc, port=None):
    return {(f["check"], f["severity"]) for f in doc["findings"]
            if port is None or f["port"] == port}


def endpoint(doc, port, address=None):
    for e in doc["endpoints"]:
        if e["port"] == port and e["proto"] == "tcp" and (address is None
                                                          or e["address"] == address):
            return e
    raise AssertionError(f"no endpoint {port} in {doc['endpoints']}")


@pytest.fixture
def lab(netns, tmp_path):
    """A target namespace with the risky services and a scanner namespace."""
    need("nft")
    tgt, scn = netns("atgt"), netns("ascn")
    link_veth(scn, tgt, SCN, TGT)
    start_vsftpd(tgt, tmp_path, 21, anonymous=True)
    start_telnetd(tgt, 23)
    start_redis(tgt, tmp_path, REDIS_PORT)
    start_sshd(tgt, tmp_path, 80)
    start_listener(tgt, "127.0.0.1", 8080)
    start_listener(tgt, "0.0.0.0", 8081)
    tgt.run(["nft", "-f", "-"], check=True, input=(
        "table inet lab {\n chain input {\n"
        "  type filter hook input priority 0; policy accept;\n"
        "  tcp dport 8081 drop\n }\n}\n"))
    return tgt, scn


def test_local_audit_of_the_risky_lab(lab):
    tgt, _ = lab
    t0 = time.monotonic()
    doc = audit(tgt, "--fail-on", "high", rc=1)
    took = time.monotonic() - t0
    print(f"local audit of the lab: {took:.2f} s")
    assert doc["mode"] == "local"
    assert ("ftp-anonymous", "high") in findings(doc, 21)
    assert ("telnet-cleartext", "high") in findings(doc, 23)
    assert ("redis-noauth", "high") in findings(doc, REDIS_PORT)
    assert findings(doc, 80) == {("port-service-mismatch", "info")}
    ssh = endpoint(doc, 80)
    assert ssh["service"]["name"] == "ssh" and ssh["service"]["port_default"] == "http"
    assert ssh["service"]["method"] == "probed" and ssh["service"]["mismatch"] is True
    assert ssh["exposure"] == "reachable" and TGT in ssh["reachable_on"]
    assert ssh["process"] and "sshd" in ssh["process"] and ssh["pid"] > 0
    lo = endpoint(doc, 8080)
    assert lo["exposure"] == "loopback-only" and lo["reachable_on"] == []
    assert findings(doc, 8080) == set()
    blocked = endpoint(doc, 8081)
    assert blocked["exposure"] == "blocked" and blocked["reachable_on"] == []
    ftp = [f for f in doc["findings"] if f["check"] == "ftp-anonymous"][0]
    assert "USER anonymous" in ftp["evidence"] and " 230" in ftp["evidence"]
    assert "vsftpd" in (ftp["process"] or "")
    assert ftp["recommendation"]
    assert doc["summary"]["high"] >= 3 and doc["summary"]["blocked"] == 1
    assert doc["summary"]["loopback_only"] >= 1

    # Human report: grouped by severity, one-line summary; --fail-on medium too.
    r = tgt.portscope("audit", "--fail-on", "medium", "--no-color", timeout=60)
    assert r.rc == 1, r
    assert "\x1b[" not in r.out
    assert r.out.index("high\n") < r.out.index("info\n")
    assert "attack surface:" in r.out and "1 blocked" in r.out


def test_remote_audit_agrees_on_what_is_reachable(lab):
    tgt, scn = lab
    ports = f"21,23,80,{REDIS_PORT},8080,8081"
    local = audit(tgt)
    remote = audit(scn, "-p", ports, TGT, "--fail-on", "high", rc=1)
    assert remote["mode"] == "remote"
    reach_local = {e["port"] for e in local["endpoints"]
                   if e["exposure"] == "reachable" and e["proto"] == "tcp"}
    reach_remote = {e["port"] for e in remote["endpoints"]}
    assert reach_remote == reach_local == {21, 23, 80, REDIS_PORT}
    ids = {f["check"] for f in remote["findings"]}
    assert {"ftp-anonymous", "telnet-cleartext", "redis-noauth",
            "port-service-mismatch"} <= ids


def test_clean_namespace_has_no_finding(netns):
    ns = netns("aclean")
    doc = audit(ns, "--fail-on", "info", rc=0)
    assert doc["findings"] == [] and doc["endpoints"] == []
    r = ns.portscope("audit", "--no-color")
    assert r.rc == 0 and "no findings" in r.out
    # portscope with no arguments is the audit.
    r = ns.run([portscope_bin()])
    assert r.rc == 0 and "attack surface:" in r.out


def test_bad_usage(netns):
    ns = netns("ausage")
    for argv, word in ((["--fail-on", "severe"], "severe"), (["--frob"], "--frob"),
                       (["-p", "70000", TGT], "70000"), (["-p", "22"], "-p")):
        r = ns.portscope("audit", *argv)
        assert r.rc == 2, r
        assert r.out == "" and len(r.err.strip().splitlines()) == 1 and word in r.err


def test_look_alikes_do_not_trigger(netns, tmp_path):
    """FTP refusing anonymous, redis with a password, an SSH banner on 23."""
    ns = netns("alook")
    start_vsftpd(ns, tmp_path, 21, anonymous=False)
    start_redis(ns, tmp_path, 6379, password="lab-secret-not-guessed")
    start_scripted(ns, "tcp", 23, b"SSH-2.0-OpenSSH_9.2\r\n")
    doc = audit(ns, "-p", "21,23,6379", "127.0.0.1")
    ids = {f["check"] for f in doc["findings"]}
    assert not ids & {"ftp-anonymous", "redis-noauth", "telnet-cleartext"}, doc["findings"]
    assert {e["port"] for e in doc["endpoints"]} == {21, 23, 6379}
    # The catalogue still names the ports, but the unconfirmed risk is no higher than low.
    assert all(f["severity"] in ("low", "info") for f in doc["findings"]), doc["findings"]


# GetResponse to community public; the server puts the request id in place of REQID.
SNMP_RESP = bytes.fromhex("302902010104067075626c6963a21c0204") + b"REQID" + \
    bytes.fromhex("020100020100300e300c06082b060102010101000500")


def _mongo_reply(doc_bytes):
    body = b"\x00\x00\x00\x00" + b"\x00" + doc_bytes
    return (16 + len(body)).to_bytes(4, "little") + b"\x01\x00\x00\x00" + \
        b"\x01\x00\x53\x50" + (2013).to_bytes(4, "little") + body


def _bson(elems):
    body = b"".join(elems) + b"\x00"
    return (4 + len(body)).to_bytes(4, "little") + body


MONGO_OK = _mongo_reply(_bson([
    b"\x04databases\x00" + _bson([b"\x030\x00" + _bson([b"\x02name\x00\x06\x00\x00\x00admin\x00"])]),
    b"\x01ok\x00" + bytes.fromhex("000000000000f03f")]))
MONGO_DENIED = _mongo_reply(_bson([
    b"\x01ok\x00" + bytes(8),
    b"\x02errmsg\x00\x0e\x00\x00\x00unauthorized\x00\x00"]))


def _nbss(msg):
    return len(msg).to_bytes(4, "big") + msg


# SMB1 negotiate response choosing dialect 0; an SMB2 negotiate response.
SMB1_OK = _nbss(bytes.fromhex("ff534d4272000000009801c0") + bytes(12) + bytes.fromhex("fffe0000")
                + bytes(4) + b"\x11" + b"\x00\x00" + bytes(32) + b"\x00\x00")
SMB2_ONLY = _nbss(bytes.fromhex("fe534d4240000000") + bytes(56) + bytes(10))

# (check id, port, proto, greeting, replies that confirm, replies that do not)
SCRIPTED_CHECKS = [
    ("docker-api-plain", 2375, "tcp", b"",
     [b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n'
      b'{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux"}'],
     [b"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"]),
    ("memcached-stats", 11211, "tcp", b"",
     [b"STAT pid 1\r\nSTAT uptime 5\r\nEND\r\n"], [b"ERROR\r\n"]),
    ("vnc-no-auth", 5900, "tcp", b"RFB 003.008\n", [b"\x02\x01\x02"], [b"\x01\x02"]),
    ("smb1-accepted", 445, "tcp", b"", [SMB1_OK], [SMB2_ONLY]),
    ("postgresql-trust", 5432, "tcp", b"",
     [b"R\x00\x00\x00\x08\x00\x00\x00\x00"], [b"R\x00\x00\x00\x0c\x00\x00\x00\x05salt"]),
    ("mongodb-noauth", 27017, "tcp", b"", [MONGO_OK], [MONGO_DENIED]),
]


@pytest.mark.parametrize("case", SCRIPTED_CHECKS, ids=[c[0] for c in SCRIPTED_CHECKS])
def test_scripted_safe_checks(netns, case):
    check, port, proto, greet, yes, no = case
    ns = netns("achk")
    start_scripted(ns, proto, port, greet, *yes)
    doc = audit(ns, "-p", str(port), "127.0.0.1")
    mine = [f for f in doc["findings"] if f["check"] == check]
    assert len(mine) == 1 and mine[0]["evidence"], doc["findings"]
    ns2 = netns("achkno")
    start_scripted(ns2, proto, port, greet, *no)
    doc = audit(ns2, "-p", str(port), "127.0.0.1")
    assert check not in {f["check"] for f in doc["findings"]}, doc["findings"]


def test_memcached_real_daemon(netns):
    need("/usr/bin/memcached")
    ns = netns("amemc")
    ns.popen(["/usr/bin/memcached", "-u", "nobody", "-l", "0.0.0.0", "-p", "11211", "-U", "0"])
    wait_tcp(ns, 11211)
    doc = audit(ns, "-p", "11211", "127.0.0.1")
    mine = [f for f in doc["findings"] if f["check"] == "memcached-stats"]
    assert len(mine) == 1 and "STAT pid" in mine[0]["evidence"], doc["findings"]
    # nmap's "memcached" and /etc/services' "memcache" are one service.
    assert "port-service-mismatch" not in {f["check"] for f in doc["findings"]}


def start_snmpd(ns, tmp_path, community):
    need("/usr/sbin/snmpd")
    conf = tmp_path / f"snmpd-{community}.conf"
    conf.write_text(f"agentAddress udp:161\nrocommunity {community}\n")
    persist = tmp_path / f"snmp-{community}"
    persist.mkdir()
    ns.popen(["env", f"SNMP_PERSISTENT_DIR={persist}", "/usr/sbin/snmpd", "-f", "-Lo", "-C",
              "-c", str(conf)])
    ns.wait_port("udp", 161)


def test_snmp_public_real_daemon(netns, tmp_path):
    """net-snmp's snmpd with community public, then with another community."""
    ns = netns("asnmpd")
    ns.sh("ip addr add 198.18.0.9/32 dev lo")
    start_snmpd(ns, tmp_path, "public")
    doc = audit(ns)
    mine = [f for f in doc["findings"] if f["check"] == "snmp-public"]
    assert len(mine) == 1 and "snmpd" in (mine[0]["process"] or ""), doc["findings"]
    # Remote mode asks U:161 directly (no UDP scan without the raw engine).
    doc = audit(ns, "-p", "T:22,U:161,U:53", "198.18.0.9")
    assert [(e["proto"], e["port"], e["exposure"]) for e in doc["endpoints"]] == \
        [("udp", 161, "reachable")]
    assert {f["check"] for f in doc["findings"]} == {"snmp-public"}
    ns2 = netns("asnmpd2")
    ns2.sh("ip addr add 198.18.0.9/32 dev lo")
    start_snmpd(ns2, tmp_path, "lab-private-community")
    doc = audit(ns2)
    assert "snmp-public" not in {f["check"] for f in doc["findings"]}, doc["findings"]
    doc = audit(ns2, "-p", "U:161", "198.18.0.9")
    assert [(e["port"], e["exposure"]) for e in doc["endpoints"]] == [(161, "unverified")]
    assert doc["findings"] == []


PG_BIN = "/usr/lib/postgresql/15/bin"


def test_postgresql_trust_real_daemon(netns):
    """PostgreSQL with trust for host connections, then the same cluster with scram-sha-256."""
    import signal
    import tempfile
    need(f"{PG_BIN}/initdb", f"{PG_BIN}/postgres", "runuser")
    base = tempfile.mkdtemp(prefix="ps-audit-pg-")
    try:
        shutil.chown(base, "postgres")
        data = os.path.join(base, "data")
        run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/initdb", "-D", data, "-U",
             "postgres", "--auth-host=trust", "--auth-local=trust", "-N"],
            check=True, timeout=120)

        def serve(tag):
            ns = netns(tag)
            p = ns.popen(["runuser", "-u", "postgres", "--", f"{PG_BIN}/postgres", "-D", data,
                          "-k", base, "-p", "5432", "-c", "listen_addresses=127.0.0.1"])
            wait_tcp(ns, 5432, timeout=30)
            return ns, p

        ns, p = serve("apg")
        doc = audit(ns, "-p", "5432", "127.0.0.1")
        mine = [f for f in doc["findings"] if f["check"] == "postgresql-trust"]
        assert len(mine) == 1 and "AuthenticationOk" in mine[0]["evidence"], doc["findings"]
        os.killpg(p.pid, signal.SIGINT)  # fast shutdown, the data directory is reused
        p.wait(timeout=30)

        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        ns2, _ = serve("apg2")
        doc = audit(ns2, "-p", "5432", "127.0.0.1")
        assert "postgresql-trust" not in {f["check"] for f in doc["findings"]}, doc["findings"]
        # The check ran and did not confirm: the catalogue's risk stays, lowered to low.
        cat = [f for f in doc["findings"] if f["check"] == "exposed-risky-service"]
        assert len(cat) == 1 and cat[0]["severity"] == "low", doc["findings"]
        assert "did not confirm" in cat[0]["evidence"]
    finally:
        shutil.rmtree(base, ignore_errors=True)



def checked(doc, check):
    """The findings that safe check confirmed."""
    return [f for f in doc["findings"] if f["check"] == check]


def not_confirmed(doc, check, catalogue=True):
    """The check ran and said no: nothing above low; the catalogue's risk, if asked, stays
    lowered to low."""
    assert check not in {f["check"] for f in doc["findings"]}, doc["findings"]
    assert all(f["severity"] in ("low", "info") for f in doc["findings"]), doc["findings"]
    if catalogue:
        cat = [f for f in doc["findings"] if f["check"] == "exposed-risky-service"]
        assert cat and all(f["severity"] == "low" for f in cat), doc["findings"]
        assert all("did not confirm" in f["evidence"] for f in cat), doc["findings"]


def start_smbd(ns, base, min_protocol=None):
    """Samba's smbd in the foreground, every directory under base, port 445 only."""
    need("/usr/sbin/smbd")
    dirs = {}
    for d in ("private", "lock", "state", "cache", "pid", "ncalrpc", "log"):
        dirs[d] = os.path.join(base, d)
        os.makedirs(dirs[d], exist_ok=True)
    conf = os.path.join(base, "smb.conf")
    with open(conf, "w") as f:
        f.write("[global]\nserver role = standalone server\nconfig backend = file\n"
                "smb ports = 445\ndisable netbios = yes\nload printers = no\n"
                "printing = bsd\nprintcap name = /dev/null\ndisable spoolss = yes\n"
                f"private dir = {dirs['private']}\nlock directory = {dirs['lock']}\n"
                f"state directory = {dirs['state']}\ncache directory = {dirs['cache']}\n"
                f"pid directory = {dirs['pid']}\nncalrpc dir = {dirs['ncalrpc']}\n"
                f"logging = file\nlog file = {dirs['log']}/smbd.log\n"
                + (f"server min protocol = {min_protocol}\n" if min_protocol else ""))
    p = ns.popen(["/usr/sbin/smbd", "-F", "--no-process-group", "-s", conf])
    wait_tcp(ns, 445)
    return p


def test_smb1_real_daemon(netns):
    """smbd with server min protocol = NT1 accepts SMB1; its default (SMB2 and up) does not."""
    import tempfile
    base = tempfile.mkdtemp(prefix="ps-audit-smb-")  # short: smbd makes sockets in there
    try:
        ns = netns("asmb1")
        start_smbd(ns, os.path.join(base, "nt1"), min_protocol="NT1")
        doc = audit(ns, "-p", "445", "127.0.0.1")
        mine = checked(doc, "smb1-accepted")
        assert len(mine) == 1 and mine[0]["severity"] == "high", doc["findings"]
        assert "SMB1 negotiate accepted" in mine[0]["evidence"], mine

        ns2 = netns("asmb2")
        start_smbd(ns2, os.path.join(base, "default"))
        doc = audit(ns2, "-p", "445", "127.0.0.1")
        assert [e["port"] for e in doc["endpoints"]] == [445]
        not_confirmed(doc, "smb1-accepted")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def start_xtigervnc(ns, tmp_path, security, port=5900):
    """A headless TigerVNC X server; no X11 socket in the file system, no TCP X11."""
    need("/usr/bin/Xtigervnc")
    display = 2000 + int.from_bytes(os.urandom(2), "big") % 6000
    argv = ["/usr/bin/Xtigervnc", f":{display}", "-rfbport", str(port), "-localhost=0",
            "-nolisten", "tcp", "-nolisten", "unix", "-geometry", "64x64", "-depth", "16",
            "-SecurityTypes", security]
    if security == "VncAuth":
        # Any 8 bytes are a valid (obfuscated) password file: a password nobody knows.
        pw = tmp_path / f"vncpasswd{display}"
        pw.write_bytes(os.urandom(8))
        argv += ["-PasswordFile", str(pw)]
    p = ns.popen(argv)
    wait_tcp(ns, port)
    return p, f"/tmp/.X{display}-lock"


def stop(p, lock=None):
    p.terminate()
    try:
        p.wait(timeout=10)
    except Exception:
        p.kill()
        p.wait(timeout=10)
    if lock and os.path.exists(lock):
        os.unlink(lock)


def test_vnc_no_auth_real_daemon(netns, tmp_path):
    """Xtigervnc with -SecurityTypes None, then with VncAuth and a password file."""
    ns = netns("avnc")
    p, lock = start_xtigervnc(ns, tmp_path, "None")
    try:
        doc = audit(ns, "-p", "5900", "127.0.0.1")
    finally:
        stop(p, lock)
    mine = checked(doc, "vnc-no-auth")
    assert len(mine) == 1 and mine[0]["severity"] == "high", doc["findings"]
    assert "RFB 003.008" in mine[0]["evidence"] and "None (1)" in mine[0]["evidence"], mine

    ns2 = netns("avnc2")
    p, lock = start_xtigervnc(ns2, tmp_path, "VncAuth")
    try:
        doc = audit(ns2, "-p", "5900", "127.0.0.1")
    finally:
        stop(p, lock)
    assert [e["service"]["name"] for e in doc["endpoints"]] == ["vnc"], doc["endpoints"]
    not_confirmed(doc, "vnc-no-auth")


# dockerd in the target's network namespace and a private mount namespace of its own
# (nsenter keeps /sys/fs/cgroup, which `ip netns exec` remounts away and without which
# dockerd stops with "Devices cgroup isn't mounted"); tmpfs over /etc/docker and /run
# keeps its key.json and plugin directory off the machine.
DOCKERD = 'mount -t tmpfs ps-docker /etc/docker && mount -t tmpfs ps-docker /run && ' \
    'exec /usr/sbin/dockerd "$@"'


def start_dockerd(ns, base, tls=None, port=2375):
    need("/usr/sbin/dockerd", "nsenter", "unshare", "/etc/docker")
    os.makedirs(base)
    argv = ["-H", f"tcp://127.0.0.1:{port}", "--iptables=false", "--ip6tables=false",
            "--bridge=none", "--data-root", os.path.join(base, "data"),
            "--exec-root", os.path.join(base, "exec"),
            "--pidfile", os.path.join(base, "pid")]
    if tls:
        argv += ["--tlsverify", "--tlscacert", tls[0], "--tlscert", tls[0], "--tlskey", tls[1]]
    log = open(os.path.join(base, "log"), "w")
    p = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns.name}", "unshare", "--mount",
                          "--propagation", "private", "sh", "-c", DOCKERD, "dockerd"] + argv,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    ns.procs.append(p)
    try:
        wait_tcp(ns, port, timeout=30)
    except TimeoutError:
        with open(os.path.join(base, "log")) as f:
            tail = f.read()[-600:]
        pytest.fail(f"dockerd did not listen on {port}: {tail}")
    return p


PLAIN_GET = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /version HTTP/1.0\r\n\r\n")
print(s.recv(200).decode("latin-1"))
"""


def test_docker_api_real_daemon(netns):
    """dockerd with -H tcp:// in the clear, then the same with --tlsverify."""
    import tempfile
    need("openssl")
    base = tempfile.mkdtemp(prefix="ps-audit-dk-")  # short: containerd's sockets live there
    try:
        ns = netns("adock")
        p = start_dockerd(ns, os.path.join(base, "plain"))
        try:
            doc = audit(ns, "-p", "2375", "127.0.0.1")
        finally:
            stop(p)
        mine = checked(doc, "docker-api-plain")
        assert len(mine) == 1 and mine[0]["severity"] == "high", doc["findings"]
        assert "200 OK" in mine[0]["evidence"] and '"Version"' in mine[0]["evidence"], mine
        # Detection names it docker, as nmap does: the port says docker too, no mismatch.
        assert not [f for f in doc["findings"] if f["check"] == "port-service-mismatch"], doc

        key, crt = os.path.join(base, "key.pem"), os.path.join(base, "cert.pem")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", crt],
            check=True)
        ns2 = netns("adock2")
        p = start_dockerd(ns2, os.path.join(base, "tls"), tls=(crt, key))
        try:
            doc = audit(ns2, "-p", "2375", "127.0.0.1")
            # What the check meets there: plain HTTP is turned away by the TLS listener.
            r = ns2.run(["python3", "-c", PLAIN_GET, "2375"], check=True)
        finally:
            stop(p)
        assert r.out.startswith("HTTP/1.0 400"), r
        assert [e["port"] for e in doc["endpoints"]] == [2375]
        # Detection names it ssl, a port-service mismatch (info), so no catalogue line.
        not_confirmed(doc, "docker-api-plain", catalogue=False)
        assert {f["check"] for f in doc["findings"]} == {"port-service-mismatch"}, doc["findings"]
    finally:
        shutil.rmtree(base, ignore_errors=True)


# MongoDB has no server package in Debian 12 (only client drivers): its safe check meets
# the scripted server in SCRIPTED_CHECKS, a confirming reply and an authorization error.


def test_snmp_public_local(netns):
    """A UDP look-alike of an SNMP agent answering 'public'; then one answering nothing."""
    ns = netns("asnmp")
    ns.sh("ip addr add 198.18.0.9/32 dev lo")
    start_scripted(ns, "udp", 161, b"", SNMP_RESP)
    doc = audit(ns)
    mine = [f for f in doc["findings"] if f["check"] == "snmp-public"]
    assert len(mine) == 1 and "GetResponse" in mine[0]["evidence"], doc
    ns2 = netns("asnmpno")
    ns2.sh("ip addr add 198.18.0.9/32 dev lo")
    start_scripted(ns2, "udp", 161, b"", b"\x30\x03\x02\x01\x00")
    doc = audit(ns2)
    assert "snmp-public" not in {f["check"] for f in doc["findings"]}


DUAL = r"""
import socket, sys
a = socket.socket(socket.AF_INET6); a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
a.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); a.bind(("::", 8443)); a.listen(4)
b = socket.socket(socket.AF_INET6); b.bind(("fd00:5c09::2", 8444)); b.listen(4)
c = socket.socket(socket.AF_INET6); c.bind(("::1", 8445)); c.listen(4)
print("READY", flush=True)
import time; time.sleep(60)
"""


def test_local_audit_ipv6_and_dual_stack(netns):
    """[::] dual-stack is reachable on both families; a v6 address only on itself; ::1 on none."""
    tgt, peer = netns("a6tgt"), netns("a6peer")
    link_veth(peer, tgt, SCN, TGT)
    link_veth(peer, tgt, "fd00:5c09::1", "fd00:5c09::2", prefix=64)
    tgt.spawn_python(DUAL)
    doc = audit(tgt)
    dual = endpoint(doc, 8443)
    assert dual["exposure"] == "reachable"
    assert set(dual["reachable_on"]) == {TGT, "fd00:5c09::2"}
    only6 = endpoint(doc, 8444)
    assert only6["exposure"] == "reachable" and only6["reachable_on"] == ["fd00:5c09::2"]
    lo6 = endpoint(doc, 8445)
    assert lo6["exposure"] == "loopback-only" and lo6["reachable_on"] == []
    # Nothing risky answers there: no finding for any of them.
    assert [f for f in doc["findings"] if f["port"] in (8443, 8444, 8445)] == []
