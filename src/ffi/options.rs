use super::{binance_status, free_handle, guard, new_handle, try_mut};
use crate::engine::client::CallOptions;

/// Opaque per-call options: overrides for one call of
/// binance_cancel_algo_order_opts and friends. Thread safety: one thread at
/// a time while being set; once set, it may be passed to concurrent calls
/// (they only read it).
pub struct binance_call_options {
    _private: [u8; 0],
}

/// Creates empty options (every setting from the client).
///
/// Ownership: the caller owns the result and frees it with
/// binance_call_options_free. Returns NULL only on an internal error.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn binance_call_options_new() -> *mut binance_call_options {
    new_handle::<CallOptions, _>()
}

/// Frees options. NULL: accepted, does nothing.
/// Thread safety: only after every call given `opts` has returned.
#[no_mangle]
pub extern "C" fn binance_call_options_free(opts: *mut binance_call_options) {
    free_handle::<CallOptions, _>(opts)
}

/// recvWindow for this call, 1..=60000 ms.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `opts` or
/// a value outside 1..=60000.
/// Thread safety: one thread at a time per `opts`, and not while a call reads it.
#[no_mangle]
pub extern "C" fn binance_call_options_set_recv_window(opts: *mut binance_call_options, ms: i64) -> binance_status {
    guard(|| binance_status::of_setting(&try_mut!(opts, CallOptions).set_recv_window(ms)))
}

/// Total timeout for this call, 1..=600000 ms (sync and retries included);
/// the connect timeout is capped to it.
///
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL `opts` or
/// a value outside 1..=600000.
/// Thread safety: one thread at a time per `opts`, and not while a call reads it.
#[no_mangle]
pub extern "C" fn binance_call_options_set_timeout(opts: *mut binance_call_options, total_ms: i64) -> binance_status {
    guard(|| binance_status::of_setting(&try_mut!(opts, CallOptions).set_total_timeout(total_ms)))
}
