/* This library, through its C ABI only, as a C trading system would use it. */
#define _GNU_SOURCE
#include "bench.h"

#include "binance_algo.h"
#include <dlfcn.h>
#include <stdio.h>

static void *lib_open(const target *t) {
    char url[256];
    snprintf(url, sizeof url, "%s://%s:%d", t->tls ? "https" : "http", t->host, t->port);
    binance_config *cfg = binance_config_new();
    binance_client *client = NULL;
    if (cfg && binance_config_set_api_key(cfg, t->api_key) == BINANCE_OK &&
        binance_config_set_secret_key(cfg, t->secret) == BINANCE_OK &&
        binance_config_set_base_url(cfg, url) == BINANCE_OK &&
        (!t->tls || binance_config_set_ca_file(cfg, t->ca_file) == BINANCE_OK))
        binance_client_new(cfg, &client);
    binance_config_free(cfg);
    if (!client)
        fprintf(stderr, "bench: binance_client_new failed for %s\n", url);
    return client;
}

static int lib_cancel(void *c, int64_t algo_id) {
    char *json = NULL;
    binance_status st = binance_cancel_algo_order(c, algo_id, &json);
    binance_string_free(json);
    return st == BINANCE_OK ? 0 : -1;
}

static void lib_close(void *c) {
    binance_client_free(c);
}

const char *bench_user_agent(void) {
    static char ua[64];
    if (!ua[0])
        snprintf(ua, sizeof ua, "binance_algo/%s", binance_version());
    return ua;
}

/* binance_client_warm came after this benchmark: it is looked up at run time,
 * so that the benchmark still runs against a library without it. */
typedef binance_status (*warm_fn)(binance_client *, int32_t, binance_result *);

static warm_fn find_warm(void) {
    warm_fn warm;
    *(void **)&warm = dlsym(RTLD_DEFAULT, "binance_client_warm");
    return warm;
}

/* n connections at once, as the threads will use (without binance_client_warm,
 * the threads open theirs inside the timed run). */
static int lib_prewarm(void *c, int n) {
    warm_fn warm = find_warm();
    return warm && warm(c, n, NULL) != BINANCE_OK ? -1 : 0;
}

const client_ops lib_ops = {"binance_algo", lib_open, lib_cancel, lib_close, 1, lib_prewarm};

int lib_has_warm(void) {
    return find_warm() != NULL;
}

/* A client warmed with one connection (TLS handshake and clock sync done);
 * used only when lib_has_warm(). */
static void *lib_open_warm(const target *t) {
    binance_client *client = lib_open(t);
    if (client && lib_prewarm(client, 1) != 0) {
        fprintf(stderr, "bench: binance_client_warm failed\n");
        binance_client_free(client);
        return NULL;
    }
    return client;
}

const client_ops lib_warm_ops = {"binance_algo+warm", lib_open_warm, lib_cancel, lib_close, 1, lib_prewarm};
