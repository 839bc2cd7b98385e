"""JSON output checked against the vocabulary in schema/ (schema/README.md).

Result.json() and Result.jsonl() (conftest.py) call check_output() for every
portscope command they ran, so every integration test that reads JSON checks:
  - framing: one object per line, each with a "type"; a one-answer command
    (audit, info, policy check/eval, quiz) prints exactly one line; a listing
    command ends with its "summary" record;
  - every record against the schema of its command and type (schema/index.json);
  - numbers: no float noise (at most 6 decimals, the microsecond of a time).
"""
import decimal
import functools
import json
import os

import pytest

try:
    import jsonschema
except ImportError:  # Debian: python3-jsonschema (in the Makefile's DEBS)
    jsonschema = None

# Commands whose --json lists records and ends with a summary.
STREAMS = {"scan", "show", "history", "diff", "ls", "policy verify", "policy listening"}
# Commands whose --json is one document.
DOCUMENTS = {"audit", "info", "policy check", "policy eval", "quiz"}


def schema_dir():
    src = os.environ.get("PORTSCOPE_SRC_DIR")
    if src:
        return os.path.join(src, "schema")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema")


@functools.lru_cache(maxsize=None)
def _registry():
    if jsonschema is None:
        pytest.fail("python3-jsonschema is not installed: the JSON outputs cannot be checked "
                    "against schema/ (make deps installs it)")
    d = schema_dir()
    store, by_file = {}, {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json") or name == "index.json":
            continue
        with open(os.path.join(d, name)) as f:
            s = json.load(f)
        jsonschema.Draft202012Validator.check_schema(s)
        store[s["$id"]] = s
        by_file[name] = s
    with open(os.path.join(d, "index.json")) as f:
        index = json.load(f)
    validators = {}
    for name, s in by_file.items():
        resolver = jsonschema.RefResolver(s["$id"], s, store=store)
        validators[name] = jsonschema.Draft202012Validator(
            s, resolver=resolver, format_checker=jsonschema.FormatChecker())
    return index, validators


def command_of(argv, binary):
    """The portscope command an argv runs ("scan", "policy verify"), or None."""
    argv = [str(a) for a in argv]
    for i, a in enumerate(argv):
        if a == binary or os.path.basename(a) == "portscope":
            rest = argv[i + 1:]
            if not rest or rest[0].startswith("-"):
                return "audit"  # portscope --json: the audit
            if rest[0] == "policy" and len(rest) > 1:
                return "policy " + rest[1]
            return rest[0]
    return None


def _no_float_noise(text):
    d = decimal.Decimal(text)
    if d != d.quantize(decimal.Decimal("0.000001")):
        raise AssertionError(f"float noise in the JSON: {text} (more than 6 decimals)")
    return float(text)


def parse_line(line):
    return json.loads(line, parse_float=_no_float_noise)


def check_record(command, rec):
    """Validates one record of command against its schema."""
    index, validators = _registry()
    kinds = index["commands"].get(command)
    assert kinds is not None, f"no schema for the JSON of '{command}' in schema/index.json"
    assert isinstance(rec, dict) and "type" in rec, f"{command}: a record without a type: {rec!r}"
    name = kinds.get(rec["type"])
    assert name, f"{command}: record type {rec['type']!r} is not in schema/index.json"
    errors = sorted(validators[name].iter_errors(rec), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        raise AssertionError(f"{command} --json: a {rec['type']!r} record does not match "
                             f"schema/{name} at {list(e.path)}: {e.message}\nrecord: {rec!r}")


def check_text(command, text, rc=0):
    """Checks a command's whole JSON output (framing, schema, numbers); returns the records."""
    lines = [line for line in text.splitlines() if line.strip()]
    recs = [parse_line(line) for line in lines]
    for rec in recs:
        check_record(command, rec)
    if command in DOCUMENTS and rc in (0, 1):
        assert len(recs) == 1, f"{command} --json prints one document, got {len(recs)} lines"
    if command in STREAMS and rc in (0, 1):
        assert recs and recs[-1]["type"] == "summary", \
            f"{command} --json ends with its summary record"
    return recs
