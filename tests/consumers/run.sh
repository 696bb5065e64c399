#!/bin/sh
# Builds tests/consumers/consumer.cpp as an outside project would and runs it.
#   run.sh subproject SOURCE_ROOT            localsock as a Meson subproject
#   run.sh pkg-config SOURCE_ROOT BUILD_ROOT  against a DESTDIR install, via pkg-config
set -eu
mode=$1
source_root=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/localsock-consumer-XXXXXX")
trap 'rm -rf "$work"' EXIT

case $mode in
subproject)
    mkdir -p "$work/project/subprojects"
    cp "$source_root/tests/consumers/subproject/meson.build" "$work/project/"
    cp "$source_root/tests/consumers/consumer.cpp" "$work/"
    ln -s "$source_root" "$work/project/subprojects/localsock"
    # buildtype plain (no optimisation, no debug information): what is
    # tested is how the library is found and linked, and this compiles all
    # of it afresh.
    meson setup "$work/build" "$work/project" --buildtype=plain \
        -Dlocalsock:tests=disabled -Dlocalsock:examples=disabled >"$work/setup.log" 2>&1 \
        || { cat "$work/setup.log"; exit 1; }
    ninja -C "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    # The consumer must link the shared library, not a copy of the code.
    ldd "$work/build/consumer" | grep -q 'liblocalsock\.so'
    "$work/build/consumer"
    ;;
pkg-config)
    build_root=$(cd "$3" && pwd)
    dest="$work/dest"
    meson install -C "$build_root" --destdir "$dest" --no-rebuild >"$work/install.log" 2>&1 \
        || { cat "$work/install.log"; exit 1; }
    pc=$(find "$dest" -name localsock.pc | head -n 1)
    [ -n "$pc" ] || { echo "no localsock.pc was installed"; exit 1; }
    # The sysroot maps the installed prefix into the DESTDIR staging tree.
    export PKG_CONFIG_SYSROOT_DIR="$dest"
    export PKG_CONFIG_PATH="$(dirname "$pc")"
    libdir=$(pkg-config --variable=libdir localsock)
    flags=$(pkg-config --cflags --libs localsock)
    echo "pkg-config --cflags --libs localsock: $flags"
    # shellcheck disable=SC2086 # flags are words
    c++ -std=c++20 "$source_root/tests/consumers/consumer.cpp" $flags -Wl,-rpath,"$libdir" -o "$work/consumer"
    ldd "$work/consumer" | grep -q "$libdir/liblocalsock\.so"
    "$work/consumer"
    ;;
*)
    echo "usage: $0 subproject|pkg-config SOURCE_ROOT [BUILD_ROOT]" >&2
    exit 2
    ;;
esac
