"""History, show, diff and quiz: scans recorded in SQLite, in lab namespaces.

Every scan passes --db with a file in the test's tmp_path (and the session sets
XDG_STATE_HOME to a temporary directory), so nothing is written to the real home.
"""
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import link_veth, needs_root, portscope_bin, run
from test_scan_connect import start_listeners

PORTS = "20-40,8000-8100"


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def history(db, *args):
    r = run([portscope_bin(), "history", "--db", str(db), "--json", *args])
    assert r.rc == 0, r
    recs = r.jsonl()  # JSON Lines: the runs, then a summary
    assert recs[-1] == {"type": "summary", "runs": len(recs) - 1}
    return recs[:-1]


def lab(netns):
    scan, tgt = netns("hs"), netns("ht")
    link_veth(scan, tgt, "198.18.0.1", "198.18.0.2")
    return scan, tgt


@needs_root
def test_diff_reports_the_port_that_opened(netns, tmp_path):
    db = tmp_path / "h.db"
    scan, tgt = lab(netns)
    start_listeners(tgt, [22, 8080])
    for _ in range(2):
        r = scan.portscope("scan", "-p", PORTS, "198.18.0.2", "--db", str(db))
        assert r.rc == 0, r
    # Unchanged: exit 0, nothing reported.
    r = run([portscope_bin(), "diff", "--db", str(db)])
    assert r.rc == 0, r
    assert "0 changes" in r.out
    start_listeners(tgt, [8090])
    r = scan.portscope("scan", "-p", PORTS, "198.18.0.2", "--db", str(db))
    assert r.rc == 0, r
    r = run([portscope_bin(), "diff", "--db", str(db), "--json"])
    assert r.rc == 1, r
    recs = r.jsonl()
    changes = [x for x in recs if x["type"] == "change"]
    assert changes == [{"type": "change", "change": "port", "address": "198.18.0.2",
                        "proto": "tcp", "port": 8090, "old_state": "closed",
                        "new_state": "open", "old_service": None, "new_service": None,
                        "check": None, "severity": None, "title": None,
                        "old_exposure": None, "new_exposure": None}]
    assert recs[-1] == {"type": "summary", "old": 2, "new": 3, "changes": 1, "host": None}
    # Human output names the port; explicit IDs work; the unchanged pair is still 0.
    r = run([portscope_bin(), "diff", "--db", str(db), "--no-color", "2", "3"])
    assert r.rc == 1 and "198.18.0.2  8090/tcp  closed -> open" in r.out, r
    assert run([portscope_bin(), "diff", "--db", str(db), "1", "2"]).rc == 0
    # history lists the three runs, newest first, with their open ports.
    runs = history(db)
    assert [x["id"] for x in runs] == [3, 2, 1]
    assert [x["open"] for x in runs] == [3, 2, 2]
    assert all(x["status"] == "complete" and x["targets"] == "198.18.0.2" for x in runs)
    assert [x["id"] for x in history(db, "--limit", "1")] == [3]
    assert [x["id"] for x in history(db, "--target", "198.18.0.2")] == [3, 2, 1]
    assert history(db, "--target", "198.18.0.9") == []


BANNER_SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 2222)); s.listen(16)
print("READY", flush=True)
while True:
    c, _ = s.accept()
    try:  # the port scan's own probe is reset at once
        c.sendall(sys.argv[1].encode() + b"\r\n")
    except OSError:
        pass
    c.close()
"""


@needs_root
def test_diff_reports_a_changed_version(netns, tmp_path):
    """-sV results are recorded: an upgraded daemon shows as a service change."""
    db = tmp_path / "h.db"
    scan, tgt = lab(netns)
    for banner in ("SSH-2.0-OpenSSH_8.4p1 Debian-5", "SSH-2.0-OpenSSH_9.2p1 Debian-2"):
        p = tgt.popen(["python3", "-u", "-c", BANNER_SERVER, banner], text=True)
        assert p.stdout.readline().strip() == "READY"
        tgt.wait_port("tcp", 2222)
        r = scan.portscope("scan", "-sV", "-p", "2222", "198.18.0.2", "--db", str(db))
        assert r.rc == 0, r
        assert "OpenSSH" in r.out, r
        p.kill()
        p.wait()
    r = run([portscope_bin(), "diff", "--db", str(db), "--json"])
    assert r.rc == 1, r
    changes = [x for x in r.jsonl() if x["type"] == "change"]
    assert len(changes) == 1, changes
    c = changes[0]
    assert (c["change"], c["port"], c["old_state"], c["new_state"]) == \
        ("service", 2222, "open", "open")
    assert c["old_service"]["name"] == c["new_service"]["name"] == "ssh", c
    assert "8.4p1" in c["old_service"]["version"] and "9.2p1" in c["new_service"]["version"], c


@needs_root
def test_show_replays_a_run(netns, tmp_path):
    db = tmp_path / "h.db"
    scan, tgt = lab(netns)
    start_listeners(tgt, [22, 8080])
    live = scan.portscope("scan", "-p", PORTS, "198.18.0.2", "--db", str(db), "-oJ", "-")
    assert live.rc == 0, live
    shown = run([portscope_bin(), "show", "--db", str(db), "1", "-oJ"])
    assert shown.rc == 0, shown
    strip = lambda recs: [{k: v for k, v in x.items() if k not in ("latency_ms", "duration_s", "end", "start")}
                          for x in recs if x["type"] in ("host", "port")]
    assert strip(shown.jsonl()) == strip(live.jsonl())
    x = run([portscope_bin(), "show", "--db", str(db), "last", "-oX"])
    assert x.rc == 0, x
    root = ET.fromstring(x.out)
    opened = sorted(int(p.get("portid")) for p in root.iter("port")
                    if p.find("state").get("state") == "open")
    assert opened == [22, 8080]
    assert root.find(".//extraports").get("count") == str(21 + 101 - 2)
    normal = run([portscope_bin(), "show", "--db", str(db), "1"])
    assert normal.rc == 0 and "8080/tcp open" in normal.out, normal
    for bad, msg in ((["7"], "no run 7"), (["x1"], "not a run ID"), ([], "missing run ID")):
        r = run([portscope_bin(), "show", "--db", str(db), *bad])
        assert r.rc == 2 and msg in r.err, r


@needs_root
def test_sigkill_leaves_history_intact(netns, tmp_path):
    db = tmp_path / "h.db"
    ns = netns("hk")
    # Open ports are recorded as they arrive: enough of them to see it happen.
    start_listeners(ns, [22] + random.Random(8).sample(range(1000, 30000), 150))
    r = ns.portscope("scan", "-p", "1-200", "127.0.0.1", "--db", str(db))
    assert r.rc == 0, r
    con = sqlite3.connect(db)
    before = con.execute("SELECT * FROM ports WHERE run = 1 ORDER BY port").fetchall()
    before_run = con.execute("SELECT * FROM runs WHERE id = 1").fetchall()
    con.close()
    # About 60 s of probes at --max-rate 500: killed long before it ends.
    p = ns.popen([portscope_bin(), "scan", "-p", "1-30000", "--max-rate", "500",
                  "127.0.0.1", "--db", str(db)])
    deadline = time.monotonic() + 30
    rows = 0
    while time.monotonic() < deadline and rows < 5:
        time.sleep(0.1)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = con.execute("SELECT count(*) FROM ports WHERE run = 2").fetchone()[0]
        con.close()
    assert rows >= 5, "the slow scan recorded nothing as it went"
    assert p.poll() is None, "the slow scan ended before it was killed"
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT * FROM ports WHERE run = 1 ORDER BY port").fetchall() == before
    assert con.execute("SELECT * FROM runs WHERE id = 1").fetchall() == before_run
    recorded = con.execute("SELECT count(*) FROM ports WHERE run = 2").fetchone()[0]
    assert recorded >= rows
    con.close()
    runs = history(db)
    assert [(x["id"], x["status"]) for x in runs] == [(2, "incomplete"), (1, "complete")]
    # What the killed run recorded can be shown; diff's default skips it.
    shown = run([portscope_bin(), "show", "--db", str(db), "2", "-oJ"])
    assert shown.rc == 0 and "incomplete" in shown.err, shown
    hosts = [x for x in shown.jsonl() if x["type"] == "host"]
    assert len(hosts) == 1 and sum(hosts[0]["counts"].values()) == recorded, hosts
    r = run([portscope_bin(), "diff", "--db", str(db)])
    assert r.rc == 2 and "no earlier complete run" in r.err, r
    # The next scan marks it incomplete in the file too, and lands itself.
    r = ns.portscope("scan", "-p", "1-200", "127.0.0.1", "--db", str(db))
    assert r.rc == 0, r
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM runs ORDER BY id").fetchall() == [(1,), (2,), (1,)]
    con.close()
    assert run([portscope_bin(), "diff", "--db", str(db)]).rc == 0


@needs_root
def test_concurrent_scans_both_land(netns, tmp_path):
    db = tmp_path / "h.db"
    ns = netns("hc")
    start_listeners(ns, [22, 2000])
    argv = [portscope_bin(), "scan", "-p", "1-3000", "--max-rate", "2000", "127.0.0.1",
            "--db", str(db)]
    procs = [ns.popen(argv, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    runs = history(db)
    assert len(runs) == 2
    assert all(x["status"] == "complete" and x["open"] == 2 for x in runs), runs
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT run, port FROM ports WHERE state = 1 ORDER BY run, port"
                       ).fetchall() == [(1, 22), (1, 2000), (2, 22), (2, 2000)]
    con.close()


@needs_root
@pytest.mark.parametrize("kind", ["garbage", "foreign"])
def test_foreign_or_corrupt_db_refused(netns, tmp_path, kind):
    db = tmp_path / "other.db"
    if kind == "garbage":
        db.write_bytes(os.urandom(4096))
    else:
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE notes (t TEXT)")
        con.execute("INSERT INTO notes VALUES ('keep me')")
        con.commit()
        con.close()
    digest = sha(db)
    ns = netns("hf")
    r = ns.portscope("scan", "-p", "22", "127.0.0.1", "--db", str(db))
    assert r.rc == 2, r
    assert str(db) in r.err and "left untouched" in r.err, r
    assert r.err.count("\n") == 1
    for cmd in (["history"], ["show", "1"], ["diff"]):
        r = run([portscope_bin(), *cmd, "--db", str(db)])
        assert r.rc == 2 and "not a portscope history" in r.err or "another program" in r.err, r
    assert sha(db) == digest
    assert sorted(os.listdir(tmp_path)) == ["other.db"]


@needs_root
def test_default_path_and_no_history(netns, tmp_path):
    ns = netns("hd")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    r = ns.portscope("scan", "-p", "22", "127.0.0.1", "--no-history", env=env)
    assert r.rc == 0, r
    assert not (tmp_path / "state").exists()
    r = ns.portscope("scan", "-p", "22", "127.0.0.1", env=env)
    assert r.rc == 0, r
    db = tmp_path / "state" / "portscope" / "history.db"
    assert db.exists()
    r = run([portscope_bin(), "history", "--json"], env=env)
    assert r.rc == 0 and [x["type"] for x in r.jsonl()] == ["run", "summary"], r
    r = ns.portscope("scan", "-p", "22", "127.0.0.1", "--db", str(db), "--no-history")
    assert r.rc == 2 and "choose one" in r.err, r


@needs_root
def test_unwritable_default_history_warns_and_scans(netns, tmp_path):
    """The default file is a convenience: nobody cannot write root's, the scan goes on."""
    ns = netns("hw")
    state = tmp_path / "rootonly"
    state.mkdir(mode=0o700)
    env = dict(os.environ, XDG_STATE_HOME=str(state))
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    r = ns.run(nobody + [portscope_bin(), "scan", "-sT", "-p", "22", "127.0.0.1"], env=env)
    assert r.rc == 0, r
    assert "22/tcp" in r.out and "closed" in r.out, r
    warn = [l for l in r.err.splitlines() if "not recorded" in l]
    assert len(warn) == 1 and "--no-history" in warn[0], r
    # A file asked for with --db is not optional: the same failure is an error.
    r = ns.run(nobody + [portscope_bin(), "scan", "-sT", "-p", "22", "127.0.0.1",
                         "--db", str(state / "h.db")], env=env)
    assert r.rc == 3 and r.out == "", r
    assert not (state / "h.db").exists()


def test_history_usage_errors(tmp_path):
    missing = tmp_path / "none.db"
    r = run([portscope_bin(), "history", "--db", str(missing)])
    assert r.rc == 2 and "no history yet" in r.err, r
    assert not missing.exists()
    r = run([portscope_bin(), "history", "--limit", "0", "--db", str(missing)])
    assert r.rc == 2 and "--limit" in r.err, r
    r = run([portscope_bin(), "diff", "1", "2", "3"])
    assert r.rc == 2 and "at most two" in r.err, r


def quiz_json(seed, count):
    r = run([portscope_bin(), "quiz", "--seed", str(seed), "--count", str(count), "--json"])
    assert r.rc == 0, r
    return r.json()


def test_quiz_piped_answers_score():
    doc = quiz_json(4242, 14)
    qs = doc["questions"]
    assert doc["seed"] == 4242 and len(qs) == 14
    kinds = {q["kind"] for q in qs}
    assert {"range", "state", "risk", "tuple"} <= kinds
    for q in qs:
        assert 3 <= len(q["options"]) <= 4 and len(set(q["options"])) == len(q["options"])
        assert 0 <= q["answer"] < len(q["options"])
        assert q["answer_letter"] == "abcd"[q["answer"]] and q["explanation"]
    # Right on every third question, wrong on the others; one invalid line is asked again.
    lines, expect = ["nonsense"], 0
    for i, q in enumerate(qs):
        if i % 3 == 0:
            lines.append(q["answer_letter"].upper() if i % 2 else q["answer_letter"])
            expect += 1
        else:
            lines.append(str((q["answer"] + 1) % len(q["options"]) + 1))
    r = run([portscope_bin(), "quiz", "--seed", "4242", "--count", "14"],
            input="\n".join(lines) + "\n")
    assert r.rc == 0, r
    assert r.out.rstrip().endswith(f"score: {expect}/14"), r.out[-500:]
    assert r.out.count("right\n") == expect
    assert "'nonsense' is not an option" in r.out
    # Same seed, same questions; input ending early stops with a partial score.
    assert quiz_json(4242, 14) == doc
    r = run([portscope_bin(), "quiz", "--seed", "4242", "--count", "14"],
            input=qs[0]["answer_letter"] + "\n")
    assert r.rc == 0 and "score: 1/1 (stopped after 1 of 14 questions)" in r.out, r
    r = run([portscope_bin(), "quiz", "--count", "0"])
    assert r.rc == 2 and "--count" in r.err, r
