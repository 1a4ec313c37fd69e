//! The Binance side: API-key and parameter checks, time and signature
//! verification, the set of open algo orders (by algo id or client id), and
//! the JSON answers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::fault::Fault;
use super::http::{Headers, Reply, Request, Response};
use super::keys::Verifier;
use super::SimConfig;
use crate::engine::clock::local_ms;
use crate::engine::secret::Secret;
use crate::engine::sign::ct_eq;

pub(crate) const CANCEL_PATH: &str = "/sapi/v1/algo/futures/order";
pub(crate) const JSON: &str = "application/json;charset=UTF-8";
const KNOWN_PARAMS: [&[u8]; 5] = [b"algoId", b"clientAlgoId", b"recvWindow", b"timestamp", b"signature"];
const DEFAULT_RECV_WINDOW: i64 = 5000;
const MAX_RECV_WINDOW: i64 = 60_000;
/// Client ids get algo ids from here on, in order, so that a success body
/// still names an algo id and faults can be set for them.
const FIRST_CLIENT_ALGO_ID: i64 = 8_000_000_000;
const UNKNOWN_ID: &str = "Invalid algo id or it has been completed.";

pub(crate) struct Exchange {
    api_key: Secret,
    verifier: Verifier,
    clock_offset_ms: AtomicI64,
    book: Mutex<Book>,
}

struct Book {
    open: HashSet<i64>,
    /// Every client id ever opened, with its algo id (kept after the cancel,
    /// so a repeat gets -20124 like an algo id).
    client_ids: HashMap<String, i64>,
    faults: HashMap<i64, Fault>,
    ip_weight: Window,
    uid_weight: Window,
}

/// A rejection: Binance error code and message, always sent with 400.
type Rejection = (i32, String);

/// The order a cancel names.
enum Target {
    AlgoId(i64),
    /// Percent-decoded.
    ClientAlgoId(String),
}

impl Exchange {
    /// Fails only on an unusable public key.
    pub fn new(cfg: &SimConfig) -> io::Result<Self> {
        let mut book = Book {
            open: cfg.open_ids.iter().copied().collect(),
            client_ids: HashMap::new(),
            faults: cfg.faults.iter().copied().collect(),
            ip_weight: Window::default(),
            uid_weight: Window::default(),
        };
        for id in &cfg.open_client_ids {
            book.open_client_id(id);
        }
        Ok(Exchange {
            api_key: Secret::new(&cfg.api_key),
            verifier: Verifier::new(&cfg.secret_key, cfg.public_key_pem.as_deref())?,
            clock_offset_ms: AtomicI64::new(cfg.clock_offset_ms),
            book: Mutex::new(book),
        })
    }

    /// A panic elsewhere must not take the whole simulator down with it.
    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn server_ms(&self) -> i64 {
        local_ms().saturating_add(self.clock_offset_ms.load(Relaxed))
    }

    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.clock_offset_ms.store(offset_ms, Relaxed);
    }

    pub fn is_open(&self, algo_id: i64) -> bool {
        self.book().open.contains(&algo_id)
    }

    pub fn add_open_id(&self, algo_id: i64) {
        self.book().open.insert(algo_id);
    }

    pub fn add_open_client_id(&self, client_id: &str) -> i64 {
        self.book().open_client_id(client_id)
    }

    pub fn is_client_id_open(&self, client_id: &str) -> bool {
        let book = self.book();
        book.client_ids.get(client_id).is_some_and(|id| book.open.contains(id))
    }

    pub fn open_count(&self) -> usize {
        self.book().open.len()
    }

    pub fn set_fault(&self, algo_id: i64, fault: Option<Fault>) {
        let mut book = self.book();
        match fault {
            Some(f) => book.faults.insert(algo_id, f),
            None => book.faults.remove(&algo_id),
        };
    }

    /// Counts one request to a SAPI path; returns the IP weight used this minute.
    pub fn hit_ip_weight(&self) -> usize {
        self.book().ip_weight.hit(Instant::now())
    }

    /// `DELETE /sapi/v1/algo/futures/order`.
    pub fn cancel(&self, req: &Request) -> Reply {
        let mut headers: Headers =
            vec![("Content-Type", JSON.to_owned()), ("X-SAPI-USED-IP-WEIGHT-1M", self.hit_ip_weight().to_string())];
        let key = req.header("X-MBX-APIKEY").unwrap_or_default();
        if key.is_empty() {
            return Reply::full(error(401, headers, -2014, "API-key format invalid."));
        }
        if !ct_eq(key.as_bytes(), self.api_key.expose().as_bytes()) {
            let msg = "Invalid API-key, IP, or permissions for action.";
            return Reply::full(error(401, headers, -2015, msg));
        }
        let uid_weight = self.book().uid_weight.hit(Instant::now());
        headers.push(("X-SAPI-USED-UID-WEIGHT-1M", uid_weight.to_string()));

        let algo_id = match self.verify(req) {
            Ok(Target::AlgoId(id)) => id,
            Ok(Target::ClientAlgoId(client_id)) => match self.book().client_ids.get(&client_id) {
                Some(&id) => id,
                None => return Reply::full(error(400, headers, -20124, UNKNOWN_ID)),
            },
            Err((code, msg)) => return Reply::full(error(400, headers, code, &msg)),
        };
        let execute = |headers| {
            if self.book().open.remove(&algo_id) {
                let body = format!(r#"{{"algoId":{algo_id},"success":true,"code":0,"msg":"OK"}}"#);
                Response::new(200, headers, body)
            } else {
                error(400, headers, -20124, UNKNOWN_ID)
            }
        };
        let fault = self.book().faults.get(&algo_id).copied();
        match fault {
            Some(f) => f.reply(headers, self.server_ms(), execute),
            None => Reply::full(execute(headers)),
        }
    }

    /// Steps 2–6 of the cancel: parameters, time, signature. Returns the order named.
    fn verify(&self, req: &Request) -> Result<Target, Rejection> {
        let query = req.query().as_bytes();
        // totalParams: the query string followed directly by the body.
        let total = [query, &req.body].concat();
        let params = split_params(&total, query.len());

        for (i, p) in params.iter().enumerate() {
            if params[..i].iter().any(|q| q.name == p.name) {
                return Err((-1101, "Duplicate values for a parameter detected.".into()));
            }
        }
        let read = params.iter().filter(|p| KNOWN_PARAMS.contains(&p.name)).count();
        if read < params.len() {
            let sent = params.len();
            let msg = format!("Not all sent parameters were read; read '{read}' parameter(s) but was sent '{sent}'.");
            return Err((-1104, msg));
        }

        let find = |name: &str| params.iter().find(|p| p.name == name.as_bytes());
        let long = |name| find(name).and_then(|p| parse_long(p.value));
        let timestamp = long("timestamp").ok_or_else(|| missing("timestamp"))?;
        let signature = find("signature").filter(|p| !p.value.is_empty()).ok_or_else(|| missing("signature"))?;
        let target = match (find("algoId"), find("clientAlgoId")) {
            (Some(_), Some(_)) => return Err((-1102, "Only one of 'algoId' and 'clientAlgoId' may be sent.".into())),
            (_, Some(p)) => Target::ClientAlgoId(
                form_decode(p.value)
                    .and_then(|v| String::from_utf8(v).ok())
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| missing("clientAlgoId"))?,
            ),
            _ => Target::AlgoId(long("algoId").filter(|&id| id > 0).ok_or_else(|| missing("algoId"))?),
        };
        let recv_window = match find("recvWindow").map(|p| parse_long(p.value)) {
            None => DEFAULT_RECV_WINDOW,
            Some(Some(w)) if w > MAX_RECV_WINDOW => return Err((-1131, "recvWindow must be less than 60000".into())),
            Some(Some(w)) if w > 0 => w,
            Some(_) => return Err(missing("recvWindow")),
        };

        let server = self.server_ms();
        if timestamp >= server.saturating_add(1000) {
            let msg = "Timestamp for this request was 1000ms ahead of the server's time.";
            return Err((-1021, msg.into()));
        }
        if server.saturating_sub(timestamp) > recv_window {
            let msg = "Timestamp for this request is outside of the recvWindow.";
            return Err((-1021, msg.into()));
        }

        let bad_signature = || (-1022, "Signature for this request is not valid.".to_owned());
        let last = params.last().is_some_and(|p| p.name == b"signature");
        if !last || signature.end != total.len() {
            return Err(bad_signature());
        }
        // Signed: all bytes before the signature, less the '&' joining it to
        // the pair before it in the same part (query or body).
        let part_start = if signature.start >= query.len() { query.len() } else { 0 };
        let signed = &total[..signature.start - usize::from(signature.start > part_start)];
        if !self.verifier.verify(signed, signature.value) {
            return Err(bad_signature());
        }
        Ok(target)
    }
}

impl Book {
    /// Opens `client_id`, first giving it the next free client algo id;
    /// returns its algo id.
    fn open_client_id(&mut self, client_id: &str) -> i64 {
        let next = FIRST_CLIENT_ALGO_ID.saturating_add(self.client_ids.len() as i64);
        let id = *self.client_ids.entry(client_id.to_owned()).or_insert(next);
        self.open.insert(id);
        id
    }
}

/// ` algoId=ID` or ` clientAlgoId=ID` for the log, if the query names a
/// valid one. A client id is decoded, with control characters escaped so
/// it cannot forge log lines.
pub(crate) fn target_for_log(req: &Request) -> Option<String> {
    let query = req.query().as_bytes();
    let params = split_params(query, query.len());
    let find = |name: &[u8]| params.iter().find(|p| p.name == name);
    match (find(b"algoId"), find(b"clientAlgoId")) {
        (Some(p), None) => parse_long(p.value).map(|id| format!(" algoId={id}")),
        (None, Some(p)) => {
            let id = String::from_utf8(form_decode(p.value)?).ok()?;
            Some(format!(" clientAlgoId={}", id.escape_debug()))
        }
        _ => None,
    }
}

fn error(status: u16, headers: Headers, code: i32, msg: &str) -> Response {
    Response::new(status, headers, format!(r#"{{"code":{code},"msg":"{msg}"}}"#))
}

fn missing(name: &str) -> Rejection {
    let msg = format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed.");
    (-1102, msg)
}

/// One `name=value` pair of totalParams, raw as sent; `start..end` is where
/// it sits in totalParams.
struct Param<'a> {
    name: &'a [u8],
    value: &'a [u8],
    start: usize,
    end: usize,
}

/// Splits totalParams into pairs. The query (`..body_start`) and the body
/// are split separately: nothing joins them.
fn split_params(total: &[u8], body_start: usize) -> Vec<Param<'_>> {
    let mut params = Vec::new();
    for (mut pos, part) in [(0, &total[..body_start]), (body_start, &total[body_start..])] {
        for piece in part.split(|&b| b == b'&') {
            if !piece.is_empty() {
                let (name, value) = match piece.iter().position(|&b| b == b'=') {
                    Some(i) => (&piece[..i], &piece[i + 1..]),
                    None => (piece, &piece[piece.len()..]),
                };
                params.push(Param { name, value, start: pos, end: pos + piece.len() });
            }
            pos += piece.len() + 1;
        }
    }
    params
}

/// A LONG parameter: decimal digits only (after percent-decoding), fitting
/// in i64. Never goes through a float, so ids above 2^53 stay exact.
fn parse_long(raw: &[u8]) -> Option<i64> {
    let digits = form_decode(raw)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// A value of application/x-www-form-urlencoded parameters, as servlet
/// containers decode query strings: `%XX` escapes, and `+` is a space. So a
/// base64 signature sent with a raw `+` (binance-api.md: send `%2B`) fails.
pub(crate) fn form_decode(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'+' {
            out.push(b' ');
            rest = tail;
        } else if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            out.push(b);
            rest = tail;
        }
    }
    Some(out)
}

/// Requests seen in the last 60 s, in one-second buckets (at most 60 kept).
/// Sliding rather than Binance's calendar minute, so a count never drops
/// back to 1 between two requests of a test.
struct Window {
    origin: Instant,
    buckets: VecDeque<(u64, usize)>,
}

impl Default for Window {
    fn default() -> Self {
        Window { origin: Instant::now(), buckets: VecDeque::new() }
    }
}

impl Window {
    fn hit(&mut self, now: Instant) -> usize {
        let second = now.saturating_duration_since(self.origin).as_secs();
        while self.buckets.front().is_some_and(|&(s, _)| s + 60 <= second) {
            self.buckets.pop_front();
        }
        match self.buckets.back_mut() {
            Some((s, n)) if *s == second => *n += 1,
            _ => self.buckets.push_back((second, 1)),
        }
        self.buckets.iter().map(|&(_, n)| n).sum()
    }
}
