"""Messages that say what is wrong (issue 12, item 6), in lab namespaces.

nftables refusing a ruleset for another reason than privilege must not say
"needs root"; -sV running out of address space must say so rather than exit 3
in silence. (A truncated history: test_reliability_history.py.)
"""
import os
import subprocess

import pytest

from conftest import have, needs_root, portscope_bin
from test_scan_connect import start_listeners

pytestmark = needs_root

POLICY = "ALLOW TCP PORT 22\nDENY ALL\n"


@pytest.mark.skipif(not have("nft"), reason="needs nft")
def test_nft_refusal_is_not_called_privilege(netns, tmp_path):
    """Another program owns a table named portscope (nft's 'flags owner'): the kernel says
    'Operation not permitted' to root, and the message says what it means."""
    ns = netns("mo")
    pol = tmp_path / "p.pol"
    pol.write_text(POLICY)
    owner = ns.popen(["nft", "-i"], stdin=subprocess.PIPE, text=True)
    owner.stdin.write("add table inet portscope { flags owner; }\n")
    owner.stdin.flush()
    for _ in range(100):
        if "portscope" in ns.run(["nft", "list", "tables"]).out:
            break
        subprocess.run(["sleep", "0.05"])
    for argv in (["policy", "apply", str(pol)], ["policy", "apply", "--dry-run", str(pol)]):
        r = ns.portscope(*argv)
        assert r.rc == 3 and r.out == "", r
        assert len(r.err.splitlines()) == 1, r
        assert "needs root" not in r.err, r
        assert "nftables refused the ruleset" in r.err and "owned by another program" in r.err, r
    owner.stdin.close()
    owner.wait(timeout=10)
    r = ns.portscope("policy", "apply", str(pol))
    assert r.rc == 0, r


@pytest.mark.skipif(os.environ.get("PORTSCOPE_SANITIZE", "none") != "none",
                    reason="address-space limits and sanitizers' shadow memory do not mix")
@pytest.mark.skipif(not os.path.exists("/usr/share/nmap/nmap-service-probes") or
                    not have("prlimit"), reason="needs nmap's probe file and prlimit")
def test_out_of_memory_says_so(netns):
    """scan -sV under address-space limits from too small to enough: every failure is one
    line on stderr, never a silent exit 3 (the probe file ran out of memory in silence)."""
    ns = netns("mm")
    start_listeners(ns, [22])
    seen = {}
    # threads (discovery's receiver, detection) each reserve a malloc arena: what is enough
    # grew with them, so the sweep goes on to a generous limit
    for mib in (52, 60, 68, 76, 84, 100, 120, 140, 170, 200, 260, 320, 400):
        r = ns.run(["prlimit", f"--as={mib << 20}", portscope_bin(), "scan", "-sT", "-sV",
                    "-p", "22", "127.0.0.1", "--no-history"], timeout=60)
        if r.rc == 127:
            continue  # the dynamic loader itself did not fit
        assert r.rc in (0, 3), (mib, r)
        if r.rc == 3:
            assert r.err.startswith("portscope scan: ") and len(r.err.splitlines()) == 1, \
                (mib, r)
        seen[mib] = r.rc
    assert 3 in seen.values() and 0 in seen.values(), seen
