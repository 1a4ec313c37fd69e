/* C tests of libbinance_algo against the bundled simulator.
 *
 * Run through scripts/with-sim.sh with the flags in the Makefile's C_SIM_FLAGS
 * (open ids and scripted faults); BINANCE_BASE_URL, BINANCE_API_KEY and
 * BINANCE_SECRET_KEY point at the simulator. Covers every status, NULL and
 * invalid input, 8 threads sharing one client, and ids beyond 2^53. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binance_algo.h"
#include "check.h"

#define CHECK_STATUS(got, want)                                             \
    do {                                                                    \
        binance_status got_ = (got);                                        \
        if (got_ == (want)) {                                               \
            passed++;                                                       \
        } else {                                                            \
            failed++;                                                       \
            fprintf(stderr, "%s:%d: got %s, want %s\n", __FILE__, __LINE__, \
                    binance_status_str(got_), binance_status_str(want));    \
        }                                                                   \
    } while (0)

static binance_client *make_client(const char *url, const char *key, const char *secret,
                                   int64_t recv_window, int64_t total_ms) {
    binance_config *cfg = binance_config_new();
    binance_client *client = NULL;
    CHECK(cfg != NULL);
    CHECK_STATUS(binance_config_set_api_key(cfg, key), BINANCE_OK);
    CHECK_STATUS(binance_config_set_secret_key(cfg, secret), BINANCE_OK);
    CHECK_STATUS(binance_config_set_base_url(cfg, url), BINANCE_OK);
    if (recv_window > 0) CHECK_STATUS(binance_config_set_recv_window(cfg, recv_window), BINANCE_OK);
    if (total_ms > 0) CHECK_STATUS(binance_config_set_timeouts(cfg, total_ms, total_ms), BINANCE_OK);
    CHECK_STATUS(binance_client_new(cfg, &client), BINANCE_OK);
    binance_config_free(cfg);
    return client;
}

static const char *url, *key, *secret;

/* One cancel; checks status, HTTP status and whether a body came back. */
static void expect(binance_client *c, int64_t id, binance_status want, int http, int has_json,
                   binance_result *detail) {
    char *json = (char *)1;
    CHECK_STATUS(binance_cancel_algo_order_ex(c, id, detail, &json), want);
    CHECK(binance_result_status(detail) == want);
    if (binance_result_http_status(detail) != http) {
        fprintf(stderr, "algoId %" PRId64 ": http %d, want %d (%s)\n", id,
                (int)binance_result_http_status(detail), http, binance_result_message(detail));
    }
    CHECK(binance_result_http_status(detail) == http);
    CHECK((json != NULL) == has_json);
    CHECK(binance_result_message(detail)[0] != '\0');
    binance_string_free(json);
}

static void test_success_and_repeat(binance_client *c, binance_result *d) {
    char *json = NULL;
    CHECK_STATUS(binance_cancel_algo_order_ex(c, 14511, d, &json), BINANCE_OK);
    CHECK(json && strcmp(json, "{\"algoId\":14511,\"success\":true,\"code\":0,\"msg\":\"OK\"}") == 0);
    CHECK(binance_result_http_status(d) == 200);
    CHECK(binance_result_exchange_code(d) == 0);
    CHECK(strcmp(binance_result_exchange_msg(d), "OK") == 0);
    CHECK(binance_result_used_weight_ip_1m(d) >= 1);
    CHECK(binance_result_used_weight_uid_1m(d) >= 1);
    CHECK(binance_result_retry_after_s(d) == -1);
    binance_string_free(json);

    /* The same id again: the exchange no longer knows it. */
    json = NULL;
    CHECK_STATUS(binance_cancel_algo_order(c, 14511, &json), BINANCE_ERR_REJECTED);
    CHECK(json && strstr(json, "-20124") != NULL);
    binance_string_free(json);
    expect(c, 14511, BINANCE_ERR_REJECTED, 400, 1, d);
    CHECK(binance_result_exchange_code(d) == -20124);
    CHECK(strcmp(binance_result_exchange_msg(d), "Invalid algo id or it has been completed.") == 0);
}

static void test_big_ids(binance_client *c, binance_result *d) {
    const int64_t ids[] = {INT64_C(9007199254740993), INT64_MAX};
    const char *texts[] = {"\"algoId\":9007199254740993,", "\"algoId\":9223372036854775807,"};
    for (int i = 0; i < 2; i++) {
        char *json = NULL;
        CHECK_STATUS(binance_cancel_algo_order_ex(c, ids[i], d, &json), BINANCE_OK);
        CHECK(json && strstr(json, texts[i]) != NULL);
        binance_string_free(json);
    }
}

static void test_rejections(binance_result *d) {
    binance_client *wrong_key = make_client(url, "not-the-key", secret, 0, 0);
    expect(wrong_key, 3001, BINANCE_ERR_REJECTED, 401, 1, d);
    CHECK(binance_result_exchange_code(d) == -2015);
    binance_client_free(wrong_key);

    binance_client *wrong_secret = make_client(url, key, "not-the-secret", 0, 0);
    expect(wrong_secret, 3001, BINANCE_ERR_REJECTED, 400, 1, d);
    CHECK(binance_result_exchange_code(d) == -1022);
    binance_client_free(wrong_secret);

    /* recvWindow is sent when configured; the maximum is accepted. */
    binance_client *windowed = make_client(url, key, secret, 60000, 0);
    expect(windowed, 3001, BINANCE_OK, 200, 1, d);
    binance_client_free(windowed);
}

static void test_faults(binance_client *c, binance_result *d) {
    expect(c, 4290, BINANCE_ERR_RATE_LIMITED, 429, 1, d);
    CHECK(binance_result_retry_after_s(d) == 30);
    expect(c, 4180, BINANCE_ERR_RATE_LIMITED, 418, 1, d);
    CHECK(binance_result_retry_after_s(d) == 120);
    expect(c, 4040, BINANCE_ERR_REJECTED, 404, 0, d);          /* HTML 404 */
    expect(c, 5000, BINANCE_ERR_UNKNOWN_OUTCOME, 500, 1, d);   /* -1001 */
    CHECK(binance_result_exchange_code(d) == -1001);
    expect(c, 5030, BINANCE_ERR_UNKNOWN_OUTCOME, 503, 1, d);   /* -1007 */
    CHECK(binance_result_exchange_code(d) == -1007);
    expect(c, 5020, BINANCE_ERR_UNKNOWN_OUTCOME, 502, 0, d);   /* HTML 502 */
    expect(c, 2000, BINANCE_ERR_UNKNOWN_OUTCOME, 200, 0, d);   /* HTML 200 */
    expect(c, 2010, BINANCE_ERR_UNKNOWN_OUTCOME, 200, 0, d);   /* truncated */
    expect(c, 2020, BINANCE_ERR_UNKNOWN_OUTCOME, 200, 0, d);   /* short body */
    expect(c, 2030, BINANCE_ERR_UNKNOWN_OUTCOME, 200, 0, d);   /* 10 MB */
    expect(c, 6000, BINANCE_ERR_UNKNOWN_OUTCOME, 0, 0, d);     /* closed, no answer */

    /* An answer slower than the total timeout: sent, outcome unknown. The
     * clock is synced first so that the cancel has the whole second (under
     * valgrind too). */
    binance_client *impatient = make_client(url, key, secret, 0, 1000);
    CHECK(binance_client_sync_clock(impatient, d) == BINANCE_OK);
    expect(impatient, 7000, BINANCE_ERR_UNKNOWN_OUTCOME, 0, 0, d);
    CHECK(strstr(binance_result_message(d), "may have been executed") != NULL);
    binance_client_free(impatient);
}

static void test_transport(binance_result *d) {
    /* Bind a port, close it: nothing listens there now. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d", ntohs(a.sin_port));
    binance_client *c = make_client(dead, key, secret, 0, 0);
    expect(c, 14511, BINANCE_ERR_TRANSPORT, 0, 0, d);
    CHECK(strstr(binance_result_message(d), "safe to retry") != NULL);
    CHECK(binance_result_attempts(d) == 3); /* the default: 2 retries of what never left */
    binance_client_free(c);
}

static void test_invalid_input(binance_client *c, binance_result *d) {
    char *json = (char *)1;
    CHECK_STATUS(binance_cancel_algo_order(NULL, 1, &json), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(json == NULL);
    CHECK_STATUS(binance_cancel_algo_order(c, 1, NULL), BINANCE_ERR_INVALID_ARGUMENT);
    expect(c, 0, BINANCE_ERR_INVALID_ARGUMENT, 0, 0, d);
    expect(c, -14511, BINANCE_ERR_INVALID_ARGUMENT, 0, 0, d);
    expect(c, INT64_MIN, BINANCE_ERR_INVALID_ARGUMENT, 0, 0, d);

    binance_config *cfg = binance_config_new();
    binance_client *out = (binance_client *)1;
    CHECK_STATUS(binance_client_new(cfg, &out), BINANCE_ERR_INVALID_ARGUMENT); /* no keys */
    CHECK(out == NULL);
    CHECK_STATUS(binance_client_new(NULL, &out), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_client_new(cfg, NULL), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_api_key(NULL, "k"), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_api_key(cfg, NULL), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_api_key(cfg, ""), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_secret_key(cfg, "with space"), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_base_url(cfg, "not a url"), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_base_url(cfg, "ftp://127.0.0.1"), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_recv_window(cfg, 0), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_recv_window(cfg, 60001), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_timeouts(cfg, 0, 1000), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_timeouts(cfg, 1000, 600001), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_ca_file(cfg, "/nonexistent/ca.pem"), BINANCE_ERR_INVALID_ARGUMENT);
    binance_config_free(cfg);

    binance_config_free(NULL);
    binance_client_free(NULL);
    binance_result_free(NULL);
    binance_string_free(NULL);
    CHECK(binance_status_str(-1) != NULL && binance_status_str(999) != NULL);
    CHECK(strcmp(binance_status_str(BINANCE_ERR_RATE_LIMITED), "BINANCE_ERR_RATE_LIMITED") == 0);
    CHECK(binance_result_message(NULL) != NULL);

    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", BINANCE_ALGO_VERSION_MAJOR, BINANCE_ALGO_VERSION_MINOR,
             BINANCE_ALGO_VERSION_PATCH);
    CHECK(strcmp(version, binance_version()) == 0);
    CHECK(BINANCE_ALGO_VERSION_NUM == ((BINANCE_ALGO_VERSION_MAJOR << 16) | (BINANCE_ALGO_VERSION_MINOR << 8) |
                                       BINANCE_ALGO_VERSION_PATCH));
}

/* Issue 8's C API: callbacks called from Rust into C, dry run, client ids. */
static int log_count[4];
static void on_event(void *user, const binance_log_event *e) {
    (void)user;
    if ((int)e->kind >= 0 && (int)e->kind < 4 && e->message != NULL) log_count[e->kind]++;
}
static int failing_signer(void *user, const uint8_t *payload, size_t len, char *out, size_t cap) {
    (void)payload; (void)len; (void)out; (void)cap;
    ++*(int *)user;
    return 1;
}

static void test_features(binance_result *d) {
    binance_config *cfg = binance_config_new();
    CHECK_STATUS(binance_config_set_api_key(cfg, key), BINANCE_OK);
    CHECK_STATUS(binance_config_set_secret_key(cfg, secret), BINANCE_OK);
    CHECK_STATUS(binance_config_set_base_url(cfg, url), BINANCE_OK);
    CHECK_STATUS(binance_config_set_logger(cfg, on_event, NULL), BINANCE_OK);
    binance_client *c = NULL;
    CHECK_STATUS(binance_client_new(cfg, &c), BINANCE_OK);

    char *json = NULL;
    CHECK_STATUS(binance_presign_cancel(c, 3003, NULL, &json), BINANCE_OK);
    CHECK(json && strstr(json, "\"method\":\"DELETE\"") && strstr(json, "algoId=3003&timestamp="));
    CHECK(json && strstr(json, key) == NULL); /* the key is masked */
    binance_string_free(json);

    binance_call_options *opts = binance_call_options_new();
    CHECK_STATUS(binance_call_options_set_recv_window(opts, 10000), BINANCE_OK);
    CHECK_STATUS(binance_call_options_set_timeout(opts, 0), BINANCE_ERR_INVALID_ARGUMENT);
    json = NULL;
    CHECK_STATUS(binance_cancel_by_client_algo_id(c, "c-1", opts, d, &json), BINANCE_OK);
    CHECK(json && strstr(json, "\"success\":true"));
    binance_string_free(json);
    json = NULL;
    CHECK_STATUS(binance_cancel_by_client_algo_id(c, "not valid", opts, d, &json), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(binance_result_attempts(d) == 0);
    CHECK_STATUS(binance_cancel_algo_order_opts(c, 3003, opts, d, &json), BINANCE_OK);
    binance_string_free(json);
    binance_call_options_free(opts);
    binance_client_free(c);
    CHECK(log_count[BINANCE_LOG_REQUEST] == 2 && log_count[BINANCE_LOG_ANSWER] == 2);
    CHECK(log_count[BINANCE_LOG_CLOCK_SYNC] == 1);

    int calls = 0;
    CHECK_STATUS(binance_config_set_signer(cfg, failing_signer, &calls), BINANCE_OK);
    CHECK_STATUS(binance_client_new(cfg, &c), BINANCE_OK);
    json = NULL;
    CHECK_STATUS(binance_cancel_algo_order_ex(c, 3004, d, &json), BINANCE_ERR_SIGNER);
    CHECK(json == NULL && calls == 1);
    CHECK(strcmp(binance_status_str(BINANCE_ERR_SIGNER), "BINANCE_ERR_SIGNER") == 0);
    binance_client_free(c);

    CHECK_STATUS(binance_config_set_recv_window(cfg, 0), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(binance_config_last_error(cfg), "recvWindow") != NULL);
    CHECK_STATUS(binance_config_set_private_key(cfg, "not a key", NULL), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(binance_config_last_error(cfg)[0] != '\0');
    binance_config_free(cfg);
}

#define THREADS 8
#define PER_THREAD 10
struct job { binance_client *client; int64_t first_id; int ok, rejected; };

static void *cancel_many(void *arg) {
    struct job *j = arg;
    binance_result *d = binance_result_new();
    for (int i = 0; i <= PER_THREAD; i++) {
        /* Ten open ids, then the first one again (already cancelled). */
        int64_t id = j->first_id + (i < PER_THREAD ? i : 0);
        char *json = NULL;
        binance_status st = binance_cancel_algo_order_ex(j->client, id, d, &json);
        if (st == BINANCE_OK && json && binance_result_http_status(d) == 200) j->ok++;
        if (st == BINANCE_ERR_REJECTED && binance_result_exchange_code(d) == -20124) j->rejected++;
        binance_string_free(json);
    }
    binance_result_free(d);
    return NULL;
}

static void test_clock(binance_client *c, binance_result *d) {
    int64_t offset = 12345;
    CHECK_STATUS(binance_client_sync_clock(c, d), BINANCE_OK);
    CHECK(binance_result_http_status(d) == 200);
    CHECK_STATUS(binance_client_clock_offset_ms(c, &offset), BINANCE_OK);
    CHECK(offset > -1000 && offset < 1000); /* the simulator runs on this clock */
    CHECK_STATUS(binance_client_sync_clock(NULL, d), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_client_clock_offset_ms(NULL, &offset), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(offset == 0);
    CHECK_STATUS(binance_client_clock_offset_ms(c, NULL), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(binance_result_attempts(d) == 0);
    CHECK_STATUS(binance_client_warm(c, 2, d), BINANCE_OK);
    CHECK(strstr(binance_result_message(d), "warmed 2 of 2 connections") != NULL);
    CHECK_STATUS(binance_client_warm(c, 0, d), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_client_warm(c, 65, d), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_client_warm(NULL, 1, d), BINANCE_ERR_INVALID_ARGUMENT);
    expect(c, 3002, BINANCE_ERR_REJECTED, 400, 1, d); /* not open: -20124 */
    CHECK(binance_result_attempts(d) == 1);

    binance_config *cfg = binance_config_new();
    CHECK_STATUS(binance_config_set_clock_sync(cfg, 0), BINANCE_OK);
    CHECK_STATUS(binance_config_set_max_retries(cfg, 11), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_max_retries(cfg, -1), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_max_retries(cfg, 0), BINANCE_OK);
    CHECK_STATUS(binance_config_set_max_retries(NULL, 1), BINANCE_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(binance_config_set_clock_sync(NULL, 1), BINANCE_ERR_INVALID_ARGUMENT);
    binance_config_free(cfg);
}

static void test_threads(binance_client *c) {
    pthread_t t[THREADS];
    struct job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (struct job){c, 1000 + i * PER_THREAD, 0, 0};
        CHECK(pthread_create(&t[i], NULL, cancel_many, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK(jobs[i].ok == PER_THREAD);
        CHECK(jobs[i].rejected == 1);
    }
}

/* README, fork(): the child makes its own client (it may free the inherited
 * one), and the parent's client is unaffected, kept-alive connection included. */
static void test_fork(binance_client *c, binance_result *d) {
    expect(c, 3005, BINANCE_OK, 200, 1, d); /* a pooled connection to share */
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        binance_client_free(c);
        binance_config *cfg = binance_config_new();
        binance_client *own = NULL;
        char *json = NULL;
        int ok = cfg && binance_config_set_api_key(cfg, key) == BINANCE_OK &&
                 binance_config_set_secret_key(cfg, secret) == BINANCE_OK &&
                 binance_config_set_base_url(cfg, url) == BINANCE_OK && binance_client_new(cfg, &own) == BINANCE_OK &&
                 binance_cancel_algo_order(own, 3006, &json) == BINANCE_OK;
        binance_string_free(json);
        binance_client_free(own);
        binance_config_free(cfg);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    expect(c, 3007, BINANCE_OK, 200, 1, d);
}

int main(void) {
    url = getenv("BINANCE_BASE_URL");
    key = getenv("BINANCE_API_KEY");
    secret = getenv("BINANCE_SECRET_KEY");
    if (!url || !key || !secret) {
        fprintf(stderr, "run through scripts/with-sim.sh (make c-test)\n");
        return 2;
    }
    binance_client *c = make_client(url, key, secret, 0, 0);
    binance_result *d = binance_result_new();
    test_success_and_repeat(c, d);
    test_big_ids(c, d);
    test_rejections(d);
    test_faults(c, d);
    test_transport(d);
    test_invalid_input(c, d);
    test_clock(c, d);
    test_features(d);
    test_threads(c);
    test_fork(c, d);
    binance_result_free(d);
    binance_client_free(c);
    return check_summary("c-tests");
}
