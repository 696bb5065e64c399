#!/bin/sh
# run_fuzzer.sh FUZZER CORPUS FOUND SECONDS
# Runs FUZZER over every input of the committed CORPUS, then fuzzes for
# SECONDS more. New inputs go to FOUND (a build directory), never into the
# committed corpus: `./dev fuzz` is the command that grows that. A finding
# exits 1 (libFuzzer's default, 77, would read as "skipped" to meson).
set -eu
fuzzer=$1 corpus=$2 found=$3 seconds=$4
mkdir -p "$found"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=1 \
    -artifact_prefix="$found/" \
    "$found" "$corpus"
