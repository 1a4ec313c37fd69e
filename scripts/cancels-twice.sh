#!/bin/sh
# cancels-twice.sh EXAMPLE: runs a cancel example on a fresh simulator. It
# must cancel 14511 (exit 0), then be refused for the same id (exit 1, with
# the exchange's -20124 in its output), then refuse a malformed id (exit 2).
set -u
[ $# -eq 1 ] || { echo "usage: $0 EXAMPLE" >&2; exit 2; }
exec "$(dirname "$0")/with-sim.sh" --quiet --open-ids 14511 -- sh -c '
    "$0" 14511 || exit 1
    out=$("$0" 14511)
    rc=$?
    printf "%s\n" "$out"
    if [ $rc -ne 1 ] || ! printf "%s\n" "$out" | grep -q -- -20124; then
        echo "$0: the same id again: expected exit 1 with -20124, got exit $rc" >&2
        exit 1
    fi
    "$0" 14511x 2>/dev/null
    rc=$?
    [ $rc -eq 2 ] || { echo "$0: a malformed id: expected exit 2, got $rc" >&2; exit 1; }
' "$1"
