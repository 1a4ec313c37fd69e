/* The README's C quick start, compiled and run by `make test` (quickstart-test)
 * and checked against README.md by `make snippet-test`. */
#include <stdio.h>
#include <stdlib.h>
#include "binance_algo.h"

int main(void) {
    binance_config *cfg = binance_config_new();
    binance_config_set_api_key(cfg, getenv("BINANCE_API_KEY"));
    binance_config_set_secret_key(cfg, getenv("BINANCE_SECRET_KEY"));
    if (getenv("BINANCE_BASE_URL"))   /* e.g. the bundled simulator */
        binance_config_set_base_url(cfg, getenv("BINANCE_BASE_URL"));
    binance_client *client = NULL;    /* thread-safe: share it */
    binance_status st = binance_client_new(cfg, &client);
    binance_config_free(cfg);         /* the client keeps its own copy */
    char *json = NULL;                /* NULL client: INVALID_ARGUMENT */
    st = binance_cancel_algo_order(client, 14511, &json);
    printf("%s %s\n", binance_status_str(st), json ? json : "");
    binance_string_free(json);        /* never free() */
    binance_client_free(client);
    return st != BINANCE_OK;
}
