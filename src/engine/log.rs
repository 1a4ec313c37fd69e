//! Structured events for an optional logging hook. Events never carry a key,
//! a secret, a signature or a signed URL. Nothing is built when no hook is
//! set.

use super::outcome::Kind;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// A request is about to be written.
    Request,
    /// A request finished: `kind`, `http_status` and `elapsed` are set.
    Answer,
    /// The request is sent again (it provably did not execute).
    Retry,
    /// A server-time sync finished; `message` has the offset or the failure.
    ClockSync,
}

#[derive(Debug)]
pub struct LogEvent<'a> {
    pub kind: LogKind,
    /// The order: its algoId, or 0 when cancelled by clientAlgoId.
    pub algo_id: i64,
    pub attempt: u32,
    pub http_status: u16,
    pub outcome: Option<Kind>,
    pub elapsed: Duration,
    pub message: &'a str,
}

pub type Logger = dyn Fn(&LogEvent<'_>) + Send + Sync;

/// A logger that a `Debug` struct can hold.
#[derive(Clone)]
pub struct LogHook(pub std::sync::Arc<Logger>);

impl std::fmt::Debug for LogHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogHook")
    }
}
