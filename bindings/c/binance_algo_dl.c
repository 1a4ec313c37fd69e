/* Runtime loader for libbinance_algo; see binance_algo_dl.h. */
#include "binance_algo_dl.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    if (err == NULL || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap); /* cuts to fit, always NUL-terminated */
    va_end(ap);
}

/* dlsym's void * goes into a function pointer through memcpy: ISO C has no
 * cast between the two, and POSIX guarantees they have the same size. */
static int resolve(void *dl, const char *name, void *slot, size_t size) {
    void *sym = dlsym(dl, name);
    if (sym == NULL || size != sizeof sym) return -1;
    memcpy(slot, &sym, size);
    return 0;
}

/* The leading decimal number of "MAJOR.MINOR.PATCH", or -1. */
static long major_of(const char *version) {
    char *end = NULL;
    long major = strtol(version, &end, 10);
    return (end == version || *end != '.' || major < 0) ? -1 : major;
}

static int fail(binance_api *api, void *dl, char *err, size_t errlen, const char *file, const char *what,
                const char *detail) {
    set_err(err, errlen, "%s: %s%s", file, what, detail);
    if (dl != NULL) dlclose(dl);
    memset(api, 0, sizeof *api);
    return -1;
}

int binance_api_load(binance_api *api, const char *path, char *err, size_t errlen) {
    const char *file = path != NULL ? path : BINANCE_ALGO_DL_SONAME;
    if (api == NULL) {
        set_err(err, errlen, "binance_api_load: api is NULL");
        return -1;
    }
    memset(api, 0, sizeof *api);
    void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        const char *why = dlerror(); /* usually names the file already */
        set_err(err, errlen, "%s", why != NULL ? why : "dlopen failed");
        return -1;
    }

    /* The version first: a library of another major may lack functions, and
     * "wrong version" says more than "missing symbol". */
    if (resolve(dl, "binance_version", &api->version, sizeof api->version) != 0) {
        return fail(api, dl, err, errlen, file, "missing binance_version", " (not libbinance_algo?)");
    }
    const char *version = api->version();
    if (version == NULL) version = "(null)"; /* a stand-in library; ours never returns NULL */
    if (major_of(version) != BINANCE_ALGO_VERSION_MAJOR) {
        char both[160];
        snprintf(both, sizeof both, "library %.32s, loader built for %d.%d.%d (major %d)", version,
                 BINANCE_ALGO_VERSION_MAJOR, BINANCE_ALGO_VERSION_MINOR, BINANCE_ALGO_VERSION_PATCH,
                 BINANCE_ALGO_VERSION_MAJOR);
        return fail(api, dl, err, errlen, file, "incompatible version: ", both);
    }

#define BINANCE_API_RESOLVE_(name, ret, params)                                                 \
    if (resolve(dl, "binance_" #name, &api->name, sizeof api->name) != 0) {                     \
        return fail(api, dl, err, errlen, file, "missing binance_" #name,                       \
                    " (library older than this loader?)");                                      \
    }
    BINANCE_API_FUNCTIONS(BINANCE_API_RESOLVE_)
#undef BINANCE_API_RESOLVE_

    api->dl = dl;
    return 0;
}

void binance_api_unload(binance_api *api) {
    if (api == NULL || api->dl == NULL) return;
    dlclose(api->dl);
    memset(api, 0, sizeof *api);
}
