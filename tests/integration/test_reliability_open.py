"""Open ports are never folded into a count (issue 12, item 1), in lab namespaces.

nmap hides the commonest state other than open when more than 25 ports share
it; open ports are always listed. One loopback namespace holds N listeners
(26, 100, 1,000) beside a few or 30 closed ports: every scan output format,
the history rows, `show` in every format and `diff` must list all N open ports.
"""
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

import schemas
from conftest import needs_root, portscope_bin, run
from test_scan_connect import start_listeners

pytestmark = needs_root

SSH_BANNER = "SSH-2.0-OpenSSH_9.2p1 Debian-2"


def normal_open(text):
    return {int(m.group(1)) for m in re.finditer(r"^(\d+)/tcp\s+open\b", text, re.M)}


def xml_open(text):
    root = ET.fromstring(text)
    found = {int(p.get("portid")) for p in root.iter("port")
             if p.find("state").get("state") == "open"}
    extra = [(e.get("state"), int(e.get("count"))) for e in root.iter("extraports")]
    return found, extra


def grep_open(text):
    found, ignored = set(), []
    for line in text.splitlines():
        if "\tPorts: " in line:
            for entry in line.split("\tPorts: ", 1)[1].split("\t", 1)[0].split(", "):
                f = entry.split("/")
                if len(f) > 2 and f[1] == "open":
                    found.add(int(f[0]))
        ignored += re.findall(r"Ignored State: (\S+)", line)
    return found, ignored


def jsonl_open(records):
    found = {r["port"] for r in records if r["type"] == "port" and r["state"] == "open"}
    hidden = [n["state"] for r in records if r["type"] == "host" for n in r["not_shown"]]
    return found, hidden


def check_all_formats(outs, want, closed):
    """outs: {'normal': text, 'xml': text, 'grepable': text, 'jsonl': [records]}.

    want: the open ports; closed: how many closed ports (hidden when over 25)."""
    hidden = closed > 25
    assert normal_open(outs["normal"]) == want
    assert re.findall(r"Not shown: .*", outs["normal"]) == \
        ([f"Not shown: {closed} closed tcp ports (conn-refused)"] if hidden else [])
    found, extra = xml_open(outs["xml"])
    assert found == want and extra == ([("closed", closed)] if hidden else []), extra
    found, ignored = grep_open(outs["grepable"])
    assert found == want and ignored == (["closed"] if hidden else []), ignored
    found, not_shown = jsonl_open(outs["jsonl"])
    assert found == want and not_shown == (["closed"] if hidden else []), not_shown


def show(db, run_id, flag):
    r = run([portscope_bin(), "show", "--db", str(db), "--no-color", str(run_id), flag])
    assert r.rc == 0, r
    return r


# Open is the commonest state in each case; with 30 closed ports those are hidden.
@pytest.mark.parametrize("n,closed", [(26, 5), (100, 30), (1000, 30)])
def test_many_open_ports_listed_everywhere(netns, tmp_path, n, closed):
    ns = netns("op")
    first = 20000
    last_open = first + n - 1
    ports = f"{first}-{last_open + closed}"
    start_listeners(ns, range(first, last_open + 1))
    want = set(range(first, last_open + 1))
    db, base = tmp_path / "h.db", tmp_path / "scan"
    r = ns.portscope("scan", "-sT", "-p", ports, "127.0.0.1", "--db", str(db), "--no-color",
                     "-oA", str(base))
    assert r.rc == 0, r
    assert normal_open(r.out) == want
    read = lambda ext: (base.parent / (base.name + ext)).read_text()
    check_all_formats({"normal": read(".nmap"), "xml": read(".xml"),
                       "grepable": read(".gnmap"),
                       "jsonl": schemas.check_text("scan", read(".jsonl"))}, want, closed)
    # The history keeps a row per open port, and every format of show lists them.
    con = sqlite3.connect(db)
    rows = con.execute("SELECT port FROM ports WHERE run = 1 AND state = 1").fetchall()
    assert {p for (p,) in rows} == want
    con.close()
    r = run([portscope_bin(), "history", "--db", str(db), "--json"])
    assert r.rc == 0 and r.jsonl()[0]["open"] == n, r
    check_all_formats({"normal": show(db, 1, "-oN").out, "xml": show(db, 1, "-oX").out,
                       "grepable": show(db, 1, "-oG").out,
                       "jsonl": show(db, 1, "-oJ").jsonl()}, want, closed)


def test_many_open_versions_and_diff(netns, tmp_path):
    """26 SSH banners with -sV: every version in the output and the history; diff sees one close."""
    ns = netns("ov")
    first, n = 21000, 26
    db = tmp_path / "h.db"
    listeners = start_listeners(ns, range(first, first + n), SSH_BANNER)
    extra = start_listeners(ns, [first + n + 5])
    ports = f"{first}-{first + n + 9}"
    r = ns.portscope("scan", "-sT", "-sV", "-p", ports, "127.0.0.1", "--db", str(db),
                     "--no-color", timeout=180)
    assert r.rc == 0, r
    lines = [l for l in r.out.splitlines() if re.match(r"\d+/tcp\s+open", l)]
    assert len(lines) == n + 1, r.out
    assert sum("OpenSSH 9.2p1" in l for l in lines) == n, r.out
    con = sqlite3.connect(db)
    got = con.execute("SELECT count(*) FROM ports WHERE run = 1 AND state = 1"
                      " AND product = 'OpenSSH' AND version LIKE '9.2p1%'").fetchone()[0]
    con.close()
    assert got == n
    extra.kill()
    extra.wait()
    r = ns.portscope("scan", "-sT", "-sV", "-p", ports, "127.0.0.1", "--db", str(db),
                     timeout=180)
    assert r.rc == 0, r
    r = run([portscope_bin(), "diff", "--db", str(db), "--json"])
    assert r.rc == 1, r
    changes = [x for x in r.jsonl() if x["type"] == "change"]
    assert [(c["port"], c["old_state"], c["new_state"]) for c in changes] == \
        [(first + n + 5, "open", "closed")], changes
    listeners.kill()
