use crate::engine::outcome::Kind;
use std::ffi::{c_char, c_int, CStr};

/// Result of every fallible call. The values are fixed forever; new ones are
/// only ever added after the last status (below BINANCE_STATUS_MAX_ENUM), so
/// a switch over them needs a default. The status alone tells the caller what
/// happened to the order; see binance_status_str() for a name.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binance_status {
    /// Done. For a cancel: a 200 answer whose JSON has "success": true and
    /// no error code, and mentions none of UNKNOWN_OUTCOME's codes.
    BINANCE_OK = 0,
    /// The caller's mistake (NULL pointer, algo_id <= 0, bad setting, missing
    /// key); nothing was sent.
    BINANCE_ERR_INVALID_ARGUMENT = 1,
    /// The exchange said no (a 4XX other than 408/409/429/418 without code
    /// -1003, or a 200 with
    /// "success": false, or with a non-zero code and no "success"), and the
    /// answer is none of UNKNOWN_OUTCOME's. Not cancelled by this call.
    BINANCE_ERR_REJECTED = 2,
    /// HTTP 429 or 418, or code -1003 (too many requests) under another 4XX
    /// (unless one of UNKNOWN_OUTCOME's answers): not executed; back off
    /// (see Retry-After).
    BINANCE_ERR_RATE_LIMITED = 3,
    /// The request may have reached the exchange but the result is unknown
    /// (timeout after sending, 5XX, 408 (Binance: a timeout waiting for its
    /// backend), 409 (a partial success), code -1007, -1006 or -1000 under
    /// any HTTP status, even in a body that is not exactly JSON (cut short,
    /// bytes after it), any answer, even a success, whose body or message
    /// mentions one of those codes as a number of its own (nested, quoted,
    /// in a page; not inside an id), a refusal whose body claims "success":
    /// true anywhere, a body in a content encoding (gzip), a code that is not a JSON
    /// integer, a second, different code in a body that is not exactly JSON
    /// or one cut off at its code, "success": true with an error code or
    /// under any status but 200, a code, success, msg, algoId or
    /// clientAlgoId given twice, a 200 that is not UTF-8 or holds a lone
    /// surrogate escape, an answer of any status naming another
    /// order, or naming one as an algoId that is not an integer or a
    /// clientAlgoId that is not a string (a stray answer on a kept-alive
    /// connection), cut or oversized answer, any other answer). Query the
    /// order before acting.
    BINANCE_ERR_UNKNOWN_OUTCOME = 4,
    /// No request was sent (connection refused, DNS, TLS handshake, connect
    /// timeout), after the configured retries. Safe to retry.
    BINANCE_ERR_TRANSPORT = 5,
    /// A bug caught inside the library; the handle stays usable.
    BINANCE_ERR_INTERNAL = 6,
    /// The external signer (binance_config_set_signer) failed; nothing was
    /// sent.
    BINANCE_ERR_SIGNER = 7,
    /// Never returned: it gives the enum the range of a 32-bit int, so that
    /// a status added by a later version is a valid value in C++ too (there
    /// an enum without a fixed type holds only its enumerators' range, and
    /// -fstrict-enums optimises on it). Vulkan's *_MAX_ENUM does the same.
    BINANCE_STATUS_MAX_ENUM = 0x7fff_ffff,
}

impl binance_status {
    /// OK for an accepted setting, INVALID_ARGUMENT for a refused one.
    pub(crate) fn of_setting<E>(result: &Result<(), E>) -> Self {
        match result {
            Ok(()) => binance_status::BINANCE_OK,
            Err(_) => binance_status::BINANCE_ERR_INVALID_ARGUMENT,
        }
    }
}

impl From<Kind> for binance_status {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Ok => binance_status::BINANCE_OK,
            Kind::InvalidArgument => binance_status::BINANCE_ERR_INVALID_ARGUMENT,
            Kind::Rejected => binance_status::BINANCE_ERR_REJECTED,
            Kind::RateLimited => binance_status::BINANCE_ERR_RATE_LIMITED,
            Kind::UnknownOutcome => binance_status::BINANCE_ERR_UNKNOWN_OUTCOME,
            Kind::Transport => binance_status::BINANCE_ERR_TRANSPORT,
            Kind::Internal => binance_status::BINANCE_ERR_INTERNAL,
            Kind::SignerFailed => binance_status::BINANCE_ERR_SIGNER,
        }
    }
}

/// The name of a status, e.g. "BINANCE_ERR_REJECTED", for any int.
///
/// Returns a static NUL-terminated string, never NULL, never to be freed;
/// "unknown status" for a value that is not a binance_status.
/// Thread safety: always safe.
#[no_mangle]
pub extern "C" fn binance_status_str(status: c_int) -> *const c_char {
    let name: &'static CStr = match status {
        0 => c"BINANCE_OK",
        1 => c"BINANCE_ERR_INVALID_ARGUMENT",
        2 => c"BINANCE_ERR_REJECTED",
        3 => c"BINANCE_ERR_RATE_LIMITED",
        4 => c"BINANCE_ERR_UNKNOWN_OUTCOME",
        5 => c"BINANCE_ERR_TRANSPORT",
        6 => c"BINANCE_ERR_INTERNAL",
        7 => c"BINANCE_ERR_SIGNER",
        _ => c"unknown status",
    };
    name.as_ptr()
}
