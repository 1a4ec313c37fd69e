//! The client: a validated configuration plus one connection pool, shared by
//! any number of threads.

use super::classify::classify;
use super::config::{Config, Invalid};
use super::outcome::{Kind, Outcome};
use super::request::{cancel_query, CANCEL_PATH};
use super::secret::Secret;
use super::transport::{Failure, Http};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct Client {
    http: Http,
    cancel_url: String,
    api_key: Secret,
    secret_key: Secret,
    recv_window_ms: Option<i64>,
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
            cancel_url: format!("{}{}", cfg.base_url, CANCEL_PATH),
            api_key,
            secret_key,
            recv_window_ms: cfg.recv_window_ms,
        })
    }

    /// Cancels one algo order. Sends at most one request; never retries.
    pub fn cancel(&self, algo_id: i64) -> Outcome {
        if algo_id <= 0 {
            return Outcome::without_answer(
                Kind::InvalidArgument,
                format!("algo_id must be positive, got {algo_id}; nothing was sent"),
            );
        }
        let query = cancel_query(algo_id, self.recv_window_ms, now_ms(), self.secret_key.expose().as_bytes());
        match self.http.delete(&format!("{}?{query}", self.cancel_url), self.api_key.expose()) {
            Ok(answer) => classify(answer),
            Err(Failure::NotSent(m)) => Outcome::without_answer(Kind::Transport, m),
            Err(Failure::MaybeSent(m)) => Outcome::without_answer(Kind::UnknownOutcome, m),
        }
    }
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
