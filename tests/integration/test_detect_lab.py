"""Acceptance lab of issue 5: real daemons from Debian packages in a target namespace, on
standard and non-standard ports, `portscope scan -sV` from a scanner namespace, side by side
with `nmap -sV` on the same ports. Daemons that are not installed are left out (and said so);
the test skips when fewer than four are there.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import have, link_veth, needs_root, run

TARGET, SCANNER = "198.18.0.2", "198.18.0.1"
PG_BIN = "/usr/lib/postgresql/15/bin"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class Lab:
    def __init__(self, ns, tmp):
        self.ns, self.tmp, self.ports, self.missing = ns, tmp, {}, []

    def start(self, name, port, argv, proto="tcp"):
        self.ns.popen(argv)
        self.ns.wait_port(proto, port, timeout=20)
        self.ports[port] = name


def start_daemons(lab):
    ns, tmp = lab.ns, lab.tmp
    if os.path.exists("/usr/sbin/sshd") and have("ssh-keygen"):
        os.makedirs("/run/sshd", exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{tmp}/hostkey"], check=True)
        lab.start("ssh", 80, ["/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-o", "Port=80",
                              "-o", f"ListenAddress={TARGET}", "-o", f"HostKey={tmp}/hostkey",
                              "-o", "PidFile=none"])
    else:
        lab.missing.append("sshd")
    if os.path.exists("/usr/sbin/nginx"):
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
             f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem", "-subj", "/CN=lab.example", "-days", "2"],
            check=True)
        os.makedirs(f"{tmp}/nginx", exist_ok=True)
        conf = write(f"{tmp}/nginx.conf", f"""
daemon off; master_process on; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx/body; proxy_temp_path {tmp}/nginx/proxy;
  fastcgi_temp_path {tmp}/nginx/fcgi; uwsgi_temp_path {tmp}/nginx/uwsgi; scgi_temp_path {tmp}/nginx/scgi;
  server {{ listen {TARGET}:9999; location / {{ return 200 "lab\\n"; }} }}
  server {{ listen {TARGET}:8443 ssl; ssl_certificate {tmp}/cert.pem;
           ssl_certificate_key {tmp}/key.pem; location / {{ return 200 "lab tls\\n"; }} }}
}}
""")
        ns.popen(["/usr/sbin/nginx", "-e", f"{tmp}/nginx.err", "-c", conf])
        ns.wait_port("tcp", 9999, timeout=20)
        ns.wait_port("tcp", 8443, timeout=20)
        lab.ports[9999] = "http"
        lab.ports[8443] = "ssl/http"
    else:
        lab.missing.append("nginx")
    if os.path.exists("/usr/sbin/vsftpd"):
        os.makedirs(f"{tmp}/empty", mode=0o755, exist_ok=True)
        conf = write(f"{tmp}/vsftpd.conf", f"listen=YES\nlisten_address={TARGET}\nlisten_port=21\n"
                     "background=NO\nanonymous_enable=NO\nlocal_enable=NO\nseccomp_sandbox=NO\n"
                     f"secure_chroot_dir={tmp}/empty\n")
        lab.start("ftp", 21, ["/usr/sbin/vsftpd", conf])
    else:
        lab.missing.append("vsftpd")
    if have("redis-server"):
        lab.start("redis", 6379, ["redis-server", "--port", "6379", "--bind", TARGET, "--save", "",
                                  "--appendonly", "no", "--protected-mode", "no", "--dir", tmp])
    else:
        lab.missing.append("redis-server")
    if os.path.exists("/usr/sbin/dnsmasq"):
        lab.start("domain", 53, ["/usr/sbin/dnsmasq", "-k", "--no-resolv", "--no-hosts", "-C",
                                 "/dev/null", f"--listen-address={TARGET}", "--bind-interfaces",
                                 "--port=53", "--user=root", "--pid-file="])
    else:
        lab.missing.append("dnsmasq")
    if os.path.exists(f"{PG_BIN}/postgres"):
        pg = tempfile.mkdtemp(prefix="ps-pg-", dir="/tmp")
        os.chmod(pg, 0o755)
        shutil.chown(pg, "postgres")
        lab.pgdir = pg
        run(["su", "postgres", "-s", "/bin/sh", "-c", f"{PG_BIN}/initdb -D {pg}/data"], check=True)
        lab.start("postgresql", 5432,
                  ["su", "postgres", "-s", "/bin/sh", "-c",
                   f"exec {PG_BIN}/postgres -D {pg}/data -k {pg} -p 5432 -c listen_addresses={TARGET}"])
    else:
        lab.missing.append("postgresql")
    if os.path.exists("/usr/sbin/telnetd") and have("socat"):
        lab.start("telnet", 23, ["socat", f"TCP-LISTEN:23,bind={TARGET},reuseaddr,fork",
                                 "EXEC:/usr/sbin/telnetd,nofork"])
    else:
        lab.missing.append("telnetd")
    if have("socat"):
        # silent: accepts and never says anything
        ns.popen(["socat", f"TCP-LISTEN:7000,bind={TARGET},reuseaddr,fork", "EXEC:sleep 300"])
        ns.wait_port("tcp", 7000)


@pytest.fixture
def lab(netns):
    scan, tgt = netns("lscan"), netns("ltgt")
    link_veth(scan, tgt, SCANNER, TARGET)
    tmp = tempfile.mkdtemp(prefix="ps-lab-", dir="/tmp")
    os.chmod(tmp, 0o755)
    lab = Lab(tgt, tmp)
    lab.scan = scan
    try:
        start_daemons(lab)
        yield lab
    finally:
        tgt.close()  # daemons die with their namespace before their files go
        shutil.rmtree(tmp, ignore_errors=True)
        if getattr(lab, "pgdir", None):
            shutil.rmtree(lab.pgdir, ignore_errors=True)


def nmap_services(ns, ports):
    """nmap -sV's view: port -> (name with ssl/ tunnel, product) from its XML."""
    import xml.etree.ElementTree as ET
    r = ns.run(["nmap", "-sV", "-Pn", "-n", "-p", ",".join(map(str, ports)), "-oX", "-", TARGET],
               timeout=600)
    assert r.rc == 0, r
    out = {}
    for port in ET.fromstring(r.out).iter("port"):
        svc = port.find("service")
        if svc is None or svc.get("method") != "probed":
            continue
        name = svc.get("name")
        if svc.get("tunnel"):
            name = svc.get("tunnel") + "/" + name
        out[int(port.get("portid"))] = (name, svc.get("product"))
    return out


@needs_root
def test_scan_sv_real_daemons_match_nmap(lab):
    if len(lab.ports) < 4:
        pytest.skip(f"too few lab daemons installed (missing: {', '.join(lab.missing)})")
    ports = sorted(lab.ports) + [7000]
    r = lab.scan.portscope("scan", "-sV", "-p", ",".join(map(str, ports)), "--json", TARGET,
                           timeout=120)
    assert r.rc == 0, r
    ours = {}
    for rec in r.jsonl():
        if rec["type"] == "port":
            s = rec["service"]
            ours[rec["port"]] = s
    # every daemon named as the lab knows it
    for port, want in lab.ports.items():
        s = ours[port]
        got = ("ssl/" if s.get("tunnel") else "") + s["name"]
        assert got == want, (port, s)
    assert ours[80]["mismatch"] is True and ours[80]["port_default"] == "http", ours[80]
    silent = ours[7000]
    assert silent["name"] == "unknown" and silent["reason"] == "no-response", silent
    if not have("nmap"):
        return
    # side by side with nmap -sV on the daemons (the silent port would cost nmap minutes)
    theirs = nmap_services(lab.scan, sorted(lab.ports))
    for port, (name, product) in theirs.items():
        s = ours[port]
        got = ("ssl/" if s.get("tunnel") else "") + s["name"]
        assert got == name, (port, name, product, s)
        if product:
            assert s.get("product") == product, (port, name, product, s)


@needs_root
def test_scan_sv_dns_over_udp_matches_nmap(lab):
    """DNS answers over UDP too: -sU -sV names dnsmasq with its version, as nmap does."""
    if "domain" not in lab.ports.values():
        pytest.skip("dnsmasq is not installed")
    r = lab.scan.portscope("scan", "-sU", "-sV", "-p", "53,54", "--json", TARGET, timeout=120)
    assert r.rc == 0, r
    ports = {x["port"]: x for x in r.jsonl() if x["type"] == "port"}
    dns = ports[53]
    assert dns["proto"] == "udp" and dns["state"] == "open", dns
    assert dns["service"]["name"] == "domain" and dns["service"]["product"] == "dnsmasq", dns
    assert dns["service"]["version"], dns
    if not have("nmap"):
        return
    nm = lab.scan.run(["nmap", "-sU", "-sV", "-Pn", "-n", "-p", "53", TARGET], timeout=300)
    assert nm.rc == 0, nm
    line = [l for l in nm.out.splitlines() if l.startswith("53/udp")][0]
    assert f"dnsmasq {dns['service']['version']}" in line, (line, dns)
