"""The Debian package end to end (issue 21).

Builds the package from a clone of the source tree's HEAD (dpkg-buildpackage),
lints it, installs it on this machine, checks what a user and an administrator
get (the binary, the man page, the group and file capabilities, a member's raw
scans in a lab namespace, a stranger refused, the systemd units, the shell
completions), then removes and purges it and checks that nothing is left.

It changes the machine (a package, a group, a user), so it runs only when
PORTSCOPE_PACKAGE_TEST=1 says so (make test, make package-test), as root, once
(not in the sanitizer build), and alone: meson starts it after every other test
of the run, and a lock keeps two runs on one machine apart.
"""
import fcntl
import glob
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

SRC = os.environ.get("PORTSCOPE_SRC_DIR", "")
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from conftest import Netns, run  # noqa: E402  (the lab helpers of the integration tests)

PROGRAM = "/usr/bin/portscope"
GROUP = "portscope"
UNITDIR = "/lib/systemd/system"
UNITS = ("portscope-audit.service", "portscope-audit.timer")
STATE = "/var/lib/portscope"
LOCK = "/run/lock/portscope-package-test.lock"
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=900", "-y", "-q"]
# What the package installs, besides the binary and the units.
PAYLOAD = ("/usr/share/man/man1/portscope.1.gz",
           "/usr/share/bash-completion/completions/portscope",
           "/usr/share/zsh/vendor-completions/_portscope",
           "/usr/share/fish/vendor_completions.d/portscope.fish")
# An interactive bash as a user's ~/.bashrc sets it up (Debian's /etc/skel one), asked
# what TAB completes after each line.
BASH_RC = ("[ -f /usr/share/bash-completion/bash_completion ] && "
           ". /usr/share/bash-completion/bash_completion\n")
BASH_ASK = r'''
_completion_loader portscope
complete -p portscope
for line in 'portscope sc' 'portscope ' 'portscope scan -s' 'portscope scan --top'; do
    read -ra COMP_WORDS <<< "$line"
    [[ $line == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
    COMPREPLY=()
    _portscope portscope "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    echo "$line|${COMPREPLY[*]}"
done
'''

pytestmark = [
    pytest.mark.skipif(os.environ.get("PORTSCOPE_PACKAGE_TEST") != "1",
                       reason="installs a package on this machine: set PORTSCOPE_PACKAGE_TEST=1 "
                              "(make test and make package-test do)"),
    pytest.mark.skipif(os.environ.get("PORTSCOPE_SANITIZE", "none") != "none",
                       reason="runs once, in the plain build"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: installs a package"),
]


def apt(*args, check=True):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return run(APT + list(args), timeout=900, env=env, check=check)


def installed():
    r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "portscope"])
    return r.rc == 0 and r.out.startswith("ii")


def purge():
    if run(["dpkg-query", "-W", "portscope"]).rc == 0:
        apt("purge", "portscope", check=False)


@pytest.fixture(scope="module")
def lock():
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield
        fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def build(lock):
    """The package built from a clean clone of HEAD: {'deb', 'changes', 'log', 'seconds'}."""
    for tool in ("git", "dpkg-buildpackage", "dh", "lintian", "setcap", "getcap"):
        assert shutil.which(tool), f"{tool} is missing (make deps installs it)"
    prebuilt = os.environ.get("PORTSCOPE_PACKAGE_PREBUILT")
    if prebuilt:
        # A developer's shortcut: the .deb and .changes of an earlier build.
        yield {"deb": glob.glob(os.path.join(prebuilt, "portscope_*.deb"))[0],
               "changes": glob.glob(os.path.join(prebuilt, "portscope_*.changes"))[0],
               "log": "meson test --suite unit (prebuilt)", "seconds": 0}
        return
    work = tempfile.mkdtemp(prefix="ps-package-")
    try:
        tree = os.path.join(work, "portscope")
        run(["git", "clone", "--quiet", "--no-hardlinks", SRC, tree], check=True)
        env = dict(os.environ, DEB_BUILD_OPTIONS=f"parallel={os.cpu_count() or 1}")
        for var in ("PORTSCOPE_PACKAGE_TEST", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
            env.pop(var, None)
        t0 = time.monotonic()
        cp = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=900)
        seconds = time.monotonic() - t0
        assert cp.returncode == 0, f"dpkg-buildpackage failed:\n{cp.stdout[-6000:]}"
        debs = glob.glob(os.path.join(work, "portscope_*.deb"))
        changes = glob.glob(os.path.join(work, "portscope_*.changes"))
        assert len(debs) == 1 and len(changes) == 1, os.listdir(work)
        yield {"deb": debs[0], "changes": changes[0], "log": cp.stdout, "seconds": seconds}
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def package(build):
    """The package installed; purged at the end whatever happened."""
    purge()  # a run killed before its purge left it installed
    try:
        r = apt("install", "--no-install-recommends", build["deb"], check=False)
        assert r.rc == 0, r
        yield build
    finally:
        purge()


@pytest.fixture(scope="module")
def member(package):
    """A user in group portscope, with a home of its own: (name, uid, gid, home)."""
    name = "psu%d" % os.getpid()
    home = tempfile.mkdtemp(prefix="ps-home-")
    os.chmod(home, 0o755)
    run(["useradd", "--system", "--no-create-home", "--home-dir", home, "--shell",
         "/usr/sbin/nologin", "--user-group", "--groups", GROUP, name], check=True)
    try:
        pw = pwd.getpwnam(name)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        yield name, pw.pw_uid, pw.pw_gid, home
    finally:
        run(["userdel", name])
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def ns():
    n = Netns("pkg")
    yield n
    n.close()


def as_user(ids, argv):
    """argv as another user (setpriv ids), run through env: setpriv itself may still
    hold root's capabilities when it executes, env (an exec as the user) does not."""
    return ["setpriv"] + ids + ["env"] + argv


def as_member(member, argv):
    """argv as the member: its uid, its gid, its groups from the group database."""
    return as_user([f"--reuid={member[1]}", f"--regid={member[2]}", "--init-groups"], argv)


def member_env(member):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=member[3], USER=member[0], LOGNAME=member[0])
    return env


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def watch(p, cond, seconds=10):
    """The first /proc status of process p that meets cond while it runs, else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and p.poll() is None:
        try:
            st = proc_status(p.pid)
        except (FileNotFoundError, ProcessLookupError):
            return None
        if cond(st):
            return st
        time.sleep(0.02)
    return None


def unit_value(text, key):
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def test_build_and_lintian(build):
    assert re.search(r"meson test .*--suite unit", build["log"]), "dh_auto_test ran no unit test"
    assert "integration" not in re.findall(r"meson test[^\n]*", build["log"])[0]
    r = run(["lintian", "--info", build["changes"]], timeout=300)
    tags = [line for line in r.out.splitlines() if re.match(r"^[EWX]: ", line)]
    assert r.rc == 0 and not tags, f"lintian:\n{r.out}\n{r.err}"
    print(f"package built in {build['seconds']:.0f} s; lintian: {r.out.strip() or 'clean'}")


def test_installed_files(package):
    st = os.stat(PROGRAM)
    g = grp.getgrnam(GROUP)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, g.gr_gid, 0o750)
    assert g.gr_gid < 1000, "portscope is a system group"
    r = run(["getcap", PROGRAM])
    assert r.rc == 0 and re.search(r"cap_net_admin,cap_net_raw[+=]ep$", r.out.strip()), r
    r = run(["dpkg-statoverride", "--list", PROGRAM])
    assert r.out.split() == ["root", GROUP, "750", PROGRAM], r
    for path in PAYLOAD + tuple(os.path.join(UNITDIR, u) for u in UNITS):
        assert os.path.isfile(path), path
    r = run(["man", "-w", "portscope"])
    assert r.rc == 0 and r.out.strip() == PAYLOAD[0], r
    cp = subprocess.run([PROGRAM, "info", "3389"], cwd="/", capture_output=True, text=True)
    assert cp.returncode == 0 and "3389" in cp.stdout and "registered" in cp.stdout, cp
    assert os.path.islink("/etc/systemd/system/timers.target.wants/portscope-audit.timer")


def test_member_raw_scans_keep_uid_and_drop_capabilities(member, ns):
    """A member of the group runs SYN and UDP scans; mid-scan it holds no capability."""
    name, uid, gid, home = member
    ns.popen(["socat", "TCP-LISTEN:2222,bind=127.0.0.1,fork,reuseaddr", "/dev/null"])
    ns.wait_port("tcp", 2222)
    env = member_env(member)
    # 3000 ports at 1000 probes/s: seconds to look at the process while it scans.
    p = ns.popen(as_member(member, [PROGRAM, "scan", "-sS", "-p", "1-3000", "--max-rate",
                                    "1000", "-oJ", "-", "127.0.0.1"]), text=True, env=env)
    seen = watch(p, lambda st: st.get("Name") == "portscope" and int(st["CapEff"], 16) == 0)
    assert seen is not None and p.poll() is None, "never seen scanning without capabilities"
    assert seen["Uid"].split() == [str(uid)] * 4
    assert seen["Gid"].split() == [str(gid)] * 4
    assert str(grp.getgrnam(GROUP).gr_gid) in seen["Groups"].split()
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(seen[cap], 16) == 0, (cap, seen[cap])
    assert seen["NoNewPrivs"].strip() == "1"
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert '"port":2222,"state":"open"' in out.replace(" ", ""), out[-2000:]
    # The history is the member's own.
    db = os.path.join(home, ".local", "state", "portscope", "history.db")
    assert os.stat(db).st_uid == uid

    # A connect scan needs no capability: gone before the first probe.
    p = ns.popen(as_member(member, [PROGRAM, "scan", "-sT", "-p", "1-3000", "--max-rate",
                                    "1000", "--no-history", "-oJ", "-", "127.0.0.1"]),
                 text=True, env=env)
    seen = watch(p, lambda st: st.get("Name") == "portscope" and int(st["CapEff"], 16) == 0)
    assert seen is not None and p.poll() is None, "never seen scanning without capabilities"
    assert int(seen["CapPrm"], 16) == 0 and seen["NoNewPrivs"].strip() == "1", seen
    assert seen["Uid"].split() == [str(uid)] * 4
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and '"port":2222,"state":"open"' in out.replace(" ", ""), err

    r = ns.run(as_member(member, [PROGRAM, "scan", "-sU", "-p", "9,53", "--no-history",
                                  "-oJ", "-", "127.0.0.1"]), env=env)
    assert r.rc == 0, r
    assert r.jsonl()[-1]["ports"] == {"closed": 2}, r


def test_stranger_is_refused(package, ns):
    r = ns.run(as_user(["--reuid=nobody", "--regid=nogroup", "--clear-groups"],
                       [PROGRAM, "scan", "-sS", "-p", "22", "127.0.0.1"]))
    assert r.rc == 126 and r.out == "" and "Permission denied" in r.err, r


def test_systemd_units(package):
    paths = [os.path.join(UNITDIR, u) for u in UNITS]
    r = run(["systemd-analyze", "verify"] + paths)
    assert r.rc == 0 and not (r.out + r.err).strip(), r
    r = run(["systemd-analyze", "security", "--offline=true", "--threshold=30", paths[0]])
    m = re.search(r"Overall exposure level for portscope-audit.service: (\d+\.\d+)", r.out)
    assert r.rc == 0 and m and float(m.group(1)) <= 3.0, r
    print(f"exposure {m.group(1)}")
    timer = open(paths[1]).read()
    assert unit_value(timer, "OnCalendar") == ["daily"]
    assert unit_value(timer, "Persistent") == ["true"]
    assert unit_value(timer, "RandomizedDelaySec")


def test_audit_service_commands(package, ns):
    """The service's own command lines, with only the capabilities its unit leaves."""
    unit = open(os.path.join(UNITDIR, UNITS[0])).read()
    start = unit_value(unit, "ExecStart")[0].split()
    post = unit_value(unit, "ExecStopPost")[0].lstrip("-").split()
    caps = unit_value(unit, "CapabilityBoundingSet")[0].split()
    assert start[:5] == [PROGRAM, "audit", "--fail-on", "high", "--no-color"]
    assert "--db" in start and start[start.index("--db") + 1] == STATE + "/history.db"
    bounding = "-all," + ",".join("+" + c[4:].lower() for c in caps)
    svc = ["setpriv", f"--bounding-set={bounding}", "--inh-caps=-all", "--no-new-privs"]
    ns.sh("ip link add va type veth peer name vb; ip addr add 198.18.7.1/24 dev va;"
          "ip link set va up; ip link set vb up")
    # A socket of another user's: its owner shows only with the unit's capabilities.
    ns.popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "socat",
              "TCP-LISTEN:8080,fork,reuseaddr", "/dev/null"])
    ns.wait_port("tcp", 8080)
    os.makedirs(STATE, mode=0o750, exist_ok=True)  # systemd's StateDirectory=
    for _ in range(2):
        r = ns.run(svc + start, timeout=120)
        assert r.rc == 0, r
    assert re.search(r"0\.0\.0\.0:8080/tcp\s+reachable\s+198\.18\.7\.1.*socat/\d+ nobody", r.out), r
    r = ns.run(svc + post)
    assert r.rc == 0 and "0 changes" in r.out, r
    assert os.path.isfile(STATE + "/history.db")


def test_completions(package, tmp_path):
    """The installed completions, found where each shell looks for them."""
    rc = tmp_path / "bashrc"
    rc.write_text(BASH_RC)
    r = run(["bash", "--rcfile", str(rc), "-i", "-c", BASH_ASK])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "complete -F _portscope portscope", r
    got = dict(line.split("|", 1) for line in lines[1:])
    assert got["portscope sc"] == "scan"
    assert {"info", "ls", "audit", "scan", "policy", "history", "diff"} <= set(
        got["portscope "].split())
    assert {"-sS", "-sT", "-sU"} <= set(got["portscope scan -s"].split())
    assert got["portscope scan --top"] == "--top-ports"
    if shutil.which("fish"):
        r = run(["fish", "-c", "complete -C 'portscope scan -s'"])
        assert r.rc == 0 and "-sS\t" in r.out, r
    if shutil.which("zsh"):
        r = run(["zsh", "-f", "-c", "fpath=(/usr/share/zsh/vendor-completions $fpath); "
                 "autoload -Uz compinit; compinit -u -D; print -r -- $_comps[portscope]"])
        assert r.rc == 0 and r.out.strip() == "_portscope", r


def test_remove_then_purge_leaves_nothing(package, member):
    r = apt("remove", "portscope")
    assert r.rc == 0, r
    assert not installed()
    for path in (PROGRAM,) + PAYLOAD + tuple(os.path.join(UNITDIR, u) for u in UNITS):
        assert not os.path.exists(path), path
    assert run(["getent", "group", GROUP]).rc == 2, "remove leaves the group"
    assert GROUP not in run(["id", "-nG", member[0]]).out.split()
    assert run(["dpkg-statoverride", "--list", PROGRAM]).rc != 0
    assert os.path.isdir(STATE), "remove keeps the history (purge takes it)"

    r = apt("purge", "portscope")
    assert r.rc == 0, r
    assert run(["dpkg-query", "-W", "portscope"]).rc != 0
    assert not os.path.exists(STATE)
    # Container engines' storage holds image layers (make image's portscope image), not
    # files the package installed: the host's own tree is what must be clean.
    r = run(["find", "/etc", "/lib/systemd", "/usr/bin", "/usr/lib", "/usr/share", "/var/lib",
             "(", "-path", "/var/lib/containers", "-o", "-path", "/var/lib/docker", ")", "-prune",
             "-o", "-name", "*portscope*", "-print"])
    assert r.out == "", r.out
