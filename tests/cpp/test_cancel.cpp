// Tests of bindings/cpp/binance_algo.hpp against the bundled simulator.
//
// Run through scripts/with-sim.sh with CPP_SIM_FLAGS of mk/bindings.mk
// (make cpp-test): open ids 14511, 3001, 1000-1079, 2^53+1 and INT64_MAX,
// client algo ids cpp-order-1 and cpp-order-2, and faults 4290=429:30,
// 4180=418:120, 5000=500, 7000=slow:10000.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "../c/check.h"
#include "binance_algo.hpp"

// Handles are move-only; moves never throw (a moved-from object holds NULL).
static_assert(!std::is_copy_constructible_v<binance::Client> && !std::is_copy_assignable_v<binance::Client>);
static_assert(!std::is_copy_constructible_v<binance::Config> && !std::is_copy_assignable_v<binance::Config>);
static_assert(std::is_nothrow_move_constructible_v<binance::Client> &&
              std::is_nothrow_move_assignable_v<binance::Client>);
static_assert(std::is_nothrow_move_constructible_v<binance::Config> &&
              std::is_nothrow_move_assignable_v<binance::Config>);

static std::string url, key, secret;

static binance::Config make_config(std::string_view base_url, std::string_view api_key, std::string_view secret_key) {
    binance::Config cfg;
    CHECK(cfg.set_api_key(api_key) == BINANCE_OK);
    CHECK(cfg.set_secret_key(secret_key) == BINANCE_OK);
    CHECK(cfg.set_base_url(base_url) == BINANCE_OK);
    return cfg;
}

static binance::Client make_client(std::string_view base_url, std::string_view api_key = key,
                                   std::string_view secret_key = secret) {
    std::optional<binance::Client> client;
    CHECK(binance::Client::create(make_config(base_url, api_key, secret_key), client) == BINANCE_OK);
    CHECK(client.has_value());
    return std::move(*client);
}

static void test_ok_and_rejected(const binance::Client &c) {
    binance::Result r = c.cancel(14511);
    CHECK(r.ok() && r.status == BINANCE_OK);
    CHECK(r.json == R"({"algoId":14511,"success":true,"code":0,"msg":"OK"})");
    CHECK(r.detail.http_status == 200 && r.detail.exchange_code == 0 && r.detail.exchange_msg == "OK");
    CHECK(r.detail.weight_ip_1m >= 1 && r.detail.weight_uid_1m >= 1 && r.detail.retry_after_s == -1);
    CHECK(!r.detail.message.empty() && r.detail.attempts == 1);

    r = c.cancel(14511); // gone now
    CHECK(r.status == BINANCE_ERR_REJECTED && !r.ok());
    CHECK(r.detail.http_status == 400 && r.detail.exchange_code == -20124);
    CHECK(r.json.find("-20124") != std::string::npos);

    binance::Client wrong_key = make_client(url, "not-the-key");
    r = wrong_key.cancel(3001);
    CHECK(r.status == BINANCE_ERR_REJECTED && r.detail.exchange_code == -2015);
    CHECK(r.detail.message.find("not-the-key") == std::string::npos);
}

static void test_other_statuses(const binance::Client &c) {
    binance::Result r = c.cancel(4290);
    CHECK(r.status == BINANCE_ERR_RATE_LIMITED && r.detail.http_status == 429 && r.detail.retry_after_s == 30);
    r = c.cancel(4180);
    CHECK(r.status == BINANCE_ERR_RATE_LIMITED && r.detail.http_status == 418 && r.detail.retry_after_s == 120);
    r = c.cancel(5000);
    CHECK(r.status == BINANCE_ERR_UNKNOWN_OUTCOME && r.detail.http_status == 500);
    r = c.cancel(0);
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && r.json.empty() && r.detail.http_status == 0);
    CHECK(r.detail.attempts == 0);
    r = c.cancel(std::numeric_limits<std::int64_t>::min());
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT);

    // A port nothing listens on: not sent.
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    CHECK(getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    close(fd);
    binance::Config cfg = make_config("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), key, secret);
    CHECK(cfg.set_max_retries(0) == BINANCE_OK && cfg.set_clock_sync(false) == BINANCE_OK);
    std::optional<binance::Client> dead;
    CHECK(binance::Client::create(cfg, dead) == BINANCE_OK);
    r = dead->cancel(14511);
    CHECK(r.status == BINANCE_ERR_TRANSPORT && r.detail.http_status == 0 && r.json.empty());
    CHECK(r.detail.attempts == 1); // max_retries reached the library
    r = dead->sync_clock();
    CHECK(r.status == BINANCE_ERR_TRANSPORT && r.json.empty() && !r.detail.message.empty());
}

static void test_clock(const binance::Client &c) {
    binance::Result r = c.sync_clock();
    CHECK(r.ok() && r.detail.http_status == 200 && r.json.empty());
    std::optional<std::int64_t> offset = c.clock_offset_ms();
    CHECK(offset.has_value() && *offset > -60000 && *offset < 60000); // the simulator runs on this clock
}

static void test_big_ids(const binance::Client &c) {
    binance::Result r = c.cancel(INT64_C(9007199254740993));
    CHECK(r.ok() && r.json.find(R"("algoId":9007199254740993,)") != std::string::npos);
    r = c.cancel(std::numeric_limits<std::int64_t>::max());
    CHECK(r.ok() && r.json.find(R"("algoId":9223372036854775807,)") != std::string::npos);
}

static void test_cancel_or_throw(const binance::Client &c) {
    CHECK(c.cancel_or_throw(3001).find(R"("success":true)") != std::string::npos);
    try {
        (void)c.cancel_or_throw(3001);
        CHECK(false);
    } catch (const binance::Error &e) {
        CHECK(e.status() == BINANCE_ERR_REJECTED && e.detail().exchange_code == -20124);
        CHECK(std::string(e.what()).rfind("BINANCE_ERR_REJECTED: ", 0) == 0);
    }
}

static void test_string_views() {
    binance::Config cfg;
    const std::string_view with_nul("sim-api-key\0tail", 16);
    CHECK(cfg.set_api_key(with_nul) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_secret_key(with_nul) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_base_url(std::string_view("http://127.0.0.1\0:1", 20)) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_ca_file(std::string_view("/etc/ssl\0x", 10)) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_api_key("") == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_recv_window(0) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_timeouts(1000, 600001) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_max_retries(11) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_max_retries(-1) == BINANCE_ERR_INVALID_ARGUMENT);

    // Views that are not NUL-terminated are copied exactly: "<key>XYZ" cut to the key.
    const std::string key_plus = key + "XYZ", secret_plus = secret + "XYZ", url_plus = url + "XYZ";
    binance::Client c = make_client(std::string_view(url_plus).substr(0, url.size()),
                                    std::string_view(key_plus).substr(0, key.size()),
                                    std::string_view(secret_plus).substr(0, secret.size()));
    CHECK(c.cancel(1079).ok());

    std::optional<binance::Client> none;
    CHECK(binance::Client::create(binance::Config(), none) == BINANCE_ERR_INVALID_ARGUMENT); // no keys
    CHECK(!none.has_value());

    // A NULL C string (an unset getenv) reaches C as NULL: refused, with a reason.
    const char *unset = nullptr;
    for (auto set : {&binance::Config::set_api_key, &binance::Config::set_secret_key, &binance::Config::set_base_url,
                     &binance::Config::set_ca_file}) {
        binance::Config fresh;
        CHECK((fresh.*set)(unset) == BINANCE_ERR_INVALID_ARGUMENT && !fresh.last_error().empty());
    }
    CHECK(cfg.set_private_key(unset) == BINANCE_ERR_INVALID_ARGUMENT && !cfg.last_error().empty());
    CHECK(cfg.set_private_key_file(unset, "pass") == BINANCE_ERR_INVALID_ARGUMENT && !cfg.last_error().empty());
    binance::Result r = c.cancel_by_client_algo_id(unset);
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && r.detail.attempts == 0 && !r.detail.message.empty());
    r = c.presign_cancel_by_client_algo_id(unset);
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && r.json.empty());
    CHECK(cfg.set_api_key(nullptr) == BINANCE_ERR_INVALID_ARGUMENT);
    // Every kind of string still converts: a string, a view, a C string, a
    // literal, {pointer, length}, {} (empty, not NULL), and a type that
    // converts both to a view and to a C string.
    const std::string owned = key;
    CHECK(cfg.set_api_key(owned) == BINANCE_OK && cfg.set_api_key(owned.c_str()) == BINANCE_OK);
    CHECK(cfg.set_api_key(std::string_view(owned)) == BINANCE_OK && cfg.set_api_key("literal-key") == BINANCE_OK);
    CHECK(cfg.set_api_key({owned.data(), owned.size()}) == BINANCE_OK);
    CHECK(cfg.set_api_key({}) == BINANCE_ERR_INVALID_ARGUMENT && !cfg.last_error().empty());
    struct Both {
        const std::string &s;
        operator std::string_view() const { return s; }
        operator const char *() const { return s.c_str(); }
    };
    CHECK(cfg.set_api_key(Both{owned}) == BINANCE_OK);
}

static void test_moves() {
    binance::Config cfg = make_config(url, key, secret);
    binance::Config moved_cfg(std::move(cfg));
    CHECK(cfg.capi() == nullptr && moved_cfg.capi() != nullptr); // NOLINT(bugprone-use-after-move)
    CHECK(cfg.set_api_key(key) == BINANCE_ERR_INVALID_ARGUMENT);  // moved-from: refused, no crash
    std::optional<binance::Client> none;
    CHECK(binance::Client::create(cfg, none) == BINANCE_ERR_INVALID_ARGUMENT && !none);
    CHECK(cfg.set_recv_window(5000) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_clock_sync(true) == BINANCE_ERR_INVALID_ARGUMENT);

    binance::Client a = make_client(url);
    binance::Client b(std::move(a));
    binance::Result r = a.cancel(1070); // NOLINT(bugprone-use-after-move)
    CHECK(a.capi() == nullptr && r.status == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(a.sync_clock().status == BINANCE_ERR_INVALID_ARGUMENT && !a.clock_offset_ms()); // NOLINT
    CHECK(b.cancel(1070).ok());
    a = make_client(url); // assignment into a moved-from client
    CHECK(a.cancel(1071).ok());
    a = std::move(b); // frees a's old client
    CHECK(a.cancel(1072).ok() && b.capi() == nullptr); // NOLINT(bugprone-use-after-move)
}

// A valid Ed25519 key (PKCS#8), as in tests/features.rs.
static const char ed25519_pem[] =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

static void test_config_errors_and_keys() {
    binance::Config cfg;
    CHECK(cfg.last_error().empty());
    CHECK(cfg.set_recv_window(0) == BINANCE_ERR_INVALID_ARGUMENT && !cfg.last_error().empty());
    CHECK(cfg.set_recv_window(5000) == BINANCE_OK && cfg.last_error().empty());
    CHECK(cfg.set_private_key("not a key") == BINANCE_ERR_INVALID_ARGUMENT && !cfg.last_error().empty());
    CHECK(cfg.set_private_key(std::string_view(ed25519_pem, 20)) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_private_key(std::string_view("-----BEGIN\0", 11)) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_private_key(ed25519_pem, std::string_view("pass\0", 5)) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(cfg.set_private_key_file("/nonexistent/key.pem") == BINANCE_ERR_INVALID_ARGUMENT);

    // A good key is taken and used: the simulator checks HMAC, so it refuses the signature.
    // A NULL passphrase is none, as in C.
    CHECK(cfg.set_private_key(ed25519_pem, static_cast<const char *>(nullptr)) == BINANCE_OK);
    CHECK(cfg.set_private_key(ed25519_pem) == BINANCE_OK);
    CHECK(cfg.set_api_key(key) == BINANCE_OK && cfg.set_base_url(url) == BINANCE_OK);
    std::optional<binance::Client> ed;
    CHECK(binance::Client::create(cfg, ed) == BINANCE_OK);
    binance::Result r = ed->cancel(3001);
    CHECK(r.status == BINANCE_ERR_REJECTED && r.detail.exchange_code == -1022);

    std::optional<binance::Client> none;
    binance::Config no_signer;
    CHECK(no_signer.set_api_key(key) == BINANCE_OK);
    CHECK(binance::Client::create(no_signer, none) == BINANCE_ERR_INVALID_ARGUMENT && !none);
    CHECK(!no_signer.last_error().empty());
}

// The client keeps the signer and logger alive after its config is gone.
static binance::Client client_with(binance::Signer sign, binance::Logger log) {
    binance::Config cfg;
    CHECK(cfg.set_api_key(key) == BINANCE_OK && cfg.set_base_url(url) == BINANCE_OK);
    CHECK(cfg.set_signer(std::move(sign)) == BINANCE_OK);
    CHECK(cfg.set_logger(std::move(log)) == BINANCE_OK);
    std::optional<binance::Client> c;
    CHECK(binance::Client::create(cfg, c) == BINANCE_OK);
    return std::move(*c);
}

static void test_signer_and_logger() {
    std::mutex m;
    std::vector<std::string> payloads;
    std::vector<binance_log_kind> kinds;
    auto wrong = [&](std::string_view payload) -> std::optional<std::string> {
        std::lock_guard<std::mutex> lock(m);
        payloads.emplace_back(payload);
        return std::string(64, '0');
    };
    auto log = [&](const binance_log_event &e) {
        std::lock_guard<std::mutex> lock(m);
        kinds.push_back(e.kind);
        CHECK(e.message != nullptr);
    };
    binance::Client c = client_with(wrong, log);
    binance::Result r = c.cancel(3001);
    CHECK(r.status == BINANCE_ERR_REJECTED && r.detail.exchange_code == -1022); // our signature went out
    CHECK(!payloads.empty() && payloads.back().find("algoId=3001&") == 0);
    CHECK(std::find(kinds.begin(), kinds.end(), BINANCE_LOG_REQUEST) != kinds.end());
    CHECK(std::find(kinds.begin(), kinds.end(), BINANCE_LOG_ANSWER) != kinds.end());

    auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
    auto throws = [](std::string_view) -> std::optional<std::string> { throw std::runtime_error("hsm down"); };
    auto too_long = [](std::string_view) -> std::optional<std::string> { return std::string(5000, 'a'); };
    auto with_nul = [](std::string_view) -> std::optional<std::string> { return std::string(64, '0') + '\0' + "x"; };
    auto throwing_log = [](const binance_log_event &) { throw std::runtime_error("log full"); };
    for (const binance::Signer &sign : {binance::Signer(none), binance::Signer(throws), binance::Signer(too_long),
                                            binance::Signer(with_nul)}) {
        r = client_with(sign, throwing_log).cancel(3001);
        CHECK(r.status == BINANCE_ERR_SIGNER && r.json.empty() && r.detail.http_status == 0);
    }

    binance::Config cfg;
    CHECK(cfg.set_logger(nullptr) == BINANCE_OK); // logging off

    // An empty signer is refused as C refuses a NULL one, and the secret key stays.
    binance::Config keyed = make_config(url, key, secret);
    CHECK(keyed.set_signer(binance::Signer{}) == BINANCE_ERR_INVALID_ARGUMENT && !keyed.last_error().empty());
    std::optional<binance::Client> still;
    CHECK(binance::Client::create(keyed, still) == BINANCE_OK && still->cancel(1078).ok());
}

static void test_client_ids_options_presign(const binance::Client &c) {
    binance::Result r = c.cancel_by_client_algo_id("cpp-order-1");
    CHECK(r.ok() && r.json.find(R"("success":true)") != std::string::npos);
    r = c.cancel_by_client_algo_id("cpp-order-1");
    CHECK(r.status == BINANCE_ERR_REJECTED && r.detail.exchange_code == -20124);
    r = c.cancel_by_client_algo_id(std::string_view("cpp-order-2\0x", 13));
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && !r.detail.message.empty() && r.detail.attempts == 0);
    r = c.cancel_by_client_algo_id("spaces are not allowed");
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && r.detail.attempts == 0);

    binance::CallOptions quick;
    CHECK(quick.set_timeout(1000) == BINANCE_OK && quick.set_recv_window(0) == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(quick.set_timeout(0) == BINANCE_ERR_INVALID_ARGUMENT);
    r = c.cancel(7000, &quick); // a 10 s answer, a 1 s budget
    CHECK(r.status == BINANCE_ERR_UNKNOWN_OUTCOME && r.detail.http_status == 0);

    binance::CallOptions window;
    CHECK(window.set_recv_window(6000) == BINANCE_OK);
    r = c.presign_cancel(1075, &window);
    CHECK(r.ok() && r.json.find("algoId=1075&recvWindow=6000&timestamp=") != std::string::npos);
    CHECK(r.detail.message.empty() && r.detail.attempts == 0); // nothing was sent
    CHECK(r.json.find("signature=") != std::string::npos && r.json.find(secret) == std::string::npos);
    CHECK(r.json.find(key) == std::string::npos); // the key is masked
    r = c.presign_cancel_by_client_algo_id("cpp-order-2");
    CHECK(r.ok() && r.json.find("clientAlgoId=cpp-order-2") != std::string::npos);
    r = c.presign_cancel(0);
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && r.detail.message.find("dry run refused") == 0);
    CHECK(c.presign_cancel_by_client_algo_id(std::string_view("a\0", 2)).status == BINANCE_ERR_INVALID_ARGUMENT);
    CHECK(c.cancel(1075).ok()); // the dry run sent nothing

    binance::CallOptions taken(std::move(window));
    r = c.cancel(1076, &window); // NOLINT(bugprone-use-after-move): moved-from options are refused
    CHECK(r.status == BINANCE_ERR_INVALID_ARGUMENT && r.detail.attempts == 0 && !r.detail.message.empty());
    CHECK(c.presign_cancel(1076, &window).status == BINANCE_ERR_INVALID_ARGUMENT); // NOLINT(bugprone-use-after-move)
    CHECK(c.cancel(1076, &taken).ok()); // nothing was sent before
}

static void test_threads(const binance::Client &c) {
    constexpr int threads = 7, per_thread = 10; // ids 1000..1069
    std::vector<int> ok(threads), rejected(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++) {
        pool.emplace_back([&c, &ok, &rejected, t] {
            for (int i = 0; i <= per_thread; i++) {
                std::int64_t id = 1000 + t * per_thread + (i < per_thread ? i : 0); // the first one twice
                binance::Result r = c.cancel(id);
                ok[t] += r.ok() && r.detail.http_status == 200;
                rejected[t] += r.status == BINANCE_ERR_REJECTED && r.detail.exchange_code == -20124;
            }
        });
    }
    for (int t = 0; t < threads; t++) {
        pool[t].join();
        CHECK(ok[t] == per_thread && rejected[t] == 1);
    }
}

int main() {
    const char *u = std::getenv("BINANCE_BASE_URL"), *k = std::getenv("BINANCE_API_KEY"),
               *s = std::getenv("BINANCE_SECRET_KEY");
    if (!u || !k || !s) {
        std::fprintf(stderr, "run through scripts/with-sim.sh (make cpp-test)\n");
        return 2;
    }
    url = u, key = k, secret = s;
    CHECK(std::strcmp(binance::status_str(BINANCE_ERR_RATE_LIMITED), "BINANCE_ERR_RATE_LIMITED") == 0);
    CHECK(std::to_string(BINANCE_ALGO_VERSION_MAJOR) + "." + std::to_string(BINANCE_ALGO_VERSION_MINOR) + "." +
              std::to_string(BINANCE_ALGO_VERSION_PATCH) ==
          binance::version());
    {
        const binance::Client c = make_client(url);
        test_ok_and_rejected(c);
        test_other_statuses(c);
        test_big_ids(c);
        test_clock(c);
        test_client_ids_options_presign(c);
        test_cancel_or_throw(c);
        test_threads(c);
    }
    test_string_views();
    test_moves();
    test_config_errors_and_keys();
    test_signer_and_logger();
    return check_summary("cpp-test");
}
