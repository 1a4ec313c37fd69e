/* binance_algo_dl.h: load libbinance_algo at run time with dlopen, for programs
 * that must start (or pick a library path) without linking it.
 *
 *   binance_api api;
 *   char err[256];
 *   if (binance_api_load(&api, NULL, err, sizeof err) != 0) { log(err); ... }
 *   binance_client *client = NULL;
 *   api.client_new(cfg, &client);      one member per function of binance_algo.h,
 *   ...                                 named without the binance_ prefix
 *   binance_api_unload(&api);
 *
 * Compile binance_algo_dl.c into the program (C99) with include/ on the include
 * path; link with -ldl on glibc older than 2.34. The types and the rules for
 * every function (ownership, NULL, threads) are those of binance_algo.h.
 * Thread safety: load and unload on one thread, while no call through the
 * table is running; calls through a loaded table follow binance_algo.h. */
#ifndef BINANCE_ALGO_DL_H
#define BINANCE_ALGO_DL_H

#include <stddef.h>

#include "binance_algo.h"

/* The soname this loader opens by default: it only fits a library with the
 * header's major version. */
#define BINANCE_ALGO_DL_STR_(x) #x
#define BINANCE_ALGO_DL_STR(x) BINANCE_ALGO_DL_STR_(x)
#define BINANCE_ALGO_DL_SONAME "libbinance_algo.so." BINANCE_ALGO_DL_STR(BINANCE_ALGO_VERSION_MAJOR)

/* Every function of binance_algo.h as X(member, return type, parameters): the
 * one list behind the table, the dlsym loop and the tests, so a function is
 * added in one place. tests/c/test_dl.c checks it against the header. */
#define BINANCE_API_FUNCTIONS(X) \
    X(cancel_algo_order, binance_status, (binance_client *, int64_t, char **)) \
    X(cancel_algo_order_ex, binance_status, (binance_client *, int64_t, binance_result *, char **)) \
    X(cancel_algo_order_opts, binance_status, \
      (binance_client *, int64_t, const binance_call_options *, binance_result *, char **)) \
    X(cancel_by_client_algo_id, binance_status, \
      (binance_client *, const char *, const binance_call_options *, binance_result *, char **)) \
    X(presign_cancel, binance_status, (binance_client *, int64_t, const binance_call_options *, char **)) \
    X(presign_cancel_by_client_algo_id, binance_status, \
      (binance_client *, const char *, const binance_call_options *, char **)) \
    X(client_new, binance_status, (const binance_config *, binance_client **)) \
    X(client_free, void, (binance_client *)) \
    X(client_sync_clock, binance_status, (binance_client *, binance_result *)) \
    X(client_warm, binance_status, (binance_client *, int32_t, binance_result *)) \
    X(client_clock_offset_ms, binance_status, (const binance_client *, int64_t *)) \
    X(config_new, binance_config *, (void)) \
    X(config_free, void, (binance_config *)) \
    X(config_last_error, const char *, (const binance_config *)) \
    X(config_set_api_key, binance_status, (binance_config *, const char *)) \
    X(config_set_secret_key, binance_status, (binance_config *, const char *)) \
    X(config_set_base_url, binance_status, (binance_config *, const char *)) \
    X(config_set_recv_window, binance_status, (binance_config *, int64_t)) \
    X(config_set_ca_file, binance_status, (binance_config *, const char *)) \
    X(config_set_timeouts, binance_status, (binance_config *, int64_t, int64_t)) \
    X(config_set_clock_sync, binance_status, (binance_config *, int)) \
    X(config_set_max_retries, binance_status, (binance_config *, int32_t)) \
    X(config_set_private_key, binance_status, (binance_config *, const char *, const char *)) \
    X(config_set_private_key_file, binance_status, (binance_config *, const char *, const char *)) \
    X(config_set_signer, binance_status, (binance_config *, binance_sign_fn, void *)) \
    X(config_set_logger, binance_status, (binance_config *, binance_log_fn, void *)) \
    X(call_options_new, binance_call_options *, (void)) \
    X(call_options_free, void, (binance_call_options *)) \
    X(call_options_set_recv_window, binance_status, (binance_call_options *, int64_t)) \
    X(call_options_set_timeout, binance_status, (binance_call_options *, int64_t)) \
    X(result_new, binance_result *, (void)) \
    X(result_free, void, (binance_result *)) \
    X(result_status, binance_status, (const binance_result *)) \
    X(result_http_status, int32_t, (const binance_result *)) \
    X(result_exchange_code, int64_t, (const binance_result *)) \
    X(result_exchange_msg, const char *, (const binance_result *)) \
    X(result_message, const char *, (const binance_result *)) \
    X(result_retry_after_s, int64_t, (const binance_result *)) \
    X(result_used_weight_ip_1m, int64_t, (const binance_result *)) \
    X(result_used_weight_uid_1m, int64_t, (const binance_result *)) \
    X(result_attempts, int32_t, (const binance_result *)) \
    X(status_str, const char *, (int)) \
    X(string_free, void, (char *)) \
    X(version, const char *, (void))

#ifdef __cplusplus
extern "C" {
#endif

/* The loaded library: `dl` is the dlopen handle (NULL when not loaded), then
 * one function pointer per function of binance_algo.h. */
typedef struct binance_api {
    void *dl;
#define BINANCE_API_MEMBER_(name, ret, params) ret(*name) params;
    BINANCE_API_FUNCTIONS(BINANCE_API_MEMBER_)
#undef BINANCE_API_MEMBER_
} binance_api;

/* Opens the library at `path` (NULL: BINANCE_ALGO_DL_SONAME through the
 * dynamic loader's search), checks that its binance_version() has this
 * header's major version, and resolves every function.
 *
 * Returns 0 with `*api` filled. Otherwise -1, `*api` zeroed (api->dl == NULL)
 * and, when `err` is non-NULL and `errlen` > 0, a NUL-terminated message in
 * `err` (cut to fit) naming the file and what failed: the dlopen error, the
 * first missing symbol, or both versions on a mismatch. Never prints, never
 * exits. `api` NULL: returns -1. `*api` is overwritten, not inspected (it
 * may be uninitialised): unload a table that holds a library before loading
 * into it again, or that library stays open for good. */
int binance_api_load(binance_api *api, const char *path, char *err, size_t errlen);

/* dlcloses a loaded library and zeroes `*api`; a later load may reuse it.
 * NULL, or an `api` that is not loaded: does nothing. Free every handle
 * obtained through the table first. Each load and unload leaves 10 bytes
 * behind (a process-wide string of the library's HTTP client, ureq, made
 * once per load): leak checkers report it; tests/c/dlclose.supp is a
 * valgrind suppression for it. */
void binance_api_unload(binance_api *api);

#ifdef __cplusplus
}
#endif

#endif /* BINANCE_ALGO_DL_H */
