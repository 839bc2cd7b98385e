#!/bin/sh
# Runs one libFuzzer harness for FUZZ_SECONDS (default 15) over its seed corpus,
# writing new inputs to a scratch directory so the repository stays clean.
# FUZZ_SEED: libFuzzer's -seed (0, the default here, picks one at random).
set -eu
harness=$1
seeds=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
set -- "$scratch"
[ -d "$seeds" ] && set -- "$scratch" "$seeds"
# libFuzzer exits 77 on a crash by default, which meson counts as a skipped
# test: make every finding (crash, leak, timeout, OOM) a failure instead.
exec "$harness" -max_total_time="${FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=1024 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 -seed="${FUZZ_SEED:-0}" "$@"
