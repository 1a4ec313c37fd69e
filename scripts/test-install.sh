#!/usr/bin/env bash
# test-install.sh: `make install` into a temporary prefix (and with DESTDIR,
# and with LIBDIR and INCLUDEDIR of their own),
# then build examples/cancel.c and cancel.cpp out of tree against the installed
# files only, with pkg-config (shared and static) and, when cmake is there, with
# find_package(binance_algo); run each against the simulator. Run from the
# repository root (make install-test). Prints "install-test: N passed, N failed".
set -uo pipefail

make=${MAKE:-make}
repo=$PWD
export BINANCE_SIM=${BINANCE_SIM:-$repo/target/release/binance-algo-sim} # with-sim.sh runs from elsewhere here
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# check DESCRIPTION COMMAND...: runs COMMAND, counts it, shows its output on failure.
check() {
    local what=$1 start=$SECONDS
    shift
    if "$@" >"$tmp/out" 2>&1; then
        [ -z "${VERBOSE:-}" ] || echo "ok ($((SECONDS - start)) s): $what"
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "install-test: FAILED: $what" >&2
        sed 's/^/    /' "$tmp/out" >&2
    fi
}

cancels_twice() {
    "$repo/scripts/cancels-twice.sh" "$1"
}

prefix=$tmp/prefix
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
lib=$prefix/lib

check "make install PREFIX=$prefix" $make -s install PREFIX="$prefix"
check "the real library file" test -f "$lib/libbinance_algo.so.$version" -a ! -L "$lib/libbinance_algo.so.$version"
check "soname link" test "$(readlink "$lib/libbinance_algo.so.$major")" = "libbinance_algo.so.$version"
check "dev link" test "$(readlink "$lib/libbinance_algo.so")" = "libbinance_algo.so.$major"
check "static library" test -f "$lib/libbinance_algo.a"
check "SONAME" sh -c "readelf -d '$lib/libbinance_algo.so.$version' | grep -q 'SONAME.*\[libbinance_algo.so.$major\]'"
check "headers" test -f "$prefix/include/binance_algo.h" -a -f "$prefix/include/binance_algo.hpp"
check "cmake package" test -f "$lib/cmake/binance_algo/binance_algoConfig.cmake" \
    -a -f "$lib/cmake/binance_algo/binance_algoConfigVersion.cmake"
check "no template left unfilled" sh -c "! grep -rl '@[A-Z]*@' '$lib/pkgconfig' '$lib/cmake'"

# DESTDIR stages the files under it while they still name the final prefix.
stage=$tmp/stage
check "make install DESTDIR" $make -s install DESTDIR="$stage" PREFIX=/opt/binance-algo-test
check "DESTDIR layout" test -f "$stage/opt/binance-algo-test/lib/libbinance_algo.so.$version" \
    -a -f "$stage/opt/binance-algo-test/include/binance_algo.h"
check "DESTDIR prefix in .pc" grep -qx 'prefix=/opt/binance-algo-test' \
    "$stage/opt/binance-algo-test/lib/pkgconfig/binance_algo.pc"
check "nothing outside DESTDIR" test ! -e /opt/binance-algo-test

# Directories of their own (GNU's libdir and includedir): a multiarch
# library directory, headers in a subdirectory.
multi=$tmp/multi
mlib=$multi/lib/x86_64-linux-gnu
minc=$multi/include/binance
check "make install LIBDIR INCLUDEDIR" $make -s install PREFIX="$multi" LIBDIR="$mlib" INCLUDEDIR="$minc"
check "LIBDIR and INCLUDEDIR layout" test -f "$mlib/libbinance_algo.so.$version" -a -f "$mlib/libbinance_algo.a" \
    -a -f "$minc/binance_algo.h" -a -f "$mlib/cmake/binance_algo/binance_algoConfig.cmake" -a ! -e "$multi/lib/libbinance_algo.a"
check "the .pc names them under \${prefix}" sh -c "grep -qx 'libdir=\${prefix}/lib/x86_64-linux-gnu' '$mlib/pkgconfig/binance_algo.pc' &&
    grep -qx 'includedir=\${prefix}/include/binance' '$mlib/pkgconfig/binance_algo.pc'"

# Out of tree: sources copied away from the repository, so only installed files are found.
src=$tmp/src
mkdir -p "$src"
cp examples/cancel.c examples/cancel.cpp tests/install/CMakeLists.txt "$src/"
cd "$src" || exit 1

# The commands of bindings/README.md, as a user with the prefix on
# PKG_CONFIG_PATH types them (the snippet test keeps the two the same).
build_c() {
    cc -std=c99 -Wall -Wextra -Werror -pedantic cancel.c $(pkg-config --cflags --libs binance_algo) -o cancel
}
build_cpp() {
    c++ -std=c++17 -Wall -Wextra -Werror -pedantic cancel.cpp $(pkg-config --cflags --libs binance_algo) -o cancel_cpp
}
build_static() {
    cc -std=c99 cancel.c $(pkg-config --cflags --libs-only-L binance_algo) \
        -Wl,-Bstatic -lbinance_algo -Wl,-Bdynamic -lpthread -ldl -lm -o cancel_static
}
export PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config: version" test "$(pkg-config --modversion binance_algo)" = "$version"
check "pkg-config: static libs" test "$(pkg-config --static --libs binance_algo | xargs)" = \
    "-L$lib -lbinance_algo -lpthread -ldl -lm"
check "pkg-config: C build" build_c
check "pkg-config: C++ build" build_cpp
check "pkg-config: static C build" build_static
export LD_LIBRARY_PATH=$lib # a prefix outside the loader's cache
check "pkg-config: links the installed library" sh -c "ldd ./cancel | grep -q '$lib/libbinance_algo.so.$major'"
check "pkg-config: static needs no libbinance_algo.so" sh -c "! readelf -d ./cancel_static | grep -q libbinance_algo"
check "pkg-config: C example runs" cancels_twice ./cancel
check "pkg-config: C++ example runs" cancels_twice ./cancel_cpp
check "pkg-config: static example runs" cancels_twice ./cancel_static
export PKG_CONFIG_PATH=$mlib/pkgconfig LD_LIBRARY_PATH=$mlib
check "pkg-config, LIBDIR and INCLUDEDIR: C build" build_c
check "pkg-config, LIBDIR and INCLUDEDIR: C example runs" cancels_twice ./cancel
unset LD_LIBRARY_PATH

if command -v cmake >/dev/null 2>&1; then
    build=$tmp/cmake
    check "cmake: configure" cmake -S "$src" -B "$build" -DCMAKE_PREFIX_PATH="$prefix"
    check "cmake: build" cmake --build "$build" -j 2
    check "cmake: C example runs" cancels_twice "$build/cancel"
    check "cmake: static example runs" cancels_twice "$build/cancel_static"
    check "cmake: C++ example runs" cancels_twice "$build/cancel_cpp"
    check "cmake, LIBDIR and INCLUDEDIR: configure" cmake -S "$src" -B "$tmp/cmake-multi" -DCMAKE_PREFIX_PATH="$multi"
    check "cmake, LIBDIR and INCLUDEDIR: build" cmake --build "$tmp/cmake-multi" -j 2
    check "cmake, LIBDIR and INCLUDEDIR: C example runs" cancels_twice "$tmp/cmake-multi/cancel"
    mkdir "$tmp/next-major"
    printf 'cmake_minimum_required(VERSION 3.13)\nproject(p NONE)\nfind_package(binance_algo %s REQUIRED)\n' \
        "$((major + 1)).0" >"$tmp/next-major/CMakeLists.txt"
    check "cmake: refuses another major" sh -c "! cmake -S '$tmp/next-major' -B '$tmp/next-major/build' \
        -DCMAKE_PREFIX_PATH='$prefix'"
else
    echo "install-test: cmake not found; CMake package not tested" >&2
fi

cd "$repo" || exit 1
# Stripped: the same exports, much smaller, and the C example still runs on it.
stripped=$tmp/stripped
check "make install-strip" $make -s install-strip PREFIX="$stripped"
check "stripped .so under a quarter of the unstripped" \
    test "$(($(stat -c %s "$stripped/lib/libbinance_algo.so.$version") * 4))" -lt "$(stat -c %s "$lib/libbinance_algo.so.$version")"
check "stripped .so exports the same symbols" test "$(nm -D --defined-only "$stripped/lib/libbinance_algo.so.$version" | awk '{print $3}')" \
    = "$(nm -D --defined-only "$lib/libbinance_algo.so.$version" | awk '{print $3}')"
check "C example runs on the stripped library" env LD_LIBRARY_PATH="$stripped/lib" "$repo/scripts/cancels-twice.sh" "$src/cancel"
check "static C example links the stripped archive" ${CC:-cc} -std=c99 "$src/cancel.c" -I"$stripped/include" \
    "$stripped/lib/libbinance_algo.a" -lpthread -ldl -lm -o "$tmp/cancel_stripped_static"
check "and runs" cancels_twice "$tmp/cancel_stripped_static"
# Installed over, then removed: every file goes, and the prefix's own
# directories stay.
check "make install again over it" $make -s install PREFIX="$prefix"
check "make uninstall" $make -s uninstall PREFIX="$prefix"
check "nothing left but directories" test -z "$(find "$prefix" ! -type d)"
check "make uninstall LIBDIR INCLUDEDIR" $make -s uninstall PREFIX="$multi" LIBDIR="$mlib" INCLUDEDIR="$minc"
check "nothing left of that either" test -z "$(find "$multi" ! -type d)"
# sudo's PATH has no cargo: once built, install must not need it.
check "install after a build needs no cargo" env PATH=/usr/bin:/bin $make -s install PREFIX="$tmp/no-cargo"
# Files written by the recipe are as readable as install's under any umask.
check "make install under umask 077" sh -c "umask 077; $make -s install PREFIX='$tmp/umask'"
check "pkg-config and cmake files readable by all" test -z "$(find "$tmp/umask" -type f ! -perm -444)"
# What make build did not make is refused. Tried on a copy of its output
# (OUT), so that an interrupted run leaves the real one as it was.
out=$tmp/build-copy
mkdir "$out"
cp -p target/release/libbinance_algo.so target/release/libbinance_algo.a target/release/built-version "$out/"
echo 0.0.0-before-the-pull >"$out/built-version"
check "a build of another version is refused" sh -c "! $make -s install OUT='$out' PREFIX='$tmp/stale' 2>/dev/null"
check "and nothing was installed for it" test ! -e "$tmp/stale"
cp -p target/release/built-version "$out/"
check "the copy itself installs" $make -s install OUT="$out" PREFIX="$tmp/copy"
${CC:-cc} -c -x c /dev/null -o "$tmp/extra.o" && ar q "$out/libbinance_algo.a" "$tmp/extra.o" 2>/dev/null
check "an archive make build has not localized is refused" \
    sh -c "! $make -s install OUT='$out' PREFIX='$tmp/unlocalized' 2>/dev/null"
check "and nothing was installed for it" test ! -e "$tmp/unlocalized"
check "a PREFIX with a space is refused" sh -c "! $make -s install PREFIX='$tmp/with space' 2>/dev/null"
check "and nothing was written for it" test ! -e "$tmp/with" -a ! -e "$tmp/with space" -a ! -e space

echo "install-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
