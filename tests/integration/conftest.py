"""Lab fixtures for integration tests (see tests/LAB.md).

Every test that sends packets does it inside network namespaces that a fixture
creates with a unique name and removes afterwards, even when the test fails.
Namespaces are called ps-<tag>-<pid>-<rand>; stale ones whose pid is gone are
removed at session start.
"""
import json
import os
import pty
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import schemas

NS_PREFIX = "ps-"


def portscope_bin():
    path = os.environ.get("PORTSCOPE_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.exit("PORTSCOPE_BIN is not set to the built binary: run the tests "
                    "through 'meson test' or 'make test'", returncode=2)
    return path


def built_helper(var):
    """The path of a test helper meson built, from environment variable var; skips without."""
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"{var} is not set to a built helper (run through meson test)")
    return path


def is_root():
    return os.geteuid() == 0


needs_root = pytest.mark.skipif(not is_root(),
                                reason="needs root: creates network namespaces")


def have(tool):
    return shutil.which(tool) is not None


class Result:
    """A finished command. json() and jsonl() of a portscope command check its output
    against schema/ (tests/integration/schemas.py) before returning it."""

    def __init__(self, cp):
        self.rc = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr
        self.args = cp.args

    def _command(self):
        path = os.environ.get("PORTSCOPE_BIN", "portscope")
        return schemas.command_of(self.args, path) if isinstance(self.args, list) else None

    def json(self):
        cmd = self._command()
        if cmd:
            return schemas.check_text(cmd, self.out, self.rc)[0]
        return json.loads(self.out)

    def jsonl(self):
        cmd = self._command()
        if cmd:
            return schemas.check_text(cmd, self.out, self.rc)
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def __repr__(self):
        return f"Result(rc={self.rc}, out={self.out[:2000]!r}, err={self.err[:2000]!r})"


def run(argv, timeout=120, env=None, input=None, check=False, cwd=None):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                        env=env, input=input, cwd=cwd)
    r = Result(cp)
    if check and r.rc != 0:
        raise AssertionError(f"{argv} failed: {r!r}")
    return r


class Netns:
    """A network namespace made for one test; processes started in it die with it."""

    def __init__(self, tag):
        suffix = "%d-%04x" % (os.getpid(), random.randrange(0x10000))
        self.name = f"{NS_PREFIX}{tag}-{suffix}"[:40]
        self.procs = []
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.sh("ip link set lo up")

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def run(self, argv, **kw):
        return run(self.argv(argv), **kw)

    def sh(self, script, check=True, timeout=60):
        return run(self.argv(["sh", "-c", script]), check=check, timeout=timeout)

    def portscope(self, *args, **kw):
        return self.run([portscope_bin()] + list(args), **kw)

    def popen(self, argv, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        p = subprocess.Popen(self.argv(argv), start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def spawn_python(self, code, ready="READY", timeout=10):
        """Runs python code in the namespace; waits for it to print `ready`."""
        p = self.popen(["python3", "-u", "-c", code], text=True)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if line.strip() == ready or not line:
                break
        if line.strip() != ready:
            err = p.stderr.read() if p.poll() is not None else ""
            raise RuntimeError(f"helper did not become ready: {line!r} {err}")
        return p

    def wait_port(self, proto, port, timeout=10):
        """Polls ss in the namespace until something listens on port."""
        flag = "-tlnH" if proto == "tcp" else "-ulnH"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.run(["ss", flag, f"sport = :{port}"]).out
            if out.strip():
                return
            time.sleep(0.05)
        raise TimeoutError(f"nothing listens on {port}/{proto} in {self.name}")

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for f in (p.stdout, p.stderr, p.stdin):
                if f:
                    f.close()
        # Kill anything else left inside (daemons that double-forked).
        pids = run(["ip", "netns", "pids", self.name]).out.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def run_on_pty(argv, env=None, timeout=60):
    """Runs argv with stdout on a terminal; returns (exit status, what the terminal got)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        p.wait(timeout=timeout)
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    return p.returncode, out.decode(errors="replace")


def link_veth(a, b, addr_a, addr_b, prefix=24):
    """Joins namespaces a and b with a veth pair; addresses are lab addresses."""
    tag = "%x" % random.randrange(1 << 28)
    va, vb = f"va{tag}", f"vb{tag}"
    subprocess.run(["ip", "link", "add", va, "type", "veth", "peer", "name", vb], check=True)
    subprocess.run(["ip", "link", "set", va, "netns", a.name], check=True)
    subprocess.run(["ip", "link", "set", vb, "netns", b.name], check=True)
    fam = "-6" if ":" in addr_a else "-4"
    a.sh(f"ip {fam} addr add {addr_a}/{prefix} dev {va} nodad 2>/dev/null || "
         f"ip {fam} addr add {addr_a}/{prefix} dev {va}; ip link set {va} up")
    b.sh(f"ip {fam} addr add {addr_b}/{prefix} dev {vb} nodad 2>/dev/null || "
         f"ip {fam} addr add {addr_b}/{prefix} dev {vb}; ip link set {vb} up")
    return va, vb


def _remove_stale_namespaces():
    if not is_root():
        return
    out = run(["ip", "netns", "list"]).out
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(r"^ps-.*?-(\d+)-[0-9a-f]{4}$", name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            subprocess.run(["ip", "netns", "del", name], check=False)


def pytest_sessionstart(session):
    _remove_stale_namespaces()
    # Scans record history by default: keep it out of the real home.
    session.config._ps_state = tempfile.mkdtemp(prefix="ps-state-")
    os.environ["XDG_STATE_HOME"] = session.config._ps_state


def pytest_sessionfinish(session, exitstatus):
    state = getattr(session.config, "_ps_state", None)
    if state:
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def portscope():
    return portscope_bin()


@pytest.fixture
def netns():
    """Factory: netns('tag') makes a namespace removed at teardown."""
    made = []

    def make(tag="t"):
        ns = Netns(tag)
        made.append(ns)
        return ns

    yield make
    for ns in reversed(made):
        ns.close()


# ---- PostgreSQL (issue 19): one server for the whole session (tests/LAB.md rule 9) ----

def _pg_bindir():
    for d in sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    return None


class PgServer:
    """A PostgreSQL server of the test session's own: initdb into a temporary
    directory, no TCP (listen_addresses=''), a unix socket in that directory, run as
    the postgres user. The superuser 'postgres' connects without a password; other
    roles need their password (scram-sha-256), so authentication can fail."""

    def __init__(self):
        self.bindir = _pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="ps-pg-")
        self.data = os.path.join(self.dir, "data")
        shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o755)
        self._as_pg([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                     "-A", "trust", "--no-sync"])
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\nlocal all all scram-sha-256\n")
        self.start()
        self.ndb = 0

    def _as_pg(self, argv, check=True, timeout=60):
        cp = subprocess.run(["setpriv", "--reuid=postgres", "--regid=postgres",
                             "--init-groups", "--"] + argv, capture_output=True, text=True,
                            timeout=timeout, cwd=self.dir)
        if check and cp.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {cp.stdout} {cp.stderr}")
        return cp

    def start(self):
        self._as_pg([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-w", "-l",
                     os.path.join(self.dir, "log"), "-o",
                     f"-c listen_addresses='' -c unix_socket_directories='{self.dir}'"
                     " -c fsync=off -c max_connections=60", "start"])

    def stop(self, mode="fast"):
        self._as_pg([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-w", "-m", mode,
                     "stop"], check=False)

    def sql(self, statement, db="postgres"):
        return self._as_pg([os.path.join(self.bindir, "psql"), "-h", self.dir, "-U", "postgres",
                            "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statement]).stdout

    def uri(self, db, user="postgres", password=None):
        cred = user + (f":{password}" if password else "")
        return f"postgresql://{cred}@/{db}?host={self.dir}"

    def new_db(self, tag="t"):
        """A fresh empty database; returns its URI."""
        self.ndb += 1
        name = f"ps_{tag}_{os.getpid()}_{self.ndb}"
        self.sql(f"CREATE DATABASE {name}")
        return self.uri(name)

    def close(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (skips when PostgreSQL is not installed)."""
    if not is_root() or not _pg_bindir() or not have("setpriv"):
        pytest.skip("needs root and PostgreSQL's server binaries (postgresql)")
    srv = PgServer()
    yield srv
    srv.close()


@pytest.fixture
def pg_db(pg_server):
    """A fresh PostgreSQL database of the session's server: its URI."""
    return pg_server.new_db()
