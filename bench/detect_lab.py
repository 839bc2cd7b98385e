#!/usr/bin/env python3
"""Service detection on the real-daemon lab of tests/integration/test_detect_lab.py:
portscope scan -sV beside nmap -sV on the same ports, paired runs, from a scanner
namespace over veth (LAB.md). Prints both medians, the ratio, and the agreement on
service names and products. RUNS (default 3; nmap takes ~30 s a run), PORTSCOPE_BIN.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
from conftest import Netns, link_veth  # noqa: E402
from test_detect_lab import Lab, SCANNER, TARGET, start_daemons  # noqa: E402

BIN = os.environ["PORTSCOPE_BIN"]
RUNS = int(os.environ.get("RUNS", "3"))


def timed(ns, argv):
    t = time.monotonic()
    cp = subprocess.run(ns.argv(argv), capture_output=True, text=True, timeout=900)
    return time.monotonic() - t, cp


def ours(out):
    res = {}
    for line in out.splitlines():
        rec = json.loads(line)
        if rec.get("type") == "port":
            s = rec["service"]
            res[rec["port"]] = (("ssl/" if s.get("tunnel") else "") + s["name"], s.get("product"))
    return res


def theirs(out):
    res = {}
    for port in ET.fromstring(out).iter("port"):
        svc = port.find("service")
        if svc is None:
            continue
        name = (svc.get("tunnel") + "/" if svc.get("tunnel") else "") + svc.get("name")
        res[int(port.get("portid"))] = (name, svc.get("product"))
    return res


def main():
    scan, tgt = Netns("bscan"), Netns("btgt")
    tmp = tempfile.mkdtemp(prefix="ps-blab-", dir="/tmp")
    os.chmod(tmp, 0o755)
    lab = Lab(tgt, tmp)
    try:
        link_veth(scan, tgt, SCANNER, TARGET)
        start_daemons(lab)
        ports = ",".join(str(p) for p in sorted(lab.ports))
        print(f"lab daemons: {', '.join(f'{n}:{p}' for p, n in sorted(lab.ports.items()))}"
              + (f" (missing: {', '.join(lab.missing)})" if lab.missing else ""))
        ps_t, nm_t, ratios = [], [], []
        for i in range(RUNS):
            a, pr = timed(scan, [BIN, "scan", "-sT", "-sV", "--no-history", "-p", ports,
                                 "-oJ", "-", TARGET])
            b, nr = timed(scan, ["nmap", "-sT", "-sV", "-Pn", "-n", "-p", ports, "-oX", "-",
                                 TARGET])
            assert pr.returncode == 0 and nr.returncode == 0, (pr.stderr, nr.stderr)
            ps_t.append(a)
            nm_t.append(b)
            ratios.append(a / b)
            print(f"run {i + 1}: portscope {a:.2f} s  nmap {b:.2f} s")
        o, t = ours(pr.stdout), theirs(nr.stdout)
        same_name = sum(1 for p in t if o.get(p, (None,))[0] == t[p][0])
        with_product = [p for p in t if t[p][1]]
        same_product = sum(1 for p in with_product if o.get(p, (None, None))[1] == t[p][1])
        for p in sorted(t):
            print(f"  {p:5}/tcp  nmap {t[p][0]!s:12} {t[p][1]!s:28} portscope {o.get(p)}")
        print(f"portscope scan -sV: median {statistics.median(ps_t):.2f} s")
        print(f"nmap -sV          : median {statistics.median(nm_t):.2f} s")
        print(f"ratio {statistics.median(ratios):.3f}x (median of {RUNS} paired; target <= 0.1x); "
              f"same name {same_name}/{len(t)}, same product {same_product}/{len(with_product)}")
    finally:
        tgt.close()
        scan.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
