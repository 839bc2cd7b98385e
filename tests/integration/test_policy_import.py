"""portscope policy import: the live ruleset in the docs' language, checked by round trip.

For generated nftables rulesets (several tables and base chains, sets, maps,
jumps, concatenations, both families) and for ufw's own tables, the imported
policy's verdict equals the live ruleset's (the firewall evaluator) on 10,000
random (protocol, port, source) tuples each (tests/policy-import-check.c);
for a sample of them real packets from a scanner namespace say the same.
Everything in namespaces made by the test (LAB.md).
"""
import json
import os
import random
import shutil
import subprocess
import tempfile

import pytest

from conftest import Netns, have, link_veth, needs_root, portscope_bin, run
from test_policy import SERVE  # a TCP and UDP server on each port given

pytestmark = [needs_root, pytest.mark.skipif(not have("nft"), reason="needs nft")]

TGT4, SCAN4 = "198.18.40.1", "198.18.40.2"
TGT6, SCAN6 = "fd00:5c09::40:1", "fd00:5c09::40:2"
# the scanner's extra addresses: sources the rules name one by one
HOSTS4 = [f"198.18.40.{i}" for i in range(10, 16)]
HOSTS6 = [f"fd00:5c09::40:{i:x}" for i in range(0x10, 0x14)]
SOURCES = ",".join(["198.18.40.0/24", "198.18.41.0/24", "198.18.0.0/16", "fd00:5c09::40:0/120",
                    "fd00:5c09::/64"] + [h + "/32" for h in HOSTS4] +
                   [h + "/128" for h in HOSTS6])
PORTS = list(range(2000, 2030))


def checker():
    path = os.environ.get("IMPORT_CHECK")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("IMPORT_CHECK is not set (run through meson test)")
    return path


def random_ruleset(seed):
    """An nftables ruleset of the shapes real ones have, on the lab's addresses."""
    r = random.Random(seed)

    def ports(k=3):
        v = sorted(r.sample(PORTS, k))
        return "{ " + ", ".join(str(p) if r.random() < .7 else f"{p}-{p + r.randint(1, 4)}"
                                for p in v) + " }"

    def verdict(udp=False):
        return r.choice(["accept", "accept", "drop",
                         "reject" if udp else r.choice(["reject with tcp reset", "reject"])])

    def src4():
        return r.choice(HOSTS4 + ["198.18.40.8/29", "198.18.40.0/28", "198.18.0.0/16"])

    def src6():
        return r.choice(HOSTS6 + ["fd00:5c09::40:10/126", "fd00:5c09::/64"])

    def rule(kinds=range(11)):
        kind = r.choice(list(kinds))
        p = r.choice(PORTS)
        if kind == 0:
            return f"tcp dport {p} {verdict()}"
        if kind == 1:
            return f"udp dport {ports()} {verdict(True)}"
        if kind == 2:
            return f"ip saddr {src4()} tcp dport {ports(2)} {verdict()}"
        if kind == 3:
            return f"ip saddr @hosts4 udp dport {p} {verdict(True)}"
        if kind == 4:
            return f"ip6 saddr {src6()} tcp dport {p}-{p + 3} {verdict()}"
        if kind == 5:
            return f"meta l4proto {{ tcp, udp }} th dport {p} {r.choice(['accept', 'drop'])}"
        if kind == 6:
            a, b, c = r.sample(PORTS, 3)
            return f"tcp dport vmap {{ {a} : accept, {b} : drop, {c} : jump sub }}"
        if kind == 7:
            h = r.choice(HOSTS4)
            return (f"ip saddr . tcp dport {{ {h} . {p}, 198.18.40.8/29 . {p + 1} }} "
                    f"{r.choice(['accept', 'drop'])}")
        if kind == 8:
            return f"tcp dport {p} jump sub"
        if kind == 9:
            return f"ip6 saddr @hosts6 {r.choice(['tcp', 'udp'])} dport {p} accept"
        return f"udp dport {p} ip saddr {src4()} {verdict(True)}"

    main = "\n\t\t".join(rule() for _ in range(r.randint(8, 20)))
    sub = "\n\t\t".join([f"ip saddr {src4()} return", f"udp dport {r.choice(PORTS)} drop",
                         r.choice(["accept", "drop", "return"])])
    # a table of family ip in front: IPv4 kinds only, no jumps (it has no sub chain)
    early = "\n\t\t".join(rule((0, 1, 2, 3, 5, 7, 10)) for _ in range(r.randint(0, 4)))
    return f"""table inet pol {{
	set hosts4 {{ type ipv4_addr; flags interval; elements = {{ {", ".join(r.sample(HOSTS4, 3))} }} }}
	set hosts6 {{ type ipv6_addr; elements = {{ {", ".join(r.sample(HOSTS6, 2))} }} }}
	chain sub {{
		{sub}
	}}
	chain input {{
		type filter hook input priority 0; policy {r.choice(["drop", "drop", "accept"])};
		iif "lo" accept
		ct state established,related accept
		{main}
	}}
}}
table ip early {{
	set hosts4 {{ type ipv4_addr; elements = {{ {r.choice(HOSTS4)} }} }}
	chain input {{
		type filter hook input priority -10; policy accept;
		{early}
	}}
}}
"""


@pytest.fixture(scope="module")
def lab():
    """A target and a scanner namespace, for all the tests of this file (each loads its
    own ruleset into the target)."""
    if not have("nft"):
        pytest.skip("needs nft")
    tgt, scan = Netns("imt"), Netns("ims")
    try:
        va, vb = link_veth(tgt, scan, TGT4, SCAN4)
        tgt.sh(f"ip -6 addr add {TGT6}/112 dev {va} nodad")
        scan.sh("; ".join([f"ip -6 addr add {SCAN6}/112 dev {vb} nodad"] +
                          [f"ip addr add {h}/24 dev {vb}" for h in HOSTS4] +
                          [f"ip -6 addr add {h}/112 dev {vb} nodad" for h in HOSTS6]))
        yield tgt, scan, va
    finally:
        scan.close()
        tgt.close()


def load(ns, tmp_path, text):
    """The target's whole ruleset becomes text."""
    nft = tmp_path / "r.nft"
    nft.write_text("flush ruleset\n" + text)
    ns.run(["nft", "-f", str(nft)], check=True)


def import_policy(ns, tmp_path, *args):
    r = ns.portscope("policy", "import", *args)
    assert r.rc == 0, r
    assert "imported" in r.err, r
    path = tmp_path / "imported.pol"
    path.write_text(r.out)
    # what import writes is a policy the parser and linter take
    c = run([portscope_bin(), "policy", "check", "--json", str(path)])
    assert c.rc in (0, 1), c
    assert c.json()["valid"] is True
    return str(path), r.out


def round_trip(ns, iif, path, sample=0, seed=1):
    r = ns.run([checker(), "--iif", iif, "--daddr", TGT4, "--daddr", TGT6, "--sources",
                SOURCES, "--tuples", "10000", "--seed", str(seed), "--sample", str(sample),
                path])
    assert r.rc == 0, r
    lines = [json.loads(x) for x in r.out.splitlines()]
    return lines[-1], lines[:-1], r.err


def test_round_trip_generated(lab, tmp_path):
    tgt, scan, iif = lab
    for seed in (1, 2, 3, 4):
        text_nft = random_ruleset(seed)
        load(tgt, tmp_path, text_nft)
        path, text = import_policy(tgt, tmp_path)
        assert "DENY ALL (default)" in text
        summary, _, err = round_trip(tgt, iif, path, seed=seed)
        assert summary["disagree"] == 0, (seed, summary, err, text, text_nft)
        assert summary["unknown"] == 0, (seed, summary)
        assert summary["compared"] == 10000, (seed, summary)
    # the same from the ruleset saved as JSON (nft -j list ruleset)
    js = tmp_path / "r.json"
    js.write_text(tgt.run(["nft", "-j", "list", "ruleset"], check=True).out)
    r = tgt.portscope("policy", "import", str(js))
    assert r.rc == 0, r

    def body(t):
        return [x for x in t.splitlines() if not x.startswith("# Imported")]
    assert body(r.out) == body(text)


PROBE = r"""
import json, socket, sys, threading
tgt, tuples = json.loads(sys.argv[1]), json.loads(sys.argv[2])
res = {}
def probe(i, t):
    fam = socket.AF_INET6 if ":" in t["from"] else socket.AF_INET
    kind = socket.SOCK_STREAM if t["proto"] == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.settimeout(1.0)
    try:
        s.bind((t["from"], 0))
        s.connect((tgt[fam == socket.AF_INET6], t["port"]))
        if kind == socket.SOCK_DGRAM:
            s.send(b"ping")
            s.recv(64)
        state = "open"
    except ConnectionRefusedError:
        state = "closed"
    except (socket.timeout, TimeoutError):
        state = "filtered"
    finally:
        s.close()
    res[i] = state
ts = [threading.Thread(target=probe, args=(i, t)) for i, t in enumerate(tuples)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps([res[i] for i in range(len(tuples))]))
"""

WANT = {"accepted": "open", "dropped": "filtered", "rejected": "closed"}


def test_round_trip_with_packets(lab, tmp_path):
    """A sample of the tuples, sent for real from the scanner's addresses."""
    tgt, scan, iif = lab
    load(tgt, tmp_path, random_ruleset(5))
    path, text = import_policy(tgt, tmp_path)
    summary, sample, err = round_trip(tgt, iif, path, sample=60, seed=5)
    assert summary["disagree"] == 0, (summary, err)
    assert len(sample) == 60
    served = sorted({f"{t['port']}/{t['proto']}" for t in sample})
    server = tgt.spawn_python(SERVE.replace("sys.argv[1:]", repr(served)))
    try:
        seen = json.loads(scan.run(["python3", "-c", PROBE, json.dumps([TGT4, TGT6]),
                                    json.dumps(sample)], timeout=60, check=True).out)
    finally:
        server.kill()
        server.wait()
    wrong = [(t, s) for t, s in zip(sample, seen) if WANT[t["verdict"]] != s]
    assert not wrong, (wrong, text)
    # the sample was not one-sided
    assert len({t["verdict"] for t in sample}) >= 2, sample


# What `ufw allow 2001/tcp`, `ufw deny 2002/tcp`, `ufw reject 2003/udp`, `ufw allow from
# HOST to any port 2004 proto tcp`, `ufw allow 2010:2015/udp` and `ufw limit 2020/tcp` write to
# user.rules (one `ufw enable` loads them all: each ufw command costs a second).
UFW_RULES = """### tuple ### allow tcp 2001 0.0.0.0/0 any 0.0.0.0/0 in
-A {c}-user-input -p tcp --dport 2001 -j ACCEPT
### tuple ### deny tcp 2002 0.0.0.0/0 any 0.0.0.0/0 in
-A {c}-user-input -p tcp --dport 2002 -j DROP
### tuple ### reject udp 2003 0.0.0.0/0 any 0.0.0.0/0 in
-A {c}-user-input -p udp --dport 2003 -j REJECT
### tuple ### allow tcp 2004 0.0.0.0/0 any {host} in
-A {c}-user-input -p tcp --dport 2004 -s {host} -j ACCEPT
### tuple ### allow udp 2010:2015 0.0.0.0/0 any 0.0.0.0/0 in
-A {c}-user-input -p udp -m multiport --dports 2010:2015 -j ACCEPT
### tuple ### limit tcp 2020 0.0.0.0/0 any 0.0.0.0/0 in
-A {c}-user-input -p tcp --dport 2020 -m conntrack --ctstate NEW -m recent --set
-A {c}-user-input -p tcp --dport 2020 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 -j {c}-user-limit
-A {c}-user-input -p tcp --dport 2020 -j {c}-user-limit-accept
"""


def test_round_trip_ufw(lab, tmp_path):
    """ufw's own tables (iptables-nft), with a private copy of /etc/ufw."""
    if not have("ufw") or not have("unshare"):
        pytest.skip("needs ufw")
    tgt, scan, iif = lab
    tgt.run(["nft", "flush", "ruleset"], check=True)
    tmp = tempfile.mkdtemp(prefix="ps-ufw-")
    try:
        shutil.copytree("/etc/ufw", os.path.join(tmp, "ufw"), symlinks=True)
        shutil.copy("/etc/default/ufw", os.path.join(tmp, "default-ufw"))
        for name, host, c in (("user.rules", HOSTS4[0], "ufw"),
                              ("user6.rules", HOSTS6[0], "ufw6")):
            f = os.path.join(tmp, "ufw", name)
            text = open(f).read()
            assert "### RULES ###\n" in text
            open(f, "w").write(text.replace(
                "### RULES ###\n", "### RULES ###\n" + UFW_RULES.format(host=host, c=c), 1))
        script = (f"mount --bind {tmp}/ufw /etc/ufw && "
                  f"mount --bind {tmp}/default-ufw /etc/default/ufw && ufw --force enable")
        r = tgt.run(["unshare", "-m", "sh", "-c", script], timeout=60)
        assert r.rc == 0, r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    path, text = import_policy(tgt, tmp_path)
    assert "ufw-user-input" in text, text
    assert f"ALLOW TCP PORT 2004 FROM {HOSTS4[0]}" in text, text
    assert "# unknown for TCP port 2020" in text, text  # ufw limit: a rate, not a rule
    summary, _, err = round_trip(tgt, iif, path)
    assert summary["disagree"] == 0, (summary, err, text)
    assert summary["compared"] >= 9000, summary


def test_import_usage(netns, tmp_path):
    ns = netns("imu")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = ns.portscope("policy", "import", str(bad))
    assert r.rc == 2 and "not an nftables ruleset" in r.err, r
    r = ns.portscope("policy", "import", str(tmp_path / "missing.json"))
    assert r.rc == 2 and "cannot open" in r.err, r
    # only a loopback: nothing to judge connections on
    r = ns.portscope("policy", "import")
    assert r.rc == 3 and "no interface" in r.err, r
    r = ns.portscope("policy", "import", "--iif", "nosuch0")
    assert r.rc == 2, r
    r = ns.portscope("policy", "import", "a.json", "b.json")
    assert r.rc == 2 and "unexpected argument" in r.err, r
    if have("setpriv"):
        r = ns.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", portscope_bin(), "policy",
                    "import"])
        assert r.rc == 3 and "CAP_NET_ADMIN" in r.err, r
