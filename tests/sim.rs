//! The simulator on the wire: hand-written HTTP over `TcpStream`, so these
//! tests check the bytes a client sees, independent of any HTTP client.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use binance_algo::engine::sign::hmac_sha256_hex;
use binance_algo::sim::{Fault, Sim, SimConfig, HUGE_BODY_LEN};
use ring::signature::{Ed25519KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};

const KEY: &str = "sim-api-key";
const SECRET: &str = "sim-secret-key";
const CANCEL: &str = "/sapi/v1/algo/futures/order";
const JSON: &str = "application/json;charset=UTF-8";
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn start(cfg: SimConfig) -> Sim {
    Sim::start(cfg).expect("simulator starts")
}

fn with_ids(ids: &[i64]) -> Sim {
    start(SimConfig { open_ids: ids.to_vec(), ..SimConfig::default() })
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// `params` with `&signature=` appended, signed with the default secret.
fn signed(params: &str) -> String {
    format!("{params}&signature={}", hmac_sha256_hex(SECRET.as_bytes(), params.as_bytes()))
}

fn cancel_query(id: i64) -> String {
    signed(&format!("algoId={id}&timestamp={}", now_ms()))
}

/// A raw DELETE to the cancel endpoint; `key: None` omits the header.
fn delete(query: &str, key: Option<&str>) -> String {
    let key = key.map_or(String::new(), |k| format!("X-MBX-APIKEY: {k}\r\n"));
    format!("DELETE {CANCEL}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n{key}\r\n")
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        let mut found = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = found.next().map(|(_, v)| v.as_str());
        assert!(found.next().is_none(), "header {name} sent twice");
        first
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    fn content_length(&self) -> usize {
        self.header("Content-Length").expect("Content-Length").parse().unwrap()
    }

    /// Status and body of a Binance JSON answer, after checking its headers.
    fn json(&self) -> (u16, &str) {
        assert_eq!(self.header("Content-Type"), Some(JSON));
        assert!(self.header("X-SAPI-USED-IP-WEIGHT-1M").is_some());
        (self.status, self.text())
    }
}

fn connect(sim: &Sim) -> TcpStream {
    connect_port(sim.port())
}

fn connect_port(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Status line and headers, up to the blank line.
fn read_head(r: &mut impl BufRead) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let line = line.trim_end_matches("\r\n");
        if line.is_empty() {
            return (status, headers);
        }
        let (n, v) = line.split_once(':').expect("header line");
        headers.push((n.to_owned(), v.trim().to_owned()));
    }
}

/// One response framed by its Content-Length (keep-alive safe).
fn read_response(r: &mut impl BufRead) -> Resp {
    let (status, headers) = read_head(r);
    let mut resp = Resp { status, headers, body: Vec::new() };
    resp.body = vec![0; resp.content_length()];
    r.read_exact(&mut resp.body).unwrap();
    resp
}

/// One request on a fresh connection.
fn call(sim: &Sim, request: &str) -> Resp {
    call_port(sim.port(), request)
}

fn call_port(port: u16, request: &str) -> Resp {
    let mut stream = connect_port(port);
    stream.write_all(request.as_bytes()).unwrap();
    read_response(&mut BufReader::new(stream))
}

/// Everything the server sends until it closes: head and body as received.
fn call_to_close(sim: &Sim, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = connect(sim);
    stream.write_all(request).unwrap();
    let mut r = BufReader::new(stream);
    let (status, headers) = read_head(&mut r);
    let mut body = Vec::new();
    r.read_to_end(&mut body).unwrap();
    (status, headers, body)
}

fn cancel(sim: &Sim, id: i64) -> Resp {
    call(sim, &delete(&cancel_query(id), Some(KEY)))
}

fn rejection(code: i32, msg: &str) -> String {
    format!(r#"{{"code":{code},"msg":"{msg}"}}"#)
}

fn missing(name: &str) -> String {
    rejection(-1102, &format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."))
}

#[test]
fn cancel_succeeds_once_then_20124() {
    let sim = with_ids(&[14511]);
    let r = cancel(&sim, 14511);
    assert_eq!(r.json(), (200, r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#));
    assert!(!sim.is_open(14511));
    let r = cancel(&sim, 14511);
    assert_eq!(r.json(), (400, rejection(-20124, "Invalid algo id or it has been completed.").as_str()));
    assert_eq!((sim.requests(), sim.cancel_requests()), (2, 2));
}

#[test]
fn ids_beyond_2_pow_53_round_trip() {
    let ids = [9_007_199_254_740_993, i64::MAX];
    let sim = with_ids(&ids);
    for id in ids {
        let r = cancel(&sim, id);
        assert_eq!(r.json(), (200, format!(r#"{{"algoId":{id},"success":true,"code":0,"msg":"OK"}}"#).as_str()));
    }
}

#[test]
fn api_key_checks() {
    let sim = with_ids(&[1]);
    let q = cancel_query(1);
    let format_invalid = rejection(-2014, "API-key format invalid.");
    assert_eq!(call(&sim, &delete(&q, None)).json(), (401, format_invalid.as_str()));
    assert_eq!(call(&sim, &delete(&q, Some(""))).json(), (401, format_invalid.as_str()));
    let invalid = rejection(-2015, "Invalid API-key, IP, or permissions for action.");
    let r = call(&sim, &delete(&q, Some("sim-api-kez")));
    assert_eq!(r.json(), (401, invalid.as_str()));
    assert_eq!(r.header("X-SAPI-USED-UID-WEIGHT-1M"), None, "no UID weight without a valid key");
    assert!(sim.is_open(1));
    // Header names are case-insensitive.
    let lower = format!("DELETE {CANCEL}?{q} HTTP/1.1\r\nx-mbx-apikey: {KEY}\r\n\r\n");
    assert_eq!(call(&sim, &lower).status, 200);
}

#[test]
fn mandatory_parameters() {
    let sim = with_ids(&[1]);
    let t = now_ms();
    let cases = [
        (signed("algoId=1"), missing("timestamp")),
        (signed("algoId=1&timestamp=12x"), missing("timestamp")),
        (format!("algoId=1&timestamp={t}"), missing("signature")),
        (format!("algoId=1&timestamp={t}&signature="), missing("signature")),
        (signed(&format!("timestamp={t}")), missing("algoId")),
        (signed(&format!("algoId=0&timestamp={t}")), missing("algoId")),
        (signed(&format!("algoId=-5&timestamp={t}")), missing("algoId")),
        (signed(&format!("algoId=1.0&timestamp={t}")), missing("algoId")),
        (signed(&format!("algoId=9223372036854775808&timestamp={t}")), missing("algoId")),
        (signed(&format!("algoId=1&recvWindow=abc&timestamp={t}")), missing("recvWindow")),
        (signed(&format!("algoId=1&recvWindow=0&timestamp={t}")), missing("recvWindow")),
        (
            signed(&format!("algoId=1&algoId=1&timestamp={t}")),
            rejection(-1101, "Duplicate values for a parameter detected."),
        ),
        (
            signed(&format!("algoId=1&symbol=x&timestamp={t}")),
            rejection(-1104, "Not all sent parameters were read; read '3' parameter(s) but was sent '4'."),
        ),
    ];
    for (query, want) in cases {
        assert_eq!(call(&sim, &delete(&query, Some(KEY))).json(), (400, want.as_str()), "{query}");
    }
    assert!(sim.is_open(1));
}

#[test]
fn recv_window_and_timestamp() {
    let sim = with_ids(&[1, 2, 3]);
    let t = now_ms();
    let too_big = rejection(-1131, "recvWindow must be less than 60000");
    let q = signed(&format!("algoId=1&recvWindow=60001&timestamp={t}"));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, too_big.as_str()));

    let ahead = rejection(-1021, "Timestamp for this request was 1000ms ahead of the server's time.");
    let q = signed(&format!("algoId=1&timestamp={}", t + 5_000));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, ahead.as_str()));

    // Default window 5000 ms: 8 s old is rejected, accepted with a larger window.
    let behind = rejection(-1021, "Timestamp for this request is outside of the recvWindow.");
    let q = signed(&format!("algoId=1&timestamp={}", t - 8_000));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, behind.as_str()));
    assert!(sim.is_open(1));
    // (Accepted cases read the clock afresh: a stall must not age them.)
    let q = signed(&format!("algoId=1&recvWindow=10000&timestamp={}", now_ms() - 8_000));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).status, 200);
    // 60000 itself is allowed.
    let q = signed(&format!("algoId=2&recvWindow=60000&timestamp={}", now_ms() - 50_000));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).status, 200);
    // Up to a second ahead is tolerated.
    let q = signed(&format!("algoId=3&timestamp={}", now_ms() + 500));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).status, 200);
}

#[test]
fn clock_offset_moves_server_time() {
    let offset = 3_600_000;
    let sim = start(SimConfig { open_ids: vec![1, 2], clock_offset_ms: offset, ..SimConfig::default() });
    let r = call(&sim, &get("/api/v3/time"));
    assert_eq!((r.status, r.header("Content-Type")), (200, Some(JSON)));
    let server: i64 =
        r.text().strip_prefix(r#"{"serverTime":"#).and_then(|s| s.strip_suffix('}')).unwrap().parse().unwrap();
    assert!((server - (now_ms() + offset)).abs() < 2_000, "serverTime {server}");
    // The local clock is an hour behind this server: rejected. Its own time works.
    let r = cancel(&sim, 1);
    assert!(r.text().contains("outside of the recvWindow"), "{}", r.text());
    let q = signed(&format!("algoId=1&timestamp={server}"));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).status, 200);

    let behind = start(SimConfig { open_ids: vec![1], clock_offset_ms: -offset, ..SimConfig::default() });
    assert!(cancel(&behind, 1).text().contains("1000ms ahead"));
}

#[test]
fn signature_checks() {
    let sim = with_ids(&[14511, 2, 3]);
    let t = now_ms();
    let bad = rejection(-1022, "Signature for this request is not valid.");
    let q = format!("algoId=14511&timestamp={t}&signature={}", "0".repeat(64));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, bad.as_str()));
    // Right signature, wrong place.
    let sig = hmac_sha256_hex(SECRET.as_bytes(), format!("algoId=14511&timestamp={t}").as_bytes());
    let q = format!("algoId=14511&signature={sig}&timestamp={t}");
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, bad.as_str()));
    // Signed with another secret.
    let q = format!(
        "algoId=14511&timestamp={t}&signature={}",
        hmac_sha256_hex(b"other", format!("algoId=14511&timestamp={t}").as_bytes())
    );
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, bad.as_str()));
    assert!(sim.is_open(14511));

    // Binance: "The signature is not case sensitive."
    let payload = format!("algoId=3&timestamp={t}");
    let upper = hmac_sha256_hex(SECRET.as_bytes(), payload.as_bytes()).to_ascii_uppercase();
    let q = format!("{payload}&signature={upper}");
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).text(), r#"{"algoId":3,"success":true,"code":0,"msg":"OK"}"#);

    // The signature covers the raw bytes; values are decoded after.
    let q = signed(&format!("algoId=%31%34%35%31%31&timestamp={t}"));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).text(), r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#);

    // totalParams = query followed directly by the body.
    let body = format!(
        "timestamp={t}&signature={}",
        hmac_sha256_hex(SECRET.as_bytes(), format!("algoId=2timestamp={t}").as_bytes())
    );
    let req = format!("DELETE {CANCEL}?algoId=2 HTTP/1.1\r\nX-MBX-APIKEY: {KEY}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    assert_eq!(call(&sim, &req).status, 200);
}

#[test]
fn weight_headers_count_sapi_requests() {
    let sim = with_ids(&[]);
    let weights: Vec<(String, Option<String>)> = (0..3)
        .map(|_| {
            let r = cancel(&sim, 7);
            (
                r.header("X-SAPI-USED-IP-WEIGHT-1M").unwrap().to_owned(),
                r.header("X-SAPI-USED-UID-WEIGHT-1M").map(str::to_owned),
            )
        })
        .collect();
    let want: Vec<_> = (1..=3).map(|n| (n.to_string(), Some(n.to_string()))).collect();
    assert_eq!(weights, want);
    // Non-SAPI requests weigh nothing here; a bad key counts for the IP only.
    call(&sim, &get("/api/v3/time"));
    let r = call(&sim, &delete(&cancel_query(7), Some("wrong")));
    assert_eq!(r.header("X-SAPI-USED-IP-WEIGHT-1M"), Some("4"));
    assert_eq!(r.header("X-SAPI-USED-UID-WEIGHT-1M"), None);
    assert_eq!(cancel(&sim, 7).header("X-SAPI-USED-UID-WEIGHT-1M"), Some("4"));
}

#[test]
fn json_faults() {
    let sim = start(SimConfig {
        open_ids: vec![1, 2, 3, 4],
        faults: vec![
            (1, Fault::RateLimited { retry_after_s: 7 }),
            (2, Fault::Banned { retry_after_s: 120 }),
            (3, Fault::ServerError),
            (4, Fault::BackendTimeout),
        ],
        ..SimConfig::default()
    });
    let r = cancel(&sim, 1);
    assert_eq!((r.status, r.header("Retry-After")), (429, Some("7")));
    assert!(r.json().1.starts_with(r#"{"code":-1003,"msg":"Too much request weight used"#));
    let r = cancel(&sim, 2);
    assert_eq!((r.status, r.header("Retry-After")), (418, Some("120")));
    assert!(r.json().1.starts_with(r#"{"code":-1003,"msg":"Way too much request weight used; IP banned until "#));
    let r = cancel(&sim, 3);
    assert_eq!(
        r.json(),
        (500, rejection(-1001, "Internal error; unable to process your request. Please try again.").as_str())
    );
    let r = cancel(&sim, 4);
    let timeout = rejection(
        -1007,
        "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    );
    assert_eq!(r.json(), (503, timeout.as_str()));
    // These faults answer in the exchange's place: nothing was cancelled.
    assert!((1..=4).all(|id| sim.is_open(id)));
    // Faults apply only to valid requests, and can be cleared.
    let q = format!("algoId=3&timestamp={}&signature=00", now_ms());
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).json().0, 400);
    sim.set_fault(3, None);
    assert_eq!(cancel(&sim, 3).status, 200);
    sim.set_fault(5, Some(Fault::ServerError));
    sim.add_open_id(5);
    assert_eq!(cancel(&sim, 5).status, 500);
}

#[test]
fn html_faults() {
    let sim = start(SimConfig {
        open_ids: vec![1, 2, 3],
        faults: vec![(1, Fault::BadGatewayHtml), (2, Fault::NotFoundHtml), (3, Fault::Html200)],
        ..SimConfig::default()
    });
    for (id, status) in [(1, 502), (2, 404), (3, 200)] {
        let r = cancel(&sim, id);
        assert_eq!(r.status, status);
        assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
        assert!(r.text().trim_start().starts_with('<'), "{}", r.text());
        assert!(sim.is_open(id));
    }
}

#[test]
fn slow_fault_delays_the_real_answer() {
    let sim = start(SimConfig {
        open_ids: vec![1],
        faults: vec![(1, Fault::Slow { delay_ms: 200 })],
        ..SimConfig::default()
    });
    let started = Instant::now();
    let r = cancel(&sim, 1);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(r.json(), (200, r#"{"algoId":1,"success":true,"code":0,"msg":"OK"}"#));
}

#[test]
fn close_fault_hangs_up_after_cancelling() {
    let sim = start(SimConfig { open_ids: vec![1], faults: vec![(1, Fault::Close)], ..SimConfig::default() });
    let mut stream = connect(&sim);
    stream.write_all(delete(&cancel_query(1), Some(KEY)).as_bytes()).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert!(got.is_empty(), "{got:?}");
    assert!(!sim.is_open(1), "the order was cancelled; only the answer was lost");
}

#[test]
fn truncated_and_short_bodies() {
    let sim = start(SimConfig {
        open_ids: vec![1, 2],
        faults: vec![(1, Fault::Truncated), (2, Fault::ShortBody)],
        ..SimConfig::default()
    });
    let full = r#"{"algoId":1,"success":true,"code":0,"msg":"OK"}"#;
    let (status, headers, body) = call_to_close(&sim, delete(&cancel_query(1), Some(KEY)).as_bytes());
    let length = |headers: &[(String, String)]| -> usize {
        headers.iter().find(|(n, _)| n == "Content-Length").unwrap().1.parse().unwrap()
    };
    assert_eq!((status, length(&headers)), (200, full.len()));
    assert_eq!(body, &full.as_bytes()[..full.len() / 2]);

    let (status, headers, body) = call_to_close(&sim, delete(&cancel_query(2), Some(KEY)).as_bytes());
    assert_eq!(status, 200);
    assert_eq!(body, full.replace("\"algoId\":1", "\"algoId\":2").as_bytes());
    assert!(length(&headers) > body.len());
    assert!(!sim.is_open(1) && !sim.is_open(2));
}

#[test]
fn huge_fault_sends_10_mib() {
    let sim = start(SimConfig { open_ids: vec![1], faults: vec![(1, Fault::Huge)], ..SimConfig::default() });
    let r = cancel(&sim, 1);
    assert_eq!(r.status, 200);
    assert_eq!((r.content_length(), r.body.len()), (HUGE_BODY_LEN, HUGE_BODY_LEN));
    assert!(r.body.starts_with(br#"{"pad":"xxx"#) && r.body.ends_with(br#"x"}"#));
    assert!(sim.is_open(1));
}

#[test]
fn fault_specs_parse_and_print() {
    let cases = [
        ("429", Fault::RateLimited { retry_after_s: 30 }),
        ("429:5", Fault::RateLimited { retry_after_s: 5 }),
        ("418", Fault::Banned { retry_after_s: 120 }),
        ("418:60", Fault::Banned { retry_after_s: 60 }),
        ("500", Fault::ServerError),
        ("503", Fault::BackendTimeout),
        ("502html", Fault::BadGatewayHtml),
        ("404html", Fault::NotFoundHtml),
        ("slow:1500", Fault::Slow { delay_ms: 1500 }),
        ("close", Fault::Close),
        ("html200", Fault::Html200),
        ("truncated", Fault::Truncated),
        ("short", Fault::ShortBody),
        ("huge", Fault::Huge),
        ("stray", Fault::Stray),
    ];
    for (spec, fault) in cases {
        assert_eq!(spec.parse::<Fault>(), Ok(fault), "{spec}");
        assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
    }
    for bad in ["", "slow", "slow:x", "429:-1", "500:1", "teapot"] {
        assert!(bad.parse::<Fault>().is_err(), "{bad:?}");
    }
}

#[test]
fn keep_alive_pipelining_and_connection_close() {
    let sim = with_ids(&[1, 2, 3]);
    let mut stream = connect(&sim);
    let mut r = BufReader::new(stream.try_clone().unwrap());
    stream.write_all(delete(&cancel_query(1), Some(KEY)).as_bytes()).unwrap();
    let first = read_response(&mut r);
    assert_eq!((first.status, first.header("Connection")), (200, Some("keep-alive")));
    // Two pipelined requests in one write.
    let two = delete(&cancel_query(2), Some(KEY)) + &get("/api/v3/time");
    stream.write_all(two.as_bytes()).unwrap();
    assert_eq!(read_response(&mut r).status, 200);
    assert!(read_response(&mut r).text().starts_with(r#"{"serverTime":"#));
    // `Connection: close` is honoured: answer, then EOF.
    let close =
        format!("DELETE {CANCEL}?{} HTTP/1.1\r\nX-MBX-APIKEY: {KEY}\r\nConnection: close\r\n\r\n", cancel_query(3));
    stream.write_all(close.as_bytes()).unwrap();
    let last = read_response(&mut r);
    assert_eq!((last.status, last.header("Connection")), (200, Some("close")));
    assert_eq!(r.read(&mut [0; 1]).unwrap(), 0);
    assert_eq!((sim.connections(), sim.requests()), (1, 4));
}

#[test]
fn idle_connections_are_closed() {
    let sim = start(SimConfig { idle_timeout_ms: 300, ..SimConfig::default() });
    let stream = connect(&sim);
    let mut r = BufReader::new(stream.try_clone().unwrap());
    // Timed from before the request: the server's idle clock starts later.
    let asked = Instant::now();
    (&stream).write_all(get("/api/v3/time").as_bytes()).unwrap();
    assert_eq!(read_response(&mut r).status, 200);
    assert_eq!(r.read(&mut [0; 1]).unwrap(), 0, "server closed the idle connection");
    let idle = asked.elapsed();
    // Only the lower bound: a loaded machine may close it later, never sooner.
    assert!(idle >= Duration::from_millis(300), "{idle:?}");
    // Counted just after the close the client has seen: wait for it, 5 s at most.
    for _ in 0..500 {
        if sim.idle_closed() == 1 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("idle_closed() = {}", sim.idle_closed());
}

#[test]
fn concurrent_connections() {
    let ids: Vec<i64> = (1..=160).collect();
    let sim = with_ids(&ids);
    std::thread::scope(|s| {
        for chunk in ids.chunks(20) {
            let sim = &sim;
            s.spawn(move || {
                let mut stream = connect(sim);
                let mut r = BufReader::new(stream.try_clone().unwrap());
                for &id in chunk {
                    stream.write_all(delete(&cancel_query(id), Some(KEY)).as_bytes()).unwrap();
                    assert_eq!(read_response(&mut r).status, 200, "id {id}");
                }
            });
        }
    });
    assert_eq!((sim.connections(), sim.cancel_requests()), (8, 160));
    assert!(ids.iter().all(|&id| !sim.is_open(id)));
}

#[test]
fn unknown_paths_and_stats() {
    let sim = with_ids(&[1, 2]);
    for req in [
        get("/"),
        get("/sapi/v1/algo/futures/openOrders"),
        get(CANCEL),
        "POST /api/v3/time HTTP/1.1\r\nContent-Length: 0\r\n\r\n".to_owned(),
    ] {
        let r = call(&sim, &req);
        assert_eq!(r.status, 404, "{req}");
        assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    }
    cancel(&sim, 1);
    let r = call(&sim, &get("/sim/stats"));
    assert_eq!(r.text(), r#"{"requests":6,"cancel_requests":1,"connections":6,"open_ids":1}"#);
}

#[test]
fn garbage_gets_400_and_close() {
    let sim = start(SimConfig { open_ids: vec![1], log: true, ..SimConfig::default() });
    let oversized_head = format!("GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(20_000));
    let inputs: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\xfe garbage\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/2.0\r\n\r\n".to_vec(),
        b"get / HTTP/1.1\r\n\r\n".to_vec(),
        b"GET nopath HTTP/1.1\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nno colon\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\n continuation: x\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n".to_vec(),
        b"DELETE / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
        oversized_head.into_bytes(),
    ];
    for input in &inputs {
        let (status, headers, _) = call_to_close(&sim, input);
        assert_eq!(status, 400, "{:?}", String::from_utf8_lossy(&input[..input.len().min(60)]));
        assert!(headers.contains(&("Connection".into(), "close".into())));
    }
    // Random bytes without a request end: the server reads, then sees EOF.
    let mut x: u32 = 12345;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    let mut stream = connect(&sim);
    stream.write_all(&noise).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let _ = stream.read_to_end(&mut Vec::new());
    // Still serving.
    assert_eq!(cancel(&sim, 1).status, 200);
    assert_eq!(sim.requests(), 1, "malformed requests are not counted");
}

#[test]
fn stop_is_prompt_with_busy_connections() {
    // No idle timeout: only the stop may end the idle connection, and a stop
    // that waits for it never returns.
    let sim = start(SimConfig {
        open_ids: vec![1],
        faults: vec![(1, Fault::Slow { delay_ms: 30_000 })],
        idle_timeout_ms: 0,
        ..SimConfig::default()
    });
    let idle = connect(&sim);
    let mut busy = connect(&sim);
    busy.write_all(delete(&cancel_query(1), Some(KEY)).as_bytes()).unwrap();
    let deadline = Instant::now() + IO_TIMEOUT;
    while sim.requests() < 1 {
        assert!(Instant::now() < deadline, "request never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    let port = sim.port();
    // A stop that waited on the busy or idle connection would never return:
    // the test fails then rather than hang.
    let (stopped, returned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        sim.stop();
        let _ = stopped.send(());
    });
    assert!(returned.recv_timeout(Duration::from_secs(20)).is_ok(), "stop waited on a connection");
    assert_eq!(busy.read(&mut [0; 1]).ok(), Some(0), "closed, not timed out");
    assert_eq!((&idle).read(&mut [0; 1]).ok(), Some(0), "closed, not timed out");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "no longer listening");
}

#[test]
fn a_request_trickled_in_is_cut_off_by_the_idle_timeout() {
    let sim = start(SimConfig { idle_timeout_ms: 300, ..SimConfig::default() });
    let mut stream = connect(&sim);
    stream.write_all(b"GET /api/v3/time HTTP/1.1\r\nX-A: ").unwrap();
    // A byte every 100 ms for up to 3 s: each is activity, none ends the head.
    let deadline = Instant::now() + Duration::from_secs(3);
    while sim.idle_closed() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let _ = stream.write_all(b"a");
    }
    assert_eq!(sim.idle_closed(), 1, "a head that never ends must not hold the connection");
}

#[test]
fn head_gets_the_headers_and_no_content() {
    let sim = with_ids(&[]);
    let mut stream = connect(&sim);
    stream.write_all(b"HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let (status, headers) = read_head(&mut reader);
    assert_eq!(status, 404);
    assert!(headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("content-length") && v != "0"), "{headers:?}");
    // The next answer on the connection comes right after the head.
    stream.write_all(get("/api/v3/time").as_bytes()).unwrap();
    let (status, _) = read_head(&mut reader);
    assert_eq!(status, 200);
}

/// The simulator program, without the caller's real keys: it would take
/// them from the environment instead of its own test keys.
fn sim_binary() -> Command {
    let mut sim = Command::new(env!("CARGO_BIN_EXE_binance-algo-sim"));
    sim.env_remove("BINANCE_API_KEY").env_remove("BINANCE_SECRET_KEY");
    sim
}

/// The simulator program with `args` (and a 30 s lifetime, so a failed test
/// leaves nothing running), once it is listening, and its port.
fn spawn_cli(args: &[&str]) -> (Child, u16) {
    let mut child = sim_binary()
        .args(["--lifetime-s", "30"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port: u16 = line
        .strip_prefix("binance-algo-sim listening on http://127.0.0.1:")
        .and_then(|p| p.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    (child, port)
}

/// Kills the program; returns its log.
fn stop_cli(mut child: Child) -> String {
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    log
}

/// A path in the temp directory, unique to this process and `name`.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("binance-algo-sim-test-{}-{name}", std::process::id()))
}

#[test]
fn cli_serves_logs_without_secrets() {
    let port_file = temp_path("port");
    let (child, port) = spawn_cli(&[
        "--port-file",
        port_file.to_str().unwrap(),
        "--open-ids",
        "5,100-102",
        "--open-ids=7",
        "--fault",
        "101=500",
        "--api-key",
        "cli-api-key-QQQ",
        "--secret-key",
        "cli-secret-ZZZ",
    ]);
    assert_eq!(std::fs::read_to_string(&port_file).unwrap(), format!("{port}\n"));
    std::fs::remove_file(&port_file).unwrap();

    let sign = |params: String| format!("{params}&signature={}", hmac_sha256_hex(b"cli-secret-ZZZ", params.as_bytes()));
    let stats = call_port(port, &get("/sim/stats"));
    assert!(stats.text().ends_with(r#""open_ids":5}"#), "{}", stats.text());
    for (id, status) in [(5, 200), (101, 500)] {
        let r = call_port(port, &delete(&sign(format!("algoId={id}&timestamp={}", now_ms())), Some("cli-api-key-QQQ")));
        assert_eq!(r.status, status);
    }
    let log = stop_cli(child);
    assert!(log.contains(&format!("sim: DELETE {CANCEL} algoId=5 -> 200 OK\n")), "{log}");
    assert!(log.contains("algoId=101 -> 500 Internal Server Error"), "{log}");
    for secret in ["cli-api-key-QQQ", "cli-secret-ZZZ", "signature", "timestamp"] {
        assert!(!log.contains(secret), "log leaks {secret}: {log}");
    }
}

#[test]
fn cli_flags_and_lifetime() {
    let out = sim_binary().arg("--help").output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("--open-ids"));
    for bad in [
        &["--bogus"][..],
        &["--port"],
        &["--port", "x"],
        &["--fault", "1=nope"],
        &["--open-ids", "5-1"],
        &["--quiet=1"],
    ] {
        let out = sim_binary().args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!out.stderr.is_empty());
    }
    // A simulator nobody stops still exits by itself.
    let mut child = sim_binary().args(["--lifetime-s", "1", "--quiet"]).stdout(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("--lifetime-s 1 did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
}

/// RFC 8032 test 1 key (binance-api.md): PKCS#8 private key, SPKI public key.
const ED25519_PKCS8: &str = "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g";
const ED25519_PUBLIC_PEM: &str =
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
const BAD_SIGNATURE: &str = r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#;

fn ed25519_key() -> Ed25519KeyPair {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(&STANDARD.decode(ED25519_PKCS8).unwrap()).unwrap()
}

/// `params` with `&signature=` appended: base64 of `signature`,
/// percent-encoded (`+/=` are base64's only characters that need it).
fn key_signed(params: &str, signature: &[u8]) -> String {
    let b64 = STANDARD.encode(signature).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    format!("{params}&signature={b64}")
}

fn ed25519_signed(params: &str) -> String {
    key_signed(params, ed25519_key().sign(params.as_bytes()).as_ref())
}

fn ed25519_sim(ids: &[i64]) -> Sim {
    start(SimConfig { public_key_pem: Some(ED25519_PUBLIC_PEM.into()), open_ids: ids.to_vec(), ..SimConfig::default() })
}

#[test]
fn ed25519_signatures() {
    let sim = ed25519_sim(&[14511, 1, 2]);
    // binance-api.md's vector, with the server clock moved to its timestamp.
    sim.set_clock_offset_ms(1_499_827_319_559 - now_ms());
    let q = "algoId=14511&recvWindow=5000&timestamp=1499827319559&signature=01FYZWythY5MkH%2BR2GaDZfmFik3HP08rxH6w%2F9BZbIa1aYfyy90aNN86oFG0kSIttoYeGmSlO%2Fa1Dwls0llOAQ%3D%3D";
    assert_eq!(
        call(&sim, &delete(q, Some(KEY))).json(),
        (200, r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#)
    );
    sim.set_clock_offset_ms(0);

    let t = now_ms();
    let params = format!("algoId=1&timestamp={t}");
    let good = ed25519_key().sign(params.as_bytes());
    let mut flipped = good.as_ref().to_vec();
    flipped[10] ^= 1;
    let other = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).unwrap().sign(params.as_bytes());
    for q in [
        key_signed(&params, &flipped),
        key_signed(&params, other.as_ref()),
        signed(&params), // HMAC hex with the (ignored) secret key
        format!("{params}&signature=not-base64"),
        format!("{params}&signature=%ZZ"),
        key_signed(&params, &good.as_ref()[..63]),
    ] {
        assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, BAD_SIGNATURE), "{q}");
    }
    assert!(sim.is_open(1));
    assert_eq!(call(&sim, &delete(&key_signed(&params, good.as_ref()), Some(KEY))).status, 200);

    // A raw `+` in the URL is a space: the signature must be sent encoded.
    let (params, b64) = (0..)
        .map(|back| {
            let params = format!("algoId=2&timestamp={}", t - back);
            let b64 = STANDARD.encode(ed25519_key().sign(params.as_bytes()));
            (params, b64)
        })
        .find(|(_, b64)| b64.contains('+'))
        .unwrap();
    let raw = format!("{params}&signature={b64}");
    assert_eq!(call(&sim, &delete(&raw, Some(KEY))).json(), (400, BAD_SIGNATURE));
    let q = format!("{params}&signature={}", b64.replace('+', "%2B"));
    assert_eq!(call(&sim, &delete(&q, Some(KEY))).status, 200);

    // Signed over totalParams = query + body, like HMAC.
    sim.add_open_id(3);
    let body = ed25519_signed(&format!("algoId=3timestamp={}", now_ms()));
    let body = body.strip_prefix("algoId=3").unwrap();
    let req = format!(
        "DELETE {CANCEL}?algoId=3 HTTP/1.1\r\nX-MBX-APIKEY: {KEY}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(call(&sim, &req).status, 200);
}

/// Runs `openssl` with `args`, panicking with its stderr on failure.
fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().expect("openssl is installed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A fresh RSA key pair of `bits` in `dir`: (private PKCS#8 PEM, public SPKI PEM) paths.
fn rsa_key(dir: &Path, bits: u32) -> (PathBuf, PathBuf) {
    let (private, public) = (dir.join(format!("rsa{bits}.pem")), dir.join(format!("rsa{bits}.pub.pem")));
    let bits_opt = format!("rsa_keygen_bits:{bits}");
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", &bits_opt, "-out", private.to_str().unwrap()]);
    openssl(&["pkey", "-in", private.to_str().unwrap(), "-pubout", "-out", public.to_str().unwrap()]);
    (private, public)
}

/// The DER inside a one-block PEM file.
fn pem_der(path: &Path) -> Vec<u8> {
    let pem = std::fs::read_to_string(path).unwrap();
    STANDARD.decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap()
}

#[test]
fn rsa_signatures() {
    let dir = temp_path("rsa");
    std::fs::create_dir_all(&dir).unwrap();
    let (private, public) = rsa_key(&dir, 2048);
    let public_key_pem = Some(std::fs::read_to_string(&public).unwrap());
    let sim = start(SimConfig { public_key_pem, open_ids: vec![1, 2], ..SimConfig::default() });

    // Signed by openssl itself.
    let params = format!("algoId=1&timestamp={}", now_ms());
    let (payload, signature) = (dir.join("payload"), dir.join("signature"));
    std::fs::write(&payload, &params).unwrap();
    let [private_path, payload_path, signature_path] = [&private, &payload, &signature].map(|p| p.to_str().unwrap());
    openssl(&["dgst", "-sha256", "-sign", private_path, "-out", signature_path, payload_path]);
    let by_openssl = std::fs::read(&signature).unwrap();
    assert_eq!(call(&sim, &delete(&key_signed(&params, &by_openssl), Some(KEY))).status, 200);

    // Signed with ring; wrong signatures are -1022.
    let key = RsaKeyPair::from_pkcs8(&pem_der(&private)).unwrap();
    let params = format!("algoId=2&timestamp={}", now_ms());
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), params.as_bytes(), &mut sig).unwrap();
    let mut flipped = sig.clone();
    flipped[100] ^= 1;
    for q in [key_signed(&params, &flipped), ed25519_signed(&params), signed(&params)] {
        assert_eq!(call(&sim, &delete(&q, Some(KEY))).json(), (400, BAD_SIGNATURE), "{q}");
    }
    assert_eq!(call(&sim, &delete(&key_signed(&params, &sig), Some(KEY))).status, 200);

    // ring verifies 2048 to 8192 bits: a smaller key is refused up front.
    let (_, small) = rsa_key(&dir, 1024);
    let cfg = SimConfig { public_key_pem: Some(std::fs::read_to_string(&small).unwrap()), ..SimConfig::default() };
    let err = Sim::start(cfg).err().expect("1024-bit key refused");
    assert!(err.to_string().contains("2048 to 8192 bits"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unusable_public_keys_are_start_errors() {
    let der = STANDARD.decode("MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").unwrap();
    let pem = |der: &[u8]| format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(der));
    let edit = |at: usize, byte: u8| {
        let mut der = der.clone();
        der[at] = byte;
        pem(&der)
    };
    let mut bad = vec![
        (String::new(), "expected a -----BEGIN PUBLIC KEY-----"),
        (format!("-----BEGIN PRIVATE KEY-----\n{ED25519_PKCS8}\n-----END PRIVATE KEY-----\n"), "expected a"),
        (ED25519_PUBLIC_PEM.replace("PUBLIC KEY", "RSA PUBLIC KEY"), "expected a"),
        (ED25519_PUBLIC_PEM.replace("MCow", "MC*w"), "bad base64"),
        (edit(8, 0x6e), "unsupported algorithm"), // X25519, 1.3.101.110
        (edit(0, 0x31), "not an SPKI public key"),
        (edit(1, 0x80), "not an SPKI public key"),  // indefinite length
        (edit(11, 0x01), "not an SPKI public key"), // unused bits in the BIT STRING
        (pem(&[der.as_slice(), &[0]].concat()), "trailing data"),
    ];
    // Every truncation fails cleanly, whatever the byte it stops at.
    bad.extend((0..der.len()).map(|len| (pem(&der[..len]), "public key: ")));
    for (public_key_pem, want) in bad {
        let cfg = SimConfig { public_key_pem: Some(public_key_pem.clone()), ..SimConfig::default() };
        let err = Sim::start(cfg).err().unwrap_or_else(|| panic!("accepted {public_key_pem:?}"));
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains(want), "{public_key_pem:?}: {err}");
    }
    // Line endings and surrounding text do not matter.
    let crlf = format!("key for tests\r\n{}", ED25519_PUBLIC_PEM.replace('\n', "\r\n"));
    assert!(Sim::start(SimConfig { public_key_pem: Some(crlf), ..SimConfig::default() }).is_ok());
}

fn client_cancel(sim: &Sim, client_id: &str) -> Resp {
    call(sim, &delete(&signed(&format!("clientAlgoId={client_id}&timestamp={}", now_ms())), Some(KEY)))
}

fn success(algo_id: i64) -> String {
    format!(r#"{{"algoId":{algo_id},"success":true,"code":0,"msg":"OK"}}"#)
}

#[test]
fn client_algo_ids() {
    let sim = start(SimConfig {
        open_ids: vec![5],
        open_client_ids: vec!["my-twap:1".into(), "a b".into(), "été".into()],
        ..SimConfig::default()
    });
    let unknown = rejection(-20124, "Invalid algo id or it has been completed.");
    assert!(sim.is_client_id_open("my-twap:1"));
    assert_eq!(client_cancel(&sim, "my-twap%3A1").json(), (200, success(8_000_000_000).as_str()));
    assert!(!sim.is_client_id_open("my-twap:1"));
    assert_eq!(client_cancel(&sim, "my-twap%3A1").json(), (400, unknown.as_str()));
    assert_eq!(client_cancel(&sim, "nope").json(), (400, unknown.as_str()));
    assert!(!sim.is_client_id_open("nope"));
    // Values are percent-decoded as UTF-8, `+` being a space.
    assert_eq!(client_cancel(&sim, "a%20b").json(), (200, success(8_000_000_001).as_str()));
    assert_eq!(sim.add_open_client_id("a b"), 8_000_000_001, "reopened under its algo id");
    assert_eq!(client_cancel(&sim, "a+b").status, 200);
    assert_eq!(client_cancel(&sim, "%C3%A9t%C3%A9").json(), (200, success(8_000_000_002).as_str()));
    assert_eq!(sim.add_open_client_id("new"), 8_000_000_003);
    assert!(sim.is_client_id_open("new"));
    assert!(sim.is_open(8_000_000_003), "also open under its algo id");

    let t = now_ms();
    let both = rejection(-1102, "Only one of 'algoId' and 'clientAlgoId' may be sent.");
    for (query, want) in [
        (signed(&format!("algoId=5&clientAlgoId=new&timestamp={t}")), both.clone()),
        (signed(&format!("clientAlgoId=new&algoId=5&timestamp={t}")), both),
        (signed(&format!("recvWindow=5000&timestamp={t}")), missing("algoId")),
        (signed(&format!("clientAlgoId=&timestamp={t}")), missing("clientAlgoId")),
        (signed(&format!("clientAlgoId=%ZZ&timestamp={t}")), missing("clientAlgoId")),
        (signed(&format!("clientAlgoId=%FF&timestamp={t}")), missing("clientAlgoId")),
        (format!("clientAlgoId=new&timestamp={t}&signature={}", "0".repeat(64)), BAD_SIGNATURE.to_owned()),
    ] {
        assert_eq!(call(&sim, &delete(&query, Some(KEY))).json(), (400, want.as_str()), "{query}");
    }
    assert!(sim.is_open(5) && sim.is_client_id_open("new"));
}

#[test]
fn faults_apply_to_client_ids_by_their_algo_id() {
    let sim = start(SimConfig {
        open_client_ids: vec!["x".into(), "y".into()],
        faults: vec![(8_000_000_000, Fault::ServerError)],
        ..SimConfig::default()
    });
    assert_eq!(client_cancel(&sim, "x").status, 500);
    assert!(sim.is_client_id_open("x"));
    let id = sim.add_open_client_id("z");
    sim.set_fault(id, Some(Fault::Close));
    let mut stream = connect(&sim);
    stream.write_all(delete(&signed(&format!("clientAlgoId=z&timestamp={}", now_ms())), Some(KEY)).as_bytes()).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert!(got.is_empty(), "{got:?}");
    assert!(!sim.is_client_id_open("z"));
    assert_eq!(client_cancel(&sim, "y").json(), (200, success(8_000_000_001).as_str()));
}

#[test]
fn cli_public_key_and_client_ids() {
    let key_file = temp_path("ed25519.pub.pem");
    std::fs::write(&key_file, ED25519_PUBLIC_PEM).unwrap();
    let (child, port) = spawn_cli(&[
        "--public-key-file",
        key_file.to_str().unwrap(),
        "--open-client-ids",
        "a b,c",
        "--open-client-ids=d",
        "--fault",
        "8000000001=500",
    ]);
    let cancel = |client_id: &str, sign: fn(&str) -> String| {
        call_port(port, &delete(&sign(&format!("clientAlgoId={client_id}&timestamp={}", now_ms())), Some(KEY)))
    };
    assert_eq!(cancel("a%20b", ed25519_signed).json(), (200, success(8_000_000_000).as_str()));
    assert_eq!(cancel("c", ed25519_signed).status, 500);
    assert_eq!(cancel("d", signed).json(), (400, BAD_SIGNATURE));
    assert_eq!(cancel("d", ed25519_signed).json(), (200, success(8_000_000_002).as_str()));
    let log = stop_cli(child);
    assert!(log.contains(&format!("sim: DELETE {CANCEL} clientAlgoId=a b -> 200 OK\n")), "{log}");
    assert!(log.contains("clientAlgoId=c -> 500 Internal Server Error"), "{log}");

    // Exit 2, with a reason, for unusable key options.
    let bad_key = temp_path("bad.pub.pem");
    std::fs::write(&bad_key, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap();
    let missing_file = temp_path("missing.pem");
    let (key, bad_key_path, missing) =
        (key_file.to_str().unwrap(), bad_key.to_str().unwrap(), missing_file.to_str().unwrap());
    for (args, want) in [
        (&["--secret-key", "s", "--public-key-file", key][..], "mutually exclusive"),
        (&["--public-key-file", key, "--secret-key=s"], "mutually exclusive"),
        (&["--public-key-file", missing], "cannot read"),
        (&["--public-key-file", bad_key_path], "not an SPKI public key"),
        (&["--open-client-ids", "a,,b"], "empty client algo id"),
    ] {
        let out = sim_binary().args(["--lifetime-s", "5"]).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    std::fs::remove_file(&key_file).unwrap();
    std::fs::remove_file(&bad_key).unwrap();
}
