#!/usr/bin/env bash
# tsan.sh SIM-FLAGS: the library built under ThreadSanitizer (nightly Rust, with std,
# every dependency and ring's C instrumented), then tests/c/threads.c (eight
# threads on one client, with warms, clock syncs and presigns alongside) run
# against it on the simulator; any TSan report fails it. `make tsan`; not part
# of `make test`, as it needs nightly Rust with rust-src:
#   rustup toolchain install nightly --component rust-src
# A plain build of the library reports false races under TSan (the locks that
# hand buffers between threads are not instrumented); this one should not.
set -euo pipefail
cd "$(dirname "$0")/.."
triple=x86_64-unknown-linux-gnu
sysroot=$(rustc +nightly --print sysroot 2>/dev/null) && [ -d "$sysroot/lib/rustlib/src/rust/library" ] || {
    echo "tsan: needs nightly Rust with rust-src: rustup toolchain install nightly --component rust-src" >&2
    exit 2
}
out=target/tsan
lib=$out/$triple/release
RUSTFLAGS=-Zsanitizer=thread CFLAGS_x86_64_unknown_linux_gnu=-fsanitize=thread \
    cargo +nightly build --release --locked --lib -Zbuild-std --target "$triple" --target-dir "$out"
ln -sf libbinance_algo.so "$lib/libbinance_algo.so.0"
case $(nm -D "$lib/libbinance_algo.so") in *" U __tsan_read"*) ;; *) echo "tsan: $lib is not instrumented" >&2; exit 1 ;; esac

# gcc instruments the program; it links the TSan runtime the library was
# built for (Rust's, LLVM's), as gcc's own libtsan lacks entry points LLVM uses.
${CC:-cc} -std=c11 -g -O1 -fsanitize=thread -pthread -Iinclude -c tests/c/threads.c -o "$out/threads.o"
${CC:-cc} -o "$out/threads" "$out/threads.o" -Wl,--whole-archive "$sysroot/lib/rustlib/$triple/lib/librustc-nightly_rt.tsan.a" \
    -Wl,--no-whole-archive -rdynamic -L"$lib" -lbinance_algo -Wl,-rpath,"$PWD/$lib" -lpthread -ldl -lm -lrt

TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" scripts/with-sim.sh "$@" -- "$out/threads"
echo "tsan: no report"
