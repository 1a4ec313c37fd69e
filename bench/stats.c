/* Timing and statistics shared by every client and every measurement. */
#define _GNU_SOURCE
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p of them at or below. */
static double pct_us(const uint64_t *sorted, size_t n, double p) {
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return (double)sorted[(rank > n ? n : rank) - 1] / 1e3;
}

stats summarize(uint64_t *ns, size_t n) {
    stats s = {0};
    if (n == 0)
        return s;
    qsort(ns, n, sizeof *ns, cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)ns[i];
    s.n = n;
    s.p50_us = pct_us(ns, n, 0.50);
    s.p90_us = pct_us(ns, n, 0.90);
    s.p99_us = pct_us(ns, n, 0.99);
    s.max_us = (double)ns[n - 1] / 1e3;
    s.calls_per_s = sum > 0 ? (double)n * 1e9 / sum : 0;
    return s;
}

size_t timed_calls(const client_ops *ops, void *c, int64_t *next_id, size_t n, uint64_t *ns) {
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        failed += ops->cancel(c, (*next_id)++) != 0;
        uint64_t t1 = now_ns();
        if (ns)
            ns[i] = t1 - t0;
    }
    return failed;
}

struct worker {
    const client_ops *ops;
    void *c;
    int64_t first_id;
    size_t calls, failed;
    pthread_barrier_t *start;
};

static void *work(void *arg) {
    struct worker *w = arg;
    int64_t id = w->first_id;
    pthread_barrier_wait(w->start);
    w->failed = timed_calls(w->ops, w->c, &id, w->calls, NULL);
    return NULL;
}

double threaded_calls_per_s(const client_ops *ops, const target *t, int threads, size_t calls) {
    enum { MAX_THREADS = 16 };
    struct worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    pthread_barrier_t start;
    if (threads < 1 || threads > MAX_THREADS)
        return -1;
    void *shared = ops->shareable ? ops->open(t) : NULL;
    int opened = 0, ok = !ops->shareable || shared;
    for (; ok && opened < threads; opened++) {
        w[opened] = (struct worker){ops, shared, 50000000 + (int64_t)opened * 1000000, calls, 0, &start};
        if (!shared && !(w[opened].c = ops->open(t)))
            ok = 0;
        /* One warm-up call per thread: every connection is open before timing
         * (a shared handle opens one per thread below). */
        if (ok && ops->cancel(w[opened].c, w[opened].first_id++) != 0)
            ok = 0;
    }
    if (ok && shared && ops->prewarm && ops->prewarm(shared, threads) != 0)
        ok = 0;
    double per_s = -1;
    if (ok) {
        pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
        for (int i = 0; i < threads; i++)
            pthread_create(&tid[i], NULL, work, &w[i]);
        pthread_barrier_wait(&start);
        uint64_t t0 = now_ns();
        size_t failed = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(tid[i], NULL);
            failed += w[i].failed;
        }
        uint64_t t1 = now_ns();
        pthread_barrier_destroy(&start);
        per_s = failed ? -1 : (double)threads * (double)calls * 1e9 / (double)(t1 - t0);
    }
    for (int i = 0; !shared && i < opened; i++)
        if (w[i].c)
            ops->close(w[i].c);
    if (shared)
        ops->close(shared);
    return per_s;
}

long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t len = strlen(field);
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            kib = strtol(line + len + 1, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}
