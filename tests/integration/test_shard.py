"""Shards (issue 19): N scanners split one scan, every (host, port) probed once between
them, each shard over all targets, into one PostgreSQL history. A scanner namespace
and a target namespace answering for 16 addresses (198.18.1.0/28, LAB.md's recipe),
listeners on a hundred ports."""
import json
import random
import subprocess

import pytest

from conftest import link_veth, needs_root, portscope_bin, run
from test_scan_connect import start_listeners

pytestmark = needs_root

NPORTS = 400
HOSTS = [f"198.18.1.{i}" for i in range(16)]


@pytest.fixture
def shard_lab(netns):
    scanner, target = netns("shs"), netns("sht")
    link_veth(scanner, target, "198.18.0.1", "198.18.0.2")
    target.sh("ip route add local 198.18.1.0/28 dev lo")
    scanner.sh("ip route add 198.18.1.0/28 via 198.18.0.2")
    rng = random.Random(19)
    open_ports = sorted(rng.sample(range(1, NPORTS + 1), 100))
    start_listeners(target, open_ports)
    return scanner, open_ports


def host_ports(lines):
    """{host: (ports scanned, {open ports})} from JSON Lines of a scan."""
    out = {}
    for r in lines:
        if r.get("type") == "host":
            out[r["address"]] = [r["ports_scanned"], set()]
    for r in lines:
        if r.get("type") == "port" and r["state"] == "open":
            out[r["address"]][1].add(r["port"])
    return out


def scan_argv(extra=()):
    return [portscope_bin(), "scan", "-sT", "-Pn", "-p", f"1-{NPORTS}", "198.18.1.0/28",
            "-oJ", "-"] + list(extra)


def test_four_shards_cover_the_scan_once(shard_lab, pg_db):
    scanner, open_ports = shard_lab
    whole = host_ports(scanner.run(scan_argv(["--no-history"]), check=True).jsonl())
    assert all(w[1] == set(open_ports) for w in whole.values())
    procs = [subprocess.Popen(scanner.argv(scan_argv(["--shard", f"{i}/4", "--db", pg_db])),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(1, 5)]
    shards = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        shards.append(host_ports([json.loads(x) for x in out.splitlines() if x.strip()]))
    for host in HOSTS:
        # every shard probed every host (spread over all targets), about a quarter each
        counts = [s[host][0] for s in shards]
        assert all(NPORTS // 4 - 1 <= c <= NPORTS // 4 + 1 for c in counts), counts
        assert sum(counts) == NPORTS  # the per-shard counts add up: none twice, none missed
        opens = [s[host][1] for s in shards]
        assert set().union(*opens) == whole[host][1]  # the union is the unsharded result
        assert sum(len(o) for o in opens) == len(whole[host][1])  # disjoint
    h = [r for r in run([portscope_bin(), "history", "--json", "--db", pg_db],
                     check=True).jsonl() if r["type"] == "run"]
    assert len(h) == 4 and all(r["status"] == "complete" for r in h)
    assert sorted(r["shard"] for r in h) == ["1/4", "2/4", "3/4", "4/4"]
    assert sum(r["open"] for r in h) == 16 * len(open_ports)
    table = run([portscope_bin(), "history", "--db", pg_db], check=True).out
    assert "SHARD" in table and "3/4" in table
    # show prints a shard's run with its own ports only
    one = [r for r in h if r["shard"] == "2/4"][0]
    shown = run([portscope_bin(), "show", str(one["id"]), "--json", "--db", pg_db],
                check=True).jsonl()
    shown_hosts = {r["address"]: r["ports_scanned"] for r in shown if r["type"] == "host"}
    assert shown_hosts == {host: s[0] for host, s in shards[1].items()}


def test_shard_from_the_environment(shard_lab):
    """Kubernetes' JOB_COMPLETION_INDEX and Slurm's array variables give the same split."""
    scanner, _ = shard_lab
    seed = ["--seed", "7", "--no-history"]
    flag = host_ports(scanner.run(scan_argv(seed + ["--shard", "3/4"]), check=True).jsonl())
    k8s = scanner.run(["env", "JOB_COMPLETION_INDEX=2"] + scan_argv(seed + ["--shard-count", "4"]),
                      check=True)
    k8s_env = scanner.run(["env", "JOB_COMPLETION_INDEX=2", "PORTSCOPE_SHARDS=4"] +
                          scan_argv(seed), check=True)
    slurm = scanner.run(["env", "SLURM_ARRAY_TASK_ID=12", "SLURM_ARRAY_TASK_MIN=10",
                         "SLURM_ARRAY_TASK_COUNT=4"] + scan_argv(seed), check=True)
    for r in (k8s, k8s_env, slurm):
        assert host_ports(r.jsonl()) == flag
    bad = scanner.run(["env", "JOB_COMPLETION_INDEX=4", "PORTSCOPE_SHARDS=4"] + scan_argv(seed))
    assert bad.rc == 2 and "JOB_COMPLETION_INDEX=4" in bad.err, bad
    bad = scanner.run(scan_argv(seed + ["--shard", "0/4"]))
    assert bad.rc == 2 and "--shard: '0/4'" in bad.err, bad


def test_syn_shards_cover_the_scan_once(shard_lab):
    """The raw engine splits the same way: two -sS shards, the unsharded result between them."""
    scanner, open_ports = shard_lab
    argv = [a if a != "-sT" else "-sS" for a in scan_argv(["--seed", "5", "--no-history"])]
    whole = host_ports(scanner.run(argv, check=True).jsonl())
    assert all(w[1] == set(open_ports) for w in whole.values())
    shards = [host_ports(scanner.run(argv + ["--shard", f"{i}/2"], check=True).jsonl())
              for i in (1, 2)]
    for host in HOSTS:
        counts = [s[host][0] for s in shards]
        assert counts == [NPORTS // 2, NPORTS // 2], counts
        opens = [s[host][1] for s in shards]
        assert not opens[0] & opens[1] and opens[0] | opens[1] == whole[host][1]
