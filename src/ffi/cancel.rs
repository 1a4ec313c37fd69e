use super::result::CallDetail;
use super::{binance_client, binance_result, binance_status, guard};
use crate::engine::client::Client;
use crate::engine::outcome::{Kind, Outcome};
use std::ffi::{c_char, CString};

/// Cancels an open VP or TWAP algo order: one signed
/// `DELETE /sapi/v1/algo/futures/order`. Same as
/// binance_cancel_algo_order_ex with `detail` = NULL.
#[no_mangle]
pub extern "C" fn binance_cancel_algo_order(
    ctx: *mut binance_client,
    algo_id: i64,
    out_json: *mut *mut c_char,
) -> binance_status {
    binance_cancel_algo_order_ex(ctx, algo_id, std::ptr::null_mut(), out_json)
}

/// Cancels an open VP or TWAP algo order: one signed
/// `DELETE /sapi/v1/algo/futures/order` with algoId, recvWindow (only when
/// configured) and timestamp, within the total timeout. A request that may
/// have reached the exchange is never sent again; only attempts that
/// provably did not execute are (a request that never left, see
/// binance_config_set_max_retries; a -1021 after a clock resync, see
/// binance_config_set_clock_sync), each signed afresh.
///
/// `ctx`: borrowed, non-NULL. `algo_id`: > 0 (int64 end to end).
/// `detail`: may be NULL; otherwise reset on entry and filled on every return,
/// success included (HTTP status, exchange code and msg, Retry-After,
/// weights, message).
/// `out_json`: non-NULL; `*out_json` is set to NULL on entry. On return it is
/// NULL or a NUL-terminated JSON string that the caller owns and frees with
/// binance_string_free: on BINANCE_OK the exchange's body byte for byte; on a
/// failure the exchange's body when it is valid JSON, else NULL.
/// Thread safety: many threads may call this on one client at once, each with
/// its own `detail`.
/// Returns BINANCE_OK or any BINANCE_ERR_* status; the status says what
/// happened to the order.
#[no_mangle]
pub extern "C" fn binance_cancel_algo_order_ex(
    ctx: *mut binance_client,
    algo_id: i64,
    detail: *mut binance_result,
    out_json: *mut *mut c_char,
) -> binance_status {
    guard(|| {
        if !out_json.is_null() {
            // SAFETY: non-NULL; the caller promises storage for one pointer.
            unsafe { *out_json = std::ptr::null_mut() };
        }
        // SAFETY: non-NULL results only come from binance_result_new, and the
        // caller promises no other call uses this one meanwhile.
        let detail = unsafe { CallDetail::reset(detail) };
        // SAFETY: non-NULL clients only come from binance_client_new (an
        // Arc<Client>), alive until binance_client_free, which the caller
        // promises not to call while this call runs.
        let outcome = match unsafe { ctx.cast_const().cast::<Client>().as_ref() } {
            _ if out_json.is_null() => invalid("out_json is NULL"),
            None => invalid("ctx is NULL"),
            Some(client) => client.cancel(algo_id),
        };
        let (status, body) = report(outcome, detail);
        if let Some(body) = body.and_then(|b| CString::new(b).ok()) {
            // SAFETY: checked non-NULL above (a NULL out_json is INVALID_ARGUMENT).
            unsafe { *out_json = body.into_raw() };
        }
        status
    })
}

/// The status for an outcome, with `detail` filled; hands back the body.
pub(crate) fn report(outcome: Outcome, detail: Option<&mut CallDetail>) -> (binance_status, Option<String>) {
    let status = binance_status::from(outcome.kind);
    if let Some(d) = detail {
        d.fill(status, &outcome);
    }
    (status, outcome.body)
}

pub(crate) fn invalid(what: &str) -> Outcome {
    Outcome::without_answer(Kind::InvalidArgument, format!("{what}; nothing was sent"))
}
