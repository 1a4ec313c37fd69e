#!/usr/bin/env bash
# with-sim.sh [SIMULATOR FLAGS...] -- COMMAND [ARGS...]
#
# Starts binance-algo-sim on a free loopback port, runs COMMAND with
# BINANCE_BASE_URL, BINANCE_API_KEY and BINANCE_SECRET_KEY pointing at it, and
# stops the simulator however COMMAND ends. Exits with COMMAND's status.
set -euo pipefail

sim=${BINANCE_SIM:-$(cd "$(dirname "$0")/.." && pwd)/target/release/binance-algo-sim}
sim_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sim_args+=("$1"); shift; done
[ $# -gt 1 ] || { echo "usage: $0 [SIM FLAGS...] -- COMMAND..." >&2; exit 2; }
shift

# Always the simulator's own test keys: real keys from the caller's
# environment must never be handed to a local process or a command line.
export BINANCE_API_KEY=sim-api-key
export BINANCE_SECRET_KEY=sim-secret-key

dir=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --lifetime-s: a simulator orphaned by a killed shell still exits by itself.
# The simulator reads the keys from the environment, not the command line.
"$sim" --port 0 --port-file "$dir/port" --lifetime-s 900 "${sim_args[@]}" >"$dir/stdout" &
pid=$!
for _ in $(seq 1 200); do
    [ -s "$dir/port" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "with-sim: the simulator exited at start" >&2; exit 1; }
    sleep 0.05
done
[ -s "$dir/port" ] || { echo "with-sim: the simulator did not start within 10 s" >&2; exit 1; }
export BINANCE_BASE_URL="http://127.0.0.1:$(cat "$dir/port")"

status=0
"$@" || status=$?
exit "$status"
