//! The client: a validated configuration, one connection pool and the
//! server-time offset, shared by any number of threads.

use super::classify::{classify, Answer, MAY_HAVE_RUN};
use super::clock::{local_ms, Clock};
use super::config::{Config, Invalid};
use super::outcome::{Kind, Outcome};
use super::request::{cancel_query, CANCEL_PATH};
use super::secret::Secret;
use super::transport::{Failure, Http, Method};
use serde_json::Value;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const TIME_PATH: &str = "/api/v3/time";
/// "Timestamp for this request ... outside of the recvWindow": not executed.
const CODE_TIMESTAMP: i64 = -1021;
/// Pause before resending a request that never left, times the attempt number.
const NOT_SENT_BACKOFF: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub struct Client {
    http: Http,
    cancel_url: String,
    time_url: String,
    api_key: Secret,
    secret_key: Secret,
    recv_window_ms: Option<i64>,
    total_timeout: Duration,
    max_retries: u32,
    clock_sync: bool,
    clock: Clock,
    /// One sync at a time: threads arriving meanwhile wait for its result.
    sync_lock: Mutex<()>,
}

// Shared across threads by the C ABI: keep it so.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Client>()
};

impl Client {
    /// Copies what it needs from `cfg`: the config may change or go away after.
    pub fn new(cfg: &Config) -> Result<Client, Invalid> {
        let api_key = cfg.api_key.clone().ok_or("no API key set")?;
        let secret_key = cfg.secret_key.clone().ok_or("no secret key set")?;
        Ok(Client {
            http: Http::new(cfg),
            cancel_url: format!("{}{CANCEL_PATH}", cfg.base_url),
            time_url: format!("{}{TIME_PATH}", cfg.base_url),
            api_key,
            secret_key,
            recv_window_ms: cfg.recv_window_ms,
            total_timeout: Duration::from_millis(cfg.total_timeout_ms),
            max_retries: cfg.max_retries,
            clock_sync: cfg.clock_sync,
            clock: Clock::default(),
            sync_lock: Mutex::new(()),
        })
    }

    /// Cancels one algo order within the total timeout. Resends only what
    /// provably did not execute: a request that never left (up to
    /// `max_retries` more times) and, once, a -1021 after a clock resync.
    /// Every attempt is signed with a fresh timestamp.
    pub fn cancel(&self, algo_id: i64) -> Outcome {
        if algo_id <= 0 {
            return Outcome::without_answer(
                Kind::InvalidArgument,
                format!("algo_id must be positive, got {algo_id}; nothing was sent"),
            );
        }
        let deadline = Instant::now() + self.total_timeout;
        let mut shares_deadline = false;
        if self.clock_sync && self.clock.wants_sync() {
            // On failure the cancel goes ahead on the local clock.
            let _ = self.sync_clock(deadline, true);
            shares_deadline = true;
        }
        let mut resynced = false;
        let mut attempt = 1;
        loop {
            let budget = deadline.saturating_duration_since(Instant::now());
            let mut out = self.send_cancel(algo_id, shares_deadline.then_some(budget));
            out.attempts = attempt;
            let retry = match out.kind {
                Kind::Transport => attempt <= self.max_retries,
                Kind::Rejected if out.exchange_code == CODE_TIMESTAMP && self.clock_sync && !resynced => {
                    resynced = true;
                    self.sync_clock(deadline, false).is_ok()
                }
                _ => false,
            };
            let pause = if out.kind == Kind::Transport { NOT_SENT_BACKOFF * attempt } else { Duration::ZERO };
            if !retry || Instant::now() + pause >= deadline {
                if attempt > 1 {
                    out.message.push_str(&format!(" [attempt {attempt}; the earlier ones were not executed]"));
                }
                return out;
            }
            std::thread::sleep(pause);
            attempt += 1;
            shares_deadline = true;
        }
    }

    /// Measures the server-time offset now (GET /api/v3/time).
    pub fn sync_now(&self) -> Outcome {
        let deadline = Instant::now() + self.total_timeout;
        match self.sync_clock(deadline, false) {
            Ok(offset) => {
                let mut out = Outcome::without_answer(Kind::Ok, format!("clock synced: server - local = {offset} ms"));
                out.http_status = 200;
                out.attempts = 1;
                out
            }
            Err(out) => *out,
        }
    }

    /// Server time minus local time, once measured.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        self.clock.offset_ms()
    }

    fn send_cancel(&self, algo_id: i64, budget: Option<Duration>) -> Outcome {
        let query =
            cancel_query(algo_id, self.recv_window_ms, self.clock.now_ms(), self.secret_key.expose().as_bytes());
        let url = format!("{}?{query}", self.cancel_url);
        match self.http.send(Method::Delete, &url, Some(self.api_key.expose()), budget) {
            Ok(answer) => classify(answer),
            Err(Failure::NotSent(cause)) => {
                Outcome::without_answer(Kind::Transport, format!("request not sent ({cause}); safe to retry"))
            }
            Err(Failure::MaybeSent(cause)) => {
                Outcome::without_answer(Kind::UnknownOutcome, format!("no complete answer ({cause}); {MAY_HAVE_RUN}"))
            }
        }
    }

    /// GET /api/v3/time and record the offset. With `only_if_needed`, a
    /// thread that waited for another's sync uses its result.
    fn sync_clock(&self, deadline: Instant, only_if_needed: bool) -> Result<i64, Box<Outcome>> {
        let _one_at_a_time = self.sync_lock.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(offset) = self.clock.offset_ms().filter(|_| only_if_needed) {
            return Ok(offset);
        }
        let budget = deadline.saturating_duration_since(Instant::now());
        let sent = local_ms();
        let result = self.http.send(Method::Get, &self.time_url, None, Some(budget));
        let received = local_ms();
        match result.map_err(sync_failure).and_then(server_time) {
            Ok(server_ms) => Ok(self.clock.record(server_ms, sent, received)),
            Err(out) => {
                self.clock.record_failure();
                Err(out)
            }
        }
    }
}

fn sync_failure(failure: Failure) -> Box<Outcome> {
    Box::new(match failure {
        Failure::NotSent(cause) => {
            Outcome::without_answer(Kind::Transport, format!("clock sync: request not sent ({cause})"))
        }
        Failure::MaybeSent(cause) => {
            Outcome::without_answer(Kind::UnknownOutcome, format!("clock sync: no complete answer ({cause})"))
        }
    })
}

/// `{"serverTime":<ms>}`; anything else is a failed sync, classified like
/// any answer (4XX rejected, 429/418 rate limited, the rest unknown).
fn server_time(answer: Answer) -> Result<i64, Box<Outcome>> {
    let parsed = answer.body.as_ref().ok().and_then(|b| serde_json::from_slice::<Value>(b).ok());
    if let Some(ms) = parsed.as_ref().and_then(|j| j.get("serverTime")).and_then(Value::as_i64) {
        if answer.status == 200 {
            return Ok(ms);
        }
    }
    let mut out = classify(answer);
    if out.kind == Kind::Ok {
        out.kind = Kind::UnknownOutcome;
    }
    out.message = format!("clock sync failed: HTTP {} without a serverTime", out.http_status);
    Err(Box::new(out))
}
