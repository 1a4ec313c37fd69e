//! The client: a validated configuration, one connection pool and the
//! server-time offset, shared by any number of threads.

use super::classify::{classify, Answer, MAY_HAVE_RUN};
use super::clock::{local_ms, Clock, SyncGate, Turn};
use super::config::{recv_window, timeout_ms, Config, Invalid};
use super::log::{LogEvent, LogHook, LogKind, Logger};
use super::outcome::{Kind, Outcome};
use super::request::{append_cancel_query, OrderRef, CANCEL_PATH};
use super::secret::Secret;
use super::signer::Signer;
use super::transport::{Failure, Gather, Http, Method};
use serde_json::Value;
use std::time::{Duration, Instant};

const TIME_PATH: &str = "/api/v3/time";
/// "Timestamp for this request ... outside of the recvWindow": not executed.
const CODE_TIMESTAMP: i64 = -1021;
/// How far past the call's deadline the pool's own timeout may reach.
const DEADLINE_SLACK: Duration = Duration::from_millis(1);
/// Pause before resending a request that never left, times the attempt number.
const NOT_SENT_BACKOFF: Duration = Duration::from_millis(20);

/// Overrides for one call; `None` keeps the client's setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    pub recv_window_ms: Option<i64>,
    pub total_timeout: Option<Duration>,
}

impl CallOptions {
    pub fn set_recv_window(&mut self, ms: i64) -> Result<(), Invalid> {
        self.recv_window_ms = Some(recv_window(ms)?);
        Ok(())
    }

    pub fn set_total_timeout(&mut self, ms: i64) -> Result<(), Invalid> {
        self.total_timeout = Some(Duration::from_millis(timeout_ms("timeout", ms)?));
        Ok(())
    }
}

/// A request built and signed but not sent (dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub method: &'static str,
    pub url: String,
    /// The API key with all but its first and last 4 characters masked.
    pub api_key_masked: String,
}

impl Presigned {
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "method": self.method,
            "url": self.url,
            "headers": { "X-MBX-APIKEY": self.api_key_masked },
        })
        .to_string()
    }
}

#[derive(Debug)]
pub struct Client {
    http: Http,
    cancel_url: String,
    time_url: String,
    api_key: Secret,
    signer: Signer,
    recv_window_ms: Option<i64>,
    total_timeout: Duration,
    max_retries: u32,
    clock_sync: bool,
    clock: Clock,
    sync_gate: SyncGate,
    logger: Option<LogHook>,
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
        let signer = cfg.signer.clone().ok_or("no secret key, private key or signer set")?;
        Ok(Client {
            http: Http::new(cfg),
            cancel_url: format!("{}{CANCEL_PATH}", cfg.base_url),
            time_url: format!("{}{TIME_PATH}", cfg.base_url),
            api_key,
            signer,
            recv_window_ms: cfg.recv_window_ms,
            total_timeout: Duration::from_millis(cfg.total_timeout_ms),
            max_retries: cfg.max_retries,
            clock_sync: cfg.clock_sync,
            clock: Clock::default(),
            sync_gate: SyncGate::default(),
            logger: cfg.logger.clone(),
        })
    }

    /// Cancels one algo order with the client's settings.
    pub fn cancel(&self, algo_id: i64) -> Outcome {
        self.cancel_with(OrderRef::AlgoId(algo_id), &CallOptions::default())
    }

    /// Cancels one algo order within the total timeout. Resends only what
    /// provably did not execute: a request that never left (up to
    /// `max_retries` more times) and, once, a -1021 after a clock resync,
    /// when what is left of the time is no less than that attempt took.
    /// Every attempt is signed afresh, with the clock read again.
    pub fn cancel_with(&self, order: OrderRef<'_>, opts: &CallOptions) -> Outcome {
        if let Err(why) = order.validate() {
            return Outcome::without_answer(Kind::InvalidArgument, format!("{why}; nothing was sent"));
        }
        let total = opts.total_timeout.unwrap_or(self.total_timeout);
        let deadline = Instant::now() + total;
        // Later requests of a call share its deadline; the first one, when
        // nothing preceded it and no override applies, uses the pool's own.
        let mut shares_deadline = opts.total_timeout.is_some();
        if self.clock_sync && self.clock.wants_sync() {
            // On failure the cancel goes ahead on the local clock, so the
            // sync waits for its answer half the time at most: the cancel
            // matters more. Its connection, which the cancel reuses, may
            // take longer to set up.
            let _ = self.sync_clock(deadline, true, Some(total / 2));
            shares_deadline = true;
        }
        let mut resynced = false;
        let mut attempt = 1;
        loop {
            let (mut out, sent) = self.send_cancel(order, opts, attempt, deadline, shares_deadline);
            let Some(sent) = sent else {
                out.attempts = attempt - 1;
                if attempt > 1 {
                    let made = attempt - 1;
                    let plural = if made == 1 { "" } else { "s" };
                    out.message.push_str(&format!(" [after {made} attempt{plural}; none was executed]"));
                }
                return out;
            };
            out.attempts = attempt;
            let retry = match out.kind {
                Kind::Transport => attempt <= self.max_retries,
                Kind::Rejected if out.exchange_code == CODE_TIMESTAMP && self.clock_sync && !resynced => {
                    resynced = true;
                    let round_trip = sent.elapsed();
                    // A resend unlikely to be answered in time would turn a
                    // certain "not executed" into an unknown outcome.
                    let resync = self.sync_clock(deadline, false, None);
                    let in_time = deadline.saturating_duration_since(Instant::now()) >= round_trip;
                    match &resync {
                        Err(failed) => out.message.push_str(&format!(" [not resent: {}]", failed.message)),
                        Ok(_) if !in_time => {
                            out.message.push_str(" [not resent after the clock resync: less time is left than it took]")
                        }
                        Ok(_) => {}
                    }
                    resync.is_ok() && in_time
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
            self.log(|hook| hook(&event(LogKind::Retry, order, attempt + 1, Some(&out), Duration::ZERO)));
            std::thread::sleep(pause);
            attempt += 1;
            shares_deadline = true;
        }
    }

    /// The exact request `cancel_with` would send now, signed, not sent. Uses
    /// the clock offset as it stands (no sync).
    pub fn presign(&self, order: OrderRef<'_>, opts: &CallOptions) -> Result<Presigned, Box<Outcome>> {
        order.validate().map_err(|why| Box::new(Outcome::without_answer(Kind::InvalidArgument, why)))?;
        let url = self.signed_url(order, opts)?;
        let key = self.api_key.expose();
        let api_key_masked = match key.len() {
            n if n >= 16 => format!("{}****{}", &key[..4], &key[n - 4..]),
            _ => "****".to_owned(),
        };
        Ok(Presigned { method: "DELETE", url, api_key_masked })
    }

    /// Measures the server-time offset now (GET /api/v3/time).
    pub fn sync_now(&self) -> Outcome {
        let deadline = Instant::now() + self.total_timeout;
        match self.sync_clock(deadline, false, None) {
            Ok(offset) => {
                let mut out = Outcome::without_answer(Kind::Ok, format!("clock synced: server - local = {offset} ms"));
                out.http_status = 200;
                out.attempts = 1;
                out
            }
            Err(out) => *out,
        }
    }

    /// Opens up to `connections` kept-alive connections (TLS handshakes
    /// included) ahead of time, with that many concurrent unsigned
    /// `GET /api/v3/time`, so that the next cancels cost no handshake; when
    /// clock sync is on, it also syncs the clock.
    pub fn warm(&self, connections: u32) -> Outcome {
        let started = Instant::now();
        let deadline = started + self.total_timeout;
        let samples: Vec<_> = if connections <= 1 {
            vec![self.read_server_time(deadline, None, None)]
        } else {
            // Each holds its connection until all have one: none is reused.
            let gather = Gather::new(connections as usize, deadline);
            std::thread::scope(|s| {
                let gather = &gather;
                let probes: Vec<_> = (0..connections)
                    .map(|_| s.spawn(move || self.read_server_time(deadline, Some(gather), None)))
                    .collect();
                probes.into_iter().map(|p| p.join().unwrap_or_else(|_| Err(Box::new(internal())))).collect()
            })
        };
        let ok = samples.iter().filter(|s| s.is_ok()).count();
        if ok == 0 {
            let mut out = samples.into_iter().find_map(Result::err).map_or_else(internal, |out| *out);
            out.message = format!("warmed 0 of {connections} connections: GET {TIME_PATH}: {}", out.message);
            return out;
        }
        // A partial warm reports its first failure, a refusal or rate limit included.
        let failed = samples.iter().find_map(|s| s.as_ref().err());
        let mut message = format!("warmed {ok} of {connections} connections");
        if self.clock_sync {
            // A held probe's round trip includes its wait for the others, so
            // with several the offset is measured by a request of its own.
            let synced = match samples.as_slice() {
                [Ok(sample)] => {
                    let offset = self.clock.record(sample.server_ms, sample.sent_ms, sample.received_ms);
                    self.log_sync(&Ok(offset), started.elapsed());
                    Ok(offset)
                }
                _ => self.sync_clock(deadline, false, None),
            };
            match synced {
                Ok(offset) => message.push_str(&format!("; clock synced: server - local = {offset} ms")),
                Err(out) => message.push_str(&format!("; {}", out.message)),
            }
        }
        if let Some(failure) = failed {
            message.push_str(&format!("; the others failed: GET {TIME_PATH}: {}", failure.message));
        }
        let mut out = Outcome::without_answer(failed.map_or(Kind::Ok, |f| f.kind), message);
        out.http_status = failed.map_or(200, |f| f.http_status);
        out.attempts = connections;
        out
    }

    /// Server time minus local time, once measured.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        self.clock.offset_ms()
    }

    fn signed_url(&self, order: OrderRef<'_>, opts: &CallOptions) -> Result<String, Box<Outcome>> {
        let window = opts.recv_window_ms.or(self.recv_window_ms);
        let mut url = String::with_capacity(self.cancel_url.len() + 256);
        url.push_str(&self.cancel_url);
        url.push('?');
        append_cancel_query(&mut url, order, window, self.clock.now_ms(), &self.signer).map_err(|why| {
            Box::new(Outcome::without_answer(Kind::SignerFailed, format!("signer failed: {why}; nothing was sent")))
        })?;
        Ok(url)
    }

    /// One attempt, and when it was sent: None when it was not made, as when
    /// the signer fails or the time runs out first (after a sync, a
    /// back-off, or a slow signer or logging hook, which run the caller's
    /// code).
    fn send_cancel(
        &self,
        order: OrderRef<'_>,
        opts: &CallOptions,
        attempt: u32,
        deadline: Instant,
        shares_deadline: bool,
    ) -> (Outcome, Option<Instant>) {
        let ran_out = || {
            let why = "request not sent: the total timeout ran out before it \
                       (clock sync, back-off, signer or logging hook); safe to retry";
            (Outcome::without_answer(Kind::Transport, why), None)
        };
        if shares_deadline && Instant::now() >= deadline {
            return ran_out();
        }
        let url = match self.signed_url(order, opts) {
            Ok(url) => url,
            Err(out) => return (*out, None),
        };
        self.log(|hook| hook(&event(LogKind::Request, order, attempt, None, Duration::ZERO)));
        let started = Instant::now();
        let left = deadline.saturating_duration_since(started);
        // The pool's own total timeout, counted from now, is the cheaper one
        // (no per-request config): used while what ran before sending took
        // under a millisecond, the resolution of every timeout here.
        let budget = (shares_deadline || self.total_timeout.saturating_sub(left) >= DEADLINE_SLACK).then_some(left);
        let (out, sent) = if left.is_zero() {
            ran_out()
        } else {
            let reply = self.http.send(Method::Delete, url, Some(self.api_key.expose()), budget, None, None);
            let out = match reply {
                Ok((answer, held)) => {
                    let out = classify(answer, Some(order));
                    if out.stray {
                        // Its connection is closed (dropped), and the others too.
                        self.http.retire_connections();
                    } else {
                        held.release();
                    }
                    out
                }
                Err(Failure::NotSent(cause)) => {
                    Outcome::without_answer(Kind::Transport, format!("request not sent ({cause}); safe to retry"))
                }
                Err(Failure::MaybeSent(cause)) => Outcome::without_answer(
                    Kind::UnknownOutcome,
                    format!("no complete answer ({cause}); {MAY_HAVE_RUN}"),
                ),
            };
            (out, Some(started))
        };
        self.log(|hook| hook(&event(LogKind::Answer, order, attempt, Some(&out), started.elapsed())));
        (out, sent)
    }

    /// Calls the logging hook; the event is built only when one is set.
    fn log(&self, emit: impl FnOnce(&Logger)) {
        if let Some(LogHook(logger)) = &self.logger {
            emit(logger.as_ref());
        }
    }

    /// GET /api/v3/time and record the offset, unless another thread's sync
    /// finishes meanwhile (its result is taken) or, with `only_if_needed`,
    /// the offset is known by now. With `patience`, the wait for another
    /// thread's sync or for the answer is that long at most.
    fn sync_clock(
        &self,
        deadline: Instant,
        only_if_needed: bool,
        patience: Option<Duration>,
    ) -> Result<i64, Box<Outcome>> {
        let wait_until = patience.map_or(deadline, |patience| deadline.min(Instant::now() + patience));
        let turn = match self.sync_gate.enter(wait_until) {
            Turn::Mine(turn) => turn,
            Turn::Shared(result) => return result,
            Turn::TimedOut => {
                return Err(Box::new(Outcome::without_answer(
                    Kind::Transport,
                    "clock sync: request not sent (the total timeout ran out while another thread synced)",
                )))
            }
        };
        if let Some(offset) = self.clock.offset_ms().filter(|_| only_if_needed) {
            turn.finish(Ok(offset));
            return Ok(offset);
        }
        let started = Instant::now();
        let result = match self.read_server_time(deadline, None, patience) {
            Ok(sample) => Ok(self.clock.record(sample.server_ms, sample.sent_ms, sample.received_ms)),
            Err(mut out) => {
                self.clock.record_failure();
                out.message.insert_str(0, "clock sync: ");
                Err(out)
            }
        };
        let elapsed = started.elapsed();
        turn.finish(result.clone());
        // Outside the lock: the hook may call into this client.
        self.log_sync(&result, elapsed);
        result
    }

    fn log_sync(&self, result: &Result<i64, Box<Outcome>>, elapsed: Duration) {
        self.log(|hook| {
            let message = match result {
                Ok(offset) => format!("clock synced: server - local = {offset} ms"),
                Err(out) => out.message.clone(),
            };
            hook(&LogEvent {
                kind: LogKind::ClockSync,
                algo_id: 0,
                attempt: 1,
                http_status: result.as_ref().map_or_else(|o| o.http_status, |_| 200),
                outcome: Some(result.as_ref().map_or_else(|o| o.kind, |_| Kind::Ok)),
                elapsed,
                message: &message,
            })
        });
    }

    /// `answer_within`: how long to wait for the answer once the request is sent.
    fn read_server_time(
        &self,
        deadline: Instant,
        gather: Option<&Gather>,
        answer_within: Option<Duration>,
    ) -> Result<TimeSample, Box<Outcome>> {
        let budget = deadline.saturating_duration_since(Instant::now());
        let sent_ms = local_ms();
        let (answer, held) = self
            .http
            .send(Method::Get, self.time_url.clone(), None, Some(budget), answer_within, gather)
            .map_err(sync_failure)?;
        let received_ms = local_ms();
        // Anything but a server time may be another request's answer (a 4XX
        // of another order's, say): the connection is not reused.
        match server_time(answer) {
            Ok(server_ms) => {
                held.release();
                Ok(TimeSample { server_ms, sent_ms, received_ms })
            }
            Err(out) => {
                self.http.discard(held);
                Err(out)
            }
        }
    }
}

/// One reading of the server's clock, between two local readings.
struct TimeSample {
    server_ms: i64,
    sent_ms: i64,
    received_ms: i64,
}

fn internal() -> Outcome {
    Outcome::without_answer(Kind::Internal, "internal error: a warm-up thread panicked")
}

/// An event about one cancel request; `out` is None before it is sent.
fn event<'a>(
    kind: LogKind,
    order: OrderRef<'_>,
    attempt: u32,
    out: Option<&'a Outcome>,
    elapsed: Duration,
) -> LogEvent<'a> {
    LogEvent {
        kind,
        algo_id: order.algo_id(),
        attempt,
        http_status: out.map_or(0, |o| o.http_status),
        outcome: out.map(|o| o.kind),
        elapsed,
        message: out.map_or("DELETE /sapi/v1/algo/futures/order", |o| &o.message),
    }
}

fn sync_failure(failure: Failure) -> Box<Outcome> {
    Box::new(match failure {
        Failure::NotSent(cause) => Outcome::without_answer(Kind::Transport, format!("request not sent ({cause})")),
        Failure::MaybeSent(cause) => {
            Outcome::without_answer(Kind::UnknownOutcome, format!("no complete answer ({cause})"))
        }
    })
}

/// The earliest believable server time (2017-07-14): 0, a negative value or
/// seconds instead of milliseconds would get every signed request -1021.
const EARLIEST_SERVER_MS: i64 = 1_500_000_000_000;

/// `{"serverTime":<ms>}`; anything else is a failed sync, classified like
/// any answer (4XX rejected, 429/418 rate limited, the rest unknown).
fn server_time(answer: Answer) -> Result<i64, Box<Outcome>> {
    let parsed = answer.body.as_ref().ok().and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let server_ms = parsed.as_ref().and_then(|j| j.get("serverTime")).and_then(Value::as_i64);
    let why = match server_ms {
        Some(ms) if answer.status == 200 && ms >= EARLIEST_SERVER_MS => return Ok(ms),
        Some(ms) if answer.status == 200 => format!("an implausible serverTime {ms}"),
        _ => "no serverTime".to_owned(),
    };
    let mut out = classify(answer, None);
    if out.kind == Kind::Ok {
        out.kind = Kind::UnknownOutcome;
    }
    out.message = format!("HTTP {} with {why}", out.http_status);
    Err(Box::new(out))
}
