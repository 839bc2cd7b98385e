"""The daemon zoo of issue 16: real Debian daemons in a lab namespace, each on its default port
and on a random unusual port, for service detection beside nmap -sV.

Every daemon runs from a configuration file written here into a temporary directory, with its
own data directories there too (never the machine's copies, never systemd), bound to one of
four lab addresses of the target namespace (daemons that share a default port, such as the
three web servers or the four DNS servers, get different addresses). All start at once; the
zoo is ready when every listener is there (polled, with a deadline).

Used by tests/integration/test_detect_zoo.py (one zoo per test session) and by
bench/detect-zoo.sh. The expected answers (daemon -> service name and product) are data in
zoo_facts.json beside this file.
"""
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time

from conftest import Netns, link_veth

SCANNER = "198.18.0.1"
HOSTS = ["198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"]
A, B, C, D = HOSTS
PG_BIN = "/usr/lib/postgresql/15/bin"
HERE = os.path.dirname(os.path.abspath(__file__))
NMAP_PROBES = "/usr/share/nmap/nmap-service-probes"


def facts():
    """zoo_facts.json: daemon -> {"name": ..., "product": ...} (product "" when nmap names none)."""
    with open(os.path.join(HERE, "zoo_facts.json")) as f:
        return json.load(f)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def nmap_hinted_ports():
    """Ports that some nmap probe lists (ports/sslports): an unusual port is none of these."""
    hinted = set()
    try:
        with open(NMAP_PROBES, errors="replace") as f:
            for line in f:
                if line.startswith(("ports ", "sslports ")):
                    for part in line.split(None, 1)[1].strip().split(","):
                        lo, _, hi = part.partition("-")
                        if lo.isdigit():
                            hinted.update(range(int(lo), int(hi or lo) + 1))
    except OSError:
        pass
    return hinted


class Listener:
    """One port of one daemon: what the test scans and compares."""

    def __init__(self, daemon, fact, addr, proto, port, kind):
        self.daemon, self.fact, self.addr = daemon, fact, addr
        self.proto, self.port, self.kind = proto, port, kind

    def __repr__(self):
        return f"{self.daemon}@{self.addr}:{self.port}/{self.proto}({self.kind})"


class Zoo:
    def __init__(self, tag="zoo", seed=None):
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.hinted = nmap_hinted_ports()
        self.used = set()
        self.listeners = []
        self.missing = []  # daemons whose program is not installed
        self.failed = []  # daemons that did not come up: (name, why)
        self.procs = {}  # name -> [Popen]
        self.tmp = tempfile.mkdtemp(prefix="ps-zoo-", dir="/tmp")
        os.chmod(self.tmp, 0o755)
        self.scan = Netns(tag + "s")
        self.tgt = Netns(tag + "t")
        va, vb = link_veth(self.scan, self.tgt, SCANNER, A)
        for addr in HOSTS[1:]:
            self.tgt.sh(f"ip addr add {addr}/24 dev {vb} nodad")
        # closed UDP ports answer at once (no ICMP rate limit): both tools' UDP scans stay short
        self.tgt.sh("sysctl -qw net.ipv4.icmp_ratelimit=0")
        self.display = 40 + self.rng.randrange(400)
        self.displays = []  # X displays of the VNC servers: their lock and socket go at close

    def unusual(self):
        """A random port that no nmap probe hints at and the zoo does not use yet."""
        while True:
            p = self.rng.randrange(20000, 60000)
            if p not in self.hinted and p not in self.used:
                self.used.add(p)
                return p

    def dir(self, name, owner=None, mode=0o755):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        if owner:
            shutil.chown(path, owner, owner if owner != "irc" else None)
        return path

    def listen(self, daemon, fact, addr, proto, port, kind):
        self.listeners.append(Listener(daemon, fact, addr, proto, port, kind))

    def spawn(self, name, argv, env=None, cwd=None):
        e = dict(os.environ)
        e.update(env or {})
        # stdin a pipe that stays open: smbd --foreground stops at EOF on its standard input
        p = self.tgt.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=open(
            os.path.join(self.tmp, name + ".stderr"), "ab"), env=e, cwd=cwd)
        self.procs.setdefault(name, []).append(p)
        return p

    def listening(self):
        """(proto, addr, port) of every listening socket in the target namespace."""
        out = self.tgt.run(["ss", "-tulnH"]).out
        got = set()
        for line in out.splitlines():
            f = line.split()
            if len(f) < 5:
                continue
            host, _, port = f[4].rpartition(":")
            host = host.strip("[]").split("%")[0]
            if port.isdigit():
                got.add((f[0], host, int(port)))
        return got

    def wait_ready(self, timeout=60):
        """Polls until every listener is there; daemons still missing at the deadline fail."""
        deadline = time.monotonic() + timeout
        pending = list(self.listeners)
        while pending and time.monotonic() < deadline:
            got = self.listening()
            pending = [l for l in pending if (l.proto, l.addr, l.port) not in got and
                       (l.proto, "*", l.port) not in got and
                       (l.proto, "0.0.0.0", l.port) not in got]
            if pending:
                time.sleep(0.1)
        # daemons that listen before they serve (smbd under load) answer a first request
        for l in self.listeners:
            probe = READY_PROBES.get(l.daemon)
            if probe and l not in pending and time.monotonic() < deadline:
                if not self.answers(l, probe, deadline):
                    pending.append(l)
        bad = {l.daemon for l in pending}
        for name in sorted(bad):
            err = ""
            try:
                with open(os.path.join(self.tmp, name + ".stderr"), errors="replace") as f:
                    err = f.read()[-600:]
            except OSError:
                pass
            self.failed.append((name, err))
        self.listeners = [l for l in self.listeners if l.daemon not in bad]

    def answers(self, l, payload, deadline):
        """Whether l answers payload before the deadline (tried from the target namespace)."""
        code = ("import socket, sys, time\n"
                f"end = time.monotonic() + {max(deadline - time.monotonic(), 1):.1f}\n"
                "while time.monotonic() < end:\n"
                "    try:\n"
                f"        s = socket.create_connection(({l.addr!r}, {l.port}), timeout=2)\n"
                "        s.settimeout(2)\n"
                f"        s.sendall({payload!r})\n"
                "        if s.recv(64):\n"
                "            sys.exit(0)\n"
                "    except OSError:\n"
                "        pass\n"
                "    time.sleep(0.2)\n"
                "sys.exit(1)\n")
        return self.tgt.run(["python3", "-c", code], timeout=120).rc == 0

    def close(self):
        self.tgt.close()
        self.scan.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        for disp in self.displays:  # Xtigervnc killed leaves them, and a later run would clash
            for path in (f"/tmp/.X{disp}-lock", f"/tmp/.X11-unix/X{disp}"):
                try:
                    os.unlink(path)
                except OSError:
                    pass
        for d in getattr(self, "cleanup_dirs", []):
            shutil.rmtree(d, ignore_errors=True)


# --- the daemons ---------------------------------------------------------------------------------
# Each starter writes its configuration, spawns the daemon (or two instances when the program
# listens on one port only) and declares its listeners. kind "default" or "unusual".


def need(z, name, *paths):
    for p in paths:
        if not (os.path.exists(p) or shutil.which(p)):
            z.missing.append(name)
            return False
    return True


def z_openssh(z):
    if not need(z, "openssh", "/usr/sbin/sshd", "ssh-keygen"):
        return
    u = z.unusual()
    key = os.path.join(z.tmp, "ssh_host_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    os.makedirs("/run/sshd", exist_ok=True)
    z.spawn("openssh", ["/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-o", "Port=22",
                        "-o", f"Port={u}", "-o", f"ListenAddress={A}", "-o", f"HostKey={key}",
                        "-o", "PidFile=none"])
    z.listen("openssh", "openssh", A, "tcp", 22, "default")
    z.listen("openssh", "openssh", A, "tcp", u, "unusual")


def z_vsftpd(z):
    if not need(z, "vsftpd", "/usr/sbin/vsftpd"):
        return
    empty = z.dir("vsftpd-empty")
    for port, kind in ((21, "default"), (z.unusual(), "unusual")):
        conf = write(f"{z.tmp}/vsftpd-{port}.conf",
                     f"listen=YES\nlisten_address={A}\nlisten_port={port}\nbackground=NO\n"
                     "anonymous_enable=NO\nlocal_enable=NO\nseccomp_sandbox=NO\n"
                     f"secure_chroot_dir={empty}\n", 0o600)
        z.spawn("vsftpd", ["/usr/sbin/vsftpd", conf])
        z.listen("vsftpd", "vsftpd", A, "tcp", port, kind)


def z_telnetd(z):
    if not need(z, "telnetd", "/usr/sbin/telnetd", "socat"):
        return
    for port, kind in ((23, "default"), (z.unusual(), "unusual")):
        z.spawn("telnetd", ["socat", f"TCP-LISTEN:{port},bind={A},reuseaddr,fork",
                            "EXEC:/usr/sbin/telnetd,nofork"])
        z.listen("telnetd", "telnetd", A, "tcp", port, kind)


def z_apache2(z):
    if not need(z, "apache2", "/usr/sbin/apache2"):
        return
    u = z.unusual()
    www = z.dir("apache-www")
    write(f"{www}/index.html", "<html><head><title>zoo</title></head><body>zoo</body></html>\n")
    run = z.dir("apache-run")
    mods = "/usr/lib/apache2/modules"
    conf = write(f"{z.tmp}/apache2.conf", f"""
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule dir_module {mods}/mod_dir.so
LoadModule mime_module {mods}/mod_mime.so
ServerRoot {z.tmp}
ServerName lab.example
Listen {A}:80
Listen {A}:{u}
PidFile {run}/apache2.pid
DefaultRuntimeDir {run}
Mutex file:{run}
ErrorLog {z.tmp}/apache2.err
User www-data
Group www-data
DocumentRoot {www}
DirectoryIndex index.html
TypesConfig /etc/mime.types
<Directory {www}>
  Require all granted
</Directory>
""")
    z.spawn("apache2", ["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"])
    z.listen("apache2", "apache2", A, "tcp", 80, "default")
    z.listen("apache2", "apache2", A, "tcp", u, "unusual")


def z_lighttpd(z):
    if not need(z, "lighttpd", "/usr/sbin/lighttpd"):
        return
    u = z.unusual()
    www = z.dir("lighttpd-www")
    logs = z.dir("lighttpd-log", "www-data")
    write(f"{www}/index.html", "<html><head><title>zoo</title></head><body>zoo</body></html>\n")
    conf = write(f"{z.tmp}/lighttpd.conf", f"""
server.document-root = "{www}"
server.bind = "{B}"
server.port = 80
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "{logs}/error.log"
index-file.names = ( "index.html" )
$SERVER["socket"] == "{B}:{u}" {{ }}
""")
    z.spawn("lighttpd", ["/usr/sbin/lighttpd", "-D", "-f", conf])
    z.listen("lighttpd", "lighttpd", B, "tcp", 80, "default")
    z.listen("lighttpd", "lighttpd", B, "tcp", u, "unusual")


def z_nginx(z):
    if not need(z, "nginx", "/usr/sbin/nginx"):
        return
    u = z.unusual()
    t = z.dir("nginx")
    conf = write(f"{t}/nginx.conf", f"""
daemon off; master_process on; worker_processes 1; pid {t}/nginx.pid; error_log {t}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {t}/body; proxy_temp_path {t}/proxy; fastcgi_temp_path {t}/fcgi;
  uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
  server {{ listen {D}:80; listen {D}:{u}; location / {{ return 200 "zoo\\n"; }} }}
}}
""")
    z.spawn("nginx", ["/usr/sbin/nginx", "-e", f"{t}/error.log", "-c", conf])
    z.listen("nginx", "nginx", D, "tcp", 80, "default")
    z.listen("nginx", "nginx", D, "tcp", u, "unusual")


def z_haproxy(z):
    if not need(z, "haproxy", "/usr/sbin/haproxy"):
        return
    u = z.unusual()
    conf = write(f"{z.tmp}/haproxy.cfg", f"""
global
  pidfile {z.tmp}/haproxy.pid
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend web
  bind {C}:80
  bind {C}:{u}
  default_backend none
backend none
""")
    z.spawn("haproxy", ["/usr/sbin/haproxy", "-db", "-f", conf])
    z.listen("haproxy", "haproxy", C, "tcp", 80, "default")
    z.listen("haproxy", "haproxy", C, "tcp", u, "unusual")


def z_stunnel(z):
    """stunnel4 wrapping a plain service (nginx's HTTP on host D) in TLS on 443 and elsewhere."""
    if not need(z, "stunnel4", "/usr/bin/stunnel4", "openssl"):
        return
    u = z.unusual()
    cert = zoo_cert(z)
    conf = write(f"{z.tmp}/stunnel.conf", f"""
foreground = yes
pid =
cert = {cert}
[https]
accept = {C}:443
connect = {D}:80
[https-unusual]
accept = {C}:{u}
connect = {D}:80
""")
    z.spawn("stunnel4", ["/usr/bin/stunnel4", conf])
    z.listen("stunnel4", "stunnel4", C, "tcp", 443, "default")
    z.listen("stunnel4", "stunnel4", C, "tcp", u, "unusual")


def zoo_cert(z):
    path = os.path.join(z.tmp, "zoo.pem")
    if not os.path.exists(path):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        path, "-out", path + ".crt", "-subj", "/CN=lab.example", "-days", "2"],
                       check=True, capture_output=True)
        with open(path, "a") as f, open(path + ".crt") as c:
            f.write(c.read())
        os.chmod(path, 0o644)
    return path


def z_exim4(z):
    if not need(z, "exim4", "/usr/sbin/exim4"):
        return
    u = z.unusual()
    spool = z.dir("exim", "Debian-exim", 0o750)
    conf = write(f"{z.tmp}/exim4.conf", f"""
primary_hostname = lab.example
spool_directory = {spool}
log_file_path = {spool}/%slog
daemon_smtp_ports = 25 : {u}
local_interfaces = {A}
acl_smtp_rcpt = acl_rcpt
begin acl
acl_rcpt:
  deny
begin routers
begin transports
""")
    z.spawn("exim4", ["/usr/sbin/exim4", "-bdf", "-C", conf])
    z.listen("exim4", "exim4", A, "tcp", 25, "default")
    z.listen("exim4", "exim4", A, "tcp", u, "unusual")


def z_dovecot(z):
    if not need(z, "dovecot", "/usr/sbin/dovecot"):
        return
    ui, up = z.unusual(), z.unusual()
    run = z.dir("dovecot-run")
    state = z.dir("dovecot-state")
    users = write(f"{z.tmp}/dovecot.users", "zoo:{PLAIN}zoo::::::\n")
    conf = write(f"{z.tmp}/dovecot.conf", f"""
base_dir = {run}
state_dir = {state}
protocols = imap pop3
listen = {A}
ssl = no
log_path = {z.tmp}/dovecot.log
mail_location = maildir:{z.tmp}/mail/%u
passdb {{
  driver = passwd-file
  args = {users}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={z.tmp}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 143
  }}
  inet_listener imap-unusual {{
    port = {ui}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 110
  }}
  inet_listener pop3-unusual {{
    port = {up}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")
    z.spawn("dovecot", ["/usr/sbin/dovecot", "-F", "-c", conf])
    z.listen("dovecot", "dovecot-imap", A, "tcp", 143, "default")
    z.listen("dovecot", "dovecot-imap", A, "tcp", ui, "unusual")
    z.listen("dovecot", "dovecot-pop3", A, "tcp", 110, "default")
    z.listen("dovecot", "dovecot-pop3", A, "tcp", up, "unusual")


def z_mariadb(z):
    if not need(z, "mariadb", "/usr/sbin/mariadbd"):
        return
    u = z.unusual()
    data = z.dir("mariadb", "mysql", 0o750)
    z.spawn("mariadb", ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={data}",
                        f"--socket={data}/mysqld.sock", f"--pid-file={data}/mysqld.pid",
                        "--port=3306", f"--extra-port={u}", f"--bind-address={A}",
                        "--user=mysql", "--skip-grant-tables", "--skip-name-resolve",
                        "--innodb-buffer-pool-size=8M", "--skip-log-bin",
                        f"--log-error={data}/error.log"])
    z.listen("mariadb", "mariadb", A, "tcp", 3306, "default")
    z.listen("mariadb", "mariadb", A, "tcp", u, "unusual")


def z_postgresql(z):
    if not need(z, "postgresql", f"{PG_BIN}/postgres"):
        return
    pg = tempfile.mkdtemp(prefix="ps-zoo-pg-", dir="/tmp")
    z.cleanup_dirs = getattr(z, "cleanup_dirs", []) + [pg]
    os.chmod(pg, 0o755)
    shutil.chown(pg, "postgres")
    data = f"{pg}/data"
    # initdb once; the second instance (unusual port) starts from a copy of the cluster
    cmd = (f"{PG_BIN}/initdb -A trust -D {data} >/dev/null && cp -a {data} {pg}/data2 && "
           f"(exec {PG_BIN}/postgres -D {data} -k {pg} -p 5432 -c listen_addresses={A} &) && "
           f"exec {PG_BIN}/postgres -D {pg}/data2 -k {pg} -p {{u}} -c listen_addresses={A}")
    u = z.unusual()
    z.spawn("postgresql", ["su", "postgres", "-s", "/bin/sh", "-c", cmd.replace("{u}", str(u))])
    z.listen("postgresql", "postgresql", A, "tcp", 5432, "default")
    z.listen("postgresql", "postgresql", A, "tcp", u, "unusual")


def z_redis(z):
    if not need(z, "redis", "redis-server"):
        return
    for port, kind in ((6379, "default"), (z.unusual(), "unusual")):
        d = z.dir(f"redis-{port}")
        z.spawn("redis", ["redis-server", "--port", str(port), "--bind", A, "--save", "",
                          "--appendonly", "no", "--protected-mode", "no", "--dir", d])
        z.listen("redis", "redis", A, "tcp", port, kind)


def z_memcached(z):
    if not need(z, "memcached", "memcached"):
        return
    u = z.unusual()
    z.spawn("memcached", ["memcached", "-u", "memcache", "-p", "11211", "-U", "0", "-m", "8",
                          "-l", f"{A}:11211,{A}:{u}"])
    z.listen("memcached", "memcached", A, "tcp", 11211, "default")
    z.listen("memcached", "memcached", A, "tcp", u, "unusual")


def z_mosquitto(z):
    if not need(z, "mosquitto", "/usr/sbin/mosquitto"):
        return
    u = z.unusual()
    conf = write(f"{z.tmp}/mosquitto.conf", f"""
persistence false
log_dest stderr
allow_anonymous true
listener 1883 {A}
listener {u} {A}
""")
    z.spawn("mosquitto", ["/usr/sbin/mosquitto", "-c", conf])
    z.listen("mosquitto", "mosquitto", A, "tcp", 1883, "default")
    z.listen("mosquitto", "mosquitto", A, "tcp", u, "unusual")


def z_rsync(z):
    if not need(z, "rsync", "rsync"):
        return
    pub = z.dir("rsync-pub")
    conf = write(f"{z.tmp}/rsyncd.conf", f"use chroot = no\n[pub]\npath = {pub}\nread only = yes\n")
    for port, kind in ((873, "default"), (z.unusual(), "unusual")):
        z.spawn("rsync", ["rsync", "--daemon", "--no-detach", f"--config={conf}",
                          f"--address={A}", f"--port={port}"])
        z.listen("rsync", "rsync", A, "tcp", port, kind)


def z_squid(z):
    if not need(z, "squid", "/usr/sbin/squid"):
        return
    u = z.unusual()
    d = z.dir("squid", "proxy")
    conf = write(f"{z.tmp}/squid.conf", f"""
http_port {A}:3128
http_port {A}:{u}
pid_filename {d}/squid.pid
cache_log {d}/cache.log
access_log none
cache deny all
cache_mem 8 MB
coredump_dir {d}
cache_effective_user proxy
http_access deny all
shutdown_lifetime 1 seconds
""")
    z.spawn("squid", ["/usr/sbin/squid", "-N", "-f", conf])
    z.listen("squid", "squid", A, "tcp", 3128, "default")
    z.listen("squid", "squid", A, "tcp", u, "unusual")


def z_tinyproxy(z):
    if not need(z, "tinyproxy", "/usr/bin/tinyproxy"):
        return
    for port, kind in ((8888, "default"), (z.unusual(), "unusual")):
        conf = write(f"{z.tmp}/tinyproxy-{port}.conf",
                     f"User nobody\nGroup nogroup\nPort {port}\nListen {A}\nTimeout 60\n"
                     "MaxClients 20\nLogLevel Critical\n")
        z.spawn("tinyproxy", ["/usr/bin/tinyproxy", "-d", "-c", conf])
        z.listen("tinyproxy", "tinyproxy", A, "tcp", port, kind)


def dns_listeners(z, name, addr, u):
    for proto in ("tcp", "udp"):
        z.listen(name, f"{name}-{proto}", addr, proto, 53, "default")
        z.listen(name, f"{name}-{proto}", addr, proto, u, "unusual")


def z_unbound(z):
    if not need(z, "unbound", "/usr/sbin/unbound"):
        return
    u = z.unusual()
    conf = write(f"{z.tmp}/unbound.conf", f"""
server:
  interface: {A}@53
  interface: {A}@{u}
  do-daemonize: no
  username: ""
  chroot: ""
  pidfile: ""
  directory: "{z.tmp}"
  use-syslog: no
  logfile: ""
  access-control: 198.18.0.0/15 allow
  incoming-num-tcp: 64
  module-config: "iterator"
  do-ip6: no
remote-control:
  control-enable: no
""")
    z.spawn("unbound", ["/usr/sbin/unbound", "-d", "-c", conf])
    dns_listeners(z, "unbound", A, u)


def z_bind9(z):
    if not need(z, "bind9", "/usr/sbin/named"):
        return
    u = z.unusual()
    d = z.dir("bind", "bind")
    conf = write(f"{z.tmp}/named.conf", f"""
options {{
  directory "{d}";
  pid-file none;
  session-keyfile "{d}/session.key";
  listen-on port 53 {{ {B}; }};
  listen-on port {u} {{ {B}; }};
  listen-on-v6 {{ none; }};
  recursion no;
  allow-query {{ any; }};
}};
controls {{ }};
""")
    z.spawn("bind9", ["/usr/sbin/named", "-g", "-4", "-u", "bind", "-c", conf])
    dns_listeners(z, "bind9", B, u)


def z_nsd(z):
    if not need(z, "nsd", "/usr/sbin/nsd"):
        return
    u = z.unusual()
    d = z.dir("nsd", "nsd")
    conf = write(f"{z.tmp}/nsd.conf", f"""
server:
  ip-address: {C}@53
  ip-address: {C}@{u}
  username: ""
  chroot: ""
  zonesdir: "{d}"
  database: ""
  pidfile: "{d}/nsd.pid"
  xfrdfile: "{d}/xfrd.state"
  zonelistfile: "{d}/zone.list"
  logfile: "{d}/nsd.log"
  server-count: 1
  do-ip6: no
remote-control:
  control-enable: no
""")
    z.spawn("nsd", ["/usr/sbin/nsd", "-d", "-c", conf])
    dns_listeners(z, "nsd", C, u)


def z_dnsmasq(z):
    if not need(z, "dnsmasq", "/usr/sbin/dnsmasq"):
        return
    u = z.unusual()
    for port in (53, u):
        z.spawn("dnsmasq", ["/usr/sbin/dnsmasq", "-k", "--no-resolv", "--no-hosts", "-C",
                            "/dev/null", f"--listen-address={D}", "--bind-interfaces",
                            f"--port={port}", "--user=root", "--pid-file="])
    dns_listeners(z, "dnsmasq", D, u)


def z_ngircd(z):
    if not need(z, "ngircd", "/usr/sbin/ngircd"):
        return
    u = z.unusual()
    motd = write(f"{z.tmp}/ngircd.motd", "zoo\n")
    conf = write(f"{z.tmp}/ngircd.conf", f"""
[Global]
Name = irc.lab.example
Info = zoo
Listen = {A}
Ports = 6667, {u}
MotdFile = {motd}
ServerUID = nobody
ServerGID = nogroup
[Options]
PAM = no
Ident = no
DNS = no
""")
    z.spawn("ngircd", ["/usr/sbin/ngircd", "-n", "-f", conf])
    z.listen("ngircd", "ngircd", A, "tcp", 6667, "default")
    z.listen("ngircd", "ngircd", A, "tcp", u, "unusual")


def z_inspircd(z):
    if not need(z, "inspircd", "/usr/sbin/inspircd"):
        return
    u = z.unusual()
    d = z.dir("inspircd", "irc")
    conf = write(f"{d}/inspircd.conf", f"""
<server name="irc2.lab.example" description="zoo" network="Zoo">
<admin name="zoo" nick="zoo" email="zoo@lab.example">
<bind address="{B}" port="6667" type="clients">
<bind address="{B}" port="{u}" type="clients">
<connect allow="*" timeout="60" pingfreq="120" sendq="262144" recvq="8192" localmax="100" globalmax="100">
<class name="Shutdown" commands="DIE RESTART REHASH LOADMODULE UNLOADMODULE RELOADMODULE">
<pid file="{d}/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{d}/ircd.log">
<dns timeout="1">
<security hidehostname="yes">
""")
    z.spawn("inspircd", ["/usr/sbin/inspircd", "--nofork", "--nopid", f"--config={conf}",
                         "--runasroot"], cwd=d)
    z.listen("inspircd", "inspircd", B, "tcp", 6667, "default")
    z.listen("inspircd", "inspircd", B, "tcp", u, "unusual")


def z_git(z):
    if not need(z, "git-daemon", "git"):
        return
    base = z.dir("git")
    subprocess.run(["git", "init", "-q", "--bare", f"{base}/zoo.git"], check=True)
    for port, kind in ((9418, "default"), (z.unusual(), "unusual")):
        z.spawn("git-daemon", ["git", "daemon", "--reuseaddr", f"--listen={A}", f"--port={port}",
                               f"--base-path={base}", "--export-all", base])
        z.listen("git-daemon", "git-daemon", A, "tcp", port, kind)


def z_cupsd(z):
    if not need(z, "cupsd", "/usr/sbin/cupsd"):
        return
    u = z.unusual()
    d = z.dir("cups")
    for sub in ("spool", "cache", "state", "log"):
        z.dir(f"cups/{sub}")
    conf = write(f"{d}/cupsd.conf", f"""
Listen 127.0.0.1:631
Listen {A}:631
Listen {A}:{u}
LogLevel warn
Browsing No
<Location />
  Order allow,deny
  Allow all
</Location>
""")
    files = write(f"{d}/cups-files.conf", f"""
ServerRoot {d}
RequestRoot {d}/spool
CacheDir {d}/cache
StateDir {d}/state
TempDir {d}/spool
ErrorLog {d}/log/error_log
AccessLog {d}/log/access_log
PageLog {d}/log/page_log
""")
    z.spawn("cupsd", ["/usr/sbin/cupsd", "-f", "-c", conf, "-s", files])
    z.listen("cupsd", "cupsd", A, "tcp", 631, "default")
    z.listen("cupsd", "cupsd", A, "tcp", u, "unusual")


def z_slapd(z):
    if not need(z, "slapd", "/usr/sbin/slapd"):
        return
    u = z.unusual()
    d = z.dir("slapd", "openldap")
    conf = write(f"{d}/slapd.conf", f"""
include /etc/ldap/schema/core.schema
pidfile {d}/slapd.pid
""")
    z.spawn("slapd", ["/usr/sbin/slapd", "-d", "0", "-f", conf,
                      "-h", f"ldap://{A}:389/ ldap://{A}:{u}/"])
    z.listen("slapd", "slapd", A, "tcp", 389, "default")
    z.listen("slapd", "slapd", A, "tcp", u, "unusual")


def z_samba(z):
    if not need(z, "samba", "/usr/sbin/smbd"):
        return
    u = z.unusual()
    d = z.dir("samba")
    for sub in ("run", "lock", "state", "cache", "private", "log"):
        z.dir(f"samba/{sub}")
    conf = write(f"{d}/smb.conf", f"""
[global]
  interfaces = {A}
  bind interfaces only = yes
  smb ports = 445 {u}
  disable netbios = yes
  server role = standalone server
  pid directory = {d}/run
  lock directory = {d}/lock
  state directory = {d}/state
  cache directory = {d}/cache
  private dir = {d}/private
  ncalrpc dir = {d}/run/ncalrpc
  log file = {d}/log/smbd.log
  load printers = no
  printing = bsd
  printcap name = /dev/null
""")
    z.spawn("samba", ["/usr/sbin/smbd", "--foreground", "--no-process-group", "-s", conf])
    z.listen("samba", "samba", A, "tcp", 445, "default")
    z.listen("samba", "samba", A, "tcp", u, "unusual")


def z_tigervnc(z):
    if not need(z, "tigervnc", "/usr/bin/Xtigervnc"):
        return
    for port, kind in ((5901, "default"), (z.unusual(), "unusual")):
        disp = z.display
        z.display += 1
        z.displays.append(disp)
        z.spawn("tigervnc", ["/usr/bin/Xtigervnc", f":{disp}", "-rfbport", str(port),
                             "-interface", A, "-SecurityTypes", "None", "-geometry", "64x64",
                             "-depth", "16", "-nolisten", "tcp", "-NeverShared=0"])
        z.listen("tigervnc", "tigervnc", A, "tcp", port, kind)


def z_beanstalkd(z):
    if not need(z, "beanstalkd", "/usr/bin/beanstalkd"):
        return
    for port, kind in ((11300, "default"), (z.unusual(), "unusual")):
        z.spawn("beanstalkd", ["/usr/bin/beanstalkd", "-l", A, "-p", str(port)])
        z.listen("beanstalkd", "beanstalkd", A, "tcp", port, kind)


def z_snmpd(z):
    if not need(z, "snmpd", "/usr/sbin/snmpd"):
        return
    u = z.unusual()
    d = z.dir("snmp")
    conf = write(f"{d}/snmpd.conf", "rocommunity public\nsysLocation zoo\nsysContact zoo\n")
    z.spawn("snmpd", ["/usr/sbin/snmpd", "-f", "-Lf", f"{d}/snmpd.log", "-C", "-c", conf,
                      "-p", f"{d}/snmpd.pid", f"udp:{A}:161", f"udp:{A}:{u}"],
            env={"SNMP_PERSISTENT_DIR": d, "MIBS": ""})
    z.listen("snmpd", "snmpd", A, "udp", 161, "default")
    z.listen("snmpd", "snmpd", A, "udp", u, "unusual")


def z_ntpsec(z):
    """ntpd has no port option: the unusual port reaches it through an nftables redirect."""
    if not need(z, "ntpsec", "/usr/sbin/ntpd", "nft"):
        return
    u = z.unusual()
    d = z.dir("ntpsec", "ntpsec")
    conf = write(f"{d}/ntp.conf", f"driftfile {d}/ntp.drift\ninterface ignore wildcard\n"
                 f"interface listen {A}\nrestrict default kod nomodify nopeer\n")
    z.tgt.sh(f"nft add table ip zoo; nft 'add chain ip zoo pre {{ type nat hook prerouting "
             f"priority -100; }}'; nft add rule ip zoo pre ip daddr {A} udp dport {u} "
             "redirect to :123")
    z.spawn("ntpsec", ["/usr/sbin/ntpd", "-n", "-g", "-u", "ntpsec:ntpsec", "-c", conf,
                       "-p", f"{d}/ntpd.pid"])
    z.listen("ntpsec", "ntpsec", A, "udp", 123, "default")
    z.listen_extra = getattr(z, "listen_extra", []) + [("ntpsec", A, "udp", u)]
    z.redirected = getattr(z, "redirected", {}) | {(A, "udp", u): 123}


STARTERS = [z_openssh, z_vsftpd, z_telnetd, z_apache2, z_lighttpd, z_nginx, z_haproxy, z_stunnel,
            z_exim4, z_dovecot, z_mariadb, z_postgresql, z_redis, z_memcached, z_mosquitto,
            z_rsync, z_squid, z_tinyproxy, z_unbound, z_bind9, z_nsd, z_dnsmasq, z_ngircd,
            z_inspircd, z_git, z_cupsd, z_slapd, z_samba, z_tigervnc, z_beanstalkd, z_snmpd,
            z_ntpsec]


# A first request for daemons whose listening socket comes before they serve: SMB1 NEGOTIATE
# (NT LM 0.12, SMB 2.002, SMB 2.???) in a NetBIOS session message.
READY_PROBES = {
    "samba": bytes.fromhex("00000045ff534d4272000000001853c8000000000000000000000000ffff"
                           "feff0000000000220002" + b"NT LM 0.12".hex() + "0002"
                           + b"SMB 2.002".hex() + "0002" + b"SMB 2.???".hex() + "00"),
}


def ports_of(z, proto):
    return sorted({l.port for l in z.listeners if l.proto == proto})


def hosts_of(z, proto):
    return sorted({l.addr for l in z.listeners if l.proto == proto})


def nmap_sv(z, proto, timeout=900):
    """nmap -sV's view: (addr, port) -> (name with ssl/ tunnel, product, version), its time."""
    import xml.etree.ElementTree as ET
    argv = ["nmap", "-sV", "-Pn", "-n", "-p", ",".join(map(str, ports_of(z, proto))), "-oX", "-"]
    if proto == "udp":
        argv.insert(1, "-sU")
    t = time.monotonic()
    r = z.scan.run(argv + hosts_of(z, proto), timeout=timeout)
    elapsed = time.monotonic() - t
    assert r.rc == 0, r
    out = {}
    for host in ET.fromstring(r.out).iter("host"):
        addr = host.find("address").get("addr")
        for port in host.iter("port"):
            if port.find("state").get("state") != "open":
                continue
            svc = port.find("service")
            name, product, version = "", "", ""
            if svc is not None and svc.get("method") == "probed":
                name = (svc.get("tunnel") + "/" if svc.get("tunnel") else "") + svc.get("name")
                product, version = svc.get("product") or "", svc.get("version") or ""
            out[(addr, int(port.get("portid")))] = (name, product, version)
    return out, elapsed


def portscope_sv(z, binary, proto, timeout=600, extra=()):
    """portscope scan -sV's view, as nmap_sv's; unknown services have name ""."""
    argv = [binary, "scan", "-sV", "--no-history", "-p", ",".join(map(str, ports_of(z, proto))),
            "--open", "--json", *extra]
    if proto == "udp":
        argv.insert(2, "-sU")
    t = time.monotonic()
    r = z.scan.run(argv + hosts_of(z, proto), timeout=timeout)
    elapsed = time.monotonic() - t
    assert r.rc == 0, r
    out = {}
    for rec in r.jsonl():
        if rec.get("type") != "port" or rec.get("state") != "open":
            continue
        s = rec.get("service") or {}
        name = s.get("name") or ""
        if name == "unknown" or s.get("method") != "probed":
            name = ""
        if name and s.get("tunnel"):
            name = s["tunnel"] + "/" + name
        out[(rec["address"], rec["port"])] = (name, s.get("product") or "", s.get("version") or "")
        REASONS[(rec["address"], rec["port"])] = s.get("reason")
    return out, elapsed


REASONS = {}  # (host, port) -> portscope's reason of the last portscope_sv, for messages


def start(tag="zoo", seed=None, only=None, timeout=60):
    """Starts the zoo (every daemon at once) and waits until it listens. The caller closes it."""
    z = Zoo(tag, seed)
    try:
        for s in STARTERS:
            if only and s.__name__[2:] not in only:
                continue
            s(z)
        z.wait_ready(timeout)
        # listeners reached through a redirect are up when their daemon is
        for name, addr, proto, port in getattr(z, "listen_extra", []):
            if name not in {f[0] for f in z.failed} and name not in z.missing:
                z.listen(name, name, addr, proto, port, "unusual")
    except BaseException:
        z.close()
        raise
    return z


if __name__ == "__main__":
    import sys
    zz = start(only=sys.argv[1:] or None)
    try:
        for l in zz.listeners:
            print(l)
        print("missing:", zz.missing)
        for n, e in zz.failed:
            print("FAILED", n, e)
    finally:
        keep = os.environ.get("ZOO_KEEP")  # a file: the zoo stays up while it exists
        if keep:
            open(keep, "w").close()
            print("zoo up; remove", keep, "to stop", flush=True)
            while os.path.exists(keep):
                time.sleep(0.5)
        zz.close()
