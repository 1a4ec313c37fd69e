#!/usr/bin/env bash
# check-symbols.sh LIB SONAME: the shared library exports binance_* only and
# carries the expected soname.
set -euo pipefail
lib=$1 soname=$2
extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^binance_' | grep -vE '^(BINANCE_ALGO_[0-9]+)?$' || true)
if [ -n "$extra" ]; then
    echo "symbols: $lib exports names outside binance_*:" >&2
    echo "$extra" | head -n 20 >&2
    exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '$3 ~ /^binance_/' | wc -l)
[ "$count" -gt 20 ] || { echo "symbols: only $count binance_* symbols exported" >&2; exit 1; }
readelf -d "$lib" | grep -q "SONAME.*\[$soname\]" || { echo "symbols: soname is not $soname" >&2; exit 1; }
echo "symbols: $count binance_* symbols, nothing else; soname $soname"
