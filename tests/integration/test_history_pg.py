"""The history in PostgreSQL (issue 19): --db postgresql://… on a server the session
starts itself (conftest.pg_server: initdb in a temporary directory, a unix socket,
no TCP). Same records as SQLite, many writers at once, a server that goes away and
comes back, bad URIs and bad passwords. Scans run in lab namespaces only."""
import json
import os
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import needs_root, portscope_bin, run
from test_scan_connect import start_listeners

pytestmark = needs_root


def loopback_lab(netns, ports):
    ns = netns("pg")
    start_listeners(ns, ports)
    return ns


def history_runs(db):
    """history --json: JSON Lines, the run records (newest first) before the summary."""
    recs = run([portscope_bin(), "history", "--json", "--db", db], check=True).jsonl()
    assert recs[-1]["type"] == "summary" and recs[-1]["runs"] == len(recs) - 1, recs
    return recs[:-1]


def normalise_show(lines):
    """show --json without what differs between two recordings of one scan."""
    out = []
    for rec in lines:
        rec = dict(rec)
        for k in ("start", "end", "duration_s", "latency_ms", "id"):
            rec.pop(k, None)
        out.append(rec)
    return out


def test_pg_same_records_as_sqlite(netns, pg_db, tmp_path):
    """Two scans into SQLite and into PostgreSQL: history, show and diff say the same."""
    ns = netns("pg")
    lis = start_listeners(ns, [22, 80, 443, 8080])
    sqlite = str(tmp_path / "h.db")
    for db in (sqlite, pg_db):
        ns.portscope("scan", "-sT", "-p", "1-1200,8080", "127.0.0.1", "--db", db, check=True)
    lis.kill()  # the listeners go: the second scan finds 80 and 8080 closed
    lis.wait()
    start_listeners(ns, [22, 443])
    for db in (sqlite, pg_db):
        ns.portscope("scan", "-sT", "-p", "1-1200,8080", "127.0.0.1", "--db", db, check=True)
    got = {}
    for db in (sqlite, pg_db):
        h = history_runs(db)
        assert [r["status"] for r in h] == ["complete", "complete"]
        assert [r["open"] for r in h] == [2, 4]
        shows = [normalise_show(run([portscope_bin(), "show", str(r["id"]), "--json", "--db", db],
                                    check=True).jsonl()) for r in h]
        d = run([portscope_bin(), "diff", "--json", "--db", db])
        assert d.rc == 1, d  # differences
        changes = [c for c in d.jsonl() if c["type"] not in ("run", "summary")]
        assert len(changes) == 2, changes
        got[db] = (shows, changes)
    assert got[sqlite] == got[pg_db]
    text = run([portscope_bin(), "diff", "--db", pg_db]).out
    assert "80/tcp" in text and "8080/tcp" in text


def test_pg_malformed_uri_exit_2(pg_server):
    for bad in ("postgresql://host:notaport/db", "postgresql://[::1/db",
                "host=/tmp dbname='unterminated"):
        for argv in (["history"], ["show", "1"], ["diff", "1", "2"]):
            r = run([portscope_bin()] + argv + ["--db", bad])
            assert r.rc == 2, (bad, argv, r)
            assert r.err.count("\n") == 1 and "PostgreSQL URI" in r.err, r
    r = run([portscope_bin(), "scan", "-sT", "-p", "1", "198.18.0.1", "--db",
             "postgresql://host:notaport/db"])
    assert r.rc == 2 and "PostgreSQL URI" in r.err, r


def test_pg_authentication_failure_exit_3(pg_server, netns):
    pg_server.sql("DROP ROLE IF EXISTS psauth; CREATE ROLE psauth LOGIN PASSWORD 'right'")
    uri = pg_server.uri("postgres", user="psauth", password="wrong")
    r = run([portscope_bin(), "history", "--db", uri])
    assert r.rc == 3, r
    assert 'password authentication failed for user "psauth"' in r.err, r  # libpq's reason
    assert "wrong" not in r.err  # the password is never printed
    ns = netns("pga")
    r = ns.portscope("scan", "-sT", "-p", "1-10", "127.0.0.1", "--db", uri)
    assert r.rc == 3 and "password authentication failed" in r.err, r


def test_pg_password_from_the_environment(pg_server, netns):
    """deploy/'s way: the URI without its password, libpq's PGPASSWORD from the Secret; the
    command line recorded in the history then holds no secret."""
    name = f"ps_env_{os.getpid()}"
    pg_server.sql("DROP ROLE IF EXISTS psenv; CREATE ROLE psenv LOGIN PASSWORD 'env-s3cret'")
    pg_server.sql(f"DROP DATABASE IF EXISTS {name}")
    pg_server.sql(f"CREATE DATABASE {name} OWNER psenv")
    uri = pg_server.uri(name, user="psenv")
    ns = netns("pge")
    scan = ["scan", "-sT", "-Pn", "-p", "1-10", "127.0.0.1", "--db", uri]
    r = ns.run([portscope_bin()] + scan)
    assert r.rc == 3 and "password" in r.err, r
    r = ns.run(["env", "PGPASSWORD=env-s3cret", portscope_bin()] + scan)
    assert r.rc == 0, r
    h = run(["env", "PGPASSWORD=env-s3cret", portscope_bin(), "history", "--json", "--db", uri],
            check=True)
    assert [x["status"] for x in h.jsonl() if x["type"] == "run"] == ["complete"], h
    assert "env-s3cret" not in h.out


def test_pg_eight_concurrent_writers(netns, pg_db):
    """Eight scans start at once on a fresh database (its migration included)."""
    ns = loopback_lab(netns, [25, 110, 2999])
    procs = [subprocess.Popen(ns.argv([portscope_bin(), "scan", "-sT", "-p", f"1-{3000 + i}",
                                       "127.0.0.1", "--db", pg_db, "-oJ", "-"]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    h = history_runs(pg_db)
    assert len(h) == 8
    assert all(r["status"] == "complete" and r["open"] == 3 for r in h), h
    assert sorted(r["ports"] for r in h) == sorted(f"1-{3000 + i}" for i in range(8))
    for r in h:
        show = run([portscope_bin(), "show", str(r["id"]), "--json", "--db", pg_db],
                   check=True).jsonl()
        host = [x for x in show if x["type"] == "host"][0]
        assert host["counts"] == {"open": 3, "closed": host["ports_scanned"] - 3}


def slow_scan(ns, db, extra=()):
    """A connect scan of 20,000 loopback ports at 2,500 probes/s (about 8 s)."""
    return subprocess.Popen(ns.argv([portscope_bin(), "scan", "-sT", "-p", "1-20000",
                                     "--max-rate", "2500", "127.0.0.1", "--db", db] +
                                    list(extra)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


OPEN = [21, 4000, 9000, 15000, 19999]


def test_pg_server_restarted_mid_scan(netns, pg_server, pg_db):
    ns = loopback_lab(netns, OPEN)
    p = slow_scan(ns, pg_db)
    time.sleep(2)
    pg_server.stop("fast")
    time.sleep(2)
    pg_server.start()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    h = history_runs(pg_db)
    assert len(h) == 1 and h[0]["status"] == "complete" and h[0]["open"] == len(OPEN), h
    show = run([portscope_bin(), "show", "last", "--db", pg_db], check=True).out
    for port in OPEN:
        assert f"{port}/tcp" in show, show


def test_pg_server_gone_for_good(netns, pg_server, pg_db, tmp_path):
    """No server for the retry window: a clear error, exit 3, the -o file complete."""
    ns = loopback_lab(netns, OPEN)
    xml = tmp_path / "out.xml"
    env_p = subprocess.Popen(
        ns.argv(["env", "PORTSCOPE_DB_RETRY=3", portscope_bin(), "scan", "-sT", "-p",
                 "1-20000", "--max-rate", "2500", "127.0.0.1", "--db", pg_db, "-oX", str(xml)]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        pg_server.stop("fast")
        out, err = env_p.communicate(timeout=120)
    finally:
        pg_server.start()
    assert env_p.returncode == 3, err
    assert "could not reconnect" in err and "PostgreSQL" in err, err
    root = ET.parse(xml).getroot()
    ports = {int(p.get("portid")) for p in root.iter("port")
             if p.find("state").get("state") == "open"}
    assert ports == set(OPEN)
    extra = sum(int(e.get("count")) for e in root.iter("extraports"))
    assert extra + len(OPEN) == 20000
    h = history_runs(pg_db)
    assert h[0]["status"] == "incomplete", h
