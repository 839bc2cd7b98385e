#!/usr/bin/env python3
"""Prints one closing line for `make test`: the tests run in every build.

Reads meson's testlog.json of each build directory given; a pytest suite counts
its own tests (from its summary line), a cmocka binary its test cases, a fuzz
harness one. Exits 1 when anything failed or nothing ran.
"""
import json
import re
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    try:
        lines = open(f"{build}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        ok = t["result"] in ("OK", "EXPECTEDFAIL")
        m = re.search(r"^=+ (.*) in [\d.]+s", out, re.M)
        c = len(re.findall(r"^\[       OK \]", out, re.M))
        if m and "passed" in m.group(1) or m and "failed" in m.group(1):
            counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (\w+)", m.group(1)))
            passed += counts.get("passed", 0)
            failed += counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
            skipped += counts.get("skipped", 0)
            if not ok and not counts.get("failed") and not counts.get("errors"):
                failed += 1
        elif c:
            passed += c
            failed += 0 if ok else 1
        elif t["result"] == "SKIP":
            skipped += 1
        elif ok:
            passed += 1
        else:
            failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or not passed else 0)
