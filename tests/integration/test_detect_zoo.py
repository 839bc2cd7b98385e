"""Issue 16's acceptance zoo: 30+ real Debian daemons (tests/integration/zoo.py), each on its
default port and on a random unusual port, named by `portscope scan -sV` (TCP) and
`-sU -sV` (UDP) as nmap -sV names them, and named where nmap names nothing.

The zoo starts once per test session. The expected facts (daemon -> name, product) are data
in zoo_facts.json, so the sanitizer builds check portscope against them without running nmap;
the plain build also runs nmap -sV side by side (skipping the listeners where nmap names
nothing: those cost it minutes and are checked against the facts).
"""
import os
import threading

import pytest

from conftest import have, needs_root, portscope_bin

import zoo

SANITIZED = os.environ.get("PORTSCOPE_SANITIZE", "none") != "none"
MIN_DAEMONS = 30


@pytest.fixture(scope="session")
def zoo_lab():
    """The zoo, portscope's answers (TCP, UDP) and, in the plain build, nmap's.

    portscope scans first and nmap after it, never both at once: fork-per-connection daemons
    (smbd) fall behind when two scanners probe them together.
    """
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces and daemons")
    z = zoo.start(tag="zoo", timeout=60)
    try:
        z.facts = zoo.facts()
        z.ours = {p: zoo.portscope_sv(z, portscope_bin(), p)[0] for p in ("tcp", "udp")}
        if SANITIZED:
            second_look(z)
        z.reasons = dict(zoo.REASONS)
        z.nmap = {}
        if not SANITIZED and have("nmap"):
            threads = [threading.Thread(target=nmap_run, args=(z, p)) for p in ("tcp", "udp")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=900)
        yield z
    finally:
        z.close()


def second_look(z):
    """Sanitizer builds run several times slower: a listener the whole-zoo scan did not name as
    zoo_facts.json says (its 20 s budget spent, a busy server's slots full) is scanned once more
    with its daemon's other listeners only."""
    def as_facts(l):
        name, product, _ = z.ours[l.proto].get((l.addr, l.port), ("", "", ""))
        fact = z.facts[l.fact]
        return name == fact["name"] and (not fact["product"] or product == fact["product"])

    for proto in ("tcp", "udp"):
        missed = {l.daemon for l in z.listeners if l.proto == proto and not as_facts(l)}
        for daemon in sorted(missed):
            sub = zoo.Zoo.__new__(zoo.Zoo)
            sub.__dict__.update(z.__dict__)
            sub.listeners = [l for l in z.listeners if l.daemon == daemon and l.proto == proto]
            z.ours[proto].update(zoo.portscope_sv(sub, portscope_bin(), proto)[0])


def nmap_run(z, proto):
    """nmap -sV on the listeners where it names something (the others: zoo_facts.json)."""
    sub = zoo.Zoo.__new__(zoo.Zoo)
    sub.__dict__.update(z.__dict__)
    sub.listeners = [l for l in z.listeners
                     if l.proto == proto and z.facts[l.fact].get("nmap_names", True)]
    try:
        z.nmap[proto] = zoo.nmap_sv(sub, proto)[0]
    except Exception as e:  # reported by the test that needs it
        z.nmap[proto] = e


def check(z, proto):
    ours = z.ours[proto]
    theirs = z.nmap.get(proto)
    if isinstance(theirs, Exception):
        raise theirs
    bad = []
    for l in (l for l in z.listeners if l.proto == proto):
        fact = z.facts[l.fact]
        name, product, version = ours.get((l.addr, l.port), ("missing", "", ""))
        if not name:
            bad.append(f"{l}: portscope names nothing ({z.reasons.get((l.addr, l.port))})")
            continue
        if name != fact["name"] or (fact["product"] and product != fact["product"]):
            bad.append(f"{l}: portscope {name!r} {product!r}, expected {fact['name']!r} "
                       f"{fact['product']!r}")
        if theirs is None or (l.addr, l.port) not in theirs or "quirk" in fact:
            continue
        nname, nproduct, _ = theirs[(l.addr, l.port)]
        if nname and (nname != name or (nproduct and nproduct != product)):
            bad.append(f"{l}: nmap {nname!r} {nproduct!r}, portscope {name!r} {product!r}")
        if nname and (nname != fact["name"] or nproduct != fact["product"]):
            bad.append(f"{l}: nmap {nname!r} {nproduct!r} no longer as zoo_facts.json says")
    return bad


@needs_root
def test_zoo_has_thirty_daemons_on_default_and_unusual_ports(zoo_lab):
    z = zoo_lab
    assert not z.failed, "daemons that did not start: " + "; ".join(
        f"{n}: {e.strip()[-300:]}" for n, e in z.failed)
    kinds = {}
    for l in z.listeners:
        kinds.setdefault(l.daemon, set()).add(l.kind)
        assert l.fact in z.facts, l
    both = [d for d, k in kinds.items() if k == {"default", "unusual"}]
    assert len(both) >= MIN_DAEMONS, (sorted(both), z.missing)


@needs_root
def test_zoo_tcp_named_as_nmap_names_them(zoo_lab):
    bad = check(zoo_lab, "tcp")
    assert not bad, "\n".join(bad)


@needs_root
def test_zoo_udp_named_as_nmap_names_them(zoo_lab):
    """-sU -sV: DNS (four servers), NTP and SNMP, open|filtered ports that answer become open."""
    bad = check(zoo_lab, "udp")
    assert not bad, "\n".join(bad)
