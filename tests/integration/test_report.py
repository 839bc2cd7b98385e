"""portscope report and --prometheus, on real audits and scans in lab namespaces.

The lab: a target namespace whose machine is called by a hostile name
(<img src=x onerror=...>), with a plain listener, a listener on 127.0.0.1
only, an SSH look-alike on port 80 whose banner carries a <script> element,
and between two audits a Redis look-alike answering PING without AUTH. A
scanner namespace audits and scans it from outside.

Each page is checked twice: by Python's HTML parser here (in every build,
the sanitizer build too: the C side writes the page), and in Debian's
chromium through tests/browser/check-report.mjs (playwright-core, axe-core),
in the plain build only: no console error, no request, the findings and
exposure rows are those of the audit's --json, one chart point per run, a
screenshot that is not blank, no serious or critical axe violation in the
light and the dark scheme.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import is_root, link_veth, portscope_bin, run
from test_audit import SCN, TGT, start_listener, start_scripted

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces")

HOSTILE_HOST = "<img src=x onerror=alert(7)>"
BANNER = b"SSH-2.0-OpenSSH_9.2p1 <script>alert(1)</script>\r\n"
PLAIN, LOCAL_ONLY, SSH80, REDIS = 2222, 8081, 80, 6379
PORTS = f"T:{PLAIN},{LOCAL_ONLY},{SSH80},{REDIS}"
BROWSER_DIR = os.path.join(os.environ.get("PORTSCOPE_SRC_DIR", "."), "tests", "browser")
SANITIZED = os.environ.get("PORTSCOPE_SANITIZE", "none") not in ("none", "")

# Sets the machine's name in a UTS namespace of its own, then runs portscope.
AS_HOST = ("import os, socket, sys; socket.sethostname(sys.argv[1]); "
           "os.execv(sys.argv[2], sys.argv[2:])")


def audit_as(ns, hostname, *args):
    r = ns.run(["unshare", "--uts", "python3", "-c", AS_HOST, hostname, portscope_bin(),
                "audit", *args], timeout=90)
    assert r.rc == 0, r
    return r


class Page(html.parser.HTMLParser):
    """The elements of a page and its text, as a browser's parser sees them."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def check_markup(text):
    """Only the page's own markup: one script, no handler attribute, no fetch."""
    p = Page(text)
    assert p.tags.count("script") == 1, p.tags
    assert "img" not in p.tags and "iframe" not in p.tags and "object" not in p.tags
    assert [a for a, _ in p.attrs if a.startswith("on")] == []
    links = [v for a, v in p.attrs if a in ("src", "href") and v]
    assert all(v.startswith(("#", "data:", "https://")) for v in links), links
    return p, " ".join(p.text)


def browser_missing():
    """Why the browser check cannot run here, or None."""
    if not shutil.which("node"):
        return "node is missing (make deps)"
    if not os.access(os.environ.get("CHROMIUM", "/usr/bin/chromium"), os.X_OK):
        return "chromium is missing (make deps)"
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        return "tests/browser/node_modules is missing (make test runs npm ci)"
    return None


def in_browser(page, tmp_path):
    """The page as chromium shows it (check-report.mjs), or None in a sanitizer build."""
    if SANITIZED:
        return None  # the browser is not what the sanitizers watch; the C side ran above
    why = browser_missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    shot = tmp_path / "shot.png"
    r = run(["node", os.path.join(BROWSER_DIR, "check-report.mjs"), str(page), str(shot)],
            timeout=240)
    assert r.rc == 0, r
    return json.loads(r.out)


def check_browser(b, rows_min=1):
    assert b["console"] == [], b["console"]
    assert b["requests"] == [], b["requests"]
    assert b["scripts"] == 1
    s = b["screenshot"]
    assert s["width"] == 1280 and s["distinct_colors"] > 50 and s["non_background"] > 0.03, s
    assert b["axe"] == {"light": [], "dark": []}, b["axe"]
    assert b["sort"]["ok"] is True, b["sort"]
    assert b["nojs_rows"] == b["rows"] >= rows_min
    assert b["print_pdf_bytes"] > 1000


def where(address, port, proto):
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{port}/{proto}"


@pytest.fixture
def lab(netns):
    tgt, scn = netns("rptgt"), netns("rpscn")
    link_veth(scn, tgt, SCN, TGT)
    start_listener(tgt, "0.0.0.0", PLAIN)
    start_listener(tgt, "127.0.0.1", LOCAL_ONLY)
    start_scripted(tgt, "tcp", SSH80, BANNER)
    return tgt, scn


def test_report_page(lab, tmp_path):
    """Audits and scans of one lab; one page holds the newest of each (one browser run)."""
    tgt, scn = lab
    db = tmp_path / "h.db"
    # A remote audit first (the fleet's second host), then two audits of the machine itself.
    r = scn.portscope("audit", "--json", "-p", PORTS, TGT, "--db", str(db), timeout=90)
    assert r.rc == 0, r
    first = json.loads(audit_as(tgt, HOSTILE_HOST, "--json", "--db", str(db)).out)
    assert first["findings"] and all(f["check"] != "redis-noauth" for f in first["findings"])
    start_scripted(tgt, "tcp", REDIS, b"", b"+PONG\r\n")
    doc = json.loads(audit_as(tgt, HOSTILE_HOST, "--json", "--db", str(db)).out)
    assert "redis-noauth" in {f["check"] for f in doc["findings"]}
    # Then two scans of the target from outside (runs 4 and 5).
    for _ in range(2):
        r = scn.portscope("scan", "-sT", "-sV", "-p", PORTS, TGT, "--db", str(db), "-oJ", "-",
                          timeout=90)
        assert r.rc == 0, r
    opened = sorted(x["port"] for x in r.jsonl() if x["type"] == "port" and x["state"] == "open")
    assert opened == [SSH80, PLAIN, REDIS]

    # The default page: the newest audit.
    page = tmp_path / "default.html"
    r = run([portscope_bin(), "report", "--db", str(db), "-o", str(page)])
    assert r.rc == 0 and r.out == "" and r.err == "", r
    text = page.read_text(encoding="utf-8")
    p, shown = check_markup(text)
    assert f"portscope report: Audit of {HOSTILE_HOST}" in shown
    assert 'id="run-3"' in text and 'id="run-5"' not in text
    # Hostile text is shown as text, whole.
    assert HOSTILE_HOST in shown and "<script>alert(1)</script>" in shown
    assert "&lt;img src=x onerror=alert(7)&gt;" in text

    # The audit and the scan on one page.
    page = tmp_path / "report.html"
    r = run([portscope_bin(), "report", "--db", str(db), "-o", str(page), "3", "last"])
    assert r.rc == 0 and r.out == "" and r.err == "", r
    _, shown = check_markup(page.read_text(encoding="utf-8"))
    assert "port of http" in shown
    b = in_browser(page, tmp_path)
    if b is None:
        return
    check_browser(b)
    audit, scan = b["runs"]
    assert audit["kind"] == "audit" and audit["id"] == 3
    # Findings: the --json's, each with its place, evidence, owner, fix and reference.
    want = sorted((f["check"], where(f["address"], f["port"], f["proto"]), f["severity"], f["title"],
                   f["evidence"], f["recommendation"], f["citation"]) for f in doc["findings"])
    got = sorted((f["check"], f["where"], f["severity"], f["title"], f["evidence"], f["fix"],
                  f["reference"]) for f in audit["findings"])
    assert got == want
    owners = {f["check"]: f["owner"] for f in audit["findings"]}
    for f in doc["findings"]:
        assert owners[f["check"]] == f"{f['process']} (pid {f['pid']})"
    # Exposure: one row per endpoint of the --json, with its exposure and service.
    want = sorted((e["proto"], e["port"], e["address"], e["exposure"],
                   tuple(e["reachable_on"]) or ("—",)) for e in doc["endpoints"])
    got = sorted((e["proto"], e["port"], e["address"], e["exposure"],
                  tuple(x for x in re.split(r"[, ]+", e["reachable_on"]) if x))
                 for e in audit["exposure"])
    assert got == want
    rows = {(e["proto"], e["port"]): e for e in audit["exposure"]}
    assert rows[("tcp", LOCAL_ONLY)]["exposure"] == "loopback-only"
    assert rows[("tcp", SSH80)]["mismatch"] and "port of http" in rows[("tcp", SSH80)]["service"]
    assert "<script>alert(1)</script>" in rows[("tcp", SSH80)]["service"]
    assert [m for m in audit["mismatches"] if f":{SSH80}/tcp" in m]
    # The timeline: one point per audit of this machine; the changes since the first.
    assert audit["points_open"] == [2, 3] and audit["points_findings"] == [2, 3]
    changes = {(c["change"], c["text"].split(":")[0]) for c in audit["changes"]}
    assert any(k == "finding-new" and "redis-noauth" in t for k, t in changes), changes
    assert ("opened", "Opened 0.0.0.0") in changes, changes
    assert len(audit["changes"]) == 2, audit["changes"]
    # The scan: its ports (the -oJ's open ones, port != service marked), two points.
    assert scan["kind"] == "scan" and scan["id"] == 5 and scan["points_open"] == [4, 5]
    assert scan["points_findings"] == []
    assert sorted(p["port"] for p in scan["ports"] if p["state"] == "open") == opened
    [ssh] = [p for p in scan["ports"] if p["port"] == SSH80]
    assert ssh["mismatch"] and ssh["cells"][5].startswith("ssh")
    # The fleet of the audits: the machine (by its hostile name) and the remote target.
    assert {f["host"] for f in b["fleet"]} == {HOSTILE_HOST, TGT}


def test_report_refuses_bad_input(tmp_path):
    db = tmp_path / "h.db"
    cases = [
        ([], "no output file"),
        (["-o", str(tmp_path / "x.html")], "no history yet"),
    ]
    for args, msg in cases:
        r = run([portscope_bin(), "report", "--db", str(db)] + args)
        assert r.rc == 2 and msg in r.err and len(r.err.splitlines()) == 1, r
    # A history whose only run was killed: no complete run to show.
    killed = subprocess.Popen(["unshare", "--net", portscope_bin(), "scan", "--db", str(db),
                               "-sT", "-Pn", "-p-", "--max-rate", "20", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if db.exists() and any(x["type"] == "run" for x in run(
                    [portscope_bin(), "history", "--db", str(db), "--json"]).jsonl()):
                break
            killed.wait(timeout=0.05) if killed.poll() is not None else None
            subprocess.run(["sleep", "0.05"])
    finally:
        killed.kill()
        killed.wait()
    runs = [x for x in run([portscope_bin(), "history", "--db", str(db), "--json"]).jsonl()
            if x["type"] == "run"]
    assert [x["status"] for x in runs] == ["incomplete"], runs
    out = tmp_path / "x.html"
    for args, msg in [
        (["-o", str(out)], "no complete scan or audit"),
        (["-o", str(out), "7"], "no run 7"),
        (["-o", str(out), "seven"], "not a run ID"),
        (["-o", str(out), "--history", "0"], "--history"),
        (["-o", str(tmp_path / "no" / "x.html")], "-o:"),
        (["-o", str(out), "--bogus"], "unknown option"),
    ]:
        r = run([portscope_bin(), "report", "--db", str(db)] + args)
        assert r.rc == 2 and msg in r.err and len(r.err.splitlines()) == 1, (args, r)
    assert not out.exists()
    r = run([portscope_bin(), "report", "--help"])
    assert r.rc == 0 and "-o, --output FILE" in r.out


def test_prometheus_textfiles(lab, tmp_path):
    tgt, scn = lab
    start_scripted(tgt, "tcp", REDIS, b"", b"+PONG\r\n")
    prom_audit, prom_scan = tmp_path / "audit.prom", tmp_path / "scan.prom"
    targets = tmp_path / 'tar"gets\\list'
    targets.write_text(TGT + "\n")
    r = scn.portscope("audit", "--json", "-p", PORTS, TGT, "--no-history",
                      "--prometheus", str(prom_audit), timeout=90)
    assert r.rc == 0, r
    doc = r.json()
    r = scn.portscope("scan", "-sT", "-p", PORTS, "-iL", str(targets), "--no-history",
                      "--prometheus", str(prom_scan), "-oJ", "-", timeout=90)
    assert r.rc == 0, r
    summary = r.jsonl()[-1]
    assert sorted(os.listdir(tmp_path)) == sorted(["audit.prom", "scan.prom", targets.name])
    for f in (prom_audit, prom_scan):
        assert oct(f.stat().st_mode & 0o777) == "0o644"
        if shutil.which("promtool"):
            r = run(["promtool", "check", "metrics"], input=f.read_text())
            assert r.rc == 0 and r.err == "" and r.out == "", r
        elif os.environ.get("CI"):
            pytest.fail("promtool is missing (make deps)")
    m = metrics(prom_audit.read_text())
    lab_ = f'kind="audit",targets="{TGT}"'
    s = doc["summary"]
    assert m[f'portscope_reachable_endpoints{{{lab_}}}'] == s["reachable"]
    for sev in ("high", "medium", "low", "info"):
        assert m[f'portscope_findings{{{lab_},severity="{sev}"}}'] == s[sev]
    assert m[f'portscope_findings{{{lab_},severity="high"}}'] >= 1
    assert m[f'portscope_open_ports{{{lab_},proto="tcp"}}'] == 3  # not 127.0.0.1's
    assert abs(m[f'portscope_last_run_duration_seconds{{{lab_}}}'] - s["duration_s"]) < 0.5
    m = metrics(prom_scan.read_text())
    # The target words as given, escaped as a label value (quote and backslash).
    words = "-iL " + str(targets).replace("\\", "\\\\").replace('"', '\\"')
    lab_ = f'kind="scan",targets="{words}"'
    assert m[f'portscope_open_ports{{{lab_},proto="tcp"}}'] == summary["ports"]["open"] == 3
    assert m[f'portscope_hosts_up{{{lab_}}}'] == 1


def metrics(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def page_data(path):
    """What a page says, without what differs between two recordings of one lab:
    times, durations, the history it was made from."""
    import re
    _, shown = check_markup(path.read_text(encoding="utf-8"))
    shown = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?( UTC)?", "T", shown)
    shown = re.sub(r"\b\d+(\.\d+)? ?(ms|s|min)\b", "D", shown)
    return shown


def test_report_pg_same_page_as_sqlite(lab, pg_db, tmp_path):
    """Audits recorded in PostgreSQL make the page they make in SQLite (fleet, timeline,
    changes, findings, exposure); the page never shows a password of the URI (the
    server trusts postgres: the password given is ignored)."""
    tgt, scn = lab
    sqlite = str(tmp_path / "h.db")
    pg_db = pg_db.replace("postgresql://postgres@", "postgresql://postgres:s3cret@", 1)
    assert "s3cret" in pg_db
    for db in (sqlite, pg_db):
        r = scn.portscope("audit", "-p", PORTS, TGT, "--db", db, timeout=90)
        assert r.rc == 0, r
        audit_as(tgt, "web-1", "--db", db)
    start_scripted(tgt, "tcp", REDIS, b"", b"+PONG\r\n")
    for db in (sqlite, pg_db):
        audit_as(tgt, "web-1", "--db", db)
    pages = {}
    for db in (sqlite, pg_db):
        page = tmp_path / ("pg.html" if db == pg_db else "sqlite.html")
        r = run([portscope_bin(), "report", "--db", db, "-o", str(page)])
        assert r.rc == 0 and r.err == "", r
        pages[db] = page_data(page)
    assert "redis-noauth" in pages[pg_db] and "web-1" in pages[pg_db]
    assert "s3cret" not in pages[pg_db] and "postgres:***@" in pages[pg_db]
    assert "a PostgreSQL history" in pages[pg_db]
    masked = pg_db.replace("s3cret", "***")
    assert (pages[pg_db].replace("a PostgreSQL history", sqlite).replace(masked, sqlite)
            == pages[sqlite])
