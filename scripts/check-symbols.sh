#!/usr/bin/env bash
# check-symbols.sh LIB SONAME ARCHIVE: the shared library exports binance_*
# only and carries the expected soname; the static library defines no other
# global symbol but the weak DW.ref.rust_eh_personality (localize-staticlib.sh).
set -euo pipefail
lib=$1 soname=$2 archive=$3
extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^binance_' | grep -vE '^(BINANCE_ALGO_[0-9]+)?$' || true)
if [ -n "$extra" ]; then
    echo "symbols: $lib exports names outside binance_*:" >&2
    printf "%s\n" "$extra" | sed -n 1,20p >&2
    exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '$3 ~ /^binance_/' | wc -l)
[ "$count" -gt 20 ] || { echo "symbols: only $count binance_* symbols exported" >&2; exit 1; }
readelf -d "$lib" | grep -q "SONAME.*\[$soname\]" || { echo "symbols: soname is not $soname" >&2; exit 1; }
# readelf, not nm: binutils' nm loads LLVM's linker plugin when it is installed.
globals=$(readelf -sW "$archive" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" {print $8}' | sort -u)
extra=$(echo "$globals" | grep -v '^binance_' | grep -vx 'DW.ref.rust_eh_personality' || true)
if [ -n "$extra" ]; then
    echo "symbols: $archive defines $(echo "$extra" | wc -l) global names outside binance_*, e.g.:" >&2
    printf "%s\n" "$extra" | sed -n 1,10p >&2
    exit 1
fi
[ "$(echo "$globals" | grep -c '^binance_')" -eq "$count" ] ||
    { echo "symbols: $archive and $lib differ in binance_* symbols" >&2; exit 1; }
echo "symbols: $count binance_* symbols, nothing else, in both libraries; soname $soname"
