use super::hooks::{binance_log_fn, binance_sign_fn, external_signer, log_hook};
use super::strings::{c_text, str_arg};
use super::{binance_status, free_handle, guard, guard_or, new_handle, try_mut};
use crate::engine::config::{Config, Invalid};
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Mutex, PoisonError};

/// Opaque configuration builder. Thread safety: one thread at a time per
/// config, except that several threads may build clients from it at once
/// (binance_client_new). A config can build any number of clients and may be
/// freed while they live.
pub struct binance_config {
    _private: [u8; 0],
}

/// What a `binance_config *` points to: the settings, and why the last call
/// on it failed. Setters take it one thread at a time, like a curl handle and
/// its error buffer; binance_client_new only reads the settings, through a
/// const pointer that invites sharing, so the error is behind a lock.
#[derive(Default)]
pub(crate) struct ConfigHandle {
    pub(crate) config: Config,
    last_error: Mutex<CString>,
}

impl ConfigHandle {
    /// Records the outcome of a call on this config as a status. The same
    /// text is not written again, so a pointer from binance_config_last_error
    /// outlives calls that end alike (clients built from one config at once).
    pub(crate) fn record(&self, result: Result<(), Invalid>) -> binance_status {
        let text = c_text(result.as_ref().err().map_or("", String::as_str));
        let mut last_error = self.last_error.lock().unwrap_or_else(PoisonError::into_inner);
        if *last_error != text {
            *last_error = text;
        }
        binance_status::of_setting(&result)
    }
}

/// Creates a configuration with the defaults: base URL
/// https://api.binance.com, Mozilla's root certificates, connect timeout
/// 5000 ms, total timeout 10000 ms, no recvWindow sent (the exchange uses
/// 5000 ms). An API key and a way to sign (a secret key, a private key or an
/// external signer) must be set before binance_client_new.
///
/// Ownership: the caller owns the result and frees it with
/// binance_config_free. Returns NULL only on an internal error.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn binance_config_new() -> *mut binance_config {
    new_handle::<ConfigHandle, _>()
}

/// Frees a configuration and wipes its API key and HMAC secret (an Ed25519
/// or RSA key is freed unwiped: see binance_config_set_private_key). Clients
/// built from it are unaffected.
///
/// NULL: accepted, does nothing. Thread safety: no other call may be using
/// `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_free(cfg: *mut binance_config) {
    free_handle::<ConfigHandle, _>(cfg)
}

/// Why the last call on `cfg` (a setter, or binance_client_new with it)
/// failed, e.g. "recvWindow must be 1..=60000 ms, got 0"; "" after a success.
/// Never contains a key or a secret.
///
/// Ownership: borrowed from `cfg`, valid until `cfg` is freed or a later
/// call on it records a different text (another error, or a success after
/// an error); a call that records the same text leaves it in place.
/// Never NULL ("" for a NULL `cfg`).
/// Thread safety: one thread at a time per `cfg`, not while a setter runs on it.
#[no_mangle]
pub extern "C" fn binance_config_last_error(cfg: *const binance_config) -> *const c_char {
    guard_or(c"".as_ptr(), || {
        // SAFETY: NULL or a live config from binance_config_new.
        match unsafe { cfg.cast::<ConfigHandle>().as_ref() } {
            Some(handle) => handle.last_error.lock().unwrap_or_else(PoisonError::into_inner).as_ptr(),
            None => c"".as_ptr(),
        }
    })
}

/// Applies one validated setting; every setter below is this plus its check.
fn set(cfg: *mut binance_config, apply: impl FnOnce(&mut Config) -> Result<(), Invalid>) -> binance_status {
    guard(|| {
        let handle = try_mut!(cfg, ConfigHandle);
        let result = apply(&mut handle.config);
        handle.record(result)
    })
}

/// An optional C string argument: NULL is None.
///
/// # Safety
/// As str_arg.
unsafe fn optional_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, String> {
    // SAFETY: per this function's contract.
    (!p.is_null()).then(|| unsafe { str_arg(p, name) }).transpose()
}

/// Sets the API key, sent in the X-MBX-APIKEY header (printable ASCII, no
/// spaces, at most 1024 bytes). Replaces (and wipes) a previous key.
///
/// Ownership: `api_key` is borrowed for the call and copied.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or
/// `api_key`, an empty key, or one with other characters.
/// Thread safety: one thread at a time per `cfg`.
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
/// Thread safety: one thread at a time per `cfg`.
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
/// Thread safety: one thread at a time per `cfg`.
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
/// Thread safety: one thread at a time per `cfg`.
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
/// Thread safety: one thread at a time per `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_set_ca_file(cfg: *mut binance_config, pem_path: *const c_char) -> binance_status {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    set(cfg, |c| c.set_ca_file(unsafe { str_arg(pem_path, "pem_path") }?))
}

/// Sets the timeouts in milliseconds, each 1..=600000 (defaults 5000 and
/// 10000). `connect_ms` bounds DNS, TCP connect and the TLS handshake;
/// `total_ms` bounds the whole call, so no call takes longer (to a
/// millisecond or so), except by the time a signer or logging hook of yours runs
/// past it; nothing is sent once the total is spent. A connect timeout above the
/// total is capped to it.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or a
/// value outside 1..=600000.
/// Thread safety: one thread at a time per `cfg`.
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
/// most every 30 s). That sync waits at most half of the cancel's total
/// timeout for its answer (or for another thread's sync): when it fails or
/// is not answered by then, the cancel goes out on the local clock with the
/// time left. After a -1021 answer ("timestamp outside the
/// recvWindow": not executed) resyncs and, when that succeeds and the time
/// left is no less than the refused attempt took, sends the cancel once
/// more, signed afresh. When off, the client never syncs by itself (not before a cancel,
/// not in binance_client_warm, not after a -1021, which is then returned as
/// REJECTED): timestamps come from the local clock, plus the offset of a
/// binance_client_sync_clock you call yourself, if any.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg`.
/// Thread safety: one thread at a time per `cfg`.
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
/// Thread safety: one thread at a time per `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_set_max_retries(cfg: *mut binance_config, retries: i32) -> binance_status {
    set(cfg, |c| c.set_max_retries(i64::from(retries)))
}

/// Signs with an Ed25519 or RSA private key (PKCS#8 PEM text,
/// `-----BEGIN PRIVATE KEY-----`; the type is read from the key) instead of
/// an HMAC secret, as Binance recommends. Replaces any secret key or signer
/// set before. Signatures are base64, URL-encoded in the query.
/// Encrypted keys (`ENCRYPTED PRIVATE KEY`) are not supported: the call fails
/// with a message saying so (binance_config_last_error); decrypt it first.
///
/// Ownership: `pem` and `passphrase` are borrowed for the call. The key is
/// parsed into ring's key object, held by the config and its clients. Unlike
/// the API key and an HMAC secret it is not wiped when they are freed: ring
/// offers no way to, nor does the PEM parser for its buffers. Where that
/// matters, keep the key in an HSM and sign with binance_config_set_signer.
/// `passphrase`: NULL for an unencrypted key (anything else is refused).
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or
/// `pem`, or a key that cannot be used (see binance_config_last_error).
/// Thread safety: one thread at a time per `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_set_private_key(
    cfg: *mut binance_config,
    pem: *const c_char,
    passphrase: *const c_char,
) -> binance_status {
    set(cfg, |c| {
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let (pem, passphrase) = unsafe { (str_arg(pem, "pem")?, optional_str(passphrase, "passphrase")?) };
        c.set_private_key(pem, passphrase)
    })
}

/// Same as binance_config_set_private_key, reading the PEM from the file at
/// `path` (borrowed for the call; the file is read now, and its bytes are
/// wiped after parsing).
/// Thread safety: one thread at a time per `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_set_private_key_file(
    cfg: *mut binance_config,
    path: *const c_char,
    passphrase: *const c_char,
) -> binance_status {
    set(cfg, |c| {
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let (path, passphrase) = unsafe { (str_arg(path, "path")?, optional_str(passphrase, "passphrase")?) };
        c.set_private_key_file(path, passphrase)
    })
}

/// Signs through the caller's `sign` callback (keys in an HSM or another
/// process) instead of a key held here; see binance_sign_fn for its
/// contract. Replaces any secret key or private key set before. A failing
/// callback makes the call return BINANCE_ERR_SIGNER, nothing sent.
///
/// Ownership: `user_data` is passed to `sign` as is; it must stay valid
/// while any client built from this config lives.
/// Thread safety: `sign` may run on several threads at once.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg` or
/// `sign`.
#[no_mangle]
pub extern "C" fn binance_config_set_signer(
    cfg: *mut binance_config,
    sign: binance_sign_fn,
    user_data: *mut c_void,
) -> binance_status {
    set(cfg, |c| {
        c.set_external_signer(external_signer(sign.ok_or("sign is NULL")?, user_data));
        Ok(())
    })
}

/// Sends structured events (request, answer, retry, clock sync; see
/// binance_log_event) to `log`, on the calling thread. The library puts no
/// key, secret, signature or signed URL in them (an answer's msg is quoted
/// as the server wrote it). `log` NULL turns logging
/// off (the default); then nothing is built for it.
///
/// Ownership: `user_data` is passed to `log` as is; it must stay valid while
/// any client built from this config lives.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `cfg`.
/// Thread safety: one thread at a time per `cfg`.
#[no_mangle]
pub extern "C" fn binance_config_set_logger(
    cfg: *mut binance_config,
    log: binance_log_fn,
    user_data: *mut c_void,
) -> binance_status {
    set(cfg, |c| {
        c.set_logger(log.map(|log| log_hook(log, user_data)));
        Ok(())
    })
}
