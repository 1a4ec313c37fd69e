/* The signed query for the C clients (floor and libcurl): what the library
 * does inside each call, done here with OpenSSL so that every client pays
 * for a fresh timestamp and one HMAC-SHA256 per call. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct signer {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx; /* keyed once; re-initialised with the same key per call */
};

signer *signer_new(const char *secret) {
    signer *s = calloc(1, sizeof *s);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (!s || !(s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) || !(s->ctx = EVP_MAC_CTX_new(s->mac)) ||
        !EVP_MAC_init(s->ctx, (const unsigned char *)secret, strlen(secret), params)) {
        fprintf(stderr, "bench: OpenSSL HMAC unavailable\n");
        signer_free(s);
        return NULL;
    }
    return s;
}

size_t signer_query(signer *s, int64_t algo_id, char *out, size_t cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int n = snprintf(out, cap, "algoId=%lld&timestamp=%lld", (long long)algo_id, ms);
    unsigned char mac[32];
    size_t maclen = 0;
    /* NULL key: OpenSSL restarts from the stored key schedule. */
    if (n < 0 || (size_t)n + 11 + 64 >= cap || !EVP_MAC_init(s->ctx, NULL, 0, NULL) ||
        !EVP_MAC_update(s->ctx, (const unsigned char *)out, (size_t)n) ||
        !EVP_MAC_final(s->ctx, mac, &maclen, sizeof mac))
        return 0;
    static const char hex[] = "0123456789abcdef";
    char *p = out + n;
    memcpy(p, "&signature=", 11);
    p += 11;
    for (size_t i = 0; i < maclen; i++) {
        *p++ = hex[mac[i] >> 4];
        *p++ = hex[mac[i] & 15];
    }
    *p = '\0';
    return (size_t)(p - out);
}

void signer_free(signer *s) {
    if (!s)
        return;
    EVP_MAC_CTX_free(s->ctx);
    EVP_MAC_free(s->mac);
    free(s);
}
