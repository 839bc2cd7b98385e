"""Shell completions written by `portscope completion SHELL` from the option tables.

Each shell loads the script the built binary prints and is asked what it
completes, as a user's TAB would: the commands, every option that --help lists
(so the completions cannot drift from the tables), option values, files.
"""
import os
import re
import shutil

import pytest

from conftest import have, portscope_bin, run

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

# Asks bash what TAB completes at the end of each line given after the script;
# the answers are separated by lines of '--'.
BASH_DRIVER = r'''
source /usr/share/bash-completion/bash_completion
source "$1"
shift
for line; do
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -ra COMP_WORDS <<< "$line"
    [[ $line == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _portscope portscope "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" --
done
'''


def script(tmp_path, shell):
    r = run([portscope_bin(), "completion", shell])
    assert r.rc == 0 and r.err == "", r
    path = tmp_path / f"portscope.{shell}"
    path.write_text(r.out)
    return str(path)


def commands():
    """The commands `portscope --help` lists."""
    out = run([portscope_bin(), "--help"], check=True).out
    block = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()]


def help_flags(*cmd):
    """The option flags `portscope CMD --help` lists: -p, --top-ports, -sS, -oX, -iL."""
    out = run([portscope_bin()] + list(cmd) + ["--help"], check=True).out
    flags = set()
    for line in out.splitlines():
        m = re.match(r"^  (-[^ ].*?)(?:  |$)", line)
        if m:
            for part in m.group(1).split(", "):
                # -PS[PORTS]: the optional argument is glued, the flag is -PS
                flags.add(re.sub(r"\[.*$", "", part.split(" ")[0]))
    return flags


def subcommands(cmd):
    """The subcommands of a command (policy), from its --help's usage lines."""
    out = run([portscope_bin(), cmd, "--help"], check=True).out
    subs = re.findall(rf"^(?:usage:|\s+) portscope {cmd} ([a-z]\S*)", out, re.M)
    return subs if len(subs) > 1 else []


@pytest.fixture
def bash(tmp_path):
    if not os.path.exists(BASH_COMPLETION):
        pytest.skip("needs bash-completion")
    path = script(tmp_path, "bash")

    def complete(*lines):
        """The completions of each line (a list), or of the one line given."""
        cp = run(["bash", "--norc", "-c", BASH_DRIVER, "driver", path] + list(lines))
        assert cp.rc == 0 and cp.err == "", cp
        answers = [[w for w in a.split("\n") if w] for a in ("\n" + cp.out).split("\n--\n")]
        answers = answers[:len(lines)]
        return answers[0] if len(lines) == 1 else answers
    return complete


def test_bash_commands_and_options(bash):
    cmds = commands()
    assert {"info", "ls", "audit", "scan", "policy", "history", "diff"} <= set(cmds)
    assert sorted(bash("portscope ")) == sorted(cmds)
    assert bash("portscope sc") == ["scan"]
    assert "completion" not in bash("portscope ")
    paths = []
    for cmd in cmds:
        subs = subcommands(cmd)
        paths += [[cmd, sub] for sub in subs] or [[cmd]]
        if subs:
            assert sorted(bash(f"portscope {cmd} ")) == sorted(subs)
    answers = bash(*["portscope " + " ".join(p) + " -" for p in paths])
    for path, offered in zip(paths, answers):
        assert set(offered) == help_flags(*path) | {"-h", "--help"}, path
    scan = set(bash("portscope scan -"))
    assert {"-sS", "-sT", "-sU", "-p", "-oX", "-oJ", "-iL", "--top-ports", "--db"} <= scan


def test_bash_option_values(bash, tmp_path):
    assert sorted(bash("portscope audit --fail-on ")) == ["high", "info", "low", "medium"]
    assert bash("portscope audit --fail-on=me") == ["medium"]
    # A free argument (PORTS) offers nothing, not files; the word after it is a target.
    assert bash("portscope scan -p ") == []
    assert bash("portscope scan -p 22 -") == bash("portscope scan -")
    assert "all" in bash("portscope ls --netns ")


def test_bash_files_where_the_table_says(bash, tmp_path):
    (tmp_path / "targets.txt").write_text("198.18.0.2\n")
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert "targets.txt" in bash("portscope scan -iL ")
        assert "targets.txt" in bash("portscope scan -oX ")
        assert "targets.txt" in bash("portscope scan --db=")
    finally:
        os.chdir(here)


def test_bash_subcommands(bash):
    subs = bash("portscope policy ")
    assert {"check", "eval", "compile", "apply", "verify", "listening"} <= set(subs)
    assert set(bash("portscope policy eval -")) == help_flags("policy", "eval") | {"-h",
                                                                                  "--help"}
    assert sorted(bash("portscope policy eval --proto ")) == ["tcp", "udp"]


@pytest.mark.skipif(not have("fish"), reason="needs fish")
def test_fish(tmp_path):
    path = script(tmp_path, "fish")

    def complete(line):
        cp = run(["fish", "--no-config", "-c", f"source {path}; complete -C '{line}'"])
        assert cp.rc == 0 and cp.err == "", cp
        return [w.split("\t")[0] for w in cp.out.splitlines()]

    assert set(complete("portscope ")) >= set(commands())
    assert complete("portscope sc") == ["scan"]
    offered = set(complete("portscope scan -"))
    assert help_flags("scan") <= offered, help_flags("scan") - offered
    assert sorted(complete("portscope audit --fail-on ")) == ["high", "info", "low", "medium"]
    assert {"check", "eval"} <= set(complete("portscope policy "))
    assert "--proto" in complete("portscope policy eval --")


@pytest.mark.skipif(not have("zsh"), reason="needs zsh")
def test_zsh(tmp_path):
    """zsh loads it (compinit, then the functions), and _arguments takes every spec."""
    path = script(tmp_path, "zsh")
    fpath = tmp_path / "fpath"
    fpath.mkdir()
    shutil.copy(path, fpath / "_portscope")
    r = run(["zsh", "-n", path])
    assert r.rc == 0 and r.err == "", r
    text = open(path).read()
    for flag in help_flags("scan"):
        assert f"'{flag}" in text, flag
    # An interactive zsh in a pty (zpty) with compinit, given TAB as a user would.
    drive = f"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=({fpath} $fpath); autoload -Uz compinit; compinit -u -D; echo RE""ADY'
zpty -r z out '*READY*'
zpty -w -n z $'portscope audit --fail-on \\t'
zpty -r z out '*medium*'
print -r -- "$out"
zpty -w -n z $'\\C-u' $'portscope \\t'
zpty -r z out '*quiz*'
print -r -- "$out"
zpty -d z
"""
    r = run(["zsh", "-f", "-c", drive], timeout=30)
    assert r.rc == 0, r
    for word in ("high", "medium", "low", "info", "scan", "audit", "policy", "quiz"):
        assert word in r.out, (word, r.out[-3000:])


def test_completion_usage():
    r = run([portscope_bin(), "completion"])
    assert r.rc == 2 and r.out == "" and len(r.err.splitlines()) == 1, r
    r = run([portscope_bin(), "completion", "tcsh"])
    assert r.rc == 2 and "tcsh" in r.err and len(r.err.splitlines()) == 1, r
    assert "completion" not in run([portscope_bin(), "--help"]).out
