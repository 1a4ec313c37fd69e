/* A stand-in library for tests/c/test_dl.c. It exports binance_version only,
 * returning "FAKE_MAJOR.0.0" (default: the header's major), so the loader
 * meets a version mismatch (-DFAKE_MAJOR=99) or, with the right major, a
 * missing function. */
#include "binance_algo.h"

#define FAKE_STR_(x) #x
#define FAKE_STR(x) FAKE_STR_(x)
#ifndef FAKE_MAJOR
#define FAKE_MAJOR BINANCE_ALGO_VERSION_MAJOR
#endif

const char *binance_version(void) { return FAKE_STR(FAKE_MAJOR) ".0.0"; }
