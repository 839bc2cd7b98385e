"""Exposure as the outside sees it (issue 14): a matrix of lab cases.

Each case is a target namespace with listeners and a real ruleset (nft, iptables-nft,
ufw, DNAT to a container namespace, ...) and a scanner namespace outside it. The
local verdict (what portscope says from inside the target, without sending a packet)
must equal what `nmap -sS` from the scanner sees, port by port and family by
family, and name the rule that decided.
"""
import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import have, link_veth, needs_root, portscope_bin, run

pytestmark = needs_root

SANITIZED = os.environ.get("PORTSCOPE_SANITIZE", "none") != "none"
T4, T6 = "198.18.0.2", "fd00:5c09::2"
S4, S6 = "198.18.0.1", "fd00:5c09::1"
C4 = "198.18.50.2"  # the container namespace behind the target

# Listeners that accept and close at once (the audit's detection connects to them).
LISTEN = r"""
import json, selectors, socket, sys
sel = selectors.DefaultSelector()
for fam, addr, port, v6only in json.loads(sys.argv[1]):
    s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    s.listen(64)
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


class Lab:
    """Scanner S and target T joined by one veth; optionally a container C behind T."""

    def __init__(self, netns, container=False):
        self.s = netns("exs")
        self.t = netns("ext")
        self.vs, self.vt = link_veth(self.s, self.t, S4, T4)
        self.s.sh(f"ip -6 addr add {S6}/64 dev {self.vs} nodad")
        self.t.sh(f"ip -6 addr add {T6}/64 dev {self.vt} nodad")
        self.c = None
        if container:
            self.c = netns("exc")
            self.vtc, self.vc = link_veth(self.t, self.c, "198.18.50.1", C4)
            self.c.sh("ip route add default via 198.18.50.1")
            self.t.sh("sysctl -qw net.ipv4.ip_forward=1")
            self.s.sh("ip route add 198.18.50.0/24 via " + T4)

    def listen(self, ns, socks):
        ns.spawn_python(LISTEN.replace("sys.argv[1]", repr(json.dumps(socks))), timeout=10)

    def nft(self, text):
        r = self.t.run(["nft", "-f", "-"], input=nft_lines(text))
        assert r.rc == 0, r

    def nmap(self, ports, family):
        target = T4 if family == 4 else T6
        # a lab link answers in microseconds: short timeouts keep filtered ports quick
        argv = ["nmap", "-sS", "-Pn", "-n", "-T4", "--max-retries", "1",
                "--initial-rtt-timeout", "50ms", "--max-rtt-timeout", "200ms", "-p",
                ",".join(str(p) for p in ports), "-oX", "-", target]
        if family == 6:
            argv.insert(1, "-6")
        r = self.s.run(argv, timeout=120)
        assert r.rc == 0, r
        states = {}
        for port in ET.fromstring(r.out).iter("port"):
            states[int(port.get("portid"))] = port.find("state").get("state")
        return states


def nft_lines(text):
    """Moves braces that close blocks after a rule onto a line of their own (nft 1.0.6)."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^(.*?[^\s}])\s*((?:\}\s*)+)$", line)
        if m and m.group(1).count("{") == m.group(1).count("}"):
            out += [m.group(1)] + ["}"] * m.group(2).count("}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def src_contains(sources, addr):
    if sources == "any":
        return True
    a = ipaddress.ip_address(addr)
    for part in sources.split(", "):
        if part in ("", "none", "..."):
            continue
        if "-" in part:
            lo, hi = part.split("-")
            if ipaddress.ip_address(lo) <= a <= ipaddress.ip_address(hi):
                return True
        elif a in ipaddress.ip_network(part, strict=False):
            return True
    return False


def local_view(lab):
    """What `portscope audit` says from inside T, for the scanner's source and interface:
    {(port, family): (scan state, deciding rule, record)}."""
    r = lab.t.portscope("audit", "--json", "--no-history", timeout=120)
    assert r.rc in (0, 1), r
    doc = r.json()
    assert doc["firewall"]["evaluated"], doc["firewall"]
    view = {}
    for ep in doc["endpoints"]:
        fw = ep.get("firewall")
        if not fw:
            continue
        nat = fw.get("nat")
        if nat and "scan" in nat:  # a translated endpoint of its own
            fam = 6 if ":" in ep["address"] else 4
            rec = {"by": nat["rule"], "owner_netns": nat["netns"] or "",
                   "owner_found": nat["owner_found"], "endpoint": ep}
            for p in range(ep["port"], nat["port_hi"] + 1):
                view[(p, fam)] = (nat["scan"], nat["rule"], rec)
            continue
        for path in fw["paths"]:
            fam = 6 if path["family"] == "ipv6" else 4
            if path["iif"] != lab.vt or path["address"] != (T6 if fam == 6 else T4):
                continue
            for out in path["outcomes"]:
                if not src_contains(out["sources"], S6 if fam == 6 else S4):
                    continue
                by = out["rule"] or out["why"] or ""
                rec = {"by": by, "endpoint": ep, "outcome": out}
                view.setdefault((ep["port"], fam), (out["scan"], by, rec))
    return view


def compare(lab, ports, families=(4, 6), unknown=()):
    view = local_view(lab)
    if SANITIZED:
        # the sanitizer build runs the audit (above) and checks its word; nmap's side is
        # the plain build's (the comparison is the same, and nmap's waits cost time)
        for key, (want, by, rec) in view.items():
            assert want in ("open", "closed", "filtered", "unknown"), rec
            assert by, rec
        return view
    seen = {}
    for fam in families:
        seen[fam] = lab.nmap(ports, fam)
    bad = []
    for fam in families:
        for p in ports:
            # no port at all in nmap's report: nothing answered (host unreachable)
            got = seen[fam].get(p, "filtered")
            if (p, fam) in view:
                want, by, rec = view[(p, fam)]
                if p in unknown:
                    assert want == "unknown", rec
                    assert "handle" in by, rec
                    continue
                assert by, rec  # the deciding rule (or policy) is named
                if want != got:
                    bad.append(f"{p}/tcp IPv{fam}: portscope {want} ({by}), nmap {got}")
            elif got == "open":
                bad.append(f"{p}/tcp IPv{fam}: portscope has no path, nmap open")
    assert not bad, "\n".join(bad)
    return view


def socks(*ports, fam=4, addr=None, v6only=1):
    return [[fam, addr or ("0.0.0.0" if fam == 4 else "::"), p, v6only] for p in ports]


@pytest.fixture
def lab(netns):
    if not have("nmap") or not have("nft"):
        pytest.skip("needs nmap and nft")
    return lambda container=False: Lab(netns, container)


def test_default_drop_loopback_accepted(lab):
    L = lab()
    L.listen(L.t, socks(2201, 2202, fam=6, v6only=0))
    L.nft("""table inet f { chain input { type filter hook input priority 0; policy drop;
        iif "lo" accept
        ct state established,related accept
        tcp dport 2201 accept } }""")
    view = compare(L, [2201, 2202])
    assert "policy drop" in view[(2202, 4)][1]


def test_drop_after_loopback_accept(lab):
    L = lab()
    L.listen(L.t, socks(2211, 2212))
    L.nft("""table inet f { chain input { type filter hook input priority 0; policy accept;
        iif "lo" accept
        tcp dport 2211 drop } }""")
    view = compare(L, [2211, 2212], families=(4,))
    assert "tcp dport 2211 drop" in view[(2211, 4)][1]


def test_reject_kinds(lab):
    L = lab()
    L.listen(L.t, socks(2221, 2222, 2223))
    L.nft("""table inet f { chain input { type filter hook input priority 0; policy accept;
        tcp dport 2221 reject with tcp reset
        tcp dport 2222 reject
        tcp dport 2223 reject with icmpx admin-prohibited } }""")
    compare(L, [2221, 2222, 2223], families=(4,))


def test_iptables_nft_rules(lab):
    if not have("iptables"):
        pytest.skip("needs iptables")
    L = lab()
    L.listen(L.t, socks(2231, 2232, 2233, 2234))
    for rule in (["-A", "INPUT", "-p", "tcp", "--dport", "2231", "-j", "DROP"],
                 ["-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "2232,2233",
                  "-j", "REJECT", "--reject-with", "tcp-reset"],
                 ["-A", "INPUT", "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"]):
        r = L.t.run(["iptables", "-w"] + rule)
        assert r.rc == 0, r
    view = compare(L, [2231, 2232, 2233, 2234], families=(4,))
    assert view[(2231, 4)][1].startswith("ip filter INPUT handle")


def test_firewalld_style_zones(lab):
    L = lab()
    L.listen(L.t, socks(22, 9090, 2241, fam=6, v6only=0))
    L.nft(f"""table inet firewalld {{
      chain raw_PREROUTING {{ type filter hook prerouting priority raw + 10; policy accept;
        meta nfproto ipv6 fib saddr . iif oif missing drop }}
      chain filter_INPUT {{ type filter hook input priority filter + 10; policy accept;
        ct state established,related accept
        ct status dnat accept
        iifname "lo" accept
        ct state invalid drop
        jump filter_INPUT_ZONES
        reject with icmpx admin-prohibited }}
      chain filter_INPUT_ZONES {{
        iifname "{L.vt}" goto filter_IN_public
        goto filter_IN_public }}
      chain filter_IN_public {{
        jump filter_IN_public_pre
        jump filter_IN_public_allow
        meta l4proto {{ icmp, ipv6-icmp }} accept }}
      chain filter_IN_public_pre {{ }}
      chain filter_IN_public_allow {{
        tcp dport 22 ct state new,untracked accept
        ip6 daddr fe80::/64 udp dport 546 ct state new,untracked accept
        tcp dport 9090 ct state new,untracked accept }} }}""")
    view = compare(L, [22, 9090, 2241])
    assert "admin-prohibited" in view[(2241, 4)][1]


def test_dnat_to_container_under_default_drop(lab):
    L = lab(container=True)
    L.listen(L.c, socks(80))
    L.nft("""table ip nat { chain pre { type nat hook prerouting priority dstnat; policy accept;
        tcp dport 8090 dnat to 198.18.50.2:80
        tcp dport 8091 dnat to 198.18.50.2:81 } }
      table inet f { chain input { type filter hook input priority 0; policy drop;
        iif "lo" accept }
        chain forward { type filter hook forward priority 0; policy drop;
        ct state established,related accept
        ct status dnat accept } }""")
    view = compare(L, [8090, 8091], families=(4,))
    assert "dnat to 198.18.50.2:80" in view[(8090, 4)][2]["by"]
    assert view[(8090, 4)][2]["owner_netns"] == L.c.name
    # published, but nothing listens behind it in any namespace
    assert not view[(8091, 4)][2]["owner_found"] and view[(8091, 4)][0] == "closed"


def test_dnat_to_localhost_route_localnet(lab):
    L = lab()
    L.listen(L.t, socks(6379, addr="127.0.0.1"))
    L.t.sh(f"sysctl -qw net.ipv4.conf.{L.vt}.route_localnet=1")
    L.nft("""table ip nat { chain pre { type nat hook prerouting priority dstnat; policy accept;
        tcp dport 8092 dnat to 127.0.0.1:6379 } }
      table inet f { chain input { type filter hook input priority 0; policy drop;
        iif "lo" accept
        ct status dnat accept } }""")
    view = compare(L, [8092], families=(4,))
    rec = view[(8092, 4)][2]
    assert rec["owner_found"] and rec["owner_netns"] == "", rec  # delivered here
    # a loopback-only socket published by a DNAT: reachable, and a high finding
    doc = L.t.portscope("audit", "--json", "--no-history").json()
    assert any(f["check"] == "loopback-exposed-by-dnat" and f["severity"] == "high"
               for f in doc["findings"]), doc["findings"]


def test_redirect_to_another_port(lab):
    L = lab()
    L.listen(L.t, socks(2251, fam=6, v6only=0))
    L.nft("""table inet nat { chain pre { type nat hook prerouting priority dstnat; policy accept;
        tcp dport 8093 redirect to :2251 } }""")
    compare(L, [8093, 2251])


def test_ipv6_only_socket(lab):
    L = lab()
    L.listen(L.t, socks(2261, fam=6, v6only=1))
    compare(L, [2261])


def test_dual_stack_ipv4_dropped_ipv6_open(lab):
    L = lab()
    L.listen(L.t, socks(2271, fam=6, v6only=0))
    L.nft("""table inet f { chain input { type filter hook input priority 0; policy accept;
        meta nfproto ipv4 tcp dport 2271 drop } }""")
    view = compare(L, [2271])
    assert view[(2271, 4)][0] == "filtered" and view[(2271, 6)][0] == "open"


def test_source_restricted_accept(lab):
    L = lab()
    L.listen(L.t, socks(2281, 2282))
    L.nft(f"""table inet f {{ chain input {{ type filter hook input priority 0; policy drop;
        iif "lo" accept
        ip saddr {S4} tcp dport 2281 accept
        ip saddr 198.18.0.99 tcp dport 2282 accept }} }}""")
    compare(L, [2281, 2282], families=(4,))


def test_interface_restricted_accept(lab):
    L = lab()
    L.listen(L.t, socks(2291, 2292))
    L.nft(f"""table inet f {{ chain input {{ type filter hook input priority 0; policy drop;
        iif "lo" accept
        iifname "{L.vt[:3]}*" tcp dport 2291 accept
        iifname "nomatch0" tcp dport 2292 accept }} }}""")
    compare(L, [2291, 2292], families=(4,))


def test_sets_and_maps(lab):
    L = lab()
    L.listen(L.t, socks(2301, 2302, 2303, 2304, 2305, 2306))
    L.nft(f"""table inet f {{
        set okports {{ type inet_service; elements = {{ 2301, 2302 }} }}
        map decide {{ type inet_service : verdict; elements = {{ 2303 : accept, 2304 : drop }} }}
        chain input {{ type filter hook input priority 0; policy drop;
        iif "lo" accept
        tcp dport @okports accept
        tcp dport vmap @decide
        ip saddr . tcp dport {{ {S4} . 2305, 198.18.0.99 . 2306 }} accept }} }}""")
    compare(L, [2301, 2302, 2303, 2304, 2305, 2306], families=(4,))


def test_unreadable_rule_is_unknown(lab):
    L = lab()
    L.listen(L.t, socks(2311, 2312))
    L.nft("""table inet f { chain input { type filter hook input priority 0; policy drop;
        iif "lo" accept
        tcp dport 2311 tcp option maxseg size 1400 accept
        tcp dport 2312 accept } }""")
    compare(L, [2311, 2312], families=(4,), unknown=(2311,))


def test_two_base_chains_priorities(lab):
    L = lab()
    L.listen(L.t, socks(2321, 2322, 2323))
    L.nft("""table inet early { chain input { type filter hook input priority -10; policy accept;
        tcp dport 2321 accept
        tcp dport 2322 drop } }
      table inet late { chain input { type filter hook input priority 10; policy accept;
        tcp dport 2321 drop } }""")
    view = compare(L, [2321, 2322, 2323], families=(4,))
    assert "inet late input" in view[(2321, 4)][1]
    assert "inet early input" in view[(2322, 4)][1]


def test_jump_and_return(lab):
    L = lab()
    L.listen(L.t, socks(2331, 2332))
    L.nft("""table inet f {
        chain svc { tcp dport 2332 return
            tcp dport 2331-2332 accept }
        chain input { type filter hook input priority 0; policy drop;
            iif "lo" accept
            jump svc } }""")
    view = compare(L, [2331, 2332], families=(4,))
    assert "svc" in view[(2331, 4)][1]


def test_ip_and_inet_tables(lab):
    L = lab()
    L.listen(L.t, socks(2341, 2342, fam=6, v6only=0))
    L.nft("""table ip v4only { chain input { type filter hook input priority 0; policy accept;
        tcp dport 2341 drop } }
      table inet both { chain input { type filter hook input priority 5; policy accept;
        tcp dport 2342 drop } }""")
    view = compare(L, [2341, 2342])
    assert view[(2341, 6)][0] == "open" and "ip v4only" in view[(2341, 4)][1]


def test_ufw_own_chains(lab):
    """ufw itself (Debian's), with a private copy of /etc/ufw: its chains, limits and logging."""
    if not have("ufw") or not have("unshare"):
        pytest.skip("needs ufw")
    L = lab()
    L.listen(L.t, socks(22, 2350, 2351, 2352, 2353, fam=6, v6only=0))
    tmp = tempfile.mkdtemp(prefix="ps-ufw-")
    try:
        shutil.copytree("/etc/ufw", os.path.join(tmp, "ufw"), symlinks=True)
        shutil.copy("/etc/default/ufw", os.path.join(tmp, "default-ufw"))
        script = (f"mount --bind {tmp}/ufw /etc/ufw && "
                  f"mount --bind {tmp}/default-ufw /etc/default/ufw && "
                  "ufw --force enable && ufw allow 22/tcp && ufw deny 2350/tcp && "
                  "ufw reject 2352/tcp && "
                  f"ufw allow from {S4} to any port 2353 proto tcp")
        r = L.t.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script])
        assert r.rc == 0, r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    view = compare(L, [22, 2350, 2351, 2352, 2353])
    assert "ufw-user-input" in view[(22, 4)][1]
    assert "ufw-user-input" in view[(2352, 4)][1]


DOCKERD = ('mount -t tmpfs ps-docker /etc/docker && mount -t tmpfs ps-docker /run && '
           'exec /usr/sbin/dockerd "$@"')
DOCKER = "/usr/bin/docker"


def test_docker_run_publish(lab):
    """A real `docker run -p` (image imported from busybox-static, no registry) under an
    iptables-nft INPUT policy DROP: Docker's DNAT publishes the port all the same."""
    if not all(os.path.exists(p) for p in ("/usr/sbin/dockerd", DOCKER, "/bin/busybox")):
        pytest.skip("needs docker.io and busybox-static")
    L = lab()
    base = tempfile.mkdtemp(prefix="ps-dk-")  # short: containerd's sockets live there
    sock = f"unix://{base}/d.sock"
    proc = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{L.t.name}", "unshare", "--mount", "--propagation",
         "private", "sh", "-c", DOCKERD, "dockerd", "-H", sock, "--data-root", f"{base}/data",
         "--exec-root", f"{base}/exec", "--pidfile", f"{base}/pid", "--bip", "198.18.60.1/24",
         "--ip6tables=false", "--iptables=true"],
        stdout=open(f"{base}/log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    L.t.procs.append(proc)
    docker = [DOCKER, "-H", sock]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and run(docker + ["version"]).rc != 0:
            time.sleep(0.2)
        rootfs = os.path.join(base, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
        tar = subprocess.run(["tar", "-C", rootfs, "-c", "."], capture_output=True, check=True)
        imp = subprocess.run(docker + ["import", "-", "ps-lab/busybox:1"], input=tar.stdout,
                             capture_output=True)
        if imp.returncode != 0:
            pytest.skip(f"dockerd cannot import an image here: {imp.stderr[-300:]!r}")
        r = run(docker + ["run", "-d", "-p", "8095:80", "ps-lab/busybox:1", "/bin/busybox",
                          "httpd", "-f", "-p", "80"], timeout=60)
        if r.rc != 0:
            with open(f"{base}/log") as f:
                log = f.read()[-800:]
            pytest.skip(f"containers cannot start here: {r.err[-400:]} {log}")
        r = L.t.run(["iptables", "-w", "-P", "INPUT", "DROP"])
        assert r.rc == 0, r
        L.t.wait_port("tcp", 8095)  # docker-proxy
        view = compare(L, [8095], families=(4,))
        assert "dnat to 198.18.60.2:80" in view[(8095, 4)][2]["by"]
    finally:
        ids = run(docker + ["ps", "-aq"]).out.split()
        if ids:
            run(docker + ["rm", "-f"] + ids, timeout=60)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)


POLICY = "ALLOW TCP PORT 22 (ssh)\nALLOW TCP PORT 2400\nDENY ALL\n"


def test_policy_verify_and_listening_use_the_live_ruleset(lab, tmp_path):
    """policy verify of this machine: a port the policy allows but another table drops is
    blocked, naming that rule; a port the policy denies but a DNAT publishes is a violation.
    policy listening shows the live verdict beside the policy's."""
    L = lab(container=True)
    pol = tmp_path / "p.policy"
    pol.write_text(POLICY)
    L.listen(L.t, socks(22, 2400))
    L.listen(L.c, socks(80))
    r = L.t.portscope("policy", "apply", str(pol))
    assert r.rc == 0, r
    L.nft("""table inet other { chain input { type filter hook input priority 10; policy accept;
        tcp dport 2400 drop } }
      table ip nat { chain pre { type nat hook prerouting priority dstnat; policy accept;
        tcp dport 2403 dnat to 198.18.50.2:80 } }""")
    r = L.t.portscope("policy", "verify", "--json", "-p", "22,2400,2403", str(pol), T4)
    assert r.rc == 1, r  # the DNAT is a violation
    rows = {o["port"]: o for o in r.jsonl() if o.get("type") == "verify"}
    assert rows[22]["result"] == "ok"
    assert rows[2400]["result"] == "blocked"
    assert "inet other input" in rows[2400]["firewall"]["verdict"]
    assert rows[2403]["result"] == "violation"
    assert "dnat to 198.18.50.2:80" in rows[2403]["firewall"]["verdict"]
    # what the scanner outside sees agrees with the live verdicts
    if not SANITIZED:
        seen = L.nmap([22, 2400, 2403], 4)
        assert seen == {22: "open", 2400: "filtered", 2403: "open"}, seen
    r = L.t.portscope("policy", "listening", "--json", "--no-process", str(pol))
    assert r.rc == 0, r
    lis = {o["port"]: o for o in r.jsonl() if o.get("type") == "listener"}
    assert lis[22]["firewall"]["agrees"] and lis[22]["firewall"]["exposure"] == "reachable"
    assert not lis[2400]["firewall"]["agrees"]
    assert "inet other input" in lis[2400]["firewall"]["verdict"]


def test_remote_audit_of_unreachable_target_exits_3(lab):
    """A target that answers nothing (no route, nobody at the address) is said to be
    unreachable and the audit exits 3, never "no findings" and 0; one that answers
    (even with a closed port) is audited as before."""
    L = lab()
    r = L.s.portscope("audit", "--no-history", "-p", "22,80", "198.19.200.1")  # no route
    assert r.rc == 3, r
    assert "unreachable" in r.err and "198.19.200.1" in r.err, r
    r = L.s.portscope("audit", "--no-history", "--json", "-p", "22", "198.18.0.77")  # nobody
    assert r.rc == 3, r
    doc = r.json()
    assert doc["summary"]["unreachable"] == 1 and doc["summary"]["targets"] == 1, doc
    r = L.s.portscope("audit", "--no-history", "--json", "-p", "22", T4)  # closed: answers
    assert r.rc == 0, r
    assert r.json()["summary"]["unreachable"] == 0
