//! Fault injection: the ways the exchange, a proxy in front of it or the
//! network misbehave, so clients can be tested against each.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::http::{Delivery, Headers, Reply, Response};

/// A misbehaviour applied to every verified cancel of one algo id.
///
/// Faults that damage the delivery of the real answer (`Slow`, `Close`,
/// `Truncated`, `ShortBody`) let the cancel run first: the order is gone but
/// the client never saw a clean answer. The others answer in the exchange's
/// place and leave the order open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After` and Binance's -1003 body. Spec `429[:S]`, default 30 s.
    RateLimited { retry_after_s: u64 },
    /// 418 (IP banned) with `Retry-After`. Spec `418[:S]`, default 120 s.
    Banned { retry_after_s: u64 },
    /// 500 with the -1001 body. Spec `500`.
    ServerError,
    /// 503 with the -1007 body (execution status unknown). Spec `503`.
    BackendTimeout,
    /// 502 with an HTML page, as a proxy sends. Spec `502html`.
    BadGatewayHtml,
    /// 404 with an HTML page. Spec `404html`.
    NotFoundHtml,
    /// The normal answer after a delay. Spec `slow:MS`.
    Slow { delay_ms: u64 },
    /// Close the connection without answering. Spec `close`.
    Close,
    /// 200 with an HTML page. Spec `html200`.
    Html200,
    /// 200, correct Content-Length, half the body, close. Spec `truncated`.
    Truncated,
    /// Content-Length longer than the body sent, close. Spec `short`.
    ShortBody,
    /// 200 with a 10 MiB JSON body. Spec `huge`.
    Huge,
    /// The normal answer, then stray bytes on the kept-alive connection.
    /// Spec `stray`.
    Stray,
}

/// Size of the `Huge` body.
pub const HUGE_BODY_LEN: usize = 10 * 1024 * 1024;

const RATE_LIMITED: &str = r#"{"code":-1003,"msg":"Too much request weight used; current limit is 12000 request weight per 1 MINUTE. Please use the websocket for live updates to avoid polling the API."}"#;
const SERVER_ERROR: &str =
    r#"{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}"#;
const BACKEND_TIMEOUT: &str = r#"{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}"#;
const MAINTENANCE_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Binance</title></head><body><h1>System maintenance</h1><p>Please try again later.</p></body></html>\n";

impl Fault {
    /// The reply for a verified cancel. `json` are the headers of a JSON
    /// answer; `execute` performs the real cancel and returns its answer.
    pub(crate) fn reply(self, mut json: Headers, server_ms: i64, execute: impl FnOnce(Headers) -> Response) -> Reply {
        match self {
            Fault::RateLimited { retry_after_s } => {
                json.push(("Retry-After", retry_after_s.to_string()));
                Reply::full(Response::new(429, json, RATE_LIMITED))
            }
            Fault::Banned { retry_after_s } => {
                json.push(("Retry-After", retry_after_s.to_string()));
                let ban_ms = i64::try_from(retry_after_s.saturating_mul(1000)).unwrap_or(i64::MAX);
                let until = server_ms.saturating_add(ban_ms);
                let body = format!(
                    r#"{{"code":-1003,"msg":"Way too much request weight used; IP banned until {until}. Please use the websocket for live updates to avoid bans."}}"#
                );
                Reply::full(Response::new(418, json, body))
            }
            Fault::ServerError => Reply::full(Response::new(500, json, SERVER_ERROR)),
            Fault::BackendTimeout => Reply::full(Response::new(503, json, BACKEND_TIMEOUT)),
            Fault::BadGatewayHtml => Reply::full(Response::html_error(502)),
            Fault::NotFoundHtml => Reply::full(Response::html_error(404)),
            Fault::Html200 => Reply::full(Response::html(200, MAINTENANCE_PAGE)),
            Fault::Huge => Reply::full(Response::new(200, json, huge_body())),
            Fault::Slow { delay_ms } => Reply { delay: Duration::from_millis(delay_ms), ..Reply::full(execute(json)) },
            Fault::Close => Reply::new(execute(json), Delivery::Hangup),
            Fault::Truncated => Reply::new(execute(json), Delivery::Truncated),
            Fault::ShortBody => Reply::new(execute(json), Delivery::ShortBody),
            Fault::Stray => Reply::new(execute(json), Delivery::Stray),
        }
    }
}

/// `{"pad":"xxx…"}`, exactly `HUGE_BODY_LEN` bytes: valid JSON, so only a
/// size cap protects a client.
fn huge_body() -> Vec<u8> {
    let mut body = Vec::with_capacity(HUGE_BODY_LEN);
    body.extend_from_slice(br#"{"pad":""#);
    body.resize(HUGE_BODY_LEN - 2, b'x');
    body.extend_from_slice(br#""}"#);
    body
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let (kind, arg) = match spec.split_once(':') {
            Some((kind, arg)) => (kind, Some(arg)),
            None => (spec, None),
        };
        let number = |default: Option<u64>| match arg {
            Some(a) => a.parse::<u64>().map_err(|_| format!("bad number in fault {spec:?}")),
            None => default.ok_or_else(|| format!("fault {spec:?} needs a number, e.g. {kind}:500")),
        };
        let fault = match kind {
            "429" => Fault::RateLimited { retry_after_s: number(Some(30))? },
            "418" => Fault::Banned { retry_after_s: number(Some(120))? },
            "slow" => Fault::Slow { delay_ms: number(None)? },
            _ if arg.is_some() => return Err(format!("fault {kind:?} takes no argument")),
            "500" => Fault::ServerError,
            "503" => Fault::BackendTimeout,
            "502html" => Fault::BadGatewayHtml,
            "404html" => Fault::NotFoundHtml,
            "close" => Fault::Close,
            "html200" => Fault::Html200,
            "truncated" => Fault::Truncated,
            "short" => Fault::ShortBody,
            "huge" => Fault::Huge,
            "stray" => Fault::Stray,
            _ => return Err(format!("unknown fault {spec:?}")),
        };
        Ok(fault)
    }
}

/// The spec `FromStr` reads back.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::RateLimited { retry_after_s } => write!(f, "429:{retry_after_s}"),
            Fault::Banned { retry_after_s } => write!(f, "418:{retry_after_s}"),
            Fault::ServerError => f.write_str("500"),
            Fault::BackendTimeout => f.write_str("503"),
            Fault::BadGatewayHtml => f.write_str("502html"),
            Fault::NotFoundHtml => f.write_str("404html"),
            Fault::Slow { delay_ms } => write!(f, "slow:{delay_ms}"),
            Fault::Close => f.write_str("close"),
            Fault::Html200 => f.write_str("html200"),
            Fault::Truncated => f.write_str("truncated"),
            Fault::ShortBody => f.write_str("short"),
            Fault::Huge => f.write_str("huge"),
            Fault::Stray => f.write_str("stray"),
        }
    }
}
