"""--resume-or-start (issue 19): a retried Kubernetes Job pod runs the very same command
line with the same JOB_COMPLETION_INDEX; it must continue its shard's interrupted run (same
run id) instead of starting over, start a new run when its shard has none, and never take
another shard's run. The lab is test_resume.py's (16 addresses, listeners on 40 of 400 ports)."""
import signal
import subprocess
import time

import pytest

from conftest import needs_root, portscope_bin, run
from test_resume import RATE, lab, show_all, states  # noqa: F401 (lab is a fixture)

pytestmark = needs_root


def job_pod(index, db):
    """A pod of the Job: shard index+1 of 2 from the environment, deploy/scan-job.yaml's line."""
    return ["env", f"JOB_COMPLETION_INDEX={index}", "PORTSCOPE_SHARDS=2", portscope_bin(),
            "scan", "-sT", "-Pn", "-p", "1-400", "198.18.1.0/28", "--seed", "11", "--max-rate",
            str(RATE), "--db", db, "--resume-or-start", "-oJ", "-"]


def runs(db):
    return {x["id"]: x for x in run([portscope_bin(), "history", "--json", "--db", db],
                                    check=True).jsonl() if x["type"] == "run"}


def kill_pod(scanner, argv, after, sig):
    p = subprocess.Popen(scanner.argv(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(after)
    assert p.poll() is None, p.stderr.read()
    p.send_signal(sig)
    p.wait(timeout=10)
    p.stderr.close()


CASES = {
    # backend, the signal that ends the first pod (SIGTERM: an eviction, a node drain)
    "sqlite-sigkill": ("sqlite", signal.SIGKILL),
    "sqlite-sigterm": ("sqlite", signal.SIGTERM),
    "postgresql-sigkill": ("postgresql", signal.SIGKILL),
}


@pytest.mark.parametrize("case", list(CASES))
def test_retried_pod_continues_its_own_run(lab, tmp_path, case, request):
    scanner = lab
    backend, sig = CASES[case]
    db = request.getfixturevalue("pg_db") if backend == "postgresql" else str(tmp_path / "h.db")
    whole = scanner.run([portscope_bin(), "scan", "-sT", "-Pn", "-p", "1-400", "198.18.1.0/28",
                         "--seed", "11", "--max-rate", str(RATE), "--shard", "2/2",
                         "--no-history", "-oJ", "-"], check=True, timeout=120).jsonl()
    want_ports, want_scanned = states(whole)
    assert len(want_scanned) == 16

    # Pod of index 1 (shard 2/2), nothing to resume: a new run, killed half-way.
    kill_pod(scanner, job_pod(1, db), 1.5, sig)
    h = runs(db)
    assert list(h) == [1] and h[1]["status"] in ("incomplete", "interrupted"), h
    assert h[1]["shard"] == "2/2", h

    # Pod of index 0 (shard 1/2) does not take shard 2's run: a run of its own.
    other = scanner.run(job_pod(0, db), timeout=120)
    assert other.rc == 0 and "continuing" not in other.err, other
    h = runs(db)
    assert sorted(h) == [1, 2] and h[2]["shard"] == "1/2" and h[2]["status"] == "complete", h
    assert h[1]["status"] in ("incomplete", "interrupted"), h

    # The retried pod of index 1 continues run 1.
    again = scanner.run(job_pod(1, db), timeout=120)
    assert again.rc == 0, again
    assert "continuing run 1 (shard 2/2)" in again.err, again
    h = runs(db)
    assert sorted(h) == [1, 2] and h[1]["status"] == "complete", h
    assert again.jsonl()[-1]["probes_sent"] < sum(want_scanned.values())
    got_ports, got_scanned = states(show_all(db, 1))
    assert got_scanned == want_scanned
    assert got_ports == want_ports

    # Its shard's newest run is complete: the same command again is a new run.
    if case == "sqlite-sigkill":
        fresh = scanner.run(job_pod(1, db), timeout=120)
        assert fresh.rc == 0 and "continuing" not in fresh.err, fresh
        assert sorted(runs(db)) == [1, 2, 3]


def test_two_pods_of_one_shard_do_not_both_take_its_run(lab, tmp_path):
    """Two pods of shard 2/2 at once (a pod thought lost comes back): one continues run 1,
    the other either fails (exit 3: taken over) or, looking later, starts a run of its own."""
    scanner = lab
    db = str(tmp_path / "h.db")
    kill_pod(scanner, job_pod(1, db), 1.5, signal.SIGKILL)
    pods = [subprocess.Popen(scanner.argv(job_pod(1, db)), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in pods]
    for p in pods:
        p.stderr.close()
    took = [err for rc, err in results if rc == 0 and "continuing run 1" in err]
    assert len(took) == 1, results
    for rc, err in results:
        assert rc == 0 or (rc == 3 and "another process took it over" in err), results
    h = runs(db)
    assert h[1]["status"] == "complete", h


def test_resume_or_start_errors(lab, tmp_path):
    scanner = lab
    db = str(tmp_path / "h.db")
    base = [portscope_bin(), "scan", "-sT", "-p", "1-20", "198.18.1.1", "--resume-or-start"]
    nopn = scanner.run(base + ["--db", db])
    assert nopn.rc == 2 and "add -Pn" in nopn.err, nopn
    nohist = scanner.run(base + ["-Pn", "--no-history"])
    assert nohist.rc == 2 and "not with --no-history" in nohist.err, nohist
    both = scanner.run([portscope_bin(), "scan", "--resume", "--resume-or-start", "--db", db])
    assert both.rc == 2 and "'--resume-or-start' cannot be given" in both.err, both
    # A first run with no history file at all: created, a new run, complete.
    first = scanner.run(base + ["-Pn", "--db", db])
    assert first.rc == 0 and "continuing" not in first.err, first
    assert [x["status"] for x in runs(db).values()] == ["complete"]
