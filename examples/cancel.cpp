// Cancels one algo order through the C++ wrapper and prints what happened.
//
//   cancel_cpp [ALGO_ID]        (default 14511)
//
// Environment: BINANCE_API_KEY, BINANCE_SECRET_KEY (required) and
// BINANCE_BASE_URL (default https://api.binance.com), as examples/cancel.c.
// Exit status 0 only when the order was cancelled, 1 when not, 2 on bad usage.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "binance_algo.hpp"

int main(int argc, char **argv) {
    const char *key = std::getenv("BINANCE_API_KEY");
    const char *secret = std::getenv("BINANCE_SECRET_KEY");
    const char *url = std::getenv("BINANCE_BASE_URL");
    std::int64_t algo_id = 14511;
    if (argc > 1) {
        char *end = nullptr;
        errno = 0;
        algo_id = std::strtoll(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0') {
            std::cerr << "usage: " << argv[0] << " [ALGO_ID]\n";
            return 2;
        }
    }

    binance::Config cfg;
    if (!key || !secret || cfg.set_api_key(key) != BINANCE_OK || cfg.set_secret_key(secret) != BINANCE_OK ||
        (url && cfg.set_base_url(url) != BINANCE_OK)) {
        std::cerr << "set BINANCE_API_KEY, BINANCE_SECRET_KEY and a valid BINANCE_BASE_URL\n";
        return 2;
    }
    std::optional<binance::Client> client;
    if (binance::Status st = binance::Client::create(cfg, client); st != BINANCE_OK) {
        std::cerr << "binance_client_new: " << binance::status_str(st) << "\n";
        return 1;
    }

    binance::Result r = client->cancel(algo_id);
    std::cout << "cancel algoId=" << algo_id << ": " << binance::status_str(r.status) << "\n"
              << "  http " << r.detail.http_status << ", exchange code " << r.detail.exchange_code
              << ", used weight " << r.detail.weight_ip_1m << "/min\n"
              << "  " << r.detail.message << "\n"
              << "  body: " << (r.json.empty() ? "(none)" : r.json) << "\n";
    return r.ok() ? 0 : 1;
}
