/* The floor: the least any client can do for one cancel. A connected socket
 * (plain, or OpenSSL for https), the request pre-formatted around the query,
 * one HMAC per call, one write, reads until Content-Length is satisfied,
 * and a check that the answer is the success. It allocates nothing itself
 * per call (OpenSSL's HMAC restart does, twice). */
#define _GNU_SOURCE
#include "bench.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void floor_close(void *arg);

typedef struct floor_client {
    target t;
    signer *sign;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char req[1024]; /* "DELETE ...order?" | query | " HTTP/1.1\r\n...\r\n\r\n" */
    size_t prefix_len;
    char suffix[512];
    size_t suffix_len;
    char resp[4096];
} floor_client;

static void *floor_open(const target *t) {
    floor_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->t = *t;
    c->fd = -1;
    c->prefix_len = (size_t)snprintf(c->req, sizeof c->req, "DELETE /sapi/v1/algo/futures/order?");
    c->suffix_len = (size_t)snprintf(c->suffix, sizeof c->suffix,
                                     " HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: %s\r\nAccept: " BENCH_ACCEPT
                                     "\r\nX-MBX-APIKEY: %s\r\n\r\n",
                                     t->host, t->port, bench_user_agent(), t->api_key);
    if (!(c->sign = signer_new(t->secret)))
        goto fail;
    if (t->tls) {
        if (!(c->ctx = SSL_CTX_new(TLS_client_method())) ||
            SSL_CTX_load_verify_locations(c->ctx, t->ca_file, NULL) != 1)
            goto fail;
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        /* Read whole records at once: one read(2) per answer, not two. */
        SSL_CTX_set_read_ahead(c->ctx, 1);
    }
    return c;
fail:
    fprintf(stderr, "bench: floor client setup failed\n");
    floor_close(c);
    return NULL;
}

static void floor_disconnect(floor_client *c) {
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    c->ssl = NULL;
    c->fd = -1;
}

/* Resolves like the others do (getaddrinfo), once per connection. */
static int floor_connect(floor_client *c) {
    char port[16];
    snprintf(port, sizeof port, "%d", c->t.port);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(c->t.host, port, &hints, &ai) != 0)
        return -1;
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* 10 s, the others' total timeout: a stalled server fails the run, not hangs it. */
    struct timeval limit = {.tv_sec = 10};
    int one = 1, ok = c->fd >= 0 && connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
                      setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0 &&
                      setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == 0;
    freeaddrinfo(ai);
    if (ok && c->t.tls) {
        ok = (c->ssl = SSL_new(c->ctx)) && SSL_set_fd(c->ssl, c->fd) == 1 &&
             SSL_set_tlsext_host_name(c->ssl, c->t.host) == 1 && SSL_set1_host(c->ssl, c->t.host) == 1 &&
             SSL_connect(c->ssl) == 1;
    }
    if (!ok)
        floor_disconnect(c);
    return ok ? 0 : -1;
}

static long io_write(floor_client *c, const char *p, size_t n) {
    return c->ssl ? SSL_write(c->ssl, p, (int)n) : write(c->fd, p, n);
}

static long io_read(floor_client *c, char *p, size_t n) {
    return c->ssl ? SSL_read(c->ssl, p, (int)n) : read(c->fd, p, n);
}

static int floor_cancel(void *arg, int64_t algo_id) {
    floor_client *c = arg;
    if (c->fd < 0 && floor_connect(c) != 0)
        return -1;
    size_t cap = sizeof c->req - c->prefix_len - c->suffix_len;
    size_t q = signer_query(c->sign, algo_id, c->req + c->prefix_len, cap);
    if (q == 0)
        return -1;
    memcpy(c->req + c->prefix_len + q, c->suffix, c->suffix_len);
    size_t len = c->prefix_len + q + c->suffix_len;
    if (io_write(c, c->req, len) != (long)len)
        goto broken;
    size_t have = 0, need = 0;
    for (;;) {
        long n = io_read(c, c->resp + have, sizeof c->resp - 1 - have);
        if (n <= 0)
            goto broken;
        have += (size_t)n;
        c->resp[have] = '\0';
        char *end = strstr(c->resp, "\r\n\r\n");
        if (end && !need) {
            char *cl = strcasestr(c->resp, "\r\nContent-Length:");
            if (!cl || cl > end)
                goto broken;
            need = (size_t)(end + 4 - c->resp) + strtoul(cl + 17, NULL, 10);
        }
        if (need && have >= need)
            break;
        if (have == sizeof c->resp - 1)
            goto broken;
    }
    return strncmp(c->resp, "HTTP/1.1 200", 12) == 0 && strstr(c->resp, "\"success\":true") ? 0 : -1;
broken:
    floor_disconnect(c);
    return -1;
}

static void floor_close(void *arg) {
    floor_client *c = arg;
    floor_disconnect(c);
    SSL_CTX_free(c->ctx);
    signer_free(c->sign);
    free(c);
}

const client_ops floor_ops = {"floor", floor_open, floor_cancel, floor_close, 0, NULL};
