// binance_algo.hpp: header-only C++17 wrapper of libbinance_algo (binance_algo.h).
//
// Move-only RAII handles (a moved-from object holds NULL, which every C call
// answers with BINANCE_ERR_INVALID_ARGUMENT instead of crashing), string
// inputs (binance::Text: any string, string_view or C string, NULL included:
// it reaches C as NULL, which C refuses or, for a passphrase, reads as none),
// and a [[nodiscard]] Result: errors are values, and the only
// exceptions are std::bad_alloc and the opt-in Client::cancel_or_throw.
// Link exactly as for the C header (-lbinance_algo). Thread safety is the C
// library's: a Client may be shared by any number of threads; a Config or a
// CallOptions is changed by one thread at a time.
#ifndef BINANCE_ALGO_HPP
#define BINANCE_ALGO_HPP

#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) < 201703L
#error "binance_algo.hpp needs C++17 (-std=c++17); C++11 and C++14 can use binance_algo.h directly"
#endif

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "binance_algo.h"

namespace binance {

template <class T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
// Owns a C handle or library string; frees it through the library, on every path.
template <class T, void (*Free)(T *)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

using Status = binance_status;

// "BINANCE_ERR_REJECTED" etc.; never NULL, for any value.
inline const char *status_str(Status s) noexcept { return binance_status_str(static_cast<int>(s)); }

// The loaded library's version, e.g. "0.1.0".
inline const char *version() noexcept { return binance_version(); }

// What the exchange and the transport said about one call; see binance_result_* in binance_algo.h.
struct Detail {
    int http_status = 0;             // 0: no answer arrived
    std::int64_t exchange_code = 0;  // 0: none
    std::string exchange_msg;        // "" when none
    std::string message;             // a sentence for logs; the library puts no key or secret in it
    std::int64_t retry_after_s = -1; // -1: absent (set with 429/418)
    std::int64_t weight_ip_1m = -1;  // X-SAPI-USED-IP-WEIGHT-1M, -1: absent
    std::int64_t weight_uid_1m = -1; // X-SAPI-USED-UID-WEIGHT-1M, -1: absent
    int attempts = 0;                // requests tried (see binance_result_attempts); 0: none
};

// The outcome of a Client call.
struct [[nodiscard]] Result {
    Status status = BINANCE_ERR_INTERNAL;
    // A cancel: on ok() the body, on a failure the exchange's JSON body or "".
    // A presign: the request that would be sent. sync_clock, warm: "".
    std::string json;
    Detail detail; // a presign: defaults, and on failure a message naming the status
    bool ok() const noexcept { return status == BINANCE_OK; }
};

// Thrown by Client::cancel_or_throw only; what() is "STATUS: message".
class Error : public std::runtime_error {
public:
    Error(Status status, Detail detail)
        : std::runtime_error(std::string(status_str(status)) + ": " + detail.message),
          status_(status),
          detail_(std::move(detail)) {}
    Status status() const noexcept { return status_; }
    const Detail &detail() const noexcept { return detail_; }

private:
    Status status_;
    Detail detail_;
};

// Signs `payload`, the exact bytes Binance verifies: returns the signature
// text (64 hex characters for HMAC, base64 for Ed25519 or RSA), or nullopt to
// fail the call with BINANCE_ERR_SIGNER before anything is sent. It runs on the
// calling threads, possibly several at once; an exception counts as a failure.
using Signer = std::function<std::optional<std::string>(std::string_view payload)>;

// Receives each event on the calling thread, possibly several at once; the
// event and its message are valid during the call only. Exceptions are dropped.
using Logger = std::function<void(const binance_log_event &event)>;

// A string argument: anything that converts to std::string_view, a pointer
// and a length ({p, n}), or a C string that may be NULL (getenv's, say),
// which std::string_view cannot hold. Text() is empty, not NULL.
class Text {
public:
    Text() noexcept = default;
    template <class S, class = std::enable_if_t<std::is_convertible_v<const S &, std::string_view> &&
                                                !std::is_pointer_v<std::decay_t<S>> &&
                                                !std::is_null_pointer_v<S>>>
    Text(const S &s) noexcept : s_(s) {}
    Text(const char *s) noexcept : s_(s ? std::string_view(s) : std::string_view()), null_(!s) {}
    Text(const char *p, std::size_t n) noexcept : s_(p, n) {}
    std::string_view view() const noexcept { return s_; }
    bool null() const noexcept { return null_; }

private:
    std::string_view s_;
    bool null_ = false;
};

namespace detail {

// A NUL-terminated copy of a Text for the C API (NULL stays NULL), wiped when
// it goes (it may hold a key or secret). ok() is false for text with an
// embedded NUL, which C would silently cut short; nothing is then passed to C.
class CString {
public:
    explicit CString(Text t)
        : s_(t.view()), null_(t.null()), ok_(t.view().find('\0') == std::string_view::npos) {}
    ~CString() {
        volatile char *p = s_.data(); // volatile: the stores must survive the optimiser
        for (std::size_t i = 0; i < s_.size(); i++) p[i] = '\0';
    }
    CString(const CString &) = delete;
    CString &operator=(const CString &) = delete;
    bool ok() const noexcept { return ok_; }
    const char *get() const noexcept { return null_ ? nullptr : s_.c_str(); }

private:
    std::string s_;
    bool null_;
    bool ok_;
};

// Copies what a call left in `r` (NULL gives the defaults).
inline Detail read(const binance_result *r) {
    Detail d;
    d.http_status = binance_result_http_status(r);
    d.exchange_code = binance_result_exchange_code(r);
    d.exchange_msg = binance_result_exchange_msg(r);
    d.message = binance_result_message(r);
    d.retry_after_s = binance_result_retry_after_s(r);
    d.weight_ip_1m = binance_result_used_weight_ip_1m(r);
    d.weight_uid_1m = binance_result_used_weight_uid_1m(r);
    d.attempts = binance_result_attempts(r);
    return d;
}

// The C callbacks: no exception may cross into C.
inline int sign_payload(void *fn, const std::uint8_t *payload, std::size_t len, char *out, std::size_t cap) noexcept {
    try {
        auto sig = (*static_cast<const Signer *>(fn))(std::string_view(reinterpret_cast<const char *>(payload), len));
        // C reads up to the first NUL: a signature holding one would go out cut short.
        if (!sig || sig->size() >= cap || sig->find('\0') != std::string::npos) return 1;
        std::memcpy(out, sig->c_str(), sig->size() + 1);
        return 0;
    } catch (...) {
        return 1;
    }
}
inline void log_event(void *fn, const binance_log_event *event) noexcept {
    try {
        (*static_cast<const Logger *>(fn))(*event);
    } catch (...) {
    }
}

// Frees the C client, then lets go of the callbacks it may call (in this order
// on destruction and on move assignment alike).
struct ClientDeleter {
    std::shared_ptr<const Signer> signer;
    std::shared_ptr<const Logger> logger;
    void operator()(binance_client *p) const noexcept { binance_client_free(p); }
};

}  // namespace detail

// Per-call overrides (binance_call_options). Move-only; once set it may be
// passed to concurrent calls.
class CallOptions {
public:
    // Every setting from the client; throws std::bad_alloc if the library cannot make one.
    CallOptions() : h_(binance_call_options_new()) {
        if (!h_) throw std::bad_alloc();
    }
    [[nodiscard]] Status set_recv_window(std::int64_t ms) {
        return binance_call_options_set_recv_window(h_.get(), ms);
    }
    [[nodiscard]] Status set_timeout(std::int64_t total_ms) {
        return binance_call_options_set_timeout(h_.get(), total_ms);
    }
    const binance_call_options *capi() const noexcept { return h_.get(); }

private:
    Handle<binance_call_options, binance_call_options_free> h_;
};

// A client's settings (binance_config). Move-only; one thread at a time.
// After a failed setter, last_error() says why (unless the wrapper refused a
// view with an embedded NUL, which C never saw).
class Config {
public:
    // Defaults of binance_config_new; throws std::bad_alloc if the library cannot make one.
    Config() : h_(binance_config_new()) {
        if (!h_) throw std::bad_alloc();
    }

    [[nodiscard]] Status set_api_key(Text key) { return set(binance_config_set_api_key, key); }
    [[nodiscard]] Status set_secret_key(Text secret) {
        return set(binance_config_set_secret_key, secret);
    }
    [[nodiscard]] Status set_base_url(Text url) { return set(binance_config_set_base_url, url); }
    [[nodiscard]] Status set_ca_file(Text pem_path) { return set(binance_config_set_ca_file, pem_path); }
    [[nodiscard]] Status set_recv_window(std::int64_t ms) { return binance_config_set_recv_window(h_.get(), ms); }
    [[nodiscard]] Status set_timeouts(std::int64_t connect_ms, std::int64_t total_ms) {
        return binance_config_set_timeouts(h_.get(), connect_ms, total_ms);
    }
    [[nodiscard]] Status set_clock_sync(bool enabled) { return binance_config_set_clock_sync(h_.get(), enabled); }
    [[nodiscard]] Status set_max_retries(std::int32_t retries) {
        return binance_config_set_max_retries(h_.get(), retries);
    }
    // An Ed25519 or RSA key, PKCS#8 PEM text or a file holding it.
    [[nodiscard]] Status set_private_key(Text pem, std::optional<Text> passphrase = {}) {
        return set_key(binance_config_set_private_key, pem, passphrase);
    }
    [[nodiscard]] Status set_private_key_file(Text path, std::optional<Text> passphrase = {}) {
        return set_key(binance_config_set_private_key_file, path, passphrase);
    }
    // Clients built from this config keep their own reference to `sign`. An
    // empty `sign` is refused, as C refuses a NULL one (the config keeps its key).
    [[nodiscard]] Status set_signer(Signer sign) {
        auto fn = sign ? std::make_shared<Signer>(std::move(sign)) : nullptr;
        Status st = binance_config_set_signer(h_.get(), fn ? detail::sign_payload : nullptr, fn.get());
        if (st == BINANCE_OK) signer_ = std::move(fn);
        return st;
    }
    // An empty `log` turns logging off. Clients keep their own reference to it.
    [[nodiscard]] Status set_logger(Logger log) {
        auto fn = log ? std::make_shared<Logger>(std::move(log)) : nullptr;
        Status st = binance_config_set_logger(h_.get(), fn ? detail::log_event : nullptr, fn.get());
        if (st == BINANCE_OK) logger_ = std::move(fn);
        return st;
    }

    // Why the last setter (or Client::create with this config) failed; "" after a success.
    std::string last_error() const { return binance_config_last_error(h_.get()); }
    // The C handle. A client made from it with binance_client_new does not keep
    // this Config's signer or logger alive (Client::create does): keep the
    // Config until such a client is freed.
    binance_config *capi() const noexcept { return h_.get(); }

private:
    friend class Client;
    Status set(binance_status (*fn)(binance_config *, const char *), Text s) {
        detail::CString c(s);
        return c.ok() ? fn(h_.get(), c.get()) : BINANCE_ERR_INVALID_ARGUMENT;
    }
    Status set_key(binance_status (*fn)(binance_config *, const char *, const char *), Text key,
                   std::optional<Text> passphrase) {
        detail::CString k(key), p(passphrase.value_or(nullptr));
        if (!k.ok() || !p.ok()) return BINANCE_ERR_INVALID_ARGUMENT;
        return fn(h_.get(), k.get(), p.get());
    }

    Handle<binance_config, binance_config_free> h_;
    std::shared_ptr<const Signer> signer_;
    std::shared_ptr<const Logger> logger_;
};

// A thread-safe client (binance_client). Move-only; share it by reference.
// Destroy it only after every call on it has returned. Every call takes
// optional per-call options (borrowed, only read).
class Client {
public:
    // On BINANCE_OK `out` holds the client; otherwise `out` is empty (see
    // cfg.last_error()). `cfg` may be destroyed or changed right after.
    // Several threads may create clients from one `cfg` at once, but not
    // while it is being set or destroyed.
    [[nodiscard]] static Status create(const Config &cfg, std::optional<Client> &out) {
        out.reset();
        binance_client *raw = nullptr;
        Status st = binance_client_new(cfg.capi(), &raw);
        if (st == BINANCE_OK) out.emplace(Client(raw, cfg.signer_, cfg.logger_)); // cannot throw
        return st;
    }

    // One cancel by Binance's algoId. Throws only std::bad_alloc.
    Result cancel(std::int64_t algo_id, const CallOptions *opts = nullptr) const {
        return call(opts, [&](binance_result *d, char **out, const binance_call_options *o) {
            return binance_cancel_algo_order_opts(h_.get(), algo_id, o, d, out);
        });
    }

    // One cancel by the caller's clientAlgoId.
    Result cancel_by_client_algo_id(Text client_algo_id, const CallOptions *opts = nullptr) const {
        detail::CString id(client_algo_id);
        if (!id.ok()) return refused("client_algo_id contains a NUL byte; nothing was sent");
        return call(opts, [&](binance_result *d, char **out, const binance_call_options *o) {
            return binance_cancel_by_client_algo_id(h_.get(), id.get(), o, d, out);
        });
    }

    // The body of a successful cancel; throws binance::Error on any other status.
    std::string cancel_or_throw(std::int64_t algo_id, const CallOptions *opts = nullptr) const {
        Result r = cancel(algo_id, opts);
        if (!r.ok()) throw Error(r.status, std::move(r.detail));
        return std::move(r.json);
    }

    // Dry runs: the signed request a cancel would send now, in json; nothing is sent.
    Result presign_cancel(std::int64_t algo_id, const CallOptions *opts = nullptr) const {
        return presign(opts, [&](const binance_call_options *o, char **out) {
            return binance_presign_cancel(h_.get(), algo_id, o, out);
        });
    }
    Result presign_cancel_by_client_algo_id(Text client_algo_id, const CallOptions *opts = nullptr) const {
        detail::CString id(client_algo_id);
        if (!id.ok()) return refused("client_algo_id contains a NUL byte");
        return presign(opts, [&](const binance_call_options *o, char **out) {
            return binance_presign_cancel_by_client_algo_id(h_.get(), id.get(), o, out);
        });
    }

    // Measures the server-time offset now (binance_client_sync_clock).
    Result sync_clock() const {
        return call([&](binance_result *d, char **) { return binance_client_sync_clock(h_.get(), d); });
    }

    // Opens `connections` kept-alive connections now (and syncs the clock), so
    // that as many concurrent cancels find one ready (binance_client_warm).
    Result warm(std::int32_t connections) const {
        return call([&](binance_result *d, char **) { return binance_client_warm(h_.get(), connections, d); });
    }

    // Server time minus local time in ms, as used for signing (0 before a
    // sync); empty only for a moved-from client.
    std::optional<std::int64_t> clock_offset_ms() const noexcept {
        std::int64_t ms = 0;
        if (binance_client_clock_offset_ms(h_.get(), &ms) != BINANCE_OK) return std::nullopt;
        return ms;
    }

    binance_client *capi() const noexcept { return h_.get(); }

private:
    Client(binance_client *p, std::shared_ptr<const Signer> s, std::shared_ptr<const Logger> l) noexcept
        : h_(p, detail::ClientDeleter{std::move(s), std::move(l)}) {}

    // A call with options: C reads NULL options as "none", so a moved-from
    // CallOptions is refused here rather than silently ignored.
    template <class Call>
    static Result call(const CallOptions *opts, Call c) {
        if (opts && !opts->capi()) return refused("opts is a moved-from CallOptions; nothing was sent");
        const binance_call_options *o = opts ? opts->capi() : nullptr;
        return call([&](binance_result *d, char **out) { return c(d, out, o); });
    }

    // Runs one C call with a fresh binance_result and an owned-string out-parameter.
    template <class Call>
    static Result call(Call c) {
        Handle<binance_result, binance_result_free> d(binance_result_new()); // NULL is accepted throughout
        char *raw = nullptr;
        Result r;
        r.status = c(d.get(), &raw);
        take_json(raw, r);
        r.detail = detail::read(d.get());
        return r;
    }

    // Copies a C string out-parameter into `r.json` and frees it.
    static void take_json(char *raw, Result &r) {
        Handle<char, binance_string_free> json(raw);
        if (json) r.json = json.get();
    }

    // A dry run: C fills no binance_result for it, so the message comes
    // from the status alone.
    template <class Call>
    static Result presign(const CallOptions *opts, Call c) {
        if (opts && !opts->capi()) return refused("opts is a moved-from CallOptions; nothing was signed");
        char *raw = nullptr;
        Result r;
        r.status = c(opts ? opts->capi() : nullptr, &raw);
        take_json(raw, r);
        if (!r.ok()) r.detail.message = std::string("dry run refused: ") + status_str(r.status) + "; nothing was signed";
        return r;
    }

    static Result refused(const char *why) {
        Result r;
        r.status = BINANCE_ERR_INVALID_ARGUMENT;
        r.detail.message = why;
        return r;
    }

    std::unique_ptr<binance_client, detail::ClientDeleter> h_;
};

}  // namespace binance

#endif  // BINANCE_ALGO_HPP
