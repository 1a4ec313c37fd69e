// A status or log kind added by a later library version must be a valid
// value of the header's enums in C++ too, where an enum without a fixed type
// holds only its enumerators' range (BINANCE_STATUS_MAX_ENUM widens it).
// Built with -fsanitize=undefined -fno-sanitize-recover=all: an out-of-range
// load aborts with "not a valid value for type".
#include "binance_algo.hpp"

#include <cstdio>
#include <cstring>
#include <string>

// What a newer library's return value or event field looks like here.
template <class E> static E later(int value) {
    E e;
    std::memcpy(&e, &value, sizeof e);
    return e;
}

int main() {
    static_assert(sizeof(binance_status) == sizeof(int), "repr(C): an int");
    static_assert(sizeof(binance_log_kind) == sizeof(int), "repr(C): an int");
    const binance::Status status = later<binance::Status>(BINANCE_ERR_SIGNER + 1);
    const binance::Error error(status, binance::Detail{});
    binance_log_event event{};
    event.kind = later<binance_log_kind>(BINANCE_LOG_CLOCK_SYNC + 1);
    const binance_log_kind kind = event.kind;
    if (std::string(error.what()) != "unknown status: " || error.status() != status || kind == BINANCE_LOG_REQUEST) {
        std::printf("FAIL: a later status or log kind: %s\n", error.what());
        return 1;
    }
    std::printf("ok: a later status and log kind are valid enum values\n");
    return 0;
}
