/* Threads: 8 threads share one client, each cancelling its own open ids
 * every way the C API offers (plain, _ex, _opts with a shared and with its
 * own options, by clientAlgoId), plus ids already cancelled, while one more
 * thread warms connections, syncs the clock and presigns on the same client,
 * and a logger counts events. `make c-test` runs it, and `make tsan` with
 * the library built under ThreadSanitizer (scripts/tsan.sh).
 *
 *   threads          on a simulator with THREADS_SIM_FLAGS of the Makefile
 *                    (BINANCE_BASE_URL, BINANCE_API_KEY, BINANCE_SECRET_KEY) */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "binance_algo.h"
#include "check.h"

#define THREADS 8
#define PER_THREAD 60

static binance_client *client;
static binance_call_options *shared_opts;
static atomic_int ok[THREADS], rejected[THREADS], other[THREADS], events, stop_aux, aside_rounds, aside_failed;

static void count_event(void *user_data, const binance_log_event *e) {
    (void)user_data;
    if (e->message != NULL) atomic_fetch_add(&events, 1);
}

static void *canceller(void *arg) {
    int t = (int)(intptr_t)arg;
    binance_call_options *mine = binance_call_options_new();
    binance_call_options_set_recv_window(mine, 1000 + 100 * t);
    binance_call_options_set_timeout(mine, 5000);
    binance_result *r = binance_result_new();
    for (int i = 0; i < PER_THREAD; i++) {
        int64_t id = 1 + (int64_t)t * PER_THREAD + i;
        char *json = NULL, cid[32];
        binance_status st;
        switch (i % 6) {
        case 0: st = binance_cancel_algo_order(client, id, &json); break;
        case 1: st = binance_cancel_algo_order_ex(client, id, r, &json); break;
        case 2: st = binance_cancel_algo_order_opts(client, id, shared_opts, r, &json); break;
        case 3: st = binance_cancel_algo_order_opts(client, id, mine, NULL, &json); break;
        case 4:
            snprintf(cid, sizeof cid, "t%d-%d", t, i);
            st = binance_cancel_by_client_algo_id(client, cid, (i / 6) & 1 ? mine : shared_opts, r, &json);
            break;
        default: st = binance_cancel_algo_order_ex(client, id - 5, r, &json); /* cancelled at i - 5 */
        }
        atomic_fetch_add(st == BINANCE_OK ? &ok[t] : st == BINANCE_ERR_REJECTED ? &rejected[t] : &other[t], 1);
        binance_string_free(json);
    }
    binance_result_free(r);
    binance_call_options_free(mine);
    return NULL;
}

/* Warms 1 to 6 connections, syncs the clock and presigns, until told to
 * stop; counts rather than CHECKs (check.h's counters are the main thread's). */
static void *aside(void *arg) {
    (void)arg;
    binance_result *r = binance_result_new();
    for (int i = 0; !atomic_load(&stop_aux); i++) {
        char *json = NULL;
        int fine = binance_client_warm(client, 1 + i % 6, r) == BINANCE_OK &&
                   binance_client_sync_clock(client, NULL) == BINANCE_OK &&
                   binance_presign_cancel(client, 1 + i, (i & 1) ? shared_opts : NULL, &json) == BINANCE_OK;
        atomic_fetch_add(fine ? &aside_rounds : &aside_failed, 1);
        binance_string_free(json);
        usleep(10000);
    }
    binance_result_free(r);
    return NULL;
}

int main(void) {
    binance_config *cfg = binance_config_new();
    CHECK(binance_config_set_api_key(cfg, getenv("BINANCE_API_KEY")) == BINANCE_OK);
    CHECK(binance_config_set_secret_key(cfg, getenv("BINANCE_SECRET_KEY")) == BINANCE_OK);
    CHECK(binance_config_set_base_url(cfg, getenv("BINANCE_BASE_URL")) == BINANCE_OK);
    CHECK(binance_config_set_logger(cfg, count_event, NULL) == BINANCE_OK);
    CHECK(binance_client_new(cfg, &client) == BINANCE_OK);
    binance_config_free(cfg);
    shared_opts = binance_call_options_new();
    CHECK(binance_call_options_set_timeout(shared_opts, 5000) == BINANCE_OK);
    if (client == NULL || shared_opts == NULL) return check_summary("threads");

    pthread_t workers[THREADS], helper;
    CHECK(pthread_create(&helper, NULL, aside, NULL) == 0);
    for (intptr_t t = 0; t < THREADS; t++) CHECK(pthread_create(&workers[t], NULL, canceller, (void *)t) == 0);
    for (int t = 0; t < THREADS; t++) {
        CHECK(pthread_join(workers[t], NULL) == 0);
        /* Five of every six calls cancel an open order; the sixth repeats one. */
        CHECK(ok[t] == PER_THREAD / 6 * 5 && rejected[t] == PER_THREAD / 6 && other[t] == 0);
    }
    atomic_store(&stop_aux, 1);
    CHECK(pthread_join(helper, NULL) == 0);
    CHECK(atomic_load(&aside_rounds) > 0 && atomic_load(&aside_failed) == 0);
    CHECK(atomic_load(&events) >= 2 * THREADS * PER_THREAD); /* a request and an answer each */
    binance_call_options_free(shared_opts);
    binance_client_free(client);
    return check_summary("threads");
}
