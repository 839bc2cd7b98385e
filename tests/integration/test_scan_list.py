"""portscope scan -sL: target and port syntax, listing without sending anything.

-sL sends no packet, so these tests need no namespace; they still resolve no
real names (literal lab addresses, or 'localhost' from /etc/hosts).
"""
import ipaddress
import re

import pytest

from conftest import have, needs_root, portscope_bin, run

REPORT = "portscope scan report for "
DONE = re.compile(r"^portscope done: (\d+) IP address(es)? \(0 hosts up\) scanned in "
                  r"\d+\.\d\d seconds$")


def scan(*args, **kw):
    return run([portscope_bin(), "scan"] + list(args), **kw)


def listed(r):
    """The hosts of a -sL run, in order, after checking the frame lines."""
    assert r.rc == 0, r
    assert r.err == ""
    lines = r.out.splitlines()
    assert lines[0].startswith("Starting portscope ")
    m = DONE.match(lines[-1])
    assert m, lines[-1]
    hosts = []
    for line in lines[1:-1]:
        assert line.startswith(REPORT), line
        hosts.append(line[len(REPORT):])
    assert int(m.group(1)) == len(hosts)
    return hosts


def v4_range(first, last):
    a, b = int(ipaddress.IPv4Address(first)), int(ipaddress.IPv4Address(last))
    return [str(ipaddress.IPv4Address(i)) for i in range(a, b + 1)]


def test_cidr():
    assert listed(scan("-sL", "198.18.0.0/30")) == v4_range("198.18.0.0", "198.18.0.3")


def test_cidr_base_not_aligned():
    assert listed(scan("-sL", "198.18.0.77/29")) == v4_range("198.18.0.72", "198.18.0.79")


def test_one_address_is_singular():
    r = scan("-sL", "198.18.0.2")
    assert listed(r) == ["198.18.0.2"]
    assert "portscope done: 1 IP address (0 hosts up)" in r.out


def test_octet_ranges():
    hosts = listed(scan("-sL", "198.18.0-3.1-2"))
    assert hosts == [f"198.18.{a}.{b}" for a in range(4) for b in (1, 2)]
    hosts = listed(scan("-sL", "198.18.1,3.*"))
    assert hosts == v4_range("198.18.1.0", "198.18.1.255") + v4_range("198.18.3.0", "198.18.3.255")


def test_last_octet_range_and_duplicates():
    hosts = listed(scan("-sL", "198.18.0.1-20", "198.18.0.5", "198.18.0.15-25"))
    assert hosts == v4_range("198.18.0.1", "198.18.0.25")


def test_exclude_list():
    hosts = listed(scan("-sL", "198.18.0.0/28", "--exclude", "198.18.0.0,198.18.0.8/30,198.18.0.15"))
    want = [h for h in v4_range("198.18.0.0", "198.18.0.15")
            if h not in ("198.18.0.0", "198.18.0.15") and not h.startswith("198.18.0.8")
            and h not in ("198.18.0.9", "198.18.0.10", "198.18.0.11")]
    assert hosts == want
    assert len(hosts) == 10


def test_exclude_single_dash_and_equals():
    a = listed(scan("-sL", "198.18.0.0/30", "-exclude", "198.18.0.1"))
    b = listed(scan("-sL", "198.18.0.0/30", "--exclude=198.18.0.1"))
    assert a == b == ["198.18.0.0", "198.18.0.2", "198.18.0.3"]


def test_input_list_file_and_excludefile(tmp_path):
    targets = tmp_path / "targets.txt"
    targets.write_text("# lab targets\n"
                       "198.18.0.1 198.18.0.2\t198.18.0.3   # three on a line\n"
                       "\n"
                       "198.18.1.0/30\n")
    excl = tmp_path / "exclude.txt"
    excl.write_text("198.18.0.2 # not this one\n198.18.1.3\n")
    hosts = listed(scan("-sL", "-iL", str(targets), "--excludefile", str(excl)))
    assert hosts == ["198.18.0.1", "198.18.0.3", "198.18.1.0", "198.18.1.1", "198.18.1.2"]


def test_input_list_stdin():
    hosts = listed(scan("-sL", "-iL", "-", "198.18.5.5",
                        input="198.18.0.9\n# comment\n198.18.0.8\n"))
    assert hosts == ["198.18.0.8", "198.18.0.9", "198.18.5.5"]


def test_input_list_error_names_file_and_line(tmp_path):
    targets = tmp_path / "bad.txt"
    targets.write_text("198.18.0.1\n\n198.18.0.2 198.18.0.999\n")
    r = scan("-sL", "-iL", str(targets))
    assert r.rc == 2 and r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 1
    assert f"{targets}:3:" in lines[0] and "198.18.0.999" in lines[0]


def test_json_lines():
    r = scan("-sL", "--json", "198.18.0.0/31", "198.18.0.9")
    assert r.rc == 0 and r.err == ""
    recs = r.jsonl()
    assert recs[:-1] == [{"type": "target", "address": h, "hostname": None, "family": "ipv4"}
                         for h in ("198.18.0.0", "198.18.0.1", "198.18.0.9")]
    assert recs[-1]["type"] == "summary"
    assert recs[-1]["hosts"] == {"total": 3, "up": 0, "down": 3, "timedout": 0}


def test_ipv6():
    hosts = listed(scan("-sL", "-6", "fd00:5c09::/126", "--exclude", "fd00:5c09::2"))
    assert hosts == ["fd00:5c09::", "fd00:5c09::1", "fd00:5c09::3"]


def test_localhost_from_hosts_file():
    r = scan("-sL", "localhost")
    if r.rc != 0:
        pytest.skip(f"localhost does not resolve here: {r.err.strip()}")
    # As nmap: the name the target was given by, then its address.
    assert "localhost (127.0.0.1)" in listed(r)
    # As in nmap, -n only turns off reverse look-ups: names still resolve.
    assert "localhost (127.0.0.1)" in listed(scan("-sL", "-n", "localhost"))


def test_seed_permutes_deterministically():
    plain = listed(scan("-sL", "198.18.0.0/24"))
    a = listed(scan("-sL", "198.18.0.0/24", "--seed", "1"))
    b = listed(scan("-sL", "198.18.0.0/24", "--seed", "1"))
    c = listed(scan("-sL", "198.18.0.0/24", "--seed=2"))
    assert a == b
    assert a != c and a != plain
    assert sorted(a, key=ipaddress.ip_address) == plain
    assert sorted(c, key=ipaddress.ip_address) == plain


def test_randomize_hosts_keeps_membership():
    plain = listed(scan("-sL", "198.18.0.0/24"))
    r = listed(scan("-sL", "198.18.0.0/24", "--randomize-hosts"))
    assert len(r) == len(set(r)) == 256
    assert set(r) == set(plain)


def test_sixteen_bits_count():
    r = scan("-sL", "198.18.0.0/16", "--exclude", "198.18.255.0/24")
    assert r.rc == 0
    lines = r.out.splitlines()
    assert len(lines) == 65536 - 256 + 2
    assert lines[1] == REPORT + "198.18.0.0"
    assert lines[-2] == REPORT + "198.18.254.255"


def test_ports_are_checked_in_list_mode():
    assert listed(scan("-sL", "-p", "22,80,T:443,U:53", "198.18.0.1")) == ["198.18.0.1"]
    assert listed(scan("-sL", "-p-", "198.18.0.1")) == ["198.18.0.1"]
    assert listed(scan("-sL", "-p22", "198.18.0.1")) == ["198.18.0.1"]


@pytest.mark.skipif(not have("nmap"), reason="nmap is not installed")
@needs_root
def test_same_targets_as_nmap():
    """nmap -sL -n sends nothing and resolves nothing: compare membership.

    It still runs in a fresh empty network namespace (LAB.md: nothing from the
    root namespace)."""
    spec = ["198.18.0-3.1-20", "198.18.7.0/28", "--exclude", "198.18.1.0/24,198.18.7.3"]
    ours = listed(scan("-sL", *spec))
    r = run(["unshare", "--net", "nmap", "-sL", "-n"] + spec)
    assert r.rc == 0, r
    theirs = [line.split()[-1] for line in r.out.splitlines()
              if line.startswith("Nmap scan report for ")]
    assert len(ours) == 3 * 20 + 15
    assert sorted(ours, key=ipaddress.ip_address) == sorted(theirs, key=ipaddress.ip_address)


BAD = [
    (["-sL", "198.18.0.0/33"], "198.18.0.0/33"),
    (["-sL", "198.18.0.256"], "198.18.0.256"),
    (["-sL", "198.18.0.1-300"], "198.18.0.1-300"),
    (["-sL", "198.18.0.5-2"], "5-2"),
    (["-sL", "1.2.3"], "1.2.3"),
    (["-sL", "198.18.*.*.*"], "198.18.*.*.*"),
    (["-sL", "198.18.0.0/"], "198.18.0.0/"),
    (["-sL", "/24"], "/24"),
    (["-sL", ""], "empty target"),
    (["-sL", "-"], "'-'"),
    (["-sL", "bad name!"], "bad name!"),
    (["-sL", "fd00:5c09::1"], "fd00:5c09::1"),
    (["-sL", "-6", "fd00:5c09::/129"], "/129"),
    (["-sL", "-6", "fd00:5c09::/64"], "fd00:5c09::/64"),
    (["-sL", "-6", "::g"], "::g"),
    (["-sL", "-p", "70000", "198.18.0.1"], "70000"),
    (["-sL", "-p", "80-22", "198.18.0.1"], "80-22"),
    (["-sL", "-p", "22,,80", "198.18.0.1"], "22,,80"),
    (["-sL", "-pX:22", "198.18.0.1"], "X:"),
    (["-sL", "-p", "T:U:", "198.18.0.1"], "T:U:"),
    (["-sL", "198.18.0.1", "--exclude", "198.18.0.1,,198.18.0.2"], "198.18.0.1,,198.18.0.2"),
    (["-sL", "198.18.0.1", "--seed", "abc"], "abc"),
    (["-sL", "198.18.0.1", "--frobnicate"], "--frobnicate"),
    (["-sQ", "198.18.0.1"], "-sQ"),
    (["-sL"], "no targets"),
    (["-sL", "-iL", "/nonexistent/targets"], "/nonexistent/targets"),
    (["-sL", "-sT", "198.18.0.1"], "-sL"),
]


@pytest.mark.parametrize("args,names", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2(args, names):
    r = scan(*args)
    assert r.rc == 2, r
    assert r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("portscope scan: ")
    assert names in lines[0]


def test_help():
    r = scan("--help")
    assert r.rc == 0
    assert "usage: portscope scan" in r.out and "-iL FILE" in r.out
    r = run([portscope_bin(), "--help"])
    assert "scan" in r.out
