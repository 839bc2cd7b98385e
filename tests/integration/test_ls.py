"""portscope ls against ss, in namespaces the tests make (see LAB.md)."""
import json
import os
import re
import socket
import subprocess

import pytest

from conftest import have, needs_root, portscope_bin, run

pytestmark = [needs_root, pytest.mark.skipif(not have("ss"), reason="needs ss (iproute2)")]

# Listeners of every kind, forked once (both processes hold them), then one
# established connection made by the parent only.
HELPER = r"""
import os, socket, time
t4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t4.bind(("127.0.0.1", 8080)); t4.listen()
t6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
t6.bind(("::", 2222)); t6.listen()
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.bind(("0.0.0.0", 5353))
if os.fork() == 0:
    time.sleep(600)
    os._exit(0)
c = socket.create_connection(("127.0.0.1", 8080))
s, _ = t4.accept()
print("READY", flush=True)
time.sleep(600)
"""

SS_STATES = {"estab": "established", "unconn": "unconn"}


def split_ep(ep):
    """ss's "127.0.0.1:22", "[::1]:22", "*:22", "0.0.0.0:*" → (address, port)."""
    host, port = ep.rsplit(":", 1)
    host = host.split("%", 1)[0].strip("[]")
    if host == "*":
        host = "::"
    return host, 0 if port == "*" else int(port)


def ss_rows(ns, flags):
    """Rows of `ss FLAGS -H` in ns as (proto, state, local, peer, pids)."""
    out = ns.run(["ss", flags + "pH"], check=True).out
    rows = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 6:
            continue
        state = SS_STATES.get(f[1].lower(), f[1].lower())
        if state == "unconn" and f[0] == "tcp":
            state = "close"
        pids = tuple(sorted(int(p) for p in re.findall(r"pid=(\d+)", line)))
        rows.add((f[0], state, split_ep(f[4]), split_ep(f[5]), pids))
    return rows


def ps_rows(records):
    return {(r["proto"], r["state"], (r["address"], r["port"]),
             (r["peer_address"], r["peer_port"]),
             tuple(sorted(p["pid"] for p in (r["processes"] or []))))
            for r in records}


@pytest.fixture
def lab(netns):
    ns = netns("ls")
    helper = ns.spawn_python(HELPER)
    return ns, helper


def sockets(r):
    """The socket records of ls --json (checked against schema/), without the summary."""
    recs = r.jsonl()
    assert recs[-1] == {"type": "summary", "sockets": len(recs) - 1}
    return recs[:-1]


def by_port(records):
    return {(r["proto"], r["port"], r["state"]): r for r in records}


def test_default_matches_ss_listening(lab):
    ns, helper = lab
    r = ns.portscope("ls", "--json")
    assert r.rc == 0, r
    recs = sockets(r)
    assert ps_rows(recs) == ss_rows(ns, "-tuln")
    assert len(recs) == 3
    for rec in recs:
        assert rec["netns"] == ns.name
        assert rec["process"] == "python3"
        assert rec["user"] == "root" and rec["uid"] == 0
        assert rec["inode"] > 0
        assert len(rec["processes"]) == 2 and rec["pid"] == rec["processes"][0]["pid"]
        assert helper.pid in [p["pid"] for p in rec["processes"]]


def test_all_matches_ss(lab):
    ns, helper = lab
    r = ns.portscope("ls", "-a", "--json")
    assert r.rc == 0, r
    recs = sockets(r)
    assert ps_rows(recs) == ss_rows(ns, "-tuan")
    est = [x for x in recs if x["state"] == "established"]
    assert len(est) == 2
    # Made after the fork: one process each.
    assert all(len(x["processes"]) == 1 for x in est)
    assert {x["port"] for x in est} >= {8080}


def test_exposure_and_dual_stack(lab):
    ns, _ = lab
    recs = by_port(sockets(ns.portscope("ls", "--json", check=True)))
    v4 = recs[("tcp", 8080, "listen")]
    assert v4["exposure"] == "loopback" and v4["dual_stack"] is False
    assert v4["address"] == "127.0.0.1" and v4["family"] == "ipv4"
    v6 = recs[("tcp", 2222, "listen")]
    assert v6["address"] == "::" and v6["family"] == "ipv6"
    assert v6["exposure"] == "all-interfaces" and v6["dual_stack"] is True
    udp = recs[("udp", 5353, "unconn")]
    assert udp["exposure"] == "all-interfaces" and udp["dual_stack"] is False
    assert udp["peer_address"] == "0.0.0.0" and udp["peer_port"] == 0


def test_service_names(lab):
    ns, _ = lab
    try:
        want = socket.getservbyport(8080, "tcp")
    except OSError:
        want = None
    recs = by_port(sockets(ns.portscope("ls", "--json", check=True)))
    assert recs[("tcp", 8080, "listen")]["service"]["name"] == want
    assert recs[("tcp", 8080, "listen")]["service"]["method"] == "table"
    numeric = by_port(sockets(ns.portscope("ls", "-n", "--json", check=True)))
    assert all(x["service"] is None for x in numeric.values())


def test_table(lab):
    ns, _ = lab
    r = ns.portscope("ls", "-a")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["PROTO", "STATE", "LOCAL", "PEER", "PROCESS", "USER",
                                "SERVICE", "EXPOSURE"]
    assert "\033[" not in r.out  # not a TTY: no colour
    assert len(lines) == 1 + 5
    row = next(x for x in lines if "[::]:2222" in x)
    assert "(v4+v6)" in row and "python3(" in row
    # Both pids of the forked listener, grouped under one name.
    assert re.search(r"python3\(\d+,\d+\)", row)
    assert any("127.0.0.1:8080" in x and "loopback" in x for x in lines)
    r = ns.portscope("ls", "--no-process", "-n")
    assert r.rc == 0
    assert r.out.splitlines()[0].split() == ["PROTO", "STATE", "LOCAL", "PEER", "USER",
                                             "EXPOSURE"]


def test_no_process(lab):
    ns, _ = lab
    recs = sockets(ns.portscope("ls", "--no-process", "--json", check=True))
    assert len(recs) == 3
    assert all(x["pid"] is None and x["processes"] is None for x in recs)


@pytest.mark.parametrize("args,want", [
    (["-t"], {("tcp", 8080), ("tcp", 2222)}),
    (["-u"], {("udp", 5353)}),
    (["-4"], {("tcp", 8080), ("udp", 5353)}),
    (["-6"], {("tcp", 2222)}),
    (["-t", "-4"], {("tcp", 8080)}),
    (["--port", "5353"], {("udp", 5353)}),
    (["-a", "--port", "2222"], {("tcp", 2222)}),
    (["--state", "listen"], {("tcp", 8080), ("tcp", 2222)}),
    (["--state", "established", "--port", "8080"], "established"),
    (["--state", "time-wait"], set()),
])
def test_filters(lab, args, want):
    ns, _ = lab
    recs = sockets(ns.portscope("ls", "--json", *args, check=True))
    if want == "established":
        assert len(recs) == 2
        assert all(x["state"] == "established" for x in recs)
        assert sorted(8080 in (x["port"], x["peer_port"]) for x in recs) == [True, True]
        assert 8080 in {x["port"] for x in recs}
    else:
        assert {(x["proto"], x["port"]) for x in recs} == want


def test_port_filter_matches_either_end(lab):
    ns, _ = lab
    recs = sockets(ns.portscope("ls", "-a", "--port", "8080", "--json", check=True))
    assert sorted(x["state"] for x in recs) == ["established", "established", "listen"]


def test_netns_by_name_from_root(lab):
    ns, helper = lab
    r = run([portscope_bin(), "ls", "--netns", ns.name, "--json"])
    assert r.rc == 0, r
    recs = sockets(r)
    assert ps_rows(recs) == ss_rows(ns, "-tuln")
    assert {x["netns"] for x in recs} == {ns.name}
    # The table names the namespace in its first column.
    r = run([portscope_bin(), "ls", "--netns", ns.name])
    assert r.rc == 0 and r.out.splitlines()[0].split()[0] == "NETNS"
    assert all(line.split()[0] == ns.name for line in r.out.splitlines()[1:])


def test_netns_all(netns):
    a = netns("lsa")
    b = netns("lsb")
    a.spawn_python("import socket,time\ns=socket.socket(); s.bind(('127.0.0.1', 47001)); "
                   "s.listen(); print('READY', flush=True); time.sleep(600)")
    b.spawn_python("import socket,time\ns=socket.socket(socket.AF_INET6); "
                   "s.bind(('::1', 47002)); s.listen(); print('READY', flush=True); "
                   "time.sleep(600)")
    r = run([portscope_bin(), "ls", "--netns", "all", "-t", "--json"])
    assert r.rc == 0, r
    recs = sockets(r)
    mine = {(x["netns"], x["port"]) for x in recs if x["netns"] in (a.name, b.name)}
    assert mine == {(a.name, 47001), (b.name, 47002)}
    # Each namespace once, even when several processes live in it.
    assert len([x for x in recs if x["port"] == 47001]) == 1
    got = next(x for x in recs if x["port"] == 47002)
    assert got["process"] == "python3" and got["exposure"] == "loopback"
    # Also from inside a namespace: the others are reachable through /run/netns.
    r = a.portscope("ls", "--netns", "all", "-t", "--json")
    assert r.rc == 0, r
    assert (b.name, 47002) in {(x["netns"], x["port"]) for x in sockets(r)}


@pytest.mark.parametrize("args,word", [
    (["--port", "70000"], "70000"),
    (["--port", "0"], "--port"),
    (["--port", "http"], "http"),
    (["--state", "bogus"], "bogus"),
    (["--netns", "nosuchns-ps"], "nosuchns-ps"),
    (["--netns", "../etc"], "../etc"),
    (["--frob"], "--frob"),
    (["-z"], "-z"),
    (["extra"], "extra"),
    (["--port"], "--port"),
])
def test_bad_usage(args, word):
    r = run([portscope_bin(), "ls"] + args)
    assert r.rc == 2, r
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and lines[0].startswith("portscope ls: ")


def test_help():
    r = run([portscope_bin(), "ls", "--help"])
    assert r.rc == 0 and "usage: portscope ls" in r.out and "--netns" in r.out
    r = run([portscope_bin(), "help", "ls"])
    assert r.rc == 0 and "usage: portscope ls" in r.out


@pytest.mark.skipif(not have("setpriv"), reason="needs setpriv (util-linux)")
def test_unprivileged_shows_socket_without_process(lab):
    ns, _ = lab
    r = ns.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                portscope_bin(), "ls", "--json"])
    assert r.rc == 0, r
    recs = sockets(r)
    assert ps_rows([dict(x, processes=[]) for x in recs]) == \
        {(p, s, l, e, ()) for (p, s, l, e, _) in ss_rows(ns, "-tuln")}
    assert all(x["pid"] is None and x["process"] is None and x["processes"] == [] for x in recs)
    assert {x["user"] for x in recs} == {"root"}
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert re.fullmatch(r"portscope ls: 3 sockets owned by processes of other users are shown "
                        r"without a process \(run as root to see them\)", lines[0])
    # Entering another namespace needs privileges: a runtime error, exit 3.
    r = ns.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                portscope_bin(), "ls", "--netns", ns.name])
    assert r.rc == 3, r
    assert len(r.err.strip().splitlines()) == 1 and ns.name in r.err


@pytest.mark.skipif(not have("prlimit"), reason="needs prlimit (util-linux)")
def test_few_descriptors_same_result(lab):
    """With fewer descriptors than processes, the scan stops keeping every fd
    directory open and builds paths instead: the result must not change."""
    ns, _ = lab
    want = sockets(ns.portscope("ls", "-a", "--json", check=True))
    r = ns.run(["prlimit", "--nofile=24", portscope_bin(), "ls", "-a", "--json"])
    assert r.rc == 0, r
    assert ps_rows(sockets(r)) == ps_rows(want)
    assert all(x["processes"] for x in sockets(r))
