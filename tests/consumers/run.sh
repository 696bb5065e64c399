#!/bin/sh
# Builds tests/consumers/consumer.cpp as an outside project would and runs it.
#   run.sh subproject SOURCE_ROOT            localsock as a Meson subproject
#   run.sh pkg-config SOURCE_ROOT BUILD_ROOT [lsock]
#                                             against a DESTDIR install, via pkg-config;
#                                             with `lsock`, the installed tool too
#   run.sh cmake SOURCE_ROOT BUILD_ROOT [static]
#                                             against a DESTDIR install moved elsewhere,
#                                             via find_package(localsock CONFIG); with
#                                             `static`, the static library too
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
    # buildtype plain (no optimisation, no debug information), in unity
    # files, the library alone (no lsock, no benchmarks): what is tested is
    # how the library is found and linked, and this compiles all of it
    # afresh, beside the other tests (it was the longest of them at 59 s).
    meson setup "$work/build" "$work/project" --buildtype=plain --unity=on \
        -Dlocalsock:tests=disabled -Dlocalsock:examples=disabled -Dlocalsock:tools=disabled \
        -Dlocalsock:benchmarks=disabled >"$work/setup.log" 2>&1 \
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
    # lsock (when built) is installed beside the library and runs from the
    # installed tree.
    if [ "${4:-}" = lsock ]; then
        lsock=$(find "$dest" -path '*/bin/lsock' -type f | head -n 1)
        [ -n "$lsock" ] || { echo "lsock was not installed"; exit 1; }
        LD_LIBRARY_PATH="$libdir" "$lsock" --version
        LD_LIBRARY_PATH="$libdir" ldd "$lsock" | grep -q "$libdir/liblocalsock\.so" \
            || { echo "the installed lsock does not use the installed library"; exit 1; }
    fi
    ;;
cmake)
    build_root=$(cd "$3" && pwd)
    meson install -C "$build_root" --destdir "$work/dest" --no-rebuild >"$work/install.log" 2>&1 \
        || { cat "$work/install.log"; exit 1; }
    # Relocatable: the installed tree works from wherever it is moved.
    mv "$work/dest" "$work/moved"
    config=$(find "$work/moved" -name localsockConfig.cmake | head -n 1)
    [ -n "$config" ] || { echo "no localsockConfig.cmake was installed"; exit 1; }
    [ -f "$(dirname "$config")/localsockConfigVersion.cmake" ] || { echo "no localsockConfigVersion.cmake"; exit 1; }
    # The prefix: four levels above lib/<arch>/cmake/localsock, three above lib/cmake/localsock.
    prefix=$(dirname "$config")/../../..
    case $(dirname "$config") in */lib/*/cmake/localsock) prefix=$prefix/.. ;; esac
    prefix=$(cd "$prefix" && pwd)
    project=$source_root/tests/consumers/cmake
    version=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' "$(dirname "$config")/localsockConfigVersion.cmake")
    # Versions: the same one and an older minor-compatible one are found;
    # a newer one and another major are not.
    for wanted in "$version" 0.1; do
        cmake -S "$project" -B "$work/build-$wanted" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
            -DLOCALSOCK_VERSION="$wanted" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
    done
    for wanted in 0.99 1.0; do
        if cmake -S "$project" -B "$work/build-$wanted" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
            -DLOCALSOCK_VERSION="$wanted" >"$work/cmake.log" 2>&1; then
            echo "find_package(localsock $wanted) accepted localsock $version"
            exit 1
        fi
    done
    echo "find_package(localsock CONFIG) found $version in $prefix"
    build="$work/build-$version"
    cmake --build "$build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    # localsock::localsock is the shared library, from the moved tree.
    ldd "$build/consumer_shared" | grep -q "$prefix/.*liblocalsock\.so" \
        || { ldd "$build/consumer_shared"; exit 1; }
    "$build/consumer_shared"
    if [ "${4:-}" = static ]; then
        [ -x "$build/consumer_static" ] || { echo "the package has no localsock::static"; exit 1; }
        if ldd "$build/consumer_static" | grep -q 'liblocalsock'; then
            echo "consumer_static links liblocalsock dynamically"
            exit 1
        fi
        "$build/consumer_static"
    fi
    ;;
*)
    echo "usage: $0 subproject|pkg-config|cmake SOURCE_ROOT [BUILD_ROOT [static]]" >&2
    exit 2
    ;;
esac
