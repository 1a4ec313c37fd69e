/* Cancels one algo order through the C ABI and prints what happened.
 *
 *   cancel [ALGO_ID]        (default 14511)
 *
 * Environment: BINANCE_API_KEY, BINANCE_SECRET_KEY (required) and
 * BINANCE_BASE_URL (default https://api.binance.com). `make demo` runs it
 * against the bundled simulator. Exit status 0 only when the order was
 * cancelled. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "binance_algo.h"

int main(int argc, char **argv) {
    const char *key = getenv("BINANCE_API_KEY");
    const char *secret = getenv("BINANCE_SECRET_KEY");
    const char *url = getenv("BINANCE_BASE_URL");
    int64_t algo_id = 14511;
    if (argc > 1) {
        char *end = NULL;
        errno = 0;
        algo_id = strtoll(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0') {
            fprintf(stderr, "usage: %s [ALGO_ID]\n", argv[0]);
            return 2;
        }
    }

    binance_config *cfg = binance_config_new();
    if (cfg == NULL) return 1;
    if (binance_config_set_api_key(cfg, key) != BINANCE_OK ||
        binance_config_set_secret_key(cfg, secret) != BINANCE_OK ||
        (url != NULL && binance_config_set_base_url(cfg, url) != BINANCE_OK)) {
        fprintf(stderr, "set BINANCE_API_KEY, BINANCE_SECRET_KEY and a valid BINANCE_BASE_URL\n");
        binance_config_free(cfg);
        return 2;
    }
    binance_client *client = NULL;
    binance_status st = binance_client_new(cfg, &client);
    binance_config_free(cfg); /* the client keeps its own copy */
    if (st != BINANCE_OK) {
        fprintf(stderr, "binance_client_new: %s\n", binance_status_str(st));
        return 1;
    }

    binance_result *detail = binance_result_new();
    char *json = NULL;
    st = binance_cancel_algo_order_ex(client, algo_id, detail, &json);
    printf("cancel algoId=%" PRId64 ": %s\n", algo_id, binance_status_str(st));
    printf("  http %d, exchange code %" PRId64 ", used weight %" PRId64 "/min\n",
           (int)binance_result_http_status(detail), binance_result_exchange_code(detail),
           binance_result_used_weight_ip_1m(detail));
    printf("  %s\n", binance_result_message(detail));
    printf("  body: %s\n", json ? json : "(none)");

    binance_string_free(json);
    binance_result_free(detail);
    binance_client_free(client);
    return st == BINANCE_OK ? 0 : 1;
}
