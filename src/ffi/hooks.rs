//! C callbacks: an external signer and a logging hook, wrapped as the
//! engine's closures.

use super::binance_status;
use super::strings::c_text;
use crate::engine::log::{LogEvent, LogHook, LogKind};
use crate::engine::signer::ExternalSign;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Arc;

/// Room for any signature: RSA-4096 in base64 is 684 characters.
pub const SIGNATURE_CAPACITY: usize = 1024;

/// An external signer: signs `payload_len` bytes at `payload` (the exact
/// bytes Binance verifies) and writes the signature text Binance expects,
/// NUL-terminated, into `out_sig` (capacity `out_cap` bytes, 1024): 64
/// lowercase hex characters for an HMAC-SHA256 key, base64 for an Ed25519 or
/// RSA key (the library URL-encodes it). Returns 0 on success; any other
/// value means failure, and the call returns BINANCE_ERR_SIGNER without
/// sending anything; so does a signature that is empty, not NUL-terminated
/// within `out_cap`, or holds a space or a byte other than printable ASCII.
/// It may be called from several threads at once (one per concurrent call)
/// with the same `user_data`; it must not throw or longjmp.
pub type binance_sign_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        payload: *const u8,
        payload_len: usize,
        out_sig: *mut c_char,
        out_cap: usize,
    ) -> c_int,
>;

/// What a log event reports.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binance_log_kind {
    /// A cancel request is about to be sent.
    BINANCE_LOG_REQUEST = 0,
    /// A cancel request finished: `status`, `http_status`, `elapsed_us` set.
    BINANCE_LOG_ANSWER = 1,
    /// The cancel is sent again (the last attempt provably did not execute).
    BINANCE_LOG_RETRY = 2,
    /// A server-time sync finished; `message` holds the offset or the failure.
    BINANCE_LOG_CLOCK_SYNC = 3,
    /// Never sent: as BINANCE_STATUS_MAX_ENUM, room for later kinds.
    BINANCE_LOG_KIND_MAX_ENUM = 0x7fff_ffff,
}

/// One structured event. The library never puts a key, a secret, a
/// signature or a signed URL in it; an answer's msg is quoted as the server
/// wrote it (Binance's never echoes the request). Everything it points to is
/// valid only during the callback.
#[repr(C)]
pub struct binance_log_event {
    pub kind: binance_log_kind,
    /// The order's algoId; 0 when cancelling by clientAlgoId or for a sync.
    pub algo_id: i64,
    /// 1 for the first attempt of a call.
    pub attempt: i32,
    /// 0 when no answer arrived (or not yet).
    pub http_status: i32,
    /// The result so far; BINANCE_OK for BINANCE_LOG_REQUEST.
    pub status: binance_status,
    /// Time the request (or sync) took, in microseconds; 0 for REQUEST.
    pub elapsed_us: i64,
    /// A human-readable sentence (borrowed for the callback), never NULL.
    pub message: *const c_char,
}

/// A logging hook; receives each event synchronously on the calling thread.
/// It may be called from several threads at once with the same `user_data`;
/// it must be quick, must not throw or longjmp, and may call into the library.
pub type binance_log_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const binance_log_event)>;

/// The caller's `user_data`, shared by threads as the caller promised.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);

// SAFETY: binance_config_set_signer/_set_logger document that the callback
// may run on any thread, concurrently, with this pointer; the caller
// promises it is safe to do so.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

pub(crate) fn external_signer(
    sign: unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut c_char, usize) -> c_int,
    user_data: *mut c_void,
) -> Arc<ExternalSign> {
    let user = UserData(user_data);
    Arc::new(move |payload: &[u8]| {
        let mut out = [0 as c_char; SIGNATURE_CAPACITY];
        // The whole Send + Sync wrapper, not its raw field.
        let user = user;
        // SAFETY: the caller registered a function of this type and promised
        // it may be called like this; the buffers are valid for the lengths
        // given.
        let rc = unsafe { sign(user.0, payload.as_ptr(), payload.len(), out.as_mut_ptr(), out.len()) };
        if rc != 0 {
            return Err(format!("the external signer returned {rc}"));
        }
        // SAFETY: `out` is a live buffer of SIGNATURE_CAPACITY bytes.
        let bytes = unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u8>(), out.len()) };
        let text = CStr::from_bytes_until_nul(bytes)
            .map_err(|_| "the external signer's signature is not NUL-terminated within 1024 bytes".to_owned())?;
        match text.to_str() {
            Ok(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()) => Ok(s.to_owned()),
            _ => Err("the external signer returned an empty or non-printable signature".to_owned()),
        }
    })
}

pub(crate) fn log_hook(
    log: unsafe extern "C" fn(*mut c_void, *const binance_log_event),
    user_data: *mut c_void,
) -> LogHook {
    let user = UserData(user_data);
    LogHook(Arc::new(move |e: &LogEvent<'_>| {
        let user = user;
        let message = c_text(e.message);
        let event = binance_log_event {
            kind: match e.kind {
                LogKind::Request => binance_log_kind::BINANCE_LOG_REQUEST,
                LogKind::Answer => binance_log_kind::BINANCE_LOG_ANSWER,
                LogKind::Retry => binance_log_kind::BINANCE_LOG_RETRY,
                LogKind::ClockSync => binance_log_kind::BINANCE_LOG_CLOCK_SYNC,
            },
            algo_id: e.algo_id,
            attempt: i32::try_from(e.attempt).unwrap_or(i32::MAX),
            http_status: i32::from(e.http_status),
            status: e.outcome.map_or(binance_status::BINANCE_OK, binance_status::from),
            elapsed_us: i64::try_from(e.elapsed.as_micros()).unwrap_or(i64::MAX),
            message: message.as_ptr(),
        };
        // SAFETY: the caller registered a function of this type; `event`
        // and its message live until it returns.
        unsafe { log(user.0, &event) };
    }))
}
