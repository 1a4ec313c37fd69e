/* Soak: N cancels through one client against the simulator, sampling the
 * process's resident memory (RSS) as it goes. `make soak` runs it; it is not
 * part of `make test`. Goal: flat RSS after warm-up.
 *
 *   soak [N]     (default 100000; ids 1..N must be open on the simulator) */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binance_algo.h"

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    }
    if (f) fclose(f);
    return kib;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? strtoll(argv[1], NULL, 10) : 100000;
    binance_config *cfg = binance_config_new();
    binance_client *client = NULL;
    if (binance_config_set_api_key(cfg, getenv("BINANCE_API_KEY")) != BINANCE_OK ||
        binance_config_set_secret_key(cfg, getenv("BINANCE_SECRET_KEY")) != BINANCE_OK ||
        binance_config_set_base_url(cfg, getenv("BINANCE_BASE_URL")) != BINANCE_OK ||
        binance_client_new(cfg, &client) != BINANCE_OK || n < 10) {
        fprintf(stderr, "run through scripts/with-sim.sh (make soak)\n");
        return 2;
    }
    binance_config_free(cfg);
    binance_result *detail = binance_result_new();
    int64_t ok = 0;
    long first = 0, last = 0;
    double start = seconds();
    printf("%10s %10s %10s\n", "cancels", "RSS KiB", "calls/s");
    for (int64_t id = 1; id <= n; id++) {
        char *json = NULL;
        if (binance_cancel_algo_order_ex(client, id, detail, &json) == BINANCE_OK) ok++;
        binance_string_free(json);
        if (id % (n / 10) == 0) {
            last = rss_kib();
            if (first == 0) first = last; /* after the first tenth: pool and buffers warm */
            printf("%10" PRId64 " %10ld %10.0f\n", id, last, (double)id / (seconds() - start));
        }
    }
    binance_result_free(detail);
    binance_client_free(client);
    printf("soak: %" PRId64 " of %" PRId64 " cancelled; RSS %ld -> %ld KiB (%+ld KiB) after warm-up\n", ok, n, first,
           last, last - first);
    return ok == n ? 0 : 1;
}
