/* What the benchmark's clients share: one interface, so that every
 * measurement (latency, fresh clients, threads, allocations, RSS) is written
 * once in stats.c/main.c and run identically against each client. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Where the canned server is and how to reach it. */
typedef struct target {
    int tls;              /* 0: http://, 1: https:// */
    const char *host;     /* as written in the URL (and sent as SNI) */
    int port;
    const char *ca_file;  /* PEM of the benchmark's own CA, for https */
    const char *api_key;
    const char *secret;
} target;

/* One client under test. */
typedef struct client_ops {
    const char *name;
    /* A ready client (no connection yet); NULL after a message on stderr. */
    void *(*open)(const target *t);
    /* One signed cancel; 0 when the answer is the canned success. */
    int (*cancel)(void *c, int64_t algo_id);
    void (*close)(void *c);
    /* 1: one handle may serve many threads at once (the library's client);
     * 0: each thread needs its own (a socket, a curl easy handle). */
    int shareable;
    /* For a shareable handle: open `n` connections before a timed run, as
     * the others have one per thread open by then (NULL: nothing to do). */
    int (*prewarm)(void *c, int n);
} client_ops;

extern const client_ops floor_ops; /* floor.c */
extern const client_ops lib_ops;   /* lib.c */
extern const client_ops lib_warm_ops; /* lib.c: opened with binance_client_warm */
int lib_has_warm(void);               /* the library has binance_client_warm */
#ifdef HAVE_CURL
extern const client_ops curl_ops;  /* curl.c */
#endif

/* The headers every client sends besides Host and X-MBX-APIKEY: the
 * library's own, so that all rows send the same request. */
#define BENCH_ACCEPT "application/json"
const char *bench_user_agent(void); /* lib.c: "binance_algo/<version>" */

/* sign.c: `algoId=ID&timestamp=MS&signature=HEX` with a fresh timestamp,
 * HMAC-SHA256 keyed once per signer (as a real client would). */
typedef struct signer signer;
signer *signer_new(const char *secret);
size_t signer_query(signer *s, int64_t algo_id, char *out, size_t cap);
void signer_free(signer *s);

/* stats.c */
uint64_t now_ns(void);
typedef struct stats {
    size_t n;
    double p50_us, p90_us, p99_us, max_us, calls_per_s;
} stats;
/* Sorts `ns` in place. calls_per_s is n over the sum: back-to-back calls. */
stats summarize(uint64_t *ns, size_t n);
/* Times `n` calls into ns[]; returns the number of failed calls. */
size_t timed_calls(const client_ops *ops, void *c, int64_t *next_id, size_t n, uint64_t *ns);
/* Calls per second of `threads` threads making `calls` calls each, on one
 * shared handle when the client allows it (else one handle per thread).
 * Returns -1 when a handle cannot be opened or a call fails. */
double threaded_calls_per_s(const client_ops *ops, const target *t, int threads, size_t calls);
/* A field of /proc/self/status in KiB, e.g. "VmRSS" or "RssAnon"; -1 if absent. */
long status_kib(const char *field);

#endif
