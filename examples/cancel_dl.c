/* Cancels one algo order through a library loaded at run time (dlopen), with
 * the loader in bindings/c; the program does not link libbinance_algo.
 *
 *   cancel_dl [ALGO_ID] [LIBRARY]   (defaults 14511 and libbinance_algo.so.MAJOR)
 *
 * Environment as examples/cancel.c: BINANCE_API_KEY, BINANCE_SECRET_KEY
 * (required), BINANCE_BASE_URL (default https://api.binance.com). Exit status
 * 0 only when the order was cancelled, 1 when not, 2 on a usage or load error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "binance_algo_dl.h"

int main(int argc, char **argv) {
    int64_t algo_id = 14511; /* <= 0: the library says so */
    if (argc > 1) {
        char *end = NULL;
        errno = 0;
        algo_id = strtoll(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0') { /* "14511x" must not cancel 14511 */
            fprintf(stderr, "usage: %s [ALGO_ID] [LIBRARY]\n", argv[0]);
            return 2;
        }
    }
    const char *url = getenv("BINANCE_BASE_URL");
    binance_api api;
    char err[256];
    if (binance_api_load(&api, argc > 2 ? argv[2] : NULL, err, sizeof err) != 0) {
        fprintf(stderr, "cannot load libbinance_algo: %s\n", err);
        return 2;
    }

    binance_config *cfg = api.config_new();
    binance_client *client = NULL;
    binance_status st = api.config_set_api_key(cfg, getenv("BINANCE_API_KEY"));
    if (st == BINANCE_OK) st = api.config_set_secret_key(cfg, getenv("BINANCE_SECRET_KEY"));
    if (st == BINANCE_OK && url != NULL) st = api.config_set_base_url(cfg, url);
    if (st == BINANCE_OK) st = api.client_new(cfg, &client);
    api.config_free(cfg); /* the client keeps its own copy */

    binance_result *detail = api.result_new();
    char *json = NULL; /* a NULL client (bad settings) gives INVALID_ARGUMENT here */
    st = api.cancel_algo_order_ex(client, algo_id, detail, &json);
    printf("library %s, cancel algoId=%" PRId64 ": %s\n  %s\n  body: %s\n", api.version(), algo_id,
           api.status_str(st), api.result_message(detail), json ? json : "(none)");

    api.string_free(json);
    api.result_free(detail);
    api.client_free(client);
    binance_api_unload(&api); /* after every handle is freed */
    return st == BINANCE_OK ? 0 : 1;
}
