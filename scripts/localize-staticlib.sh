#!/usr/bin/env bash
# localize-staticlib.sh ARCHIVE: rewrites the static library cargo made as one
# object whose only global symbols are binance_* (and the weak
# DW.ref.rust_eh_personality its unwind tables point through). As cargo leaves
# it, the archive defines some 10,000 global symbols of Rust's std and of our
# dependencies, so linking it with another Rust static library built by
# another compiler fails on rust_eh_personality. Its LLVM bitcode sections go
# too: only rustc's LTO reads them, and an older LLVM linker plugin, which
# binutils' ar loads, aborts on them. An archive it already rewrote (one
# member) is left as it is.
set -euo pipefail
archive=$1
[ "$(ar t "$archive" | wc -l)" -gt 1 ] || exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# readelf, not nm: binutils' nm loads the same plugins as ar.
readelf -sW "$archive" | awk '$5 == "GLOBAL" && $7 != "UND" && $8 ~ /^binance_/ {print $8}' | sort -u >"$tmp/keep"
[ "$(wc -l <"$tmp/keep")" -gt 20 ] || { echo "localize-staticlib: no binance_* symbols in $archive" >&2; exit 1; }
echo DW.ref.rust_eh_personality >>"$tmp/keep"
${LD:-ld} -r --whole-archive "$archive" -o "$tmp/lib.o"
objcopy --keep-global-symbols="$tmp/keep" --remove-section=.llvmbc --remove-section=.llvmcmd "$tmp/lib.o"
ar rcs "$tmp/lib.a" "$tmp/lib.o"
mv "$tmp/lib.a" "$archive"
