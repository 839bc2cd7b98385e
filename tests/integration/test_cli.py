"""The command-line contract shared by every subcommand."""
import re

from conftest import portscope_bin, run


def test_version():
    r = run([portscope_bin(), "--version"])
    assert r.rc == 0
    assert re.fullmatch(r"portscope \d+\.\d+\.\d+\n", r.out)


def test_help_lists_commands():
    r = run([portscope_bin(), "--help"])
    assert r.rc == 0
    assert "usage: portscope" in r.out
    assert "version" in r.out


def test_unknown_command_is_usage_error():
    r = run([portscope_bin(), "frobnicate"])
    assert r.rc == 2
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "frobnicate" in lines[0]


def test_options_without_command_are_the_audits():
    r = run([portscope_bin(), "--bogus-option"])
    assert r.rc == 2
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "audit" in lines[0] and "--bogus-option" in lines[0]
