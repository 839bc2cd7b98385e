"""The fleet view (issue 19): `history --hosts` and `diff --host`, on real audits.

The lab: two target machines, web-1 (198.18.0.2) and web-2 (198.18.2.2), each in
its own network namespace and, for its own audits, its own UTS namespace (its
name), and a scanner namespace joined to both. web-1 listens on 2222 (open),
8081 on 127.0.0.1 only, and 9000 behind an nft drop rule; web-2 on 2222. Between
the audits a Redis look-alike answering PING without AUTH starts on web-1:6379.

  run 1  scanner-1 audits 198.18.0.2 and 198.18.2.2   (remote)
  run 2  web-1 audits itself                            (local)
  run 3  web-2 audits itself                            (local)
         Redis starts on web-1
  run 4  scanner-2 audits 198.18.0.2                    (remote)
  run 5  web-1 audits itself                            (local)

Every count `history --hosts` shows is checked against the audit's own --json
(its endpoints and findings of that host) and against the numbers the lab makes;
the same scenario runs against SQLite and against a PostgreSQL server of the
test session's own.
"""
import collections
import json

import pytest

from conftest import is_root, link_veth, portscope_bin, run
from test_audit import start_listener, start_scripted
from test_report import audit_as

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces")

WEB1, SCN1 = "198.18.0.2", "198.18.0.1"
WEB2, SCN2 = "198.18.2.2", "198.18.2.1"
PLAIN, LOCAL_ONLY, BLOCKED, REDIS = 2222, 8081, 9000, 6379
PORTS = f"T:{PLAIN},{LOCAL_ONLY},{BLOCKED},{REDIS}"


@pytest.fixture
def fleet(netns):
    web1, web2, scn = netns("fh1"), netns("fh2"), netns("fhs")
    link_veth(scn, web1, SCN1, WEB1)
    link_veth(scn, web2, SCN2, WEB2)
    start_listener(web1, "0.0.0.0", PLAIN)
    start_listener(web1, "127.0.0.1", LOCAL_ONLY)
    start_listener(web1, "0.0.0.0", BLOCKED)
    web1.run(["nft", "-f", "-"], check=True, input=(
        "table inet lab {\n chain input {\n"
        "  type filter hook input priority 0; policy accept;\n"
        f"  tcp dport {BLOCKED} drop\n }}\n}}\n"))
    start_listener(web2, "0.0.0.0", PLAIN)
    return web1, web2, scn


def audit_doc(ns, name, db, *targets):
    args = ["--json", "--db", db] + (["-p", PORTS, *targets] if targets else [])
    return json.loads(audit_as(ns, name, *args).out)


def counts_of(doc, address=None):
    """What --hosts should say of one host from the audit's --json: its endpoints by
    exposure and its findings by severity (a remote audit: those of address)."""
    eps = [e for e in doc["endpoints"] if address is None or e["address"] == address]
    fs = [f for f in doc["findings"] if address is None or f["address"] == address]
    exp = collections.Counter(e["exposure"] for e in eps)
    sev = collections.Counter(f["severity"] for f in fs)
    return {"endpoints": len(eps),
            "exposure": {k: exp[k] for k in ("reachable", "loopback-only", "blocked")},
            "findings": {k: sev[k] for k in ("high", "medium", "low", "info")}}


def scenario(fleet, db):
    """Runs the five audits of the module's docstring into db; returns their --json."""
    web1, web2, scn = fleet
    docs = [audit_doc(scn, "scanner-1", db, WEB1, WEB2),
            audit_doc(web1, "web-1", db),
            audit_doc(web2, "web-2", db)]
    start_scripted(web1, "tcp", REDIS, b"", b"+PONG\r\n")
    docs.append(audit_doc(scn, "scanner-2", db, WEB1))
    docs.append(audit_doc(web1, "web-1", db))
    return docs


def hosts_json(db):
    r = run([portscope_bin(), "history", "--hosts", "--json", "--db", db])
    assert r.rc == 0 and r.err == "", r
    recs = r.jsonl()
    assert recs[-1] == {"type": "summary", "hosts": len(recs) - 1}, recs
    return recs[:-1]


def diff_host(db, *args):
    return run([portscope_bin(), "diff", "--no-color", "--db", db, "--host", *args])


def check_fleet(docs, db):
    hosts = hosts_json(db)
    # Own audits first, by name; then the remote targets, by address.
    assert [(h["host"], h["local"], h["run"], h["scanner"], h["runs"]) for h in hosts] == [
        ("web-1", True, 5, "web-1", 2),
        ("web-2", True, 3, "web-2", 1),
        (WEB1, False, 4, "scanner-2", 2),
        (WEB2, False, 1, "scanner-1", 1),
    ]
    by = {h["host"]: h for h in hosts}
    # Each host's counts are those of its newest audit's --json.
    for host, doc, address in (("web-1", docs[4], None), ("web-2", docs[2], None),
                               (WEB1, docs[3], WEB1), (WEB2, docs[0], WEB2)):
        got = {k: by[host][k] for k in ("endpoints", "exposure", "findings")}
        assert got == counts_of(doc, address), (host, by[host])
        assert by[host]["up"] is True
    # And what the lab makes: web-1 listens on 2222, 9000 (dropped), 127.0.0.1:8081, 6379.
    assert by["web-1"]["open"] == 4 and by["web-1"]["exposure"] == {
        "reachable": 2, "loopback-only": 1, "blocked": 1}
    assert by["web-1"]["findings"]["high"] >= 1  # redis-noauth
    assert by["web-2"]["open"] == 1 and by["web-2"]["exposure"]["reachable"] == 1
    assert by["web-2"]["findings"]["high"] == 0
    # From outside: 2222 and 6379 open on web-1 (9000 dropped, 8081 on loopback).
    assert by[WEB1]["open"] == 2 and by[WEB1]["exposure"]["reachable"] == 2
    assert by[WEB1]["address"] == WEB1 and by["web-1"]["address"] is None
    assert by[WEB1]["findings"]["high"] >= 1
    assert by[WEB2]["open"] == 1 and by[WEB2]["findings"]["high"] == 0

    # --limit N: the first N hosts.
    r = run([portscope_bin(), "history", "--hosts", "--limit", "2", "--json", "--db", db])
    assert [x.get("host") for x in r.jsonl()] == ["web-1", "web-2", None], r
    # The table says the same, one line per host.
    r = run([portscope_bin(), "history", "--hosts", "--no-color", "--db", db])
    assert r.rc == 0 and r.err == "", r
    lines = r.out.splitlines()
    assert lines[0].split() == ["HOST", "RUN", "AUDITED", "SCANNER", "OPEN", "REACHABLE",
                                "LOOPBACK", "BLOCKED", "HIGH", "FINDINGS"]
    assert len(lines) == 5
    row = lines[3].split()  # 198.18.0.2 4 DATE TIME scanner-2 2 2 0 0 HIGH ALL
    assert row[:2] == [WEB1, "4"] and row[4:9] == ["scanner-2", "2", "2", "0", "0"], lines
    assert row[9:] == [str(by[WEB1]["findings"]["high"]), str(sum(by[WEB1]["findings"].values()))]
    assert lines[1].split()[:4] == ["web-1", "(own", "audit)", "5"], lines
    return by


def check_diff(db):
    # 198.18.0.2 across two scanners and two target lists: run 1 -> run 4.
    r = diff_host(db, WEB1, "--json")
    assert r.rc == 1, r
    recs = r.jsonl()
    assert [(x["id"], x["role"]) for x in recs if x["type"] == "run"] == [(1, "old"), (4, "new")]
    changes = [x for x in recs if x["type"] == "change"]
    assert {x["address"] for x in changes} == {WEB1}  # nothing of 198.18.2.2
    assert [(x["change"], x["port"], x["old_state"], x["new_state"])
            for x in changes if x["change"] == "port"] == [("port", REDIS, "closed", "open")]
    assert [(x["change"], x["check"], x["port"]) for x in changes
            if x["change"].startswith("finding")] == [("finding-new", "redis-noauth", REDIS)]
    assert len(changes) == 2, changes
    assert recs[-1] == {"type": "summary", "old": 1, "new": 4, "changes": 2, "host": WEB1}
    text = diff_host(db, WEB1)
    assert text.rc == 1, text
    assert text.out.splitlines()[0].startswith("--- run 1 ")
    assert f"+ {WEB1}  {REDIS}/tcp  closed -> open" in text.out
    assert "finding new: [high] redis-noauth" in text.out
    assert not [x for x in text.out.splitlines()[2:] if WEB2 in x], text.out
    assert text.out.endswith("\n2 changes\n")
    # The same runs named: the same changes; run 4 alone: its predecessor for the host is 1.
    assert diff_host(db, WEB1, "1", "4").out == text.out
    assert diff_host(db, WEB1, "4").out == text.out
    # web-1's own audits, whole: run 2 -> run 5, Redis's socket opened, its finding new.
    r = diff_host(db, "web-1", "--json")
    assert r.rc == 1, r
    recs = r.jsonl()
    assert [x["id"] for x in recs if x["type"] == "run"] == [2, 5]
    changes = [x for x in recs if x["type"] == "change"]
    assert [(x["change"], x["address"], x["port"], x["old_exposure"], x["new_exposure"])
            for x in changes if x["change"].startswith("endpoint")] == [
        ("endpoint-opened", "0.0.0.0", REDIS, None, "reachable")]
    assert [(x["change"], x["check"], x["port"]) for x in changes
            if x["change"].startswith("finding")] == [("finding-new", "redis-noauth", REDIS)]
    assert len(changes) == 2, changes
    text = diff_host(db, "web-1").out
    assert f"+ 0.0.0.0  {REDIS}/tcp  listening, reachable" in text, text
    assert text.endswith("\n2 changes\n"), text
    assert diff_host(db, "web-1", "2", "5").out == text
    # Endpoint changes are an own audit's: runs named that are not web-1's own have none.
    r = diff_host(db, "web-1", "--json", "1", "4")
    assert not [x for x in r.jsonl() if x["change" if x["type"] == "change" else "type"]
                .startswith("endpoint")], r
    # web-2 and 198.18.2.2 have one audit each: nothing to compare (exit 2, as diff's).
    for host in ("web-2", WEB2):
        r = diff_host(db, host)
        assert r.rc == 2 and "no earlier complete run" in r.err, r
    r = diff_host(db, "198.18.9.9")
    assert r.rc == 2 and "no complete run in the history covers 198.18.9.9" in r.err, r


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_fleet_hosts_and_diff(fleet, backend, request, tmp_path):
    """history --hosts: each host's newest audit with its counts; diff --host: exactly the
    change made on that host between its audits, across scanners."""
    db = str(tmp_path / "h.db") if backend == "sqlite" else request.getfixturevalue("pg_db")
    docs = scenario(fleet, db)
    check_fleet(docs, db)
    check_diff(db)


def test_fleet_hosts_errors(tmp_path):
    db = str(tmp_path / "none.db")
    r = run([portscope_bin(), "history", "--hosts", "--target", "x", "--db", db])
    assert r.rc == 2 and "--target and --hosts" in r.err, r
    # An empty default history is an empty fleet, not an error.
    r = run([portscope_bin(), "history", "--hosts"], env={"XDG_STATE_HOME": str(tmp_path)})
    assert r.rc == 0 and r.out == "no audits recorded\n", r
    r = run([portscope_bin(), "diff", "--host", "", "--db", db])
    assert r.rc == 2, r
