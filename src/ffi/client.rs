use super::{binance_config, binance_status, guard, guard_or, try_out, try_ref};
use crate::engine::client::Client;
use crate::engine::config::Config;
use std::sync::Arc;

/// Opaque, thread-safe client ("ctx"): a signed-request sender with its own
/// kept-alive connection pool. Any number of threads may cancel through one
/// client at once.
pub struct binance_client {
    _private: [u8; 0],
}

/// Creates a client from a configuration.
///
/// Ownership: `cfg` is borrowed and only read (it may be freed or changed
/// right after); on BINANCE_OK `*out_client` is a client that the caller
/// owns and frees with binance_client_free. `*out_client` is set to NULL on
/// entry and stays NULL on every failure.
/// Thread safety: any thread; `cfg` must not be changed during the call.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL argument or
/// a config without API key or secret key.
#[no_mangle]
pub extern "C" fn binance_client_new(
    cfg: *const binance_config,
    out_client: *mut *mut binance_client,
) -> binance_status {
    guard(|| {
        let out = try_out!(out_client);
        let cfg = try_ref!(cfg, Config);
        match Client::new(cfg) {
            Ok(client) => {
                *out = Arc::into_raw(Arc::new(client)).cast_mut().cast();
                binance_status::BINANCE_OK
            }
            Err(_) => binance_status::BINANCE_ERR_INVALID_ARGUMENT,
        }
    })
}

/// Frees a client: closes its connections and wipes its keys.
///
/// NULL: accepted, does nothing.
/// Thread safety: only after every call on `client` has returned.
#[no_mangle]
pub extern "C" fn binance_client_free(client: *mut binance_client) {
    guard_or((), || {
        if !client.is_null() {
            // SAFETY: non-NULL clients only come from binance_client_new
            // (Arc::into_raw), and the caller promises to free each once.
            drop(unsafe { Arc::from_raw(client.cast_const().cast::<Client>()) });
        }
    })
}
