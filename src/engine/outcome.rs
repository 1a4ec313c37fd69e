//! What one call produced: the kind of result plus the detail a caller needs
//! to decide its next move.

/// The result class of a call. The FFI maps it 1:1 onto `binance_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The exchange confirmed the cancel.
    Ok,
    /// The caller's input was unusable; nothing was sent.
    InvalidArgument,
    /// The exchange refused the request; it was not executed.
    Rejected,
    /// 429 or 418: not executed; back off.
    RateLimited,
    /// The request may have been executed; the result is unknown.
    UnknownOutcome,
    /// The request never left this process; safe to retry.
    Transport,
    /// A bug inside the library.
    Internal,
    /// The external signer failed; nothing was sent.
    SignerFailed,
}

/// Everything known about one call. Absent numbers are `None` or 0 as noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub kind: Kind,
    /// HTTP status of the answer; 0 when no answer arrived.
    pub http_status: u16,
    /// The exchange's `code`; 0 when the body carried none.
    pub exchange_code: i64,
    /// The exchange's `msg`; empty when the body carried none.
    pub exchange_msg: String,
    /// A human-readable sentence: what happened and what it means for the order.
    pub message: String,
    /// The body, verbatim, when it is valid JSON.
    pub body: Option<String>,
    pub retry_after_s: Option<i64>,
    pub used_weight_ip_1m: Option<i64>,
    pub used_weight_uid_1m: Option<i64>,
    /// Requests this call tried to send, each signed afresh; all but the
    /// last were provably not executed.
    pub attempts: u32,
    /// The answer named another order: a stray or late answer on the
    /// connection, not this request's.
    pub stray: bool,
}

impl Outcome {
    /// An outcome with no answer from the exchange.
    pub fn without_answer(kind: Kind, message: impl Into<String>) -> Self {
        Outcome {
            kind,
            http_status: 0,
            exchange_code: 0,
            exchange_msg: String::new(),
            message: message.into(),
            body: None,
            retry_after_s: None,
            used_weight_ip_1m: None,
            used_weight_uid_1m: None,
            attempts: 0,
            stray: false,
        }
    }
}
