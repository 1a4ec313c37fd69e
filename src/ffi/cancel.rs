use super::result::CallDetail;
use super::strings::str_arg;
use super::{binance_call_options, binance_client, binance_result, binance_status, guard};
use crate::engine::client::{CallOptions, Client};
use crate::engine::outcome::{Kind, Outcome};
use crate::engine::request::OrderRef;
use std::ffi::{c_char, CString};

/// Cancels an open VP or TWAP algo order: one signed
/// `DELETE /sapi/v1/algo/futures/order`. Same as
/// binance_cancel_algo_order_ex with `detail` = NULL.
///
/// `ctx`: borrowed, non-NULL. `out_json`: non-NULL; `*out_json` is set to
/// NULL on entry, and on return is NULL or a JSON string that the caller
/// owns and frees with binance_string_free (never with free()).
/// Thread safety: many threads may call this on one client at once.
#[no_mangle]
pub extern "C" fn binance_cancel_algo_order(
    ctx: *mut binance_client,
    algo_id: i64,
    out_json: *mut *mut c_char,
) -> binance_status {
    binance_cancel_algo_order_opts(ctx, algo_id, std::ptr::null(), std::ptr::null_mut(), out_json)
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
/// weights, message, attempts).
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
    binance_cancel_algo_order_opts(ctx, algo_id, std::ptr::null(), detail, out_json)
}

/// binance_cancel_algo_order_ex with per-call overrides: `opts` may be NULL
/// (the client's settings) or options from binance_call_options_new
/// (borrowed, only read, so one options object may serve concurrent calls).
/// `ctx`, `detail` and `out_json` (caller-owned, freed with
/// binance_string_free) as for binance_cancel_algo_order_ex.
/// Thread safety: many threads may call this on one client at once, each with its own `detail`.
#[no_mangle]
pub extern "C" fn binance_cancel_algo_order_opts(
    ctx: *mut binance_client,
    algo_id: i64,
    opts: *const binance_call_options,
    detail: *mut binance_result,
    out_json: *mut *mut c_char,
) -> binance_status {
    run(ctx, opts, detail, out_json, |client, opts| client.cancel_with(OrderRef::AlgoId(algo_id), opts))
}

/// Cancels an algo order by the caller's own id (`clientAlgoId`) instead of
/// Binance's algoId. `client_algo_id`: borrowed, 1 to 36 characters of
/// `A-Z a-z 0-9 . : / _ -`, checked before anything is sent. Otherwise the
/// same as binance_cancel_algo_order_opts (`*out_json` caller-owned, freed
/// with binance_string_free).
/// Thread safety: many threads may call this on one client at once, each with its own `detail`.
#[no_mangle]
pub extern "C" fn binance_cancel_by_client_algo_id(
    ctx: *mut binance_client,
    client_algo_id: *const c_char,
    opts: *const binance_call_options,
    detail: *mut binance_result,
    out_json: *mut *mut c_char,
) -> binance_status {
    run(ctx, opts, detail, out_json, |client, opts| {
        by_client_id(client_algo_id, |order| client.cancel_with(order, opts))
    })
}

/// Dry run: builds and signs the exact cancel request that
/// binance_cancel_algo_order_opts would send now, without sending it (for
/// audits and tests). It uses the clock offset as it stands (no sync).
///
/// `*out_json` (non-NULL; NULL on entry) receives, on BINANCE_OK,
/// `{"headers":{"X-MBX-APIKEY":"vmPU****Eh8A"},"method":"DELETE","url":"https://.../sapi/v1/algo/futures/order?algoId=...&timestamp=...&signature=..."}`
/// (keys in this order), the API key masked to its first and last 4
/// characters (all of it, as `****`, when shorter than 16); the caller frees
/// it with binance_string_free.
/// `ctx`: borrowed, non-NULL; `opts`: NULL or borrowed, only read.
/// Thread safety: many threads may call this on one client at once.
/// Returns BINANCE_OK, BINANCE_ERR_INVALID_ARGUMENT (NULL, algo_id <= 0) or
/// BINANCE_ERR_SIGNER.
#[no_mangle]
pub extern "C" fn binance_presign_cancel(
    ctx: *mut binance_client,
    algo_id: i64,
    opts: *const binance_call_options,
    out_json: *mut *mut c_char,
) -> binance_status {
    run(ctx, opts, std::ptr::null_mut(), out_json, |client, opts| presigned(client, OrderRef::AlgoId(algo_id), opts))
}

/// binance_presign_cancel for a `clientAlgoId` (borrowed, checked as for
/// binance_cancel_by_client_algo_id); `*out_json` caller-owned, freed with
/// binance_string_free.
/// Thread safety: many threads may call this on one client at once.
#[no_mangle]
pub extern "C" fn binance_presign_cancel_by_client_algo_id(
    ctx: *mut binance_client,
    client_algo_id: *const c_char,
    opts: *const binance_call_options,
    out_json: *mut *mut c_char,
) -> binance_status {
    run(ctx, opts, std::ptr::null_mut(), out_json, |client, opts| {
        by_client_id(client_algo_id, |order| presigned(client, order, opts))
    })
}

/// `call` for the caller's clientAlgoId, or INVALID_ARGUMENT when it is
/// NULL or not UTF-8.
fn by_client_id(client_algo_id: *const c_char, call: impl FnOnce(OrderRef<'_>) -> Outcome) -> Outcome {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    match unsafe { str_arg(client_algo_id, "client_algo_id") } {
        Ok(id) => call(OrderRef::ClientAlgoId(id)),
        Err(why) => invalid(&why),
    }
}

fn presigned(client: &Client, order: OrderRef<'_>, opts: &CallOptions) -> Outcome {
    match client.presign(order, opts) {
        Ok(request) => {
            let mut out = Outcome::without_answer(Kind::Ok, "signed, not sent");
            out.body = Some(request.to_json());
            out
        }
        Err(out) => *out,
    }
}

/// The shared shape of every call on a client: clear the out-param, reset
/// the detail, check the pointers, run, report.
fn run(
    ctx: *mut binance_client,
    opts: *const binance_call_options,
    detail: *mut binance_result,
    out_json: *mut *mut c_char,
    call: impl FnOnce(&Client, &CallOptions) -> Outcome,
) -> binance_status {
    guard(|| {
        if !out_json.is_null() {
            // SAFETY: non-NULL; the caller promises storage for one pointer.
            unsafe { *out_json = std::ptr::null_mut() };
        }
        // SAFETY: NULL or options from binance_call_options_new, only read.
        let opts = unsafe { opts.cast::<CallOptions>().as_ref() }.copied().unwrap_or_default();
        let (status, body) = with_detail(detail, || match client_of(ctx) {
            _ if out_json.is_null() => invalid("out_json is NULL"),
            Err(out) => *out,
            Ok(client) => call(client, &opts),
        });
        if let Some(body) = body.and_then(|b| CString::new(b).ok()) {
            // SAFETY: checked non-NULL above (a NULL out_json is INVALID_ARGUMENT).
            unsafe { *out_json = body.into_raw() };
        }
        status
    })
}

/// The frame of every call that reports through a `binance_result`: resets
/// `detail`, takes the outcome of `call`, fills `detail`; hands back the
/// status and the body.
pub(crate) fn with_detail(
    detail: *mut binance_result,
    call: impl FnOnce() -> Outcome,
) -> (binance_status, Option<String>) {
    // SAFETY: non-NULL results only come from binance_result_new, and the
    // caller promises no other call uses this one meanwhile.
    let detail = unsafe { CallDetail::reset(detail) };
    let outcome = call();
    let status = binance_status::from(outcome.kind);
    if let Some(d) = detail {
        d.fill(status, &outcome);
    }
    (status, outcome.body)
}

/// The client behind `ctx`, or the INVALID_ARGUMENT outcome for NULL.
pub(crate) fn client_of<'a>(ctx: *const binance_client) -> Result<&'a Client, Box<Outcome>> {
    // SAFETY: non-NULL clients only come from binance_client_new (an
    // Arc<Client>), alive until binance_client_free, which the caller
    // promises not to call while this call runs.
    unsafe { ctx.cast::<Client>().as_ref() }.ok_or_else(|| Box::new(invalid("ctx is NULL")))
}

pub(crate) fn invalid(what: &str) -> Outcome {
    Outcome::without_answer(Kind::InvalidArgument, format!("{what}; nothing was sent"))
}
