use super::strings::c_text;
use super::{binance_status, free_handle, guard_or, new_handle};
use crate::engine::outcome::Outcome;
use std::borrow::Cow;
use std::ffi::{c_char, CStr};

/// Opaque per-call detail: HTTP status, exchange code and message,
/// Retry-After, weight headers and a human-readable message. The caller
/// creates one, passes it to a `_ex` call, reads it, and frees it. It is
/// reset at the start of each call and filled on every return.
/// Thread safety: one result per call in flight; do not share.
pub struct binance_result {
    _private: [u8; 0],
}

pub(crate) struct CallDetail {
    status: binance_status,
    http_status: u16,
    exchange_code: i64,
    // Static text until a call fills them: a reset allocates nothing.
    exchange_msg: Cow<'static, CStr>,
    message: Cow<'static, CStr>,
    retry_after_s: i64,
    used_weight_ip_1m: i64,
    used_weight_uid_1m: i64,
    attempts: u32,
}

impl Default for CallDetail {
    /// What a call that died in a caught panic leaves behind.
    fn default() -> Self {
        CallDetail {
            status: binance_status::BINANCE_ERR_INTERNAL,
            http_status: 0,
            exchange_code: 0,
            exchange_msg: Cow::Borrowed(c""),
            message: Cow::Borrowed(c"internal error: the call did not complete"),
            retry_after_s: -1,
            used_weight_ip_1m: -1,
            used_weight_uid_1m: -1,
            attempts: 0,
        }
    }
}

impl CallDetail {
    /// Borrows a caller's result object, reset, or None for NULL.
    ///
    /// # Safety
    /// `result` is NULL or from binance_result_new, alive, and used by no
    /// other call meanwhile.
    pub(crate) unsafe fn reset<'a>(result: *mut binance_result) -> Option<&'a mut CallDetail> {
        // SAFETY: per this function's contract.
        let detail = unsafe { result.cast::<CallDetail>().as_mut() }?;
        *detail = CallDetail::default();
        Some(detail)
    }

    pub(crate) fn fill(&mut self, status: binance_status, o: &Outcome) {
        *self = CallDetail {
            status,
            http_status: o.http_status,
            exchange_code: o.exchange_code,
            exchange_msg: Cow::Owned(c_text(&o.exchange_msg)),
            message: Cow::Owned(c_text(&o.message)),
            retry_after_s: o.retry_after_s.unwrap_or(-1),
            used_weight_ip_1m: o.used_weight_ip_1m.unwrap_or(-1),
            used_weight_uid_1m: o.used_weight_uid_1m.unwrap_or(-1),
            attempts: o.attempts,
        };
    }
}

/// Creates an empty result object (status BINANCE_ERR_INTERNAL until a call
/// fills it).
///
/// Ownership: the caller owns it and frees it with binance_result_free.
/// Returns NULL only on an internal error. Thread safety: any thread.
#[no_mangle]
pub extern "C" fn binance_result_new() -> *mut binance_result {
    new_handle::<CallDetail, _>()
}

/// Frees a result object; strings read from it become invalid.
///
/// NULL: accepted, does nothing.
/// Thread safety: not while a call is filling `result`.
#[no_mangle]
pub extern "C" fn binance_result_free(result: *mut binance_result) {
    free_handle::<CallDetail, _>(result)
}

/// Reads one field; a NULL `result` reads as `absent`.
fn read<T: Copy>(result: *const binance_result, absent: T, field: impl FnOnce(&CallDetail) -> T) -> T {
    // SAFETY: non-NULL results only come from binance_result_new and the
    // caller promises it is alive and not being filled by a call.
    guard_or(absent, || unsafe { result.cast::<CallDetail>().as_ref() }.map_or(absent, field))
}

/// Reads one text field; the pointer is borrowed from `result`.
fn read_text(result: *const binance_result, field: impl FnOnce(&CallDetail) -> &CStr) -> *const c_char {
    read(result, c"".as_ptr(), |d| field(d).as_ptr())
}

/// The status of the last call that used `result` (the same value that call
/// returned). NULL `result`: BINANCE_ERR_INVALID_ARGUMENT.
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_status(result: *const binance_result) -> binance_status {
    read(result, binance_status::BINANCE_ERR_INVALID_ARGUMENT, |d| d.status)
}

/// The HTTP status of the answer; 0 when no answer arrived (or NULL `result`).
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_http_status(result: *const binance_result) -> i32 {
    read(result, 0, |d| i32::from(d.http_status))
}

/// The exchange's error `code` (e.g. -20124); 0 when the answer carried none
/// (or NULL `result`).
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_exchange_code(result: *const binance_result) -> i64 {
    read(result, 0, |d| d.exchange_code)
}

/// The exchange's `msg`; "" when the answer carried none.
///
/// Ownership: borrowed from `result`, valid until it is passed to another
/// call or freed. Never NULL ("" for a NULL `result`).
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_exchange_msg(result: *const binance_result) -> *const c_char {
    read_text(result, |d| &d.exchange_msg)
}

/// A human-readable sentence: what happened and what it means for the order
/// (e.g. "request not sent (Connection refused ...); safe to retry"). The
/// library puts no key, secret or signature in it (an answer's msg is quoted
/// as the server wrote it).
///
/// Ownership: borrowed from `result`, valid until it is passed to another
/// call or freed. Never NULL ("" for a NULL `result`).
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_message(result: *const binance_result) -> *const c_char {
    read_text(result, |d| &d.message)
}

/// The Retry-After header in seconds (sent with 429 and 418); -1 when absent
/// or not a number of seconds (an HTTP date, a negative value).
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_retry_after_s(result: *const binance_result) -> i64 {
    read(result, -1, |d| d.retry_after_s)
}

/// The X-SAPI-USED-IP-WEIGHT-1M header (request weight used by this IP in
/// the current minute); -1 when absent.
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_used_weight_ip_1m(result: *const binance_result) -> i64 {
    read(result, -1, |d| d.used_weight_ip_1m)
}

/// The X-SAPI-USED-UID-WEIGHT-1M header (weight used by this account in the
/// current minute); -1 when absent.
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_used_weight_uid_1m(result: *const binance_result) -> i64 {
    read(result, -1, |d| d.used_weight_uid_1m)
}

/// How many requests the call tried to send, each signed afresh: 0 when
/// nothing was sent (bad input), 1 normally, more after retries of
/// attempts that provably did not execute (not sent, or -1021 followed by a
/// clock resync). 0 for a NULL `result`.
/// Thread safety: one thread at a time per `result`, not while a call fills it.
#[no_mangle]
pub extern "C" fn binance_result_attempts(result: *const binance_result) -> i32 {
    read(result, 0, |d| i32::try_from(d.attempts).unwrap_or(i32::MAX))
}
