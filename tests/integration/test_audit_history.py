"""portscope audit in the history: history lists audits, show prints one with its
findings, diff reports the findings new or fixed between two audits.

Every run passes --db with a file in the test's tmp_path. The lab: a target
namespace with a plain listener and, between two audits, a Redis look-alike
answering PING without AUTH (scripted as in test_audit.py).
"""

import pytest

from conftest import is_root, link_veth, portscope_bin, run
from test_audit import SCN, TGT, start_listener, start_scripted

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces")

PLAIN, REDIS = 2222, 6379
PORTS = f"T:{PLAIN},{REDIS}"


def lines(r):
    """The JSON Lines of a portscope result, checked against schema/."""
    return r.jsonl()


def history(db):
    r = run([portscope_bin(), "history", "--db", str(db), "--json"])
    assert r.rc == 0, r
    return [x for x in r.jsonl() if x["type"] == "run"]


def diff(db, *args):
    return run([portscope_bin(), "diff", "--db", str(db), *args])


def start_redis_lookalike(ns):
    start_scripted(ns, "tcp", REDIS, b"", b"+PONG\r\n")


@pytest.fixture
def lab(netns):
    tgt, scn = netns("ahtgt"), netns("ahscn")
    link_veth(scn, tgt, SCN, TGT)
    start_listener(tgt, "0.0.0.0", PLAIN)
    return tgt, scn


def remote_audit(scn, db, rc=0):
    r = scn.portscope("audit", "--json", "-p", PORTS, TGT, "--db", str(db), timeout=60)
    assert r.rc == rc and r.err == "", r
    return r.json()


def test_diff_reports_the_new_finding_and_port(lab, tmp_path):
    tgt, scn = lab
    db = tmp_path / "h.db"
    first = remote_audit(scn, db)
    assert first["findings"] == []
    start_redis_lookalike(tgt)
    second = remote_audit(scn, db)
    assert {f["check"] for f in second["findings"]} == {"redis-noauth"}

    r = diff(db, "--json")
    assert r.rc == 1, r
    recs = lines(r)
    changes = [c for c in recs if c["type"] == "change"]
    assert [(c["change"], c["address"], c["port"]) for c in changes] == [
        ("port", TGT, REDIS), ("finding-new", TGT, REDIS)], changes
    assert changes[0]["old_state"] == "closed" and changes[0]["new_state"] == "open"
    assert changes[1]["check"] == "redis-noauth" and changes[1]["severity"] == "high"
    assert recs[-1] == {"type": "summary", "old": 1, "new": 2, "changes": 2, "host": None}

    # The human diff names the finding too.
    r = diff(db, "--no-color", "1", "2")
    assert r.rc == 1 and "finding new: [high] redis-noauth" in r.out, r

    # The same lab again: nothing changed.
    remote_audit(scn, db)
    r = diff(db)
    assert r.rc == 0 and "0 changes" in r.out, r

    # Redis gone: the finding is fixed (run 3 -> 4).
    redis = tgt.procs[-1]
    redis.kill()
    redis.wait()
    fourth = remote_audit(scn, db)
    assert fourth["findings"] == []
    r = diff(db, "--json")
    assert r.rc == 1, r
    kinds = {(c["change"], c.get("check")) for c in lines(r) if c["type"] == "change"}
    assert kinds == {("port", None), ("finding-fixed", "redis-noauth")}, r.out

    runs = history(db)
    assert [x["id"] for x in runs] == [4, 3, 2, 1]
    assert {x["kind"] for x in runs} == {"audit"}
    assert all(x["status"] == "complete" and x["targets"] == TGT for x in runs)
    assert [x["findings"] for x in runs] == [0, 1, 1, 0]
    assert runs[3]["command"].startswith("portscope audit --json -p")


def test_show_prints_the_findings(lab, tmp_path):
    tgt, scn = lab
    db = tmp_path / "h.db"
    start_redis_lookalike(tgt)
    doc = remote_audit(scn, db)
    [live] = [f for f in doc["findings"] if f["check"] == "redis-noauth"]

    r = run([portscope_bin(), "show", "--db", str(db), "1"])
    assert r.rc == 0, r
    assert f"{REDIS}/tcp" in r.out and "open" in r.out
    assert "FINDINGS" in r.out and "redis-noauth" in r.out and f"{TGT}:{REDIS}/tcp" in r.out
    assert live["evidence"] in r.out and live["title"] in r.out

    r = run([portscope_bin(), "show", "--db", str(db), "last", "-oJ"])
    assert r.rc == 0, r
    recs = lines(r)
    found = [x for x in recs if x["type"] == "finding"]
    assert found == [{"type": "finding", "check": "redis-noauth", "severity": "high",
                      "title": live["title"], "evidence": live["evidence"],
                      "address": TGT, "proto": "tcp", "port": REDIS}]
    ports = {x["port"]: x["state"] for x in recs if x["type"] == "port"}
    assert ports[REDIS] == "open" and ports[PLAIN] == "open"


def test_local_audits_diff(lab, tmp_path):
    """The machine's own audit: the finding sits at the socket's bind address."""
    tgt, _ = lab
    db = tmp_path / "h.db"
    r = tgt.portscope("audit", "--json", "--db", str(db), timeout=60)
    assert r.rc == 0 and r.json()["findings"] == [], r
    start_redis_lookalike(tgt)
    r = tgt.portscope("audit", "--json", "--db", str(db), timeout=60)
    assert r.rc == 0 and "redis-noauth" in {f["check"] for f in r.json()["findings"]}, r
    r = diff(db, "--json")
    assert r.rc == 1, r
    changes = [c for c in lines(r) if c["type"] == "change"]
    assert [(c["change"], c["address"], c["port"], c["check"]) for c in changes] == [
        ("finding-new", "0.0.0.0", REDIS, "redis-noauth")], changes
    runs = history(db)
    assert [(x["kind"], x["targets"]) for x in runs] == [("audit", None)] * 2
    assert runs[0]["hosts_up"] == 1  # its own address was scanned


def test_no_history_and_refused_db(lab, tmp_path):
    _, scn = lab
    db = tmp_path / "h.db"
    r = scn.portscope("audit", "-p", PORTS, TGT, "--db", str(db), "--no-history", timeout=60)
    assert r.rc == 0 and not db.exists(), r
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"not a database, and it must stay so\n" * 10)
    before = foreign.read_bytes()
    r = scn.portscope("audit", "-p", PORTS, TGT, "--db", str(foreign), timeout=60)
    assert r.rc == 2 and r.out == "", r
    assert len(r.err.strip().splitlines()) == 1 and "history" in r.err
    assert foreign.read_bytes() == before
