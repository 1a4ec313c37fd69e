/* libcurl as a careful C user would drive it: one easy handle per thread,
 * reused for every call so its connection and TLS session stay open. */
#include "bench.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct curl_client {
    CURL *h;
    struct curl_slist *headers;
    signer *sign;
    char url[1024];
    size_t base_len; /* "scheme://host:port/sapi/...order?" */
    char body[4096];
    size_t body_len;
} curl_client;

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
    curl_client *c = arg;
    size_t len = size * n, room = sizeof c->body - 1 - c->body_len;
    memcpy(c->body + c->body_len, p, len < room ? len : room);
    c->body_len += len < room ? len : room;
    return len;
}

static void init_once(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void curl_close(void *arg) {
    curl_client *c = arg;
    if (!c)
        return;
    curl_easy_cleanup(c->h);
    curl_slist_free_all(c->headers);
    signer_free(c->sign);
    free(c);
}

static void *curl_open(const target *t) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    curl_client *c = calloc(1, sizeof *c);
    char key[1100];
    snprintf(key, sizeof key, "X-MBX-APIKEY: %s", t->api_key);
    /* The library's Accept (in place of curl's default) and User-Agent: the same request. */
    if (!c || !(c->h = curl_easy_init()) || !(c->headers = curl_slist_append(NULL, "Accept: " BENCH_ACCEPT)) ||
        !(c->headers = curl_slist_append(c->headers, key)) ||
        !(c->sign = signer_new(t->secret))) {
        fprintf(stderr, "bench: libcurl setup failed\n");
        curl_close(c);
        return NULL;
    }
    c->base_len = (size_t)snprintf(c->url, sizeof c->url, "%s://%s:%d/sapi/v1/algo/futures/order?",
                                   t->tls ? "https" : "http", t->host, t->port);
    curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->h, CURLOPT_USERAGENT, bench_user_agent());
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 10000L); /* same total bound as the library */
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c->h, CURLOPT_PROXY, ""); /* like the library: no proxy from the environment */
    if (t->tls)
        curl_easy_setopt(c->h, CURLOPT_CAINFO, t->ca_file);
    return c;
}

static int curl_cancel(void *arg, int64_t algo_id) {
    curl_client *c = arg;
    long code = 0;
    if (signer_query(c->sign, algo_id, c->url + c->base_len, sizeof c->url - c->base_len) == 0)
        return -1;
    c->body_len = 0;
    curl_easy_setopt(c->h, CURLOPT_URL, c->url);
    if (curl_easy_perform(c->h) != CURLE_OK)
        return -1;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    c->body[c->body_len] = '\0';
    return code == 200 && strstr(c->body, "\"success\":true") ? 0 : -1;
}

const client_ops curl_ops = {"libcurl", curl_open, curl_cancel, curl_close, 0, NULL};
