"""portscope policy: the docs' firewall language, checked, evaluated, compiled and applied.

Parsing, lint and eval need no privilege. nftables is only ever loaded inside
network namespaces made by the test (LAB.md): `nft -c` on every compiled
ruleset, apply twice, and the docs' example applied in a target namespace and
probed with nmap from an admin and another scanner namespace, IPv4 and IPv6.
"""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import have, link_veth, needs_root, portscope_bin, run

DOCS = """ALLOW TCP Port 80 (Web)
ALLOW TCP Port 22 from 10.0.0.5 (Admin)
DENY ALL (Block everything else)
"""

# Lab addresses (LAB.md): one /24 and one /112 per link, the target is .1 on both.
ADMIN4, TARGET_A4 = "198.18.1.2", "198.18.1.1"
OTHER4, TARGET_B4 = "198.18.2.2", "198.18.2.1"
ADMIN6, TARGET_A6 = "fd00:5c09::1:2", "fd00:5c09::1:1"
OTHER6, TARGET_B6 = "fd00:5c09::2:2", "fd00:5c09::2:1"


def policy(*args, **kw):
    return run([portscope_bin(), "policy", *args], **kw)


def write(tmp_path, text, name="p.pol"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def lab_policy(tmp_path):
    """The docs' three rules with 10.0.0.5 mapped to the admin's lab addresses."""
    text = DOCS.replace("10.0.0.5", f"{ADMIN4}, {ADMIN6}")
    assert text != DOCS
    return write(tmp_path, text, "lab.pol")


# ---- parsing and eval (no privilege) ----

def test_docs_example_parses_as_written(tmp_path):
    path = write(tmp_path, DOCS)
    r = policy("check", "--json", path)
    assert r.rc == 0, r
    doc = r.json()
    assert doc["valid"] is True and doc["rules"] == 3
    assert doc["errors"] == 0
    # 10.0.0.5 is IPv4 only: the IPv6 gap is the one finding
    assert [(f["check"], f["line"]) for f in doc["findings"]] == [("ipv6-gap", 2)]


# The docs write a service hint after the port and the label at the end; every line of
# their example is accepted as written.
DOCS_HINTS = """ALLOW TCP Port 80 (HTTP)
ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)
DENY ALL (Block everything else)
"""


def test_docs_lines_verbatim(tmp_path):
    path = write(tmp_path, DOCS_HINTS)
    r = policy("check", "--json", path)
    assert r.rc == 0, r
    doc = r.json()
    assert doc["rules"] == 3 and doc["errors"] == 0, doc
    # the hints name the services these ports are registered for: no hint warning
    assert [f["check"] for f in doc["findings"]] == ["ipv6-gap"], doc
    for src, verdict, line, label in (("10.0.0.5", "allow", 2, "Admin"),
                                      ("10.0.0.6", "deny", 3, "Block everything else")):
        r = policy("eval", path, "--proto", "tcp", "--port", "22", "--from", src, "--json")
        assert r.rc == 0, r
        doc = r.json()
        assert doc["verdict"] == verdict, doc
        assert doc["rule"]["line"] == line and doc["rule"]["label"] == label, doc
        assert doc["rule"]["text"] == DOCS_HINTS.splitlines()[line - 1]
    r = policy("eval", path, "--proto", "tcp", "--port", "22", "--from", "10.0.0.5", "--json")
    assert r.json()["rule"]["hint"] == "SSH"
    r = policy("eval", path, "--proto", "tcp", "--port", "80", "--json")
    assert r.json()["verdict"] == "allow" and r.json()["rule"]["label"] == "HTTP"
    # and it compiles: the label is the comment
    r = policy("compile", path)
    assert r.rc == 0 and 'comment "Admin"' in r.out, r


@pytest.mark.parametrize("line,words", [
    ("ALLOW TCP Port 8080 (SSH)", "ssh is 22/tcp; make sure what answers on 8080 is what you mean"),
    ("ALLOW TCP Port 8443, 9443 (https) FROM 198.18.0.0/15, fd00:5c09::/64 (Admin)",
     "https is 443/tcp; make sure what answers on 8443,9443 is what you mean"),
    ("ALLOW UDP Port 5353 (HTTP) (mdns)", "http is 80/udp"),
])
def test_hint_names_another_port(tmp_path, line, words):
    if not os.path.exists("/etc/services"):
        pytest.skip("needs /etc/services")
    path = write(tmp_path, line + "\nDENY ALL\n")
    r = policy("check", "--json", path)
    assert r.rc == 0, r  # a warning
    hits = [f for f in r.json()["findings"] if f["check"] == "hint"]
    assert len(hits) == 1 and hits[0]["line"] == 1 and hits[0]["severity"] == "warning", r
    assert words in hits[0]["message"], hits
    assert policy("check", "--strict", path).rc == 1
    # the port the hint names, or free text, is no warning
    for ok in ("ALLOW TCP Port 22 (SSH)", "ALLOW TCP Port 8080 (Web)",
               "ALLOW TCP Port 20-30 (ssh) FROM 198.18.0.0/15, fd00:5c09::/64",
               "ALLOW TCP PORT 8080 (http-alt)"):
        r = policy("check", "--json", write(tmp_path, ok + "\nDENY ALL\n", "ok.pol"))
        assert r.rc == 0 and not [f for f in r.json()["findings"] if f["check"] == "hint"], r


@pytest.mark.parametrize("text,check", [
    ("", "empty"),
    ("# nothing but comments\n\n", "empty"),
    ("DENY ALL (Block everything else)\n", "no-allow"),
    ("REJECT TCP PORT 22\nDENY ALL\n", "no-allow"),
])
def test_allows_nothing_is_an_error(tmp_path, text, check):
    path = write(tmp_path, text)
    r = policy("check", "--json", path)
    assert r.rc == 1, r
    hits = [f for f in r.json()["findings"] if f["check"] == check]
    assert len(hits) == 1 and hits[0]["severity"] == "error", r
    assert "SSH included" in hits[0]["message"]
    r = policy("check", path)
    assert r.rc == 1 and check in r.out, r


@pytest.mark.parametrize("proto,port,src,verdict,line,label", [
    ("tcp", 22, "10.0.0.5", "allow", 2, "Admin"),
    ("tcp", 22, "10.0.0.6", "deny", 3, "Block everything else"),
    ("tcp", 22, None, "deny", 3, "Block everything else"),
    ("tcp", 80, "2001:db8::1", "allow", 1, "Web"),
    ("udp", 80, "10.0.0.5", "deny", 3, "Block everything else"),
    ("TCP", 443, "10.0.0.5", "deny", 3, "Block everything else"),
])
def test_eval_docs_example(tmp_path, proto, port, src, verdict, line, label):
    path = write(tmp_path, DOCS)
    args = ["eval", path, "--proto", proto, "--port", str(port), "--json"]
    if src:
        args += ["--from", src]
    r = policy(*args)
    assert r.rc == 0, r
    doc = r.json()
    assert doc["verdict"] == verdict
    assert doc["proto"] == proto.lower() and doc["port"] == port and doc["from"] == src
    assert doc["rule"]["line"] == line
    assert doc["rule"]["label"] == label
    assert doc["rule"]["text"] == DOCS.splitlines()[line - 1]
    assert doc["default"] is False


def test_eval_human_and_no_match(tmp_path):
    r = policy("eval", write(tmp_path, DOCS), "--proto", "tcp", "--port", "22",
               "--from", "10.0.0.5", "--no-color")
    assert r.rc == 0, r
    assert "verdict allow" in " ".join(r.out.split())
    assert "line 2: ALLOW TCP Port 22 from 10.0.0.5 (Admin)" in r.out
    assert "Admin" in r.out
    # no rule matches: the chain's policy drops it
    r = policy("eval", write(tmp_path, "ALLOW UDP PORT 53\n", "n.pol"), "--proto", "tcp",
               "--port", "53", "--json")
    assert r.rc == 0, r
    doc = r.json()
    assert doc["verdict"] == "deny" and doc["rule"] is None and doc["default"] is True


@pytest.mark.parametrize("args,words", [
    (["eval", "F", "--port", "22"], ["needs --proto"]),
    (["eval", "F", "--proto", "tcp"], ["needs --port"]),
    (["eval", "F", "--proto", "icmp", "--port", "1"], ["--proto 'icmp'", "tcp or udp"]),
    (["eval", "F", "--proto", "tcp", "--port", "0"], ["--port '0'", "1-65535"]),
    (["eval", "F", "--proto", "tcp", "--port", "22", "--from", "10.0.0.0/8"],
     ["--from '10.0.0.0/8'", "one IPv4 or IPv6 address"]),
    (["check", "--dry-run", "F"], ["'--dry-run' does not apply to 'policy check'"]),
    (["compile", "--json", "F"], ["'--json' does not apply to 'policy compile'"]),
    (["check", "--proto", "tcp", "F"], ["'--proto' does not apply to 'policy check'"]),
    (["frobnicate", "F"], ["unknown subcommand 'frobnicate'"]),
    (["check"], ["check needs a policy FILE"]),
    (["check", "F", "G"], ["unexpected argument 'G'"]),
    (["check", "--bogus", "F"], ["unknown option '--bogus'"]),
    (["check", "/nonexistent/p.pol"], ["cannot open '/nonexistent/p.pol'"]),
    (["check", "/"], ["'/' is a directory"]),
    ([], ["needs a subcommand"]),
    (["eval", "F", "--proto", "tcp", "--port", "22", "--from", "10.0.0.5", "--from",
      "10.0.0.6"], ["--from given twice"]),
])
def test_usage_errors(tmp_path, args, words):
    path = write(tmp_path, DOCS)
    r = policy(*[path if a == "F" else a for a in args])
    assert r.rc == 2, r
    assert r.out == "", r
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("portscope policy: "), r
    for w in words:
        assert w in lines[0], (w, r)


# (line, column, part of the message): each must fail alone with exit 2 and one clear line
MALFORMED = [
    ("PERMIT TCP PORT 80", 1, "expected ALLOW, DENY or REJECT at the start of a rule, found 'PERMIT'"),
    ("ALLOW", 6, "expected TCP, UDP, ANY or ALL after ALLOW, found end of line"),
    ("DENY ICMP", 6, "expected TCP, UDP, ANY or ALL after DENY, found 'ICMP'"),
    ("ALLOW TCP 80", 11, "expected PORT before '80'"),
    ("ALLOW TCP PORT", 15, "expected a port N or range N-M after PORT, found end of line"),
    ("ALLOW TCP PORT 0", 16, "port out of range in '0': ports are 1-65535"),
    ("ALLOW TCP PORT 70000", 16, "port out of range in '70000'"),
    ("ALLOW TCP PORT 90-80", 16, "reversed port range '90-80': write 80-90"),
    ("ALLOW TCP PORT 80,", 19, "expected a port N or range N-M after ',', found end of line"),
    ("ALLOW TCP PORT http", 16, "expected a port N or range N-M (1-65535), found 'http'"),
    ("ALLOW TCP PORT 80 443", 19, "expected ',' between ports, found '443'"),
    ("ALLOW TCP PORT 80 FROM", 23, "expected an address, ADDR/PREFIX or ANY after FROM"),
    ("ALLOW TCP PORT 80 FROM 10.0.0.300", 24, "expected an IPv4 or IPv6 address or ADDR/PREFIX, found '10.0.0.300'"),
    ("ALLOW TCP PORT 80 FROM 10.0.0.5/33", 24, "bad prefix length in '10.0.0.5/33'"),
    ("ALLOW TCP PORT 80 FROM 10.0.0.5/24", 24, "host bits set in '10.0.0.5/24' (the network is 10.0.0.0/24)"),
    ("ALLOW TCP PORT 80 FROM 1.2.3.4 5.6.7.8", 32, "expected ',' between addresses"),
    ("ALLOW TCP PORT 80 FROM ANY, 1.2.3.4", 29, "FROM ANY cannot be part of a list"),
    ("ALLOW TCP FROM 1.2.3.4 PORT 80", 24, "PORT must come before FROM"),
    ("ALLOW PORT 80", 7, "expected TCP, UDP or ANY before PORT"),
    ("ALLOW ALL PORT 80", 11, "ALL takes no PORT"),
    ("DENY ALL ALL", 10, "expected FROM, '(' label or end of line, found 'ALL'"),
    ("ALLOW TCP PORT 80 (Web", 19, "unclosed label: expected ')' before end of line"),
    ("ALLOW TCP PORT 80 ()", 19, "empty label"),
    ("ALLOW TCP PORT 80 (Web) extra", 25, "expected FROM, '(' label or end of line after the service hint, found 'extra'"),
    ("ALLOW TCP PORT 22 (SSH) FROM 10.0.0.5 (Admin) extra", 47, "expected end of line after the label, found 'extra'"),
    ('ALLOW TCP PORT 80 (say "hi")', 24, "a label cannot contain '\"'"),
    ("ALLOW TCP PORT 80 )", 19, "found ')'"),
]


@pytest.mark.parametrize("line,col,msg", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_line(tmp_path, line, col, msg):
    path = write(tmp_path, "# a policy\n" + line + "\nDENY ALL\n")
    for sub in ("check", "compile"):
        r = policy(sub, path)
        assert r.rc == 2, r
        assert r.out == "", r
        lines = r.err.splitlines()
        assert len(lines) == 1, r
        assert lines[0].startswith(f"portscope policy: {path}:2:{col}: "), r
        assert msg in lines[0], r


def test_malformed_lines_all_reported(tmp_path):
    path = write(tmp_path, "\n".join(m[0] for m in MALFORMED) + "\n")
    r = policy("check", "--json", path)
    assert r.rc == 2, r
    doc = r.json()
    assert doc["valid"] is False
    assert doc["syntax_error_count"] == len(MALFORMED)
    errs = doc["syntax_errors"]
    assert len(errs) == 20  # shown; the rest counted
    for e, (_, col, msg) in zip(errs, MALFORMED):
        assert e["column"] == col and msg in e["message"], e
    assert [e["line"] for e in errs] == list(range(1, 21))
    assert f"... and {len(MALFORMED) - 20} more syntax errors" in r.err


def test_stdin(tmp_path):
    r = run([portscope_bin(), "policy", "check", "-"], input="ALLOW TCP PORT 443\nDENY ALL\n")
    assert r.rc == 0, r
    assert "-: 2 rules, 0 errors, 0 warnings, 0 info" in r.out


# ---- lint: each problem in a file made for it ----

LINT_CASES = {
    "no-default": ("ALLOW TCP PORT 443\n", 0, "warning"),
    "unreachable": ("ALLOW TCP PORT 443\nDENY ALL\nALLOW TCP PORT 22\n", 3, "error"),
    "shadowed": ("DENY TCP PORT 1-1024\nALLOW TCP PORT 22\nDENY ALL\n", 2, "error"),
    "overlap": ("ALLOW TCP PORT 8000-8100\nDENY TCP PORT 8050-8200\nDENY ALL\n", 2, "warning"),
    "ipv6-gap": ("ALLOW TCP PORT 22 FROM 198.18.0.5\nDENY ALL\n", 1, "warning"),
    "ipv4-gap": ("ALLOW TCP PORT 22 FROM fd00:5c09::5\nDENY ALL\n", 1, "warning"),
    "high-risk": ("ALLOW TCP PORT 23\nDENY ALL\n", 1, "warning"),
}


@pytest.mark.parametrize("check", sorted(LINT_CASES))
def test_lint_finds(tmp_path, check):
    text, line, severity = LINT_CASES[check]
    path = write(tmp_path, text)
    r = policy("check", "--json", path)
    want_rc = 1 if severity == "error" else 0
    assert r.rc == want_rc, r
    doc = r.json()
    hits = [f for f in doc["findings"] if f["check"] == check]
    assert hits, doc
    assert (hits[0]["line"] or 0) == line and hits[0]["severity"] == severity, hits
    assert doc["pass"] is (want_rc == 0)
    # --strict fails on warnings too
    assert policy("check", "--strict", path).rc == 1
    # the human table names line, severity and check
    r = policy("check", "--no-color", path)
    assert any(check in row and severity in row for row in r.out.splitlines()), r


def test_lint_clean_policy(tmp_path):
    path = write(tmp_path, "ALLOW TCP PORT 443 (Web)\n"
                           "ALLOW TCP PORT 22 FROM 198.18.0.0/15, fd00:5c09::/64 (Admin)\n"
                           "DENY ALL\n")
    r = policy("check", "--strict", path)
    assert r.rc == 0, r
    assert "3 rules, 0 errors, 0 warnings, 0 info" in r.out


# ---- nftables: only inside namespaces ----

COMPILED = {
    "docs": DOCS,
    "rich": """# every construct of the language
allow tcp port 80,443,8000-8100,8050-8200 (Web)
Allow Any Port 53
ALLOW UDP PORT 161 FROM 198.18.0.0/15, fd00:5c09::/64, 198.18.1.0/24, fd00:5c09::5
REJECT TCP PORT 23
REJECT ANY PORT 5000-5010 FROM 198.18.0.7
REJECT UDP PORT 69
allow all from 198.18.0.9 (trusted)
ALLOW TCP PORT 1-65535 FROM ::/0
DENY TCP
DENY UDP PORT 9
REJECT ALL
""",
    "empty": "# nothing\n",
    # every character a label may hold, and the longest label
    "labels": "ALLOW TCP PORT 1 ( !#$%&'*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~ )\n"
              "ALLOW UDP PORT 2 (" + "x" * 128 + ")\n",
    "allow-all": "ALLOW ALL\n",
}
# the lint cases compile too
COMPILED.update({"lint-" + k: v[0] for k, v in LINT_CASES.items()})


@needs_root
@pytest.mark.skipif(not have("nft"), reason="needs nft")
@pytest.mark.parametrize("name", sorted(COMPILED))
def test_nft_accepts_compiled(tmp_path, netns, name):
    path = write(tmp_path, COMPILED[name])
    ns = netns("nftc")
    force = ["--force"] if name == "empty" else []
    for layout in ([], ["--maps"]):
        r = policy("compile", *force, *layout, path)
        assert r.rc == 0, r
        assert "flush ruleset" not in r.out
        if layout:
            assert "set from_" not in r.out and "chain reject_tcp" in r.out, r.out
        nft_file = tmp_path / "out.nft"
        nft_file.write_text(r.out)
        c = ns.run(["nft", "-c", "-f", str(nft_file)])
        assert c.rc == 0, (layout, c)
        # and --no-ping leaves echo requests to the policy
        r = policy("compile", "--no-ping", *force, *layout, path)
        assert r.rc == 0 and "echo-request" not in r.out, r


def test_compile_refuses_a_policy_that_allows_nothing(tmp_path):
    r = policy("compile", write(tmp_path, "# nothing\n"))
    assert r.rc == 1 and r.out == "", r
    assert len(r.err.splitlines()) == 1 and "--force" in r.err, r
    r = policy("compile", "--force", write(tmp_path, "DENY ALL\n"))
    assert r.rc == 0 and "policy drop" in r.out, r


def tables(ns):
    out = ns.run(["nft", "list", "tables"], check=True).out
    return [line.strip() for line in out.splitlines() if line.strip()]


@needs_root
@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_apply_twice_one_table(tmp_path, netns):
    ns = netns("apply")
    # someone else's table (Docker's, say) must survive
    ns.run(["nft", "add", "table", "inet", "other"], check=True)
    ns.run(["nft", "add", "chain", "inet", "other", "c"], check=True)
    path = write(tmp_path, COMPILED["rich"])

    r = ns.portscope("policy", "apply", "--dry-run", path)
    assert r.rc == 0, r
    assert "dry run" in r.out
    assert tables(ns) == ["table inet other"]

    for _ in range(2):
        r = ns.portscope("policy", "apply", path)
        assert r.rc == 0, r
        assert "table inet portscope loaded" in r.out
    assert sorted(tables(ns)) == ["table inet other", "table inet portscope"]
    listing = ns.run(["nft", "list", "table", "inet", "portscope"], check=True).out
    assert listing.count("chain input") == 1
    assert listing.count('comment "trusted"') == 1
    assert "policy drop" in listing

    # a new policy replaces the old table's content
    r = ns.portscope("policy", "apply", write(tmp_path, DOCS, "docs.pol"))
    assert r.rc == 0, r
    listing = ns.run(["nft", "list", "table", "inet", "portscope"], check=True).out
    assert 'comment "trusted"' not in listing and 'comment "Admin"' in listing
    assert sorted(tables(ns)) == ["table inet other", "table inet portscope"]
    assert "chain c" in ns.run(["nft", "list", "table", "inet", "other"], check=True).out


@needs_root
def test_apply_needs_privilege(tmp_path, netns):
    if not have("setpriv"):
        pytest.skip("needs setpriv")
    ns = netns("noroot")
    # the policy comes on stdin: the test's temporary directory is private to root
    r = ns.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", portscope_bin(), "policy", "apply",
                "-"], input=DOCS)
    assert r.rc == 3, r
    assert r.out == ""
    assert "needs root (CAP_NET_ADMIN)" in r.err, r
    assert len(r.err.splitlines()) == 1, r
    assert tables(ns) == []


# ---- acceptance: the docs' example applied, seen from two scanner namespaces ----

LISTEN = r"""
import selectors, socket, sys, time
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("READY", flush=True)
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    for key, _ in sel.select(timeout=1):
        c, _ = key.fileobj.accept()
        c.close()
"""

LISTEN_PORTS = [22, 80, 443, 8080]
SCAN_PORTS = "1-100,443,8080"


def nmap_states(ns, target, six=False):
    """{port: state} for every port of SCAN_PORTS, from nmap -sT run inside ns."""
    argv = ["nmap", "-sT", "-Pn", "-n", "-T4", "--max-retries", "1",
            "--host-timeout", "120s", "-p", SCAN_PORTS, "-oX", "-", target]
    if six:
        argv.insert(1, "-6")
    r = ns.run(argv, timeout=180)
    assert r.rc == 0, r
    root = ET.fromstring(r.out)
    host = root.find("host")
    assert host is not None, r.out
    states = {}
    for p in host.iter("port"):
        states[int(p.get("portid"))] = p.find("state").get("state")
    wanted = set(range(1, 101)) | {443, 8080}
    extra = host.find("ports").findall("extraports")
    rest = wanted - set(states)
    # nmap folds the many same-state ports into extraports: there must be one kind
    if rest:
        assert len(extra) == 1, r.out
        assert int(extra[0].get("count")) == len(rest), r.out
        for port in rest:
            states[port] = extra[0].get("state")
    assert set(states) == wanted
    return states


@needs_root
@pytest.mark.skipif(not have("nmap") or not have("nft"), reason="needs nmap and nft")
def test_docs_policy_applied_in_lab(tmp_path, netns):
    target, admin, other = netns("tgt"), netns("adm"), netns("oth")
    link_veth(target, admin, TARGET_A4, ADMIN4)
    link_veth(target, other, TARGET_B4, OTHER4)
    link_veth(target, admin, TARGET_A6, ADMIN6, prefix=112)
    link_veth(target, other, TARGET_B6, OTHER6, prefix=112)
    p = target.popen(["python3", "-u", "-c", LISTEN] + [str(x) for x in LISTEN_PORTS],
                     text=True)
    assert p.stdout.readline().strip() == "READY", p.stderr.read()
    for port in LISTEN_PORTS:
        target.wait_port("tcp", port)

    # before the policy: every listener is open to both
    before = nmap_states(other, TARGET_B4)
    assert {p for p, s in before.items() if s == "open"} == set(LISTEN_PORTS) & set(before)

    path = lab_policy(tmp_path)
    r = target.portscope("policy", "apply", path)
    assert r.rc == 0, r
    r = target.portscope("policy", "apply", path)  # twice: still one table
    assert r.rc == 0, r
    assert tables(target) == ["table inet portscope"]

    for six, addr_a, addr_b in ((False, TARGET_A4, TARGET_B4), (True, TARGET_A6, TARGET_B6)):
        seen_admin = nmap_states(admin, addr_a, six)
        seen_other = nmap_states(other, addr_b, six)
        fam = "IPv6" if six else "IPv4"
        assert seen_admin[22] == "open" and seen_admin[80] == "open", (fam, seen_admin)
        assert seen_other[80] == "open", (fam, seen_other)
        assert seen_other[22] == "filtered", (fam, seen_other)
        for port in set(seen_admin) - {22, 80}:
            assert seen_admin[port] == "filtered", (fam, port, seen_admin[port])
            assert seen_other[port] == "filtered", (fam, port, seen_other[port])

        # eval agrees with what the scanners saw
        for scanner, seen in ((ADMIN6 if six else ADMIN4, seen_admin),
                              (OTHER6 if six else OTHER4, seen_other)):
            for port in (22, 80, 443, 8080):
                e = policy("eval", path, "--proto", "tcp", "--port", str(port), "--from",
                           scanner, "--json")
                assert e.rc == 0, e
                want = "open" if e.json()["verdict"] == "allow" else "filtered"
                assert seen[port] == want, (fam, scanner, port, e.out)

    # the loopback stays open inside the target (iif lo accept)
    lo = target.run(["nmap", "-sT", "-Pn", "-n", "-p", "8080", "-oG", "-", "127.0.0.1"],
                    timeout=60)
    assert "8080/open/tcp" in lo.out, lo


# ---- the kernel agrees with eval: every verdict and protocol, IPv4 and IPv6 ----

PROBE = r"""
import json, socket, sys, threading
host, fam = sys.argv[1], socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
res = {}
def probe(proto, port):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.settimeout(1.5)
    try:
        s.connect((host, port))
        if proto == "udp":
            s.send(b"ping")
            s.recv(64)
        state = "open"
    except ConnectionRefusedError:
        state = "closed"
    except (socket.timeout, TimeoutError):
        state = "filtered"
    finally:
        s.close()
    res[f"{port}/{proto}"] = state
threads = [threading.Thread(target=probe, args=(a.split("/")[1], int(a.split("/")[0])))
           for a in sys.argv[2:]]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(res))
"""

SERVE = r"""
import selectors, socket, sys, time
sel = selectors.DefaultSelector()
for arg in sys.argv[1:]:
    port, proto = arg.split("/")
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(port)))
    if proto == "tcp":
        s.listen(64)
    sel.register(s, selectors.EVENT_READ, proto)
print("READY", flush=True)
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    for key, _ in sel.select(timeout=1):
        if key.data == "tcp":
            c, _ = key.fileobj.accept()
            c.close()
        else:
            data, peer = key.fileobj.recvfrom(64)
            key.fileobj.sendto(data, peer)
"""

RICH = """REJECT TCP PORT 81 (rejected)
ALLOW TCP PORT 80-90 FROM {scan4}, {scan6} (scanner only)
ALLOW TCP PORT 8000-8010,8080
DENY TCP PORT 8005 (shadowed by the line above)
ALLOW ANY PORT 53
REJECT UDP PORT 9999
ALLOW UDP PORT 7000 FROM 198.18.200.0/24
ALLOW TCP PORT 79 FROM 198.18.3.0/24, fd00:5c09::3:0/112 (the scanner's network)
DENY TCP PORT 82 FROM 198.18.0.0/16, fd00:5c09::/64 (after the scanner's own rule)
DENY ALL
"""

SERVED = ["53/tcp", "53/udp", "80/tcp", "81/tcp", "82/tcp", "8005/tcp", "8080/tcp",
          "7000/tcp", "7000/udp", "9999/udp", "5000/udp"]
PROBED = SERVED + ["85/tcp", "8009/tcp", "8081/tcp", "79/tcp", "5001/udp"]


@needs_root
@pytest.mark.skipif(not have("nft"), reason="needs nft")
@pytest.mark.parametrize("layout", ["rules", "maps"])
def test_kernel_agrees_with_eval(tmp_path, netns, layout):
    target, scanner = netns("tgt"), netns("scn")
    scan4, scan6, tgt4, tgt6 = "198.18.3.2", "fd00:5c09::3:2", "198.18.3.1", "fd00:5c09::3:1"
    link_veth(target, scanner, tgt4, scan4)
    link_veth(target, scanner, tgt6, scan6, prefix=112)
    p = target.popen(["python3", "-u", "-c", SERVE] + SERVED, text=True)
    assert p.stdout.readline().strip() == "READY", p.stderr.read()
    path = write(tmp_path, RICH.format(scan4=scan4, scan6=scan6), "rich.pol")
    r = target.portscope("policy", "apply", *(["--maps"] if layout == "maps" else []), path)
    assert r.rc == 0, r
    assert ("vmap" in target.run(["nft", "list", "ruleset"]).out) == (layout == "maps")

    for dst, src in ((tgt4, scan4), (tgt6, scan6)):
        seen = json.loads(scanner.run(["python3", "-c", PROBE, dst] + PROBED,
                                      timeout=60, check=True).out)
        for key in PROBED:
            port, proto = key.split("/")
            e = policy("eval", path, "--proto", proto, "--port", port, "--from", src, "--json")
            assert e.rc == 0, e
            verdict = e.json()["verdict"]
            if verdict == "allow":
                want = "open" if key in SERVED else "closed"
            elif verdict == "reject":
                want = "closed"
            else:
                want = "filtered"
            assert seen[key] == want, (dst, key, verdict, seen)
    # the cases this test exists for
    assert seen["81/tcp"] == "closed" and seen["9999/udp"] == "closed"  # REJECT
    assert seen["8005/tcp"] == "open"  # first match wins
    assert seen["7000/udp"] == "filtered" and seen["5000/udp"] == "filtered"
    assert seen["53/udp"] == "open" and seen["53/tcp"] == "open"
    assert seen["79/tcp"] == "closed" and seen["82/tcp"] == "open"  # nested FROM prefixes


# ---- listening: this namespace's listeners and the rule that decides each ----

LISTENERS = r"""
import socket, sys, time
socks = []
def tcp(fam, addr, port, v6only=None):
    s = socket.socket(fam, socket.SOCK_STREAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port)); s.listen(8); socks.append(s)
tcp(socket.AF_INET6, "::", 80, 0)           # dual stack
tcp(socket.AF_INET, "0.0.0.0", 22)
tcp(socket.AF_INET, "127.0.0.1", 5000)      # loopback
tcp(socket.AF_INET6, "::1", 6000)           # loopback
tcp(socket.AF_INET, "198.18.5.1", 8080)     # one address
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 53)); socks.append(u)
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(("0.0.0.0", 40053))
c.connect(("198.18.5.1", 9)); socks.append(c)  # a connected UDP client: no listener
print("READY", flush=True)
time.sleep(300)
"""


@needs_root
def test_listening(tmp_path, netns):
    ns = netns("lst")
    ns.sh("ip addr add 198.18.5.1/32 dev lo")
    p = ns.popen(["python3", "-u", "-c", LISTENERS], text=True)
    assert p.stdout.readline().strip() == "READY", p.stderr.read()
    path = write(tmp_path, DOCS.replace("10.0.0.5", "198.18.1.2"))

    r = ns.portscope("policy", "listening", "--json", path)
    assert r.rc == 0, r
    recs = r.jsonl()
    # firewall_disagrees: the live ruleset (issue 14) does what the policy says
    assert recs[-1] == {"type": "summary", "listeners": 6, "exposed": 1,
                        "firewall_disagrees": 0}, recs[-1]
    got = {(x["proto"], x["port"]): x for x in recs[:-1]}
    assert set(got) == {("tcp", 22), ("tcp", 80), ("tcp", 5000), ("tcp", 6000),
                        ("tcp", 8080), ("udp", 53)}, got
    for x in got.values():
        assert x["type"] == "listener"
        assert x["pid"] == p.pid and x["process"] == "python3", x

    web = got[("tcp", 80)]
    assert web["address"] == "::" and web["dual_stack"] is True
    assert web["exposure"] == "all-interfaces"
    assert web["verdict"] == "allow" and web["exposed"] is True
    assert web["rule"] == {"line": 1, "text": "ALLOW TCP Port 80 (Web)", "label": "Web",
                           "hint": "Web"}

    ssh = got[("tcp", 22)]
    assert ssh["verdict"] == "deny" and ssh["exposed"] is False
    assert ssh["rule"]["line"] == 3
    assert [a["label"] for a in ssh["allowed_from"]] == ["Admin"]

    for key in (("tcp", 5000), ("tcp", 6000)):
        lo = got[key]
        assert lo["exposure"] == "loopback" and lo["verdict"] == "loopback", lo
        assert lo["rule"] is None and lo["exposed"] is False

    addr = got[("tcp", 8080)]
    assert addr["exposure"] == "address" and addr["address"] == "198.18.5.1"
    assert addr["verdict"] == "deny" and addr["rule"]["line"] == 3

    dns = got[("udp", 53)]
    assert dns["verdict"] == "deny" and dns["allowed_from"] == []

    # the table flags the exposed listener; --strict fails on it
    r = ns.portscope("policy", "listening", "--no-color", path)
    assert r.rc == 0, r
    rows = [row for row in r.out.splitlines() if "EXPOSED" in row]
    assert len(rows) == 1 and "[::]:80" in rows[0] and "python3(%d)" % p.pid in rows[0], r
    assert "6 listeners, 1 exposed to everyone" in r.out
    assert ns.portscope("policy", "listening", "--strict", path).rc == 1
    strict = write(tmp_path, "DENY ALL\n", "deny.pol")
    r = ns.portscope("policy", "listening", "--strict", "--no-process", "--json", strict)
    assert r.rc == 0, r
    assert all(x.get("pid") is None for x in r.jsonl()[:-1])
    assert r.jsonl()[-1]["exposed"] == 0


# ---- verify: scan, and compare what answers with what the policy allows ----

def verify(ns, path, target, *extra):
    r = ns.portscope("policy", "verify", "--json", "-p", "22,80,443,8080,9000", *extra, path,
                     target, timeout=120)
    recs = r.jsonl()
    assert recs and recs[-1]["type"] == "summary", r
    return r.rc, {x["port"]: x for x in recs[:-1]}, recs[-1]["results"]


@needs_root
@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_verify_in_lab(tmp_path, netns):
    target, admin, other = netns("tgt"), netns("adm"), netns("oth")
    link_veth(target, admin, TARGET_A4, ADMIN4)
    link_veth(target, other, TARGET_B4, OTHER4)
    link_veth(target, admin, TARGET_A6, ADMIN6, prefix=112)
    link_veth(target, other, TARGET_B6, OTHER6, prefix=112)
    p = target.popen(["python3", "-u", "-c", LISTEN, "22", "80", "443", "8080"], text=True)
    assert p.stdout.readline().strip() == "READY", p.stderr.read()
    path = lab_policy(tmp_path)
    r = target.portscope("policy", "apply", path)
    assert r.rc == 0, r

    for six, addr_a, addr_b, src_a, src_b in (
            (False, TARGET_A4, TARGET_B4, ADMIN4, OTHER4),
            (True, TARGET_A6, TARGET_B6, ADMIN6, OTHER6)):
        fam = "IPv6" if six else "IPv4"
        rc, seen, res = verify(admin, path, addr_a)
        assert rc == 0 and res["violation"] == 0, (fam, seen)
        assert seen[22]["from"] == src_a
        assert (seen[22]["state"], seen[22]["verdict"], seen[22]["result"]) == \
            ("open", "allow", "ok"), (fam, seen[22])
        assert seen[22]["rule"]["label"] == "Admin"
        assert (seen[80]["state"], seen[80]["result"]) == ("open", "ok"), (fam, seen[80])
        for port in (443, 8080, 9000):
            assert (seen[port]["state"], seen[port]["verdict"], seen[port]["result"]) == \
                ("filtered", "deny", "ok"), (fam, seen[port])

        rc, seen, res = verify(other, path, addr_b)
        assert rc == 0 and res["violation"] == 0, (fam, seen)
        assert seen[22]["from"] == src_b
        assert (seen[22]["state"], seen[22]["verdict"], seen[22]["result"]) == \
            ("filtered", "deny", "ok"), (fam, seen[22])
        assert (seen[80]["state"], seen[80]["verdict"]) == ("open", "allow"), (fam, seen[80])

    # a listener on a port the policy denies
    late = target.popen(["python3", "-u", "-c", LISTEN, "9000"], text=True)
    assert late.stdout.readline().strip() == "READY", late.stderr.read()
    for six, addr in ((False, TARGET_B4), (True, TARGET_B6)):
        fam = "IPv6" if six else "IPv4"
        # from inside the target: it answers over the loopback, and the live ruleset
        # (issue 14) says what the outside meets: the policy's own drop
        rc, seen, res = verify(target, path, addr)
        assert rc == 0, (fam, seen)
        assert (seen[9000]["state"], seen[9000]["verdict"], seen[9000]["result"]) == \
            ("open", "deny", "ok"), (fam, seen[9000])
        assert seen[9000]["firewall"]["result"] == "dropped", seen[9000]
        assert "inet portscope input" in seen[9000]["firewall"]["verdict"], seen[9000]
        # from outside: filtered, as the policy says
        rc, seen, res = verify(other, path, addr)
        assert rc == 0 and res["violation"] == 0, (fam, seen)
        assert (seen[9000]["state"], seen[9000]["result"]) == ("filtered", "ok"), (fam, seen)

    # judged as another source (--from-address), the admin's reach is a violation
    rc, seen, res = verify(admin, path, TARGET_A4, "--from-address", OTHER4)
    assert rc == 1, seen
    assert seen[22]["result"] == "violation" and res["violation"] == 1

    # without the policy loaded, the denied ports answer: violations
    target.run(["nft", "delete", "table", "inet", "portscope"], check=True)
    rc, seen, res = verify(other, path, TARGET_B4)
    assert rc == 1, seen
    assert {p for p, x in seen.items() if x["result"] == "violation"} == {22, 443, 8080, 9000}

    # the human output lists what matters and counts the rest
    r = other.portscope("policy", "verify", "--no-color", "-p", "22,80,81", path, TARGET_B4)
    assert r.rc == 1, r
    assert f"{TARGET_B4} from {OTHER4}:" in r.out
    assert any("22/tcp" in row and "violation" in row for row in r.out.splitlines()), r
    assert "3 violations" not in r.out and "1 violation," in r.out, r


@pytest.mark.parametrize("args,words", [
    (["verify", "F"], ["verify needs a TARGET after FILE"]),
    (["verify", "F", "198.18.0.1", "x"], ["unexpected argument 'x' after TARGET"]),
    (["verify", "-p", "T:,U:", "F", "198.18.0.1"], ["-p:"]),
    (["verify", "-p", "70000", "F", "198.18.0.1"], ["-p:"]),
    (["verify", "-T9", "F", "198.18.0.1"], ["-T9: expected a timing template 0-5"]),
    (["verify", "--from-address", "nope", "F", "198.18.0.1"],
     ["--from-address 'nope'"]),
    (["verify", "F", "198.18.0.300"], ["TARGET:"]),
    (["eval", "-p", "22", "F"], ["'-p' does not apply to 'policy eval'"]),
])
def test_verify_usage_errors(tmp_path, args, words):
    path = write(tmp_path, DOCS)
    r = policy(*[path if a == "F" else a for a in args])
    assert r.rc == 2, r
    assert r.out == "", r
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("portscope policy: "), r
    for w in words:
        assert w in lines[0], (w, r)


# A UDP service that answers every datagram (as DNS does) on each port given.
UDP_ECHO = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for p in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", p))
    sel.register(s, selectors.EVENT_READ)
print("READY", flush=True)
while True:
    for k, _ in sel.select():
        data, peer = k.fileobj.recvfrom(2048)
        k.fileobj.sendto(b"pong", peer)
"""


@needs_root
@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_verify_udp(tmp_path, netns):
    """UDP rules are verified with a raw UDP scan: an allowed service answers (ok), an
    allowed port with nothing behind it answers ICMP (closed), a denied port is silent under
    the applied policy (ok) and answers without it (violation, answered)."""
    target, other = netns("tgu"), netns("otu")
    link_veth(target, other, TARGET_B4, OTHER4)
    target.sh("sysctl -qw net.ipv4.icmp_ratelimit=0")
    svc = target.popen(["python3", "-u", "-c", UDP_ECHO, "5353", "6000"], text=True)
    assert svc.stdout.readline().strip() == "READY", svc.stderr.read()
    path = write(tmp_path, "ALLOW UDP Port 5353, 5354 (mDNS)\nALLOW TCP Port 80 (Web)\n"
                 "DENY ALL\n", "udp.pol")
    r = target.portscope("policy", "apply", path)
    assert r.rc == 0, r

    r = other.portscope("policy", "verify", "--json", "-p", "T:80,U:5353,5354,6000,6001", path,
                        TARGET_B4, timeout=120)
    recs = r.jsonl()
    assert r.rc == 0 and recs[-1]["type"] == "summary", r
    udp = {x["port"]: x for x in recs[:-1] if x["proto"] == "udp"}
    assert set(udp) == {5353, 5354, 6000, 6001}, udp
    assert (udp[5353]["state"], udp[5353]["verdict"], udp[5353]["result"]) == \
        ("open", "allow", "ok"), udp[5353]
    assert (udp[5354]["state"], udp[5354]["result"]) == ("closed", "closed"), udp[5354]
    for port in (6000, 6001):
        assert (udp[port]["state"], udp[port]["verdict"], udp[port]["result"]) == \
            ("open|filtered", "deny", "ok"), udp[port]
    assert [x["port"] for x in recs[:-1] if x["proto"] == "tcp"] == [80]

    # Without the policy loaded, the denied service answers: a violation; the closed one an
    # ICMP error where the policy drops.
    target.run(["nft", "delete", "table", "inet", "portscope"], check=True)
    r = other.portscope("policy", "verify", "--json", "-p", "U:5353,6000,6001", path,
                        TARGET_B4, timeout=120)
    assert r.rc == 1, r
    udp = {x["port"]: x for x in r.jsonl()[:-1]}
    assert udp[6000]["result"] == "violation" and udp[6001]["result"] == "answered", udp
    r = other.portscope("policy", "verify", "--no-color", "-p", "U:6000", path, TARGET_B4)
    assert r.rc == 1 and any("6000/udp" in row and "violation" in row
                             for row in r.out.splitlines()), r
    # an unprivileged user verifies TCP only, with a note
    if have("setpriv"):
        import tempfile
        with tempfile.NamedTemporaryFile("w", dir="/tmp", suffix=".pol") as f:
            f.write(open(path).read())
            f.flush()
            os.chmod(f.name, 0o644)
            r = other.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "--inh-caps=-all", "--bounding-set=-all", portscope_bin(),
                           "policy", "verify", "--json", "-p", "T:80,U:6000", f.name,
                           TARGET_B4])
        assert r.rc == 0 and "note:" in r.err and "UDP" in r.err, r
        assert [x["proto"] for x in r.jsonl()[:-1]] == ["tcp"]
