"""Endless inputs end (issue 12, item 4): every file the user names is read with a size
and a line limit, NUL bytes are refused, and a FIFO nobody writes is given up after
10 s of silence, with one line naming the file (and line) and exit status 2.

The scans run in a lab namespace, though each ends before it would send a packet.
"""
import os
import subprocess
import threading
import time

from conftest import needs_root, portscope_bin

pytestmark = needs_root


def spawn(ns, argv, stdin=None):
    """Starts portscope argv in ns (stdin: a path to read from); returns (Popen, start)."""
    f = open(stdin, "rb") if stdin else subprocess.DEVNULL
    p = subprocess.Popen(ns.argv([portscope_bin()] + argv), stdin=f, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if stdin:
        f.close()
    return p, time.monotonic()


def test_endless_inputs_end(netns, tmp_path):
    ns = netns("in")
    fifo = str(tmp_path / "nobody-writes")
    os.mkfifo(fifo)
    late = str(tmp_path / "written-late")
    os.mkfifo(late)
    big = tmp_path / "big.policy"
    big.write_text("ALLOW TCP PORT 22\n" * 300000)  # 5.4 MB: more rules than a policy takes
    huge = tmp_path / "huge.policy"  # 33.6 MB: more than a policy file may be (32 MiB)
    huge.write_text(("#" + "x" * 59999 + "\n") * 560)
    long_probe = tmp_path / "long.probes"
    long_probe.write_text("Probe TCP NULL q||\nmatch x m|" + "a" * 100000 + "|\n")
    scan = ["scan", "-sT", "-p", "1", "127.0.0.1"]
    cases = [
        # (argv, stdin, the words the one error line must hold)
        (["policy", "check", fifo], None, [fifo, "no data for 10 s"]),
        (["policy", "compile", fifo], None, [fifo, "no data"]),
        (["policy", "apply", "--dry-run", fifo], None, [fifo, "no data"]),
        (["policy", "check", "/dev/zero"], None, ["/dev/zero:1:", "NUL byte"]),
        (["policy", "compile", "/dev/zero"], None, ["/dev/zero:1:", "NUL byte"]),
        (["policy", "apply", "--dry-run", "/dev/zero"], None, ["/dev/zero:1:", "NUL"]),
        (["policy", "check", "-"], "/dev/zero", ["<stdin>:1:", "NUL byte"]),
        (["policy", "check", str(big)], None, [str(big) + ":65537:", "too many rules"]),
        (["policy", "check", str(huge)], None, [str(huge), "more than 33554432 bytes"]),
        (["scan", "-sT", "-p", "1", "-iL", "/dev/zero"], None, ["-iL: /dev/zero:1:", "NUL"]),
        (["scan", "-sT", "-p", "1", "-iL", "-"], "/dev/zero", ["-iL: <stdin>:1:", "NUL"]),
        (["scan", "-sT", "-p", "1", "-iL", fifo], None, ["-iL: " + fifo, "no data"]),
        (scan + ["--excludefile", "/dev/zero"], None, ["--excludefile: /dev/zero:1:"]),
        (scan + ["-sV", "--probes", "/dev/zero"], None, ["--probes: /dev/zero:1:", "NUL"]),
        (scan + ["-sV", "--probes", fifo], None, ["--probes: " + fifo, "no data"]),
        (scan + ["-sV", "--probes", str(long_probe)], None,
         [str(long_probe) + ":2:", "line too long (more than 65536 bytes)"]),
        (["info", "--services", "/dev/zero", "22"], None, ["/dev/zero:1:", "NUL"]),
        (["quiz", "--count", "3"], "/dev/zero", ["answers: <stdin>:1:", "NUL"]),
    ]
    procs = [(spawn(ns, argv, stdin), argv, words) for argv, stdin, words in cases]
    # A writer that comes a second late is waited for.
    writer = threading.Thread(target=lambda: (time.sleep(1), open(late, "w").write(
        "ALLOW TCP PORT 22\nDENY ALL\n")))
    writer.start()
    ok = subprocess.run([portscope_bin(), "policy", "check", late], capture_output=True,
                        text=True, timeout=30)
    writer.join()
    assert ok.returncode == 0 and "2 rules, 0 errors" in ok.stdout, ok
    ended = {}
    deadline = time.monotonic() + 30
    while len(ended) < len(procs) and time.monotonic() < deadline:
        for i, ((p, start), _, _) in enumerate(procs):
            if i not in ended and p.poll() is not None:
                ended[i] = time.monotonic() - start
        time.sleep(0.05)
    for i, ((p, start), argv, words) in enumerate(procs):
        if i not in ended:
            p.kill()
        out, err = p.communicate(timeout=10)
        assert i in ended, f"{argv} did not end"
        took = ended[i]
        assert p.returncode == 2, (argv, p.returncode, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and all(w in lines[0] for w in words), (argv, err)
        assert took < (20 if fifo in argv else 10), (argv, took)


def test_endless_line_stays_small(netns, tmp_path):
    """An endless line without NUL bytes or newlines ends at the line limit, in little memory
    (it grew to 3.7 GB in 10 s before)."""
    ns = netns("im")
    script = (f"tr -d '\\000\\n' < /dev/urandom | /usr/bin/time -f 'maxrss %M' "
              f"{portscope_bin()} scan -sT -sV --probes - -p 1 127.0.0.1")
    r = ns.sh(script, check=False, timeout=30)
    lines = r.err.strip().splitlines()
    assert "--probes: <stdin>:1: line too long" in lines[0], r
    rss_kb = int(lines[-1].split()[1])
    assert rss_kb < 200 * 1024, r
