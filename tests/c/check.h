/* CHECK(cond) for the C and C++ test programs: counts passes and failures and
 * names each failure. check_summary(NAME) prints "NAME: N passed, N failed"
 * (the closing line every test runner prints) and returns the exit status.
 * Include it in one translation unit per test program. */
#ifndef BINANCE_TEST_CHECK_H
#define BINANCE_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) {                                                                      \
            passed++;                                                                    \
        } else {                                                                         \
            failed++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                                \
    } while (0)

static inline int check_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif /* BINANCE_TEST_CHECK_H */
