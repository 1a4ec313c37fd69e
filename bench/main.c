/* The benchmark driver. One measurement per invocation, printed as a
 * Markdown section; run.sh starts the canned server, runs every measurement
 * against it, and collects the sections into bench/results/latest.md.
 *
 *   bench latency|fresh|threads|allocs|rss|loop http|https
 *
 * `loop` only runs one client for BENCH_N calls, for a profiler to watch.
 * Settings come from the environment (run.sh sets them): BENCH_HTTP_PORT,
 * BENCH_HTTPS_PORT, BENCH_CA, BENCH_N, BENCH_WARMUP, BENCH_ROUNDS,
 * BENCH_FRESH, BENCH_THREAD_CALLS, BENCH_CLIENT_CPU. */
#define _GNU_SOURCE
#include "bench.h"

#include "binance_algo.h"
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_CURL
#include <curl/curl.h>
#endif

/* The canned server checks no signature: any well-formed key will do. */
static const char API_KEY[] = "benchApiKey0123456789";
static const char SECRET[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

enum { MAX_COLS = 4 };

/* One row of a table: a client, the URL host it uses, and its label. */
typedef struct column {
    const client_ops *ops;
    target t;
    char label[96];
    int is_variant; /* the library's diagnostic row */
} column;

static long env_long(const char *name, long def) {
    const char *v = getenv(name);
    long x = v && *v ? strtol(v, NULL, 10) : def;
    return x > 0 ? x : def;
}

static int tls_of(const char *proto) {
    return strcmp(proto, "https") == 0;
}

/* floor, libcurl and the library on the benchmark's URLs (an IP for http; a
 * name for https, as api.binance.com is one), then, with `variant`, the
 * library on the other kind of host: the difference between its two rows is
 * what a host name costs it per call (a cached lookup; over TLS, checking the
 * certificate for a name rather than an address). */
static size_t columns(int tls, int variant, column *col) {
    target base = {tls, tls ? "localhost" : "127.0.0.1",
                   (int)env_long(tls ? "BENCH_HTTPS_PORT" : "BENCH_HTTP_PORT", 0), getenv("BENCH_CA"), API_KEY,
                   SECRET};
    size_t n = 0;
    col[n] = (column){&floor_ops, base, "", 0};
    snprintf(col[n++].label, sizeof col->label, "floor: %s, OpenSSL HMAC",
             tls ? "OpenSSL TLS on a socket" : "raw socket");
#ifdef HAVE_CURL
    col[n] = (column){&curl_ops, base, "", 0};
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    snprintf(col[n++].label, sizeof col->label, "libcurl %s (%s), reused easy handle", cv->version,
             cv->ssl_version ? cv->ssl_version : "no TLS");
#endif
    col[n] = (column){&lib_ops, base, "", 0};
    snprintf(col[n++].label, sizeof col->label, "binance_algo %s (C ABI)", binance_version());
    if (variant) {
        col[n] = (column){&lib_ops, base, "", 1};
        col[n].t.host = tls ? "127.0.0.1" : "localhost";
        snprintf(col[n].label, sizeof col->label, "binance_algo, %s://%s (diagnostic)", tls ? "https" : "http",
                 col[n].t.host);
        n++;
    }
    return n;
}

static const column *find_col(const column *col, size_t n, const client_ops *ops) {
    for (size_t i = 0; i < n; i++)
        if (col[i].ops == ops && !col[i].is_variant)
            return &col[i];
    return NULL;
}

static void ratio_cell(double x, double base) {
    if (base > 0)
        printf(" %.2f× |", x / base);
    else
        printf(" – |");
}

static int latency(int tls) {
    column col[MAX_COLS];
    size_t nc = columns(tls, 1, col);
    size_t rounds = (size_t)env_long("BENCH_ROUNDS", 10);
    size_t chunk = (size_t)env_long("BENCH_N", tls ? 10000 : 20000) / rounds;
    size_t n = chunk * rounds, warm = (size_t)env_long("BENCH_WARMUP", 1000);
    void *h[MAX_COLS] = {0};
    uint64_t *ns[MAX_COLS] = {0};
    size_t failed[MAX_COLS] = {0};
    int64_t id = 1000000;
    int rc = 0;
    for (size_t j = 0; j < nc; j++) {
        if (!(h[j] = col[j].ops->open(&col[j].t)) || !(ns[j] = malloc(n * sizeof(uint64_t))))
            return 1;
        if (timed_calls(col[j].ops, h[j], &id, warm, NULL) != 0) {
            fprintf(stderr, "bench: %s: warm-up calls failed\n", col[j].label);
            return 1;
        }
    }
    /* Interleaved rounds, each starting with a different client: load from
     * other processes on the machine then lands on every client alike. */
    for (size_t r = 0; r < rounds; r++)
        for (size_t k = 0; k < nc; k++) {
            size_t j = (k + r) % nc;
            failed[j] += timed_calls(col[j].ops, h[j], &id, chunk, ns[j] + r * chunk);
        }
    /* Each round's p50 too (before the whole run's sort), for the spread of
     * the target's ratio: one run's verdict can sit inside its own noise. */
    double *round_p50 = malloc(nc * rounds * sizeof(double));
    if (!round_p50)
        return 1;
    stats s[MAX_COLS] = {{0}};
    for (size_t j = 0; j < nc; j++) {
        col[j].ops->close(h[j]);
        for (size_t r = 0; r < rounds; r++)
            round_p50[j * rounds + r] = summarize(ns[j] + r * chunk, chunk).p50_us;
        s[j] = summarize(ns[j], n);
        free(ns[j]);
    }
    const column *fl = find_col(col, nc, &floor_ops), *lib = find_col(col, nc, &lib_ops);
#ifdef HAVE_CURL
    const column *cu = find_col(col, nc, &curl_ops);
#else
    const column *cu = NULL;
#endif
    double floor_p50 = s[fl - col].p50_us, curl_p50 = cu ? s[cu - col].p50_us : 0;

    printf("## %s: one client, back-to-back calls\n\n", tls ? "TLS 1.3 keep-alive" : "HTTP/1.1 keep-alive");
    printf("%zu timed calls per client after %zu warm-up calls, in %zu interleaved rounds. "
           "All rows send the same signed DELETE (fresh timestamp and HMAC per call; the same headers) to the "
           "same server.\n\n",
           n, warm, rounds);
    printf("| client | p50 µs | p90 µs | p99 µs | max µs | calls/s | p50 ÷ floor | p50 ÷ libcurl |\n");
    printf("|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t j = 0; j < nc; j++) {
        printf("| %s | %.1f | %.1f | %.1f | %.0f | %.0f |", col[j].label, s[j].p50_us, s[j].p90_us, s[j].p99_us,
               s[j].max_us, s[j].calls_per_s);
        ratio_cell(s[j].p50_us, floor_p50);
        ratio_cell(s[j].p50_us, curl_p50);
        printf("\n");
        if (failed[j]) {
            printf("\n**%s: %zu calls failed.**\n", col[j].label, failed[j]);
            rc = 1;
        }
    }
    printf("\nThe diagnostic row is binance_algo on %s instead: the difference between the two binance_algo rows "
           "is what a host name costs it per call (a cached lookup; over TLS, a certificate checked for a name).\n",
           tls ? "an IP literal" : "a host name");
    const column *base = tls ? cu : fl;
    if (base) {
        double limit = tls ? 0.90 : 1.25, lo = 1e9, hi = 0;
        for (size_t r = 0; r < rounds; r++) {
            double q = round_p50[(size_t)(lib - col) * rounds + r] / round_p50[(size_t)(base - col) * rounds + r];
            lo = q < lo ? q : lo;
            hi = q > hi ? q : hi;
        }
        double q = s[lib - col].p50_us / s[base - col].p50_us;
        printf("\nTarget (issue 7): binance_algo p50 ≤ %.2f× %s: **%.2f×, %s**; per round (%zu rounds of %zu "
               "calls) %.2f–%.2f×, %s.\n",
               limit, tls ? "libcurl" : "floor", q, q <= limit ? "met" : "missed", rounds, chunk, lo, hi,
               hi <= limit ? "met in every round" : lo > limit ? "missed in every round" : "so within this run's noise");
    } else {
        printf("\nTarget (issue 7): binance_algo p50 ≤ 0.90× libcurl: not measured (no libcurl headers).\n");
    }
    printf("\n");
    free(round_p50);
    return rc;
}

/* First and second call on brand-new clients. There is no binance_client_warm
 * yet: the first call pays connect (+ TLS handshake, + config on first use);
 * the second is what a pre-warmed client would pay for its first cancel. */
static int fresh(int tls) {
    column col[MAX_COLS];
    size_t nc = columns(tls, 0, col), k = (size_t)env_long("BENCH_FRESH", 50);
    int warm = lib_has_warm();
    if (warm) {
        col[nc] = *find_col(col, nc, &lib_ops);
        col[nc].ops = &lib_warm_ops;
        snprintf(col[nc++].label, sizeof col->label, "binance_algo, created then binance_client_warm(client, 1)");
    }
    uint64_t *ns[MAX_COLS][3];
    int64_t id = 2000000;
    int rc = 0;
    for (size_t j = 0; j < nc; j++)
        for (int m = 0; m < 3; m++)
            if (!(ns[j][m] = malloc(k * sizeof(uint64_t))))
                return 1;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < nc; j++) {
            uint64_t t0 = now_ns();
            void *h = col[j].ops->open(&col[j].t);
            uint64_t t1 = now_ns();
            int bad = !h || col[j].ops->cancel(h, id++) != 0;
            uint64_t t2 = now_ns();
            bad |= !h || col[j].ops->cancel(h, id++) != 0;
            uint64_t t3 = now_ns();
            if (h)
                col[j].ops->close(h);
            if (bad) {
                fprintf(stderr, "bench: %s: a fresh-client call failed\n", col[j].label);
                rc = 1;
            }
            ns[j][0][i] = t1 - t0;
            ns[j][1][i] = t2 - t1;
            ns[j][2][i] = t3 - t2;
        }
    printf("## %s: fresh clients\n\n", tls ? "TLS" : "HTTP");
    printf("%zu brand-new clients per row: create it, then time its first call (connect%s, and for binance_algo "
           "whatever it does before its first cancel, such as its clock sync: GET /api/v3/time) and its second "
           "(the pooled connection). %s\n\n",
           k, tls ? " + TLS handshake" : "",
           warm ? "The last row also calls binance_client_warm before the first cancel (its time is in that row's "
                  "create column): its first call should cost what a second call does."
                : "This library has no binance_client_warm, so the second call is the best a pre-warmed client "
                  "could do.");
    printf("| client | create p50 µs | first call p50 µs | first p90 | first max "
           "| second call p50 µs | second max |\n");
    printf("|---|--:|--:|--:|--:|--:|--:|\n");
    for (size_t j = 0; j < nc; j++) {
        stats c = summarize(ns[j][0], k), a = summarize(ns[j][1], k), b = summarize(ns[j][2], k);
        printf("| %s | %.0f | %.1f | %.1f | %.0f | %.1f | %.0f |\n", col[j].label, c.p50_us, a.p50_us, a.p90_us,
               a.max_us, b.p50_us, b.max_us);
        for (int m = 0; m < 3; m++)
            free(ns[j][m]);
    }
    printf("\n");
    return rc;
}

static double median3(double a, double b, double c) {
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

static int threads(int tls) {
    column col[MAX_COLS];
    size_t nc = columns(tls, 1, col), total = (size_t)env_long("BENCH_THREAD_CALLS", tls ? 8000 : 16000);
    static const int counts[] = {1, 2, 4};
    double per_s[MAX_COLS][3];
    int rc = 0;
    /* The median of three runs per cell: one run disturbed by other load on
     * the machine then changes nothing. */
    for (size_t j = 0; j < nc; j++)
        for (int m = 0; m < 3; m++) {
            double run[3];
            for (int k = 0; k < 3; k++)
                if ((run[k] = threaded_calls_per_s(col[j].ops, &col[j].t, counts[m], total / (size_t)counts[m])) < 0)
                    rc = 1;
            per_s[j][m] = median3(run[0], run[1], run[2]);
        }
    printf("## %s: threads\n\n", tls ? "TLS" : "HTTP");
    printf("%zu calls in all per cell, split across the threads; each cell is the median of 3 runs. "
           "binance_algo: all threads share one client "
           "(its documented use), with a connection per thread opened before timing (binance_client_warm); "
           "floor and libcurl cannot share a handle, so each thread has its own. All client threads run on one "
           "CPU and the server on the other (run.sh pins them), so this measures how well waits overlap more "
           "than parallel work. "
           "The floor's scaling is what this machine allows with the server on the same host; ratios above 2× "
           "mean a single thread leaves the CPUs idle between packets, and more threads hide that wake-up "
           "latency.\n\n",
           total);
    printf("| client | handles | 1 thread calls/s | 2 threads | 4 threads | 2 ÷ 1 | 4 ÷ 1 |\n");
    printf("|---|---|--:|--:|--:|--:|--:|\n");
    for (size_t j = 0; j < nc; j++) {
        printf("| %s | %s | %.0f | %.0f | %.0f |", col[j].label,
               col[j].ops->shareable ? "one shared" : "one per thread", per_s[j][0], per_s[j][1], per_s[j][2]);
        ratio_cell(per_s[j][1], per_s[j][0]);
        ratio_cell(per_s[j][2], per_s[j][0]);
        printf("\n");
    }
    const column *lib = find_col(col, nc, &lib_ops), *fl = find_col(col, nc, &floor_ops);
    double r = per_s[lib - col][1] / per_s[lib - col][0], rf = per_s[fl - col][1] / per_s[fl - col][0];
    printf("\nTarget (issue 7): 2 threads on one client ≥ 1.7× one thread: **%.2f×, %s** (the floor reaches %.2f× "
           "here).\n\n",
           r, r >= 1.7 ? "met" : "missed", rf);
    return rc;
}

/* Needs the shim (malloc_count.so) in LD_PRELOAD; run.sh provides it. */
static int allocs(int tls) {
    typedef void (*counts_fn)(uint64_t *calls, uint64_t *bytes);
    counts_fn counts = (counts_fn)dlsym(RTLD_DEFAULT, "bench_malloc_counts");
    if (!counts) {
        printf("Heap allocations: not measured (malloc_count.so not preloaded).\n\n");
        return 0;
    }
    column col[MAX_COLS];
    size_t nc = columns(tls, 1, col), n = (size_t)env_long("BENCH_ALLOC_CALLS", 1000);
    int64_t id = 3000000;
    int rc = 0;
    printf("## %s: heap allocations\n\n", tls ? "TLS" : "HTTP");
    printf("malloc/calloc/realloc/memalign calls counted by an LD_PRELOAD shim over %zu calls after 100 warm-up "
           "calls; bytes are the sizes requested.\n\n",
           n);
    printf("| client | allocations to create | allocations per call | bytes per call |\n|---|--:|--:|--:|\n");
    for (size_t j = 0; j < nc; j++) {
        uint64_t c0, b0, c1, b1, cw, bw, c2, b2;
        counts(&c0, &b0);
        void *h = col[j].ops->open(&col[j].t);
        counts(&c1, &b1);
        if (!h || timed_calls(col[j].ops, h, &id, 100, NULL) != 0) {
            rc = 1;
            continue;
        }
        counts(&cw, &bw);
        size_t failed = timed_calls(col[j].ops, h, &id, n, NULL);
        counts(&c2, &b2);
        col[j].ops->close(h);
        rc |= failed != 0;
        printf("| %s | %llu | %.1f | %.0f |\n", col[j].label, (unsigned long long)(c1 - c0),
               (double)(c2 - cw) / (double)n, (double)(b2 - bw) / (double)n);
    }
    printf("\n");
    return rc;
}

/* Each client in a child process of its own, so that no other client's
 * pages are counted: VmRSS and RssAnon (heap) before creating the client
 * and after it made 100 calls. */
static int rss(int tls) {
    column col[MAX_COLS];
    size_t nc = columns(tls, 0, col);
    int rc = 0;
    printf("## %s: memory of one client\n\n", tls ? "TLS" : "HTTP");
    printf("A fresh process per row; KiB before creating the client and after 100 calls on it. Δ RssAnon is "
           "the client's own memory (heap); Δ VmRSS also counts shared-library code touched for the first "
           "time.\n\n");
    printf("| client | Δ RssAnon (heap) | Δ VmRSS | VmRSS before | VmRSS after |\n|---|--:|--:|--:|--:|\n");
    fflush(stdout);
    for (size_t j = 0; j < nc; j++) {
        pid_t pid = fork();
        if (pid == 0) {
            int64_t id = 4000000;
            long v0 = status_kib("VmRSS"), a0 = status_kib("RssAnon");
            void *h = col[j].ops->open(&col[j].t);
            if (!h || timed_calls(col[j].ops, h, &id, 100, NULL) != 0)
                _exit(1);
            long v1 = status_kib("VmRSS"), a1 = status_kib("RssAnon");
            printf("| %s | %ld | %ld | %ld | %ld |\n", col[j].label, a1 - a0, v1 - v0, v0, v1);
            fflush(stdout);
            col[j].ops->close(h);
            _exit(0);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = 1;
    }
    printf("\n");
    return rc;
}

/* The timed part of `loop`, apart so that callgrind can count only it
 * (--toggle-collect=loop_timed). */
__attribute__((noinline)) static size_t loop_timed(const column *c, void *h, int64_t *id, size_t n) {
    return timed_calls(c->ops, h, id, n, NULL);
}

/* For the profiler (run.sh profile): BENCH_N calls of one client
 * (BENCH_CLIENT: floor, libcurl, binance_algo or diagnostic) after 100
 * warm-up calls; prints wall, user and system CPU µs and context switches
 * per call, from getrusage around the timed calls only. */
static int loop(int tls) {
    column col[MAX_COLS];
    size_t nc = columns(tls, 1, col), n = (size_t)env_long("BENCH_N", 20000);
    const char *want = getenv("BENCH_CLIENT") ? getenv("BENCH_CLIENT") : "binance_algo";
    const column *c = NULL;
    for (size_t j = 0; j < nc && !c; j++)
        if (strcmp(want, "diagnostic") == 0 ? col[j].is_variant : !col[j].is_variant && !strcmp(want, col[j].ops->name))
            c = &col[j];
    if (!c) {
        fprintf(stderr, "bench: no client %s here\n", want);
        return 2;
    }
    int64_t id = 5000000;
    void *h = c->ops->open(&c->t);
    if (!h || timed_calls(c->ops, h, &id, 100, NULL) != 0)
        return 1;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    uint64_t t0 = now_ns();
    size_t failed = loop_timed(c, h, &id, n);
    uint64_t t1 = now_ns();
    getrusage(RUSAGE_SELF, &r1);
    c->ops->close(h);
#define US(tv) ((double)(tv).tv_sec * 1e6 + (double)(tv).tv_usec)
    printf("%.1f %.1f %.1f %.2f\n", (double)(t1 - t0) / 1e3 / (double)n,
           (US(r1.ru_utime) - US(r0.ru_utime)) / (double)n, (US(r1.ru_stime) - US(r0.ru_stime)) / (double)n,
           (double)(r1.ru_nvcsw + r1.ru_nivcsw - r0.ru_nvcsw - r0.ru_nivcsw) / (double)n);
#undef US
    return failed != 0;
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int tls);
    } modes[] = {{"latency", latency}, {"fresh", fresh}, {"threads", threads},
                 {"allocs", allocs},   {"rss", rss},     {"loop", loop}};
    if (argc != 3 || (strcmp(argv[2], "http") != 0 && strcmp(argv[2], "https") != 0)) {
        fprintf(stderr, "usage: bench latency|fresh|threads|allocs|rss|loop http|https\n");
        return 2;
    }
    /* Keep the clients off the server's core (run.sh pins it to the other). */
    const char *cpu_env = getenv("BENCH_CLIENT_CPU");
    if (cpu_env && *cpu_env) {
        int cpu = atoi(cpu_env);
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (strcmp(argv[1], modes[i].name) == 0) {
            int rc = modes[i].run(tls_of(argv[2]));
            fflush(stdout);
            return rc;
        }
    fprintf(stderr, "bench: unknown measurement %s\n", argv[1]);
    return 2;
}
