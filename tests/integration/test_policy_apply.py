"""portscope policy apply that cannot lock you out: --confirm, the SSH lockout guard.

Everything runs in namespaces made by the test (LAB.md); nftables is never
touched in the root namespace. The confirmation is asked on a terminal: the
tests drive apply through a pseudo-terminal (python's pty module), answering,
staying silent, closing the input, or hanging up, and compare `nft list ruleset`
byte for byte with what it was before. No packet is sent here.
"""
import os
import pty
import select
import signal
import subprocess
import time

import pytest

from conftest import have, needs_root, portscope_bin

pytestmark = [needs_root, pytest.mark.skipif(not have("nft"), reason="needs nft")]

# A: the docs' policy with its admin on lab addresses; B: another one
A = """ALLOW TCP Port 80 (HTTP)
ALLOW TCP Port 22 (SSH) from 198.18.7.5, fd00:5c09::7:5 (Admin)
DENY ALL (Block everything else)
"""
B = """ALLOW TCP Port 443 (HTTPS)
ALLOW TCP Port 22 (SSH) from 198.18.7.0/24, fd00:5c09::7:0/112 (Admins)
REJECT ALL
"""
# the docs' own lines, verbatim: the guard is judged on them, no packet is sent
DOCS = """ALLOW TCP Port 80 (HTTP)
ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)
DENY ALL (Block everything else)
"""


def clean_env(**extra):
    """The test's environment without the SSH session it may itself run in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")}
    env.update(extra)
    return env


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def ruleset(ns):
    return ns.run(["nft", "list", "ruleset"], check=True).out


def apply(ns, *args, env=None):
    return ns.run([portscope_bin(), "policy", "apply", *args], env=env or clean_env())


class Tty:
    """portscope policy apply in ns with a pseudo-terminal for stdin, stdout and stderr."""

    def __init__(self, ns, args, env=None):
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen(ns.argv([portscope_bin(), "policy", "apply", *args]),
                                  stdin=slave, stdout=slave, stderr=slave,
                                  env=env or clean_env(), start_new_session=True)
        os.close(slave)
        self.out = b""

    def _drain(self, wait):
        """Reads what the terminal has; False at its end."""
        r, _, _ = select.select([self.master], [], [], wait)
        if not r:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:
            return False
        self.out += chunk
        return bool(chunk)

    def read_until(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out and time.monotonic() < deadline:
            if not self._drain(0.2):
                break
        assert text.encode() in self.out, self.out
        return self.out.decode(errors="replace")

    def write(self, data):
        os.write(self.master, data)

    def wait(self, timeout=60):
        rc = self.p.wait(timeout=timeout)
        while select.select([self.master], [], [], 0)[0] and self._drain(0):
            pass
        os.close(self.master)
        return rc

    def text(self):
        return self.out.decode(errors="replace")


PROMPT = "Type yes within"


def answer(ns, path, send, seconds="30", env=None):
    """Applies path with --confirm on a terminal and answers send once asked; (rc, text)."""
    t = Tty(ns, ["--confirm", seconds, path], env=env)
    t.read_until(PROMPT)
    t.write(send)
    rc = t.wait()
    return rc, t.text()


@pytest.fixture
def lab(netns, tmp_path):
    """A namespace with policy A loaded and a table of someone else's made after it."""
    ns = netns("apc")
    a, b = write(tmp_path, "a.pol", A), write(tmp_path, "b.pol", B)
    r = apply(ns, a)
    assert r.rc == 0, r
    # made after ours: a restore that re-created our table would move it behind this one
    ns.run(["nft", "add", "table", "inet", "other"], check=True)
    ns.run(["nft", "add", "chain", "inet", "other", "c"], check=True)
    return ns, a, b, ruleset(ns)


def test_confirm_no_answer_puts_a_back(lab):
    ns, a, b, before = lab
    t = Tty(ns, ["--confirm", "3", b])
    t.read_until(PROMPT)
    assert 'comment "Admins"' in ruleset(ns)  # B is loaded while it asks
    started = time.monotonic()
    rc = t.wait(timeout=30)
    assert rc == 1, t.text()
    assert time.monotonic() - started >= 2.0  # it waited for the answer
    assert "no answer in time: the previous ruleset is back" in t.text()
    assert ruleset(ns) == before  # byte for byte, table order included


def test_confirm_yes_keeps_b(lab):
    ns, a, b, before = lab
    rc, text = answer(ns, b, b"yes\n", seconds="3")
    assert rc == 0 and "loaded and kept" in text, text
    after = ruleset(ns)
    assert after != before and 'comment "Admins"' in after
    # kept in place: still before the other table
    assert after.index("table inet portscope") < after.index("table inet other")
    time.sleep(0.5)  # the watchdog is gone for good: nothing comes back later
    assert ruleset(ns) == after


def test_confirm_other_answer_or_end_of_input_puts_a_back(lab):
    ns, a, b, before = lab
    rc, text = answer(ns, b, b"no\n")
    assert rc == 1 and "not confirmed" in text, text
    assert ruleset(ns) == before
    # end of input: ^D on an empty line of the terminal
    rc, text = answer(ns, b, b"\x04")
    assert rc == 1 and "end of input" in text, text
    assert ruleset(ns) == before
    # and stdin closed outright (a pipe, no terminal)
    r = ns.run([portscope_bin(), "policy", "apply", "--confirm", "30", b], input="",
               env=clean_env())
    assert r.rc == 1 and "end of input" in r.err, r
    assert ruleset(ns) == before


def test_confirm_hangup_puts_a_back(lab):
    ns, a, b, before = lab
    t = Tty(ns, ["--confirm", "30", b])
    t.read_until(PROMPT)
    assert ruleset(ns) != before
    os.kill(t.p.pid, signal.SIGHUP)  # the SSH session died
    t.wait()
    assert ruleset(ns) == before


def test_confirm_killed_apply_still_rolls_back(lab):
    """The roll-back lives in a watchdog process: SIGKILL of apply cannot keep B."""
    ns, a, b, before = lab
    t = Tty(ns, ["--confirm", "30", b])
    t.read_until(PROMPT)
    os.kill(t.p.pid, signal.SIGKILL)
    t.wait()
    deadline = time.monotonic() + 10
    while ruleset(ns) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ruleset(ns) == before


def test_confirm_from_no_table_removes_it(netns, tmp_path):
    ns = netns("apn")
    before = ruleset(ns)
    t = Tty(ns, ["--confirm", "1", write(tmp_path, "b.pol", B)])
    t.read_until(PROMPT)
    assert "table inet portscope" in ruleset(ns)
    assert t.wait() == 1, t.text()
    assert "no table inet portscope" in t.text()
    assert ruleset(ns) == before


def test_confirm_is_the_default_in_an_ssh_session(lab, tmp_path):
    ns, a, b, before = lab
    # a client the policy lets in: no lockout, but a terminal in an SSH session asks
    env = clean_env(SSH_CONNECTION="198.18.7.5 50022 198.18.7.1 22")
    t = Tty(ns, [b], env=env)
    out = t.read_until(PROMPT)
    assert "run from an SSH session" in out and "within 10 s" in out, out
    t.write(b"y\n")
    assert t.wait() == 0, t.text()
    # --confirm 0 does not ask
    r = apply(ns, "--confirm", "0", a, env=env)
    assert r.rc == 0 and PROMPT not in r.err, r
    assert ruleset(ns) == before


# ---- the lockout guard ----

def test_lockout_guard_refuses_and_leaves_the_ruleset(lab, tmp_path):
    ns, a, b, before = lab
    docs = write(tmp_path, "docs.pol", DOCS)
    denied = clean_env(SSH_CONNECTION="10.0.0.6 51234 10.0.0.1 22")
    r = apply(ns, docs, env=denied)
    assert r.rc == 3, r
    assert r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 1, r
    assert "10.0.0.6" in lines[0] and "22/tcp" in lines[0]
    assert "line 3 'DENY ALL (Block everything else)'" in lines[0], lines[0]
    assert "--force" in lines[0]
    assert ruleset(ns) == before
    # a dry run says the same
    assert apply(ns, "--dry-run", docs, env=denied).rc == 3
    # --force applies it
    r = apply(ns, "--force", docs, env=denied)
    assert r.rc == 0, r
    assert 'comment "Admin"' in ruleset(ns)
    # the admin of the docs is let in: no refusal
    r = apply(ns, docs, env=clean_env(SSH_CONNECTION="10.0.0.5 51234 10.0.0.1 22"))
    assert r.rc == 0, r


@pytest.mark.parametrize("conn,rule", [
    # sshd on another port: the policy allows 22 only
    ("10.0.0.5 40000 10.0.0.1 2222", "no rule allows it"),
    # IPv4-mapped, as a dual-stack sshd may see it
    ("::ffff:10.0.0.6 40000 ::ffff:10.0.0.1 22", "line 3"),
    ("2001:db8::6 40000 2001:db8::1 22", "line 3"),
])
def test_lockout_guard_cases(netns, tmp_path, conn, rule):
    ns = netns("apg")
    path = write(tmp_path, "p.pol", DOCS.replace("DENY ALL (Block everything else)\n", "")
                 if "no rule" in rule else DOCS)
    r = apply(ns, path, env=clean_env(SSH_CONNECTION=conn))
    assert r.rc == 3, r
    assert rule in r.err, r
    assert "table inet portscope" not in ruleset(ns)


def test_lockout_guard_loopback_and_nothing_allowed(netns, tmp_path):
    ns = netns("apl")
    # a client on the loopback (a tunnel) is never cut off: the chain accepts lo
    r = apply(ns, write(tmp_path, "d.pol", DOCS),
              env=clean_env(SSH_CONNECTION="127.0.0.1 40000 127.0.0.1 22"))
    assert r.rc == 0, r
    before = ruleset(ns)
    # a policy that allows nothing is refused, SSH or not
    for text in ("DENY ALL\n", "# empty\n"):
        r = apply(ns, write(tmp_path, "n.pol", text))
        assert r.rc == 1, r
        assert "refusing to apply" in r.err and "dropped (SSH included)" in r.err, r
        assert ruleset(ns) == before
    r = apply(ns, "--force", write(tmp_path, "n.pol", "DENY ALL\n"))
    assert r.rc == 0, r


def test_apply_keeps_the_table_in_place(netns, tmp_path):
    """Applying again replaces the table's content inside it: its place among the tables
    stays, so a roll-back can be byte-identical."""
    ns = netns("app")
    a, b = write(tmp_path, "a.pol", A), write(tmp_path, "b.pol", B)
    assert apply(ns, a).rc == 0
    ns.run(["nft", "add", "table", "inet", "zz"], check=True)
    first = ruleset(ns)
    for path in (b, a):
        r = apply(ns, "--maps", path) if path == b else apply(ns, path)
        assert r.rc == 0, r
    assert ruleset(ns) == first


@pytest.mark.parametrize("args,words", [
    (["--confirm", "x"], "--confirm 'x': expected seconds 0-3600"),
    (["--confirm", "3601"], "--confirm '3601'"),
])
def test_apply_usage(tmp_path, args, words):
    r = subprocess.run([portscope_bin(), "policy", "apply", *args,
                        write(tmp_path, "a.pol", A)], capture_output=True, text=True)
    assert r.returncode == 2 and words in r.stderr, r
