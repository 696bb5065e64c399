#!/bin/sh
# Runs meson tests many times in a row, to catch what fails only
# sometimes (races between a completion and a cancellation, a client
# finding every pipe instance taken). Not part of ./dev test: it takes
# minutes. For a Windows cross build it runs under Wine, with a Wine prefix
# in the build directory unless WINEPREFIX says otherwise.
#   tests/run_repeated.sh BUILDDIR [COUNT [TEST...]]   (default: 50 async)
# TEST names meson tests (`async` runs the doctest suite async of the
# standalone flavour; `async-threads` its two-thread cases).
# Build the tests first (the runs do not rebuild). Prints each run's result and the total time; exits non-zero if any failed
# (the failing runs' logs stay in BUILDDIR/repeated-N.log).
set -u
build=${1:?usage: run_repeated.sh BUILDDIR [COUNT [TEST...]]}
count=${2:-50}
shift $(($# < 2 ? $# : 2))
tests=${*:-async}
: "${WINEPREFIX:=$(cd "$build" && pwd)/wineprefix}"
: "${WINEDEBUG:=-all}"
: "${WINEDLLOVERRIDES:=mscoree,mshtml=}"
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES

failed=0
started=$(date +%s)
i=1
while [ "$i" -le "$count" ]; do
    log="$build/repeated-$i.log"
    run_start=$(date +%s)
    if meson test -C "$build" --no-rebuild --num-processes 1 --print-errorlogs $tests >"$log" 2>&1; then
        echo "run $i: ok ($(($(date +%s) - run_start)) s)"
        rm -f "$log"
    else
        echo "run $i: FAILED ($(($(date +%s) - run_start)) s), log in $log"
        failed=$((failed + 1))
    fi
    i=$((i + 1))
done
echo "$count runs of $tests in $(($(date +%s) - started)) s, $failed failed"
[ "$failed" -eq 0 ]
