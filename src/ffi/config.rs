use super::strings::str_arg;
use super::{binance_status, guard, guard_or, try_mut};
use crate::engine::config::{Config, Invalid};
use std::ffi::{c_char, c_int};

/// Opaque configuration builder. Thread safety: one thread at a time per
/// config. A config can build any number of clients and may be freed while
/// they live.
pub struct binance_config {
    _private: [u8; 0],
}

/// Creates a configuration with the defaults: base URL
/// https://api.binance.com, Mozilla's root certificates, connect timeout
/// 5000 ms, total timeout 10000 ms, no recvWindow sent (the exchange uses
/// 5000 ms). An API key and a secret key must be set before
/// binance_client_new.
///
/// Ownership: the caller owns the result and frees it with
/// binance_config_free. Returns NULL only on an internal error.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn binance_config_new() -> *mut binance_config {
    guard_or(std::ptr::null_mut(), || Box::into_raw(Box::new(Config::default())).cast())
}

/// Frees a configuration and wipes the keys it holds. Clients built from it
/// are unaffected.
///
/// NULL: accepted, does nothing. Thread safety: no other call may be using
/// `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_free(cfg: *mut binance_config) {
    guard_or((), || {
        if !cfg.is_null() {
            // SAFETY: non-NULL configs only come from binance_config_new, and
            // the caller promises to free each once.
            drop(unsafe { Box::from_raw(cfg.cast::<Config>()) });
        }
    })
}

/// Applies one validated setting; every setter below is this plus its check.
fn set(cfg: *mut binance_config, apply: impl FnOnce(&mut Config) -> Result<(), Invalid>) -> binance_status {
    guard(|| {
        let cfg = try_mut!(cfg, Config);
        match apply(cfg) {
            Ok(()) => binance_status::BINANCE_OK,
            Err(_) => binance_status::BINANCE_ERR_INVALID_ARGUMENT,
        }
    })
}

/// Sets the API key, sent in the X-MBX-APIKEY header (printable ASCII, no
/// spaces, at most 1024 bytes). Replaces (and wipes) a previous key.
///
/// Ownership: `api_key` is borrowed for the call and copied.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or
/// `api_key`, an empty key, or one with other characters.
#[no_mangle]
pub extern "C" fn binance_config_set_api_key(cfg: *mut binance_config, api_key: *const c_char) -> binance_status {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    set(cfg, |c| c.set_api_key(unsafe { str_arg(api_key, "api_key") }?))
}

/// Sets the HMAC-SHA256 secret key that signs every request (printable
/// ASCII, no spaces, at most 1024 bytes). It is held only by the config and
/// its clients, wiped when they are freed, and never logged or returned.
///
/// Ownership: `secret_key` is borrowed for the call and copied; the caller
/// may wipe its own copy right after.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL argument or
/// an empty or malformed key.
#[no_mangle]
pub extern "C" fn binance_config_set_secret_key(cfg: *mut binance_config, secret_key: *const c_char) -> binance_status {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    set(cfg, |c| c.set_secret_key(unsafe { str_arg(secret_key, "secret_key") }?))
}

/// Sets the exchange's base URL: `http[s]://host[:port][/prefix]`, default
/// https://api.binance.com. Plain http is for the local simulator only: it
/// sends the API key in clear text.
///
/// Ownership: `base_url` is borrowed for the call and copied.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL argument or
/// an unusable URL (other scheme, no host, bad port, credentials, query or
/// fragment).
#[no_mangle]
pub extern "C" fn binance_config_set_base_url(cfg: *mut binance_config, base_url: *const c_char) -> binance_status {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    set(cfg, |c| c.set_base_url(unsafe { str_arg(base_url, "base_url") }?))
}

/// Sets recvWindow in milliseconds, 1..=60000. Without this call no
/// recvWindow is sent and the exchange applies its default of 5000 ms.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or a
/// value outside 1..=60000.
#[no_mangle]
pub extern "C" fn binance_config_set_recv_window(cfg: *mut binance_config, ms: i64) -> binance_status {
    set(cfg, |c| c.set_recv_window(ms))
}

/// Trusts only the certificates in the PEM file at `pem_path` (instead of
/// the built-in Mozilla roots) for https base URLs. The file is read now.
/// Certificate checks are never disabled.
///
/// Ownership: `pem_path` is borrowed for the call.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL argument or
/// a missing, unreadable or certificate-less file.
#[no_mangle]
pub extern "C" fn binance_config_set_ca_file(cfg: *mut binance_config, pem_path: *const c_char) -> binance_status {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    set(cfg, |c| c.set_ca_file(unsafe { str_arg(pem_path, "pem_path") }?))
}

/// Sets the timeouts in milliseconds, each 1..=600000 (defaults 5000 and
/// 10000). `connect_ms` bounds DNS, TCP connect and the TLS handshake;
/// `total_ms` bounds the whole call, so no call takes longer. A connect
/// timeout above the total is capped to it.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or a
/// value outside 1..=600000.
#[no_mangle]
pub extern "C" fn binance_config_set_timeouts(
    cfg: *mut binance_config,
    connect_ms: i64,
    total_ms: i64,
) -> binance_status {
    set(cfg, |c| c.set_timeouts(connect_ms, total_ms))
}

/// Turns server-time sync on (`enabled` != 0, the default) or off (0). When
/// on, a client measures the offset to the server's clock with
/// `GET /api/v3/time` before its first cancel (again after a failed sync at
/// most every 30 s), and after a -1021 answer ("timestamp outside the
/// recvWindow": not executed) resyncs and sends the cancel once more, signed
/// afresh. When off, timestamps come from the local clock alone.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_set_clock_sync(cfg: *mut binance_config, enabled: c_int) -> binance_status {
    set(cfg, |c| {
        c.set_clock_sync(enabled != 0);
        Ok(())
    })
}

/// How many times a cancel that provably did not execute is sent again,
/// 0..=10 (default 2): only when the request never left this process
/// (connection refused, DNS, TLS handshake, connect timeout). Each attempt
/// is signed afresh, and all of them fit in the total timeout. A request that
/// may have reached the exchange is never resent.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or a
/// value outside 0..=10.
#[no_mangle]
pub extern "C" fn binance_config_set_max_retries(cfg: *mut binance_config, retries: i32) -> binance_status {
    set(cfg, |c| c.set_max_retries(i64::from(retries)))
}
