#!/usr/bin/env bash
# The benchmark of issue 7, run by `make bench` (never by `make test`).
#
#   bench/run.sh            every measurement; tables on the terminal and in
#                           bench/results/latest.md
#   bench/run.sh quick      the two latency tables only, on the terminal
#                           (for trying a change to src/ quickly)
#   bench/run.sh profile    perf, strace and callgrind on the library's
#                           per-call loop; reports in target/bench/profile/
#
# Knobs (environment): BENCH_N_HTTP (20000) and BENCH_N_TLS (10000) timed
# calls per client, BENCH_WARMUP (1000), BENCH_ROUNDS (10), BENCH_FRESH (50
# fresh clients), BENCH_THREAD_CALLS_HTTP (16000) / _TLS (8000),
# BENCH_NO_INSTALL=1 to never call apt-get, BENCH_NO_CURL=1 to leave libcurl out.
#
# Everything it starts stops by itself: the server dies with this script
# (PR_SET_PDEATHSIG), after a lifetime, or by the trap below.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
out=target/bench
lib=target/release/libbinance_algo.so
mkdir -p "$out"

note() { printf '== %s\n' "$*" >&2; }

# ---- build dependencies: only what is missing, and never fatal for curl ----
have_pkg() { dpkg -s "$1" >/dev/null 2>&1; }
install_pkg() {
    have_pkg "$1" && return 0
    [ "${BENCH_NO_INSTALL:-0}" = 1 ] && return 1
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    note "installing $1"
    # A stale package index is the usual failure: refresh once, then retry.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" >/dev/null 2>&1 && return 0
    apt-get update -q >/dev/null 2>&1 || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" >/dev/null 2>&1
}
if ! install_pkg libssl-dev && ! [ -e /usr/include/openssl/ssl.h ]; then
    echo "bench: OpenSSL headers (libssl-dev) are needed for the floor client and could not be installed" >&2
    exit 1
fi
curl_flags=() curl_note=""
if [ "${BENCH_NO_CURL:-0}" = 1 ]; then
    curl_note="libcurl: not measured (BENCH_NO_CURL=1); its rows and ratios are absent."
    note "$curl_note"
elif install_pkg libcurl4-openssl-dev || [ -e /usr/include/x86_64-linux-gnu/curl/curl.h ] ||
    [ -e /usr/include/curl/curl.h ]; then
    curl_flags=(-DHAVE_CURL bench/curl.c -lcurl)
else
    curl_note="libcurl: not measured (libcurl4-openssl-dev missing and could not be installed);"
    curl_note+=" its rows and ratios are absent."
    note "$curl_note"
fi

# ---- build: the library as `make build` left it, the server, the C clients ----
[ -f "$lib" ] || { echo "bench: $lib missing: run make build" >&2; exit 1; }
note "building bench/server (target/bench)"
cargo build --release --locked --quiet --manifest-path bench/server/Cargo.toml --target-dir "$out"
server_bin=$out/release/bench-server
CC=${CC:-cc}
cflags=(-std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude)
note "building the C clients"
"$CC" "${cflags[@]}" bench/main.c bench/stats.c bench/sign.c bench/floor.c bench/lib.c "${curl_flags[@]}" \
    -L"$(dirname "$lib")" -lbinance_algo -Wl,-rpath,"$PWD/$(dirname "$lib")" -lssl -lcrypto -lpthread -ldl \
    -o "$out/bench"
"$CC" "${cflags[@]}" -fPIC -shared bench/malloc_count.c -o "$out/malloc_count.so"

# ---- a CA and a server certificate made for this run only, never kept ----
work=$(mktemp -d "$out/run.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=binance_algo bench CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$work/server.ext"
openssl x509 -req -days 1 -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

# ---- the server on the last CPU, the clients on the first ----
cpus=$(nproc)
server_cpu=() client_cpu=""
if [ "$cpus" -ge 2 ]; then
    server_cpu=(--cpu $((cpus - 1)))
    client_cpu=0
fi
"$server_bin" --cert "$work/server.pem" --key "$work/server.key" "${server_cpu[@]}" --lifetime-s 1800 \
    >"$work/ports" &
server_pid=$!
for _ in $(seq 100); do
    [ "$(wc -l <"$work/ports")" -ge 2 ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "bench: the server did not start" >&2; exit 1; }
    sleep 0.1
done
export BENCH_HTTP_PORT BENCH_HTTPS_PORT BENCH_CA=$work/ca.pem BENCH_CLIENT_CPU=$client_cpu
BENCH_HTTP_PORT=$(awk '$1 == "http" {print $2}' "$work/ports")
BENCH_HTTPS_PORT=$(awk '$1 == "https" {print $2}' "$work/ports")
[ -n "$BENCH_HTTP_PORT" ] && [ -n "$BENCH_HTTPS_PORT" ] || { echo "bench: no server ports" >&2; exit 1; }

n_http=${BENCH_N_HTTP:-20000} n_tls=${BENCH_N_TLS:-10000}
# One measurement of the C driver (optionally under a wrapper such as env);
# its Markdown goes to stdout.
measure() {
    local what=$1 proto=$2 n=$n_http calls=${BENCH_THREAD_CALLS_HTTP:-}
    shift 2
    if [ "$proto" = https ]; then n=$n_tls calls=${BENCH_THREAD_CALLS_TLS:-}; fi
    BENCH_N=$n BENCH_THREAD_CALLS=$calls "$@" "$out/bench" "$what" "$proto"
}

# Syscalls per call of one client, by name: strace counts of N and 2N calls,
# differenced, so that process start-up and warm-up cancel out.
syscalls_per_call() {
    local client=$1 proto=$2 n=$3 f1=$work/strace1 f2=$work/strace2
    BENCH_N=$n BENCH_CLIENT=$client strace -f -c -o "$f1" "$out/bench" loop "$proto" >/dev/null
    BENCH_N=$((2 * n)) BENCH_CLIENT=$client strace -f -c -o "$f2" "$out/bench" loop "$proto" >/dev/null
    # strace -c rows: ... calls [errors] name; the total row is named "total".
    awk -v n="$n" '
        /^[ ]*[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ {
            name = $NF; calls = $4
            if (FILENAME == ARGV[1]) a[name] = calls; else b[name] = calls
        }
        END {
            for (k in b) { d = (b[k] - a[k]) / n; if (d >= 0.05) printf "%s %.2f\n", k, d }
        }' "$f1" "$f2" | sort -k2,2nr
}

if [ "$mode" = profile ]; then
    prof=$out/profile
    rm -rf "$prof"
    mkdir -p "$prof"
    n=${BENCH_PROFILE_N:-20000}
    summary=$prof/summary.md
    clients=(floor binance_algo diagnostic)
    [ ${#curl_flags[@]} -gt 0 ] && clients=(floor libcurl binance_algo diagnostic)
    {
        echo "# Per-call cost ($(date -u '+%Y-%m-%d %H:%M UTC'), $n calls per client)"
        for proto in http https; do
            echo
            echo "## $proto"
            echo
            echo "| client | wall µs/call | user CPU µs/call | system CPU µs/call | context switches/call | syscalls/call |"
            echo "|---|--:|--:|--:|--:|---|"
            for client in "${clients[@]}"; do
                note "getrusage and strace: $client over $proto" >&2
                read -r wall user sys csw < <(BENCH_N=$n BENCH_CLIENT=$client "$out/bench" loop "$proto")
                sc=$(syscalls_per_call "$client" "$proto" $((n / 10)) | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')
                echo "| $client | $wall | $user | $sys | $csw | $sc |"
            done
        done
    } >"$summary"
    for proto in http https; do
        note "perf record (user space): $n library calls over $proto"
        BENCH_N=$n perf record -q --all-user -F 10000 --call-graph dwarf,16384 -o "$prof/perf-$proto.data" \
            "$out/bench" loop "$proto" >/dev/null 2>&1
        perf report -i "$prof/perf-$proto.data" --no-children --percent-limit 0.8 --stdio \
            --sort dso,symbol -g none >"$prof/perf-$proto-self.txt" 2>/dev/null
        perf report -i "$prof/perf-$proto.data" --children --percent-limit 1.5 --stdio \
            --sort symbol -g none >"$prof/perf-$proto-children.txt" 2>/dev/null
        note "callgrind: $((n / 10)) library calls over $proto (instructions of the timed calls only)"
        BENCH_N=$((n / 10)) valgrind --tool=callgrind --toggle-collect='loop_timed*' \
            --callgrind-out-file="$prof/callgrind-$proto.out" "$out/bench" loop "$proto" >/dev/null 2>&1
        callgrind_annotate --inclusive=yes "$prof/callgrind-$proto.out" >"$prof/callgrind-$proto-inclusive.txt" 2>/dev/null
        callgrind_annotate "$prof/callgrind-$proto.out" >"$prof/callgrind-$proto-self.txt" 2>/dev/null
    done
    cat "$summary"
    note "details in $prof/: summary.md, perf-*-{self,children}.txt, callgrind-*-{inclusive,self}.txt"
    exit 0
fi

if [ "$mode" = quick ]; then
    for proto in http https; do measure latency "$proto"; done
    exit 0
fi

# ---- every measurement against the one server, in one report ----
result=bench/results/latest.md
mkdir -p "$(dirname "$result")"
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
rustls_v=$(sed -n '/^name = "rustls"$/{n;s/version = "\(.*\)"/\1/p}' bench/server/Cargo.lock)
ureq_v=$(sed -n '/^name = "ureq"$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ] || rev="$rev + uncommitted changes"
{
    echo "# binance_algo benchmark"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $cpu_model, $cpus CPUs, $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Server: bench/server (Rust, rustls $rustls_v with ring, thread per connection), 127.0.0.1 only," \
        "${server_cpu:+pinned to CPU $((cpus - 1)) (sched_setaffinity), clients pinned to CPU $client_cpu;}" \
        "canned answer \`{\"algoId\":ID,\"success\":true,\"code\":0,\"msg\":\"OK\"}\` with Content-Type," \
        "Content-Length and both X-SAPI-USED-*-WEIGHT-1M headers, and \`GET /api/v3/time\`;" \
        "TLS 1.3 (AES-256-GCM, X25519) with an ECDSA P-256 certificate from a CA made for this run; no signature checks"
    echo "- N: $n_http HTTP and $n_tls TLS timed calls per client, ${BENCH_WARMUP:-1000} warm-up calls" \
        "(BENCH_N_HTTP, BENCH_N_TLS, BENCH_WARMUP)"
    echo "- Library: $lib built from $rev; ureq $ureq_v with rustls"
    [ -n "$curl_note" ] && echo "- $curl_note"
    echo "- Timings are wall-clock per call (CLOCK_MONOTONIC) around the client's cancel call, signing included."
    echo
} >"$work/report.md"
cat "$work/report.md"

rc=0
for proto in http https; do
    for what in latency fresh threads; do
        note "$what over $proto"
        measure "$what" "$proto" | tee -a "$work/report.md" || rc=1
    done
done
for proto in http https; do
    note "allocations over $proto"
    measure allocs "$proto" env LD_PRELOAD="$PWD/$out/malloc_count.so" | tee -a "$work/report.md" || rc=1
done
for proto in http https; do
    note "memory over $proto"
    measure rss "$proto" | tee -a "$work/report.md" || rc=1
done
cp "$work/report.md" "$result"
note "written to $result"
exit $rc
