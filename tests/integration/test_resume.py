"""--resume (issue 19): a scan killed with SIGKILL half-way is continued from the history's
checkpoint and completes with exactly the uninterrupted scan's result, re-probing at most
about a second of work. Connect, SYN and UDP scans and a shard; SQLite and PostgreSQL.
The lab is test_shard.py's: 16 target addresses, listeners on some of 400 ports."""
import signal
import subprocess
import time

import pytest

from conftest import link_veth, needs_root, portscope_bin, run
from test_scan_connect import start_listeners

pytestmark = needs_root

RATE = 1000  # probes a second: a scan of the lab lasts seconds, long enough to kill


@pytest.fixture
def lab(netns):
    """A scanner and a target answering for 198.18.1.0/28, listeners on 40 of ports 1-400,
    its ICMP port unreachables not rate-limited (UDP scans decide every port at once)."""
    scanner, target = netns("rss"), netns("rst")
    link_veth(scanner, target, "198.18.0.1", "198.18.0.2")
    target.sh("ip route add local 198.18.1.0/28 dev lo; sysctl -qw net.ipv4.icmp_ratelimit=0")
    scanner.sh("ip route add 198.18.1.0/28 via 198.18.0.2")
    start_listeners(target, range(10, 400, 10))
    return scanner


def states(lines):
    """{(host, port): state} of every port record, and {host: ports scanned}."""
    ports = {(r["address"], r["port"]): r["state"] for r in lines if r.get("type") == "port"}
    scanned = {r["address"]: r["ports_scanned"] for r in lines if r.get("type") == "host"}
    return ports, scanned


def show_all(db, run_id):
    """Every port of the run as show prints it (closed ones included)."""
    return run([portscope_bin(), "show", str(run_id), "--json", "--db", db], check=True).jsonl()


def kill_half_way(scanner, argv, after):
    p = subprocess.Popen(scanner.argv(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(after)
    assert p.poll() is None, p.stderr.read()
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    p.stderr.close()


CASES = {
    # technique, ports, the shard, seconds before the kill
    "connect": ("-sT", 400, None, 2.5),
    "syn": ("-sS", 400, None, 2.5),
    "udp": ("-sU", 200, None, 1.5),
    "shard": ("-sT", 400, "2/2", 1.5),
    "postgresql": ("-sT", 400, None, 2.5),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sigkill_then_resume_gives_the_whole_result(lab, tmp_path, case, request):
    scanner = lab
    tech, nports, shard, after = CASES[case]
    base = [portscope_bin(), "scan", tech, "-Pn", "-p", f"1-{nports}", "198.18.1.0/28",
            "--seed", "11", "--max-rate", str(RATE)]
    if shard:
        base += ["--shard", shard]
    whole = scanner.run(base + ["--no-history", "-oJ", "-"], check=True, timeout=120).jsonl()
    want_ports, want_scanned = states(whole)
    total = sum(want_scanned.values())
    assert len(want_scanned) == 16

    db = request.getfixturevalue("pg_db") if case == "postgresql" else str(tmp_path / "h.db")
    t0 = time.monotonic()
    kill_half_way(scanner, base + ["--db", db, "-oJ", str(tmp_path / "a.json")], after)
    killed_after = time.monotonic() - t0
    h = [x for x in run([portscope_bin(), "history", "--json", "--db", db],
                     check=True).jsonl() if x["type"] == "run"]
    assert len(h) == 1 and h[0]["status"] == "incomplete", h
    rid = h[0]["id"]

    r = scanner.run([portscope_bin(), "scan", "--resume", "--db", db, "-oJ", "-"], timeout=120)
    assert r.rc == 0, r
    summary = r.jsonl()[-1]
    # Only what the killed scan had not done (bar the last second or so) is probed again.
    done_before = RATE * (killed_after - 0.5)
    assert summary["probes_sent"] <= total - done_before + 1.5 * RATE, (summary, total)
    assert summary["probes_sent"] < total
    print(f"{case}: {total} probes in all, killed after {killed_after:.2f} s at {RATE}/s, "
          f"{summary['probes_sent']} sent on resume")

    h = [x for x in run([portscope_bin(), "history", "--json", "--db", db],
                     check=True).jsonl() if x["type"] == "run"]
    assert len(h) == 1 and h[0]["status"] == "complete" and h[0]["id"] == rid, h
    assert h[0]["hosts_up"] == 16
    got_ports, got_scanned = states(show_all(db, rid))
    assert got_scanned == want_scanned
    assert got_ports == want_ports


def test_resume_errors(lab, tmp_path):
    scanner = lab
    db = str(tmp_path / "h.db")
    nofile = scanner.run([portscope_bin(), "scan", "--resume", "--db", db])
    assert nofile.rc == 2 and "no history yet" in nofile.err, nofile
    scanner.run([portscope_bin(), "scan", "-sT", "-Pn", "-p", "1-20", "198.18.1.1",
                 "--db", db], check=True)
    none = scanner.run([portscope_bin(), "scan", "--resume", "--db", db])
    assert none.rc == 2 and "no interrupted scan" in none.err, none
    done = scanner.run([portscope_bin(), "scan", "--resume", "1", "--db", db])
    assert done.rc == 2 and "run 1 is complete" in done.err, done
    bad = scanner.run([portscope_bin(), "scan", "--resume", "1", "-p", "22", "--db", db])
    assert bad.rc == 2 and "'-p' cannot be given" in bad.err, bad
    missing = scanner.run([portscope_bin(), "scan", "--resume", "9", "--db", db])
    assert missing.rc == 2 and "no scan run 9" in missing.err, missing
