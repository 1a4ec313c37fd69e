/* Tests of the dlopen loader in bindings/c against the bundled simulator.
 *
 *   test_dl REAL_LIB FAKE_V99_LIB FAKE_MISSING_LIB HEADER
 *
 * Run through scripts/with-sim.sh (make dl-test) with 14511 and 3001 open.
 * The binary does not link libbinance_algo: it finds it by soname through its
 * rpath ($ORIGIN), or by the path given. The fakes come from
 * tests/c/fake_binance_algo.c. */
#define _GNU_SOURCE /* RTLD_NOLOAD: is a library still loaded? */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binance_algo_dl.h"
#include "check.h"

static char header_version[32]; /* "MAJOR.MINOR.PATCH" of binance_algo.h */

static const char *names[] = {
#define NAME_(name, ret, params) "binance_" #name,
    BINANCE_API_FUNCTIONS(NAME_)
#undef NAME_
};
#define NAMES (sizeof names / sizeof names[0])

/* Every function the header declares is in the loader's list, and no more: a
 * declaration is a line at column 0 whose identifier before '(' is binance_*. */
static void test_covers_header(const char *header) {
    FILE *f = fopen(header, "r");
    char line[512];
    size_t found = 0;
    CHECK(f != NULL);
    if (f == NULL) return;
    while (fgets(line, sizeof line, f) != NULL) {
        char *paren = strchr(line, '(');
        if (line[0] == ' ' || line[0] == '/' || line[0] == '#' || paren == NULL) continue;
        char *start = paren;
        while (start > line && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
                                (start[-1] >= '0' && start[-1] <= '9'))) {
            start--;
        }
        *paren = '\0';
        if (strncmp(start, "binance_", 8) != 0) continue;
        size_t i = 0;
        while (i < NAMES && strcmp(names[i], start) != 0) i++;
        if (i == NAMES) fprintf(stderr, "%s declares %s, missing from BINANCE_API_FUNCTIONS\n", header, start);
        CHECK(i < NAMES);
        found++;
    }
    fclose(f);
    CHECK(found == NAMES);
}

/* One cancel through a loaded table; returns the status, checks the detail. */
static binance_status cancel_once(const binance_api *api, int64_t id, int64_t *code) {
    binance_config *cfg = api->config_new();
    binance_client *client = NULL;
    CHECK(api->config_set_api_key(cfg, getenv("BINANCE_API_KEY")) == BINANCE_OK);
    CHECK(api->config_set_secret_key(cfg, getenv("BINANCE_SECRET_KEY")) == BINANCE_OK);
    CHECK(api->config_set_base_url(cfg, getenv("BINANCE_BASE_URL")) == BINANCE_OK);
    CHECK(api->client_new(cfg, &client) == BINANCE_OK);
    api->config_free(cfg);

    binance_result *detail = api->result_new();
    char *json = NULL;
    binance_status st = api->cancel_algo_order_ex(client, id, detail, &json);
    CHECK(api->result_status(detail) == st);
    CHECK(json != NULL); /* the simulator answers JSON for both outcomes used here */
    *code = api->result_exchange_code(detail);
    api->string_free(json);
    api->result_free(detail);
    api->client_free(client);
    return st;
}

static void test_load_cancel_unload(const char *real) {
    binance_api api;
    char err[256] = "";
    int64_t code = 1;

    /* By soname, through the rpath, as an installed program would. */
    CHECK(binance_api_load(&api, NULL, err, sizeof err) == 0);
    if (api.dl == NULL) {
        fprintf(stderr, "load by soname: %s\n", err);
        return;
    }
    CHECK(strcmp(api.version(), header_version) == 0);
    CHECK(strcmp(api.status_str(BINANCE_ERR_REJECTED), "BINANCE_ERR_REJECTED") == 0);
    CHECK(cancel_once(&api, 14511, &code) == BINANCE_OK);
    CHECK(code == 0);
    binance_api_unload(&api);
    CHECK(api.dl == NULL && api.cancel_algo_order_ex == NULL);
    binance_api_unload(&api); /* twice: harmless */

    /* Again, by path: the same simulator now knows 14511 is gone. */
    CHECK(binance_api_load(&api, real, err, sizeof err) == 0);
    if (api.dl == NULL) {
        fprintf(stderr, "load %s: %s\n", real, err);
        return;
    }
    CHECK(cancel_once(&api, 14511, &code) == BINANCE_ERR_REJECTED);
    CHECK(code == -20124);
    CHECK(cancel_once(&api, 3001, &code) == BINANCE_OK);
    binance_api_unload(&api);
}

/* A failed load returns -1, leaves the table zeroed and nothing loaded, and
 * explains itself. */
static void expect_failure(const char *path, const char *want1, const char *want2) {
    binance_api api;
    char err[256] = "";
    memset(&api, 0xff, sizeof api);
    CHECK(binance_api_load(&api, path, err, sizeof err) == -1);
    CHECK(api.dl == NULL && api.version == NULL && api.cancel_algo_order == NULL);
    CHECK(dlopen(path, RTLD_NOW | RTLD_NOLOAD) == NULL);
    if (strstr(err, want1) == NULL || strstr(err, want2) == NULL) {
        fprintf(stderr, "load %s: error \"%s\" lacks \"%s\" or \"%s\"\n", path, err, want1, want2);
    }
    CHECK(strstr(err, want1) != NULL && strstr(err, want2) != NULL);
}

static void test_failures(const char *header, const char *fake_v99, const char *fake_missing) {
    expect_failure("/nonexistent/libbinance_algo.so.0", "/nonexistent/libbinance_algo.so.0", "No such file");
    expect_failure(header, header, ":");                                 /* not a shared object */
    expect_failure(fake_v99, "library 99.0.0", header_version);                 /* both versions named */
    expect_failure(fake_missing, fake_missing, "missing binance_cancel_algo_order (");

    /* No room or no buffer for the message: still -1, no overflow, no crash. */
    binance_api api;
    char small[8];
    CHECK(binance_api_load(&api, "/nonexistent/x.so", small, sizeof small) == -1);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(binance_api_load(&api, "/nonexistent/x.so", NULL, 0) == -1);
    CHECK(binance_api_load(&api, fake_v99, small, 0) == -1);
    CHECK(binance_api_load(NULL, NULL, small, sizeof small) == -1);
    binance_api_unload(NULL);
}

int main(int argc, char **argv) {
    if (argc != 5 || !getenv("BINANCE_BASE_URL") || !getenv("BINANCE_API_KEY") || !getenv("BINANCE_SECRET_KEY")) {
        fprintf(stderr, "usage: scripts/with-sim.sh --open-ids 14511,3001 -- %s REAL_LIB FAKE_V99_LIB "
                        "FAKE_MISSING_LIB HEADER (make dl-test)\n", argv[0]);
        return 2;
    }
    snprintf(header_version, sizeof header_version, "%d.%d.%d", BINANCE_ALGO_VERSION_MAJOR,
             BINANCE_ALGO_VERSION_MINOR, BINANCE_ALGO_VERSION_PATCH);
    test_covers_header(argv[4]);
    test_load_cancel_unload(argv[1]);
    test_failures(argv[4], argv[2], argv[3]);
    return check_summary("dl-test");
}
