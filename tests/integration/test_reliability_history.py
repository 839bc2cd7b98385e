"""The history after a crash and on a damaged file (issue 12, items 3 and 6), in a lab namespace.

A scan killed with SIGKILL leaves its run "running"; the next scans mark it
incomplete while others write the same file. None of them may fail to start,
and no message may say "not an error". A truncated history is refused with
what is wrong, and nothing is left beside it.
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import time

from conftest import needs_root, portscope_bin, run
from test_scan_connect import start_listeners

pytestmark = needs_root


def killed_scan(ns, db):
    """A scan of the slow kind, killed once its run is recorded."""
    p = ns.popen([portscope_bin(), "scan", "-sT", "-p", "1-30000", "--max-rate", "300",
                  "127.0.0.1", "--db", str(db)])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        running = con.execute("SELECT count(*) FROM runs WHERE status = 0").fetchone()[0]
        con.close()
        if running:
            break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=10)


def test_scans_start_after_a_crash(netns, tmp_path):
    ns = netns("hr")
    db = tmp_path / "h.db"
    start_listeners(ns, [22, 2000])
    r = ns.portscope("scan", "-sT", "-p", "1-100", "127.0.0.1", "--db", str(db))
    assert r.rc == 0, r
    # A writer that commits while the next scan reaps the killed run: the reaper waits.
    killed_scan(ns, db)
    con = sqlite3.connect(db, isolation_level=None, timeout=30)
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE runs SET args = args WHERE id = 1")
    p = ns.popen([portscope_bin(), "scan", "-sT", "-p", "1-100", "127.0.0.1", "--db", str(db)],
                 text=True)
    time.sleep(0.5)
    con.execute("COMMIT")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and "not an error" not in err, err
    assert con.execute("SELECT status FROM runs WHERE id = 2").fetchone() == (2,)
    con.close()
    # Eight scans at once after each crash, twice over: all start and land.
    argv = [portscope_bin(), "scan", "-sT", "-p", "1-300", "127.0.0.1", "--db", str(db)]
    for _ in range(2):
        killed_scan(ns, db)
        procs = [ns.popen(argv, text=True) for _ in range(8)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert "22/tcp" in out and "not an error" not in err, err
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM runs WHERE status = 1").fetchone()[0] == 2 + 16
    assert con.execute("SELECT count(*) FROM runs WHERE status = 0").fetchone()[0] == 0
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_truncated_history_refused(netns, tmp_path):
    ns = netns("ht")
    good = tmp_path / "good.db"
    start_listeners(ns, [22])
    for _ in range(2):
        r = ns.portscope("scan", "-sT", "-p", "1-200", "127.0.0.1", "--db", str(good))
        assert r.rc == 0, r
    run([portscope_bin(), "history", "--db", str(good)], check=True)  # checkpointed
    size = good.stat().st_size
    assert size >= 8192
    for cut in (size - 1000, 4096, 60):
        d = tmp_path / f"cut{cut}"
        d.mkdir()
        db = d / "h.db"
        shutil.copy(good, db)
        os.truncate(db, cut)
        for argv in (["scan", "-sT", "-p", "22", "127.0.0.1"], ["history"], ["show", "1"],
                     ["diff"]):
            r = ns.portscope(*argv, "--db", str(db))
            assert r.rc == 2, (argv, r)
            assert "truncated" in r.err and str(db) in r.err, (argv, r)
            assert "not an error" not in r.err and len(r.err.splitlines()) == 1, r
        assert sorted(os.listdir(d)) == ["h.db"]
        assert db.stat().st_size == cut
