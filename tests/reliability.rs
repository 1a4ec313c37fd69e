//! Issue 6's guarantees against the simulator: clock sync and -1021
//! recovery, retries only of what provably did not execute, and many threads
//! sharing one client through faults.

use binance_algo::engine::client::{CallOptions, Client};
use binance_algo::engine::config::Config;
use binance_algo::engine::log::{LogEvent, LogHook, LogKind};
use binance_algo::engine::outcome::Kind;
use binance_algo::engine::request::OrderRef;
use binance_algo::sim::{Fault, Sim, SimConfig};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn sim_with(open_ids: Vec<i64>, clock_offset_ms: i64) -> Sim {
    Sim::start(SimConfig { open_ids, clock_offset_ms, ..SimConfig::default() }).unwrap()
}

fn config(base_url: &str) -> Config {
    let defaults = SimConfig::default();
    let mut cfg = Config::default();
    cfg.set_api_key(&defaults.api_key).unwrap();
    cfg.set_secret_key(&defaults.secret_key).unwrap();
    cfg.set_base_url(base_url).unwrap();
    cfg
}

#[test]
fn works_with_the_server_clock_10_s_ahead_or_3_s_behind() {
    for offset in [10_000, -3_000] {
        let sim = sim_with(vec![1, 2], offset);
        let client = Client::new(&config(&sim.base_url())).unwrap();
        let out = client.cancel(1);
        assert_eq!(out.kind, Kind::Ok, "offset {offset}: {}", out.message);
        assert_eq!(out.attempts, 1, "synced before signing, so no -1021");
        let measured = client.clock_offset_ms().expect("synced");
        assert!((measured - offset).abs() < 500, "measured {measured} for {offset}");

        // The same server without sync: the exchange refuses the timestamp.
        let mut cfg = config(&sim.base_url());
        cfg.set_clock_sync(false);
        let out = Client::new(&cfg).unwrap().cancel(2);
        assert_eq!((out.kind, out.exchange_code, out.attempts), (Kind::Rejected, -1021, 1), "offset {offset}");
        assert!(sim.is_open(2));

        // Sync off: warming leaves the offset alone; a sync on demand sets it.
        let manual = Client::new(&cfg).unwrap();
        assert_eq!(manual.warm(1).kind, Kind::Ok);
        assert_eq!(manual.clock_offset_ms(), None);
        assert_eq!(manual.sync_now().kind, Kind::Ok);
        assert_eq!(manual.cancel(2).kind, Kind::Ok, "offset {offset}: signed with the offset synced on demand");
    }
}

#[test]
fn a_1021_resyncs_and_resends_once_signed_afresh() {
    let sim = sim_with(vec![1, 2], 0);
    let client = Client::new(&config(&sim.base_url())).unwrap();
    assert_eq!(client.cancel(1).kind, Kind::Ok);
    sim.set_clock_offset_ms(20_000); // the server's clock jumps ahead
    let before = sim.cancel_requests();
    let out = client.cancel(2);
    assert_eq!(out.kind, Kind::Ok, "{}", out.message);
    assert_eq!(out.attempts, 2);
    assert_eq!(sim.cancel_requests() - before, 2, "one -1021, one success");
    assert!(out.message.contains("attempt 2"), "{}", out.message);
    assert!((client.clock_offset_ms().unwrap() - 20_000).abs() < 500);
}

#[test]
fn a_refused_connection_is_retried_until_the_server_is_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = config(&format!("http://127.0.0.1:{port}"));
    cfg.set_clock_sync(false);
    cfg.set_max_retries(0).unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.attempts), (Kind::Transport, 1));
    cfg.set_max_retries(2).unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.attempts), (Kind::Transport, 3), "{}", out.message);

    // The server comes up while the client backs off after its first,
    // refused attempt: started from the retry's log event, so no race.
    let started: Arc<Mutex<Option<Sim>>> = Arc::default();
    cfg.set_logger(Some(LogHook(Arc::new({
        let started = started.clone();
        move |event: &LogEvent<'_>| {
            if event.kind == LogKind::Retry {
                let mut sim = started.lock().unwrap();
                if sim.is_none() {
                    *sim = Some(Sim::start(SimConfig { port, open_ids: vec![1], ..SimConfig::default() }).unwrap());
                }
            }
        }
    }))));
    cfg.set_max_retries(10).unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.attempts), (Kind::Ok, 2), "{}", out.message);
    let sim = started.lock().unwrap().take().unwrap();
    assert_eq!(sim.cancel_requests(), 1, "only the last attempt reached the exchange");
}

#[test]
fn what_may_have_executed_is_never_resent() {
    let faults =
        [Fault::Close, Fault::ServerError, Fault::BackendTimeout, Fault::Truncated, Fault::Slow { delay_ms: 10_000 }];
    let sim = sim_with((1..=faults.len() as i64).collect(), 0);
    let mut cfg = config(&sim.base_url());
    cfg.set_max_retries(10).unwrap();
    cfg.set_timeouts(1_000, 1_000).unwrap();
    cfg.set_clock_sync(false); // the whole budget is the cancel's
    let client = Client::new(&cfg).unwrap();
    for (i, fault) in faults.into_iter().enumerate() {
        let id = i as i64 + 1;
        sim.set_fault(id, Some(fault));
        let before = sim.cancel_requests();
        let out = client.cancel(id);
        assert_eq!((out.kind, out.attempts), (Kind::UnknownOutcome, 1), "{fault:?}: {}", out.message);
        assert_eq!(sim.cancel_requests() - before, 1, "{fault:?} was resent");
    }
}

/// What each id of the concurrency test answers, and the kind it must get.
fn scripted(id: i64) -> (Option<Fault>, Kind) {
    match id % 10 {
        1 => (Some(Fault::RateLimited { retry_after_s: 1 }), Kind::RateLimited),
        2 => (Some(Fault::BackendTimeout), Kind::UnknownOutcome),
        3 => (Some(Fault::Close), Kind::UnknownOutcome),
        4 => (Some(Fault::NotFoundHtml), Kind::Rejected),
        5 => (Some(Fault::Truncated), Kind::UnknownOutcome),
        6 => (Some(Fault::Slow { delay_ms: 5 }), Kind::Ok),
        7 => (None, Kind::Rejected), // not open: -20124
        _ => (None, Kind::Ok),
    }
}

#[test]
fn eight_threads_times_500_cancels_through_faults() {
    const THREADS: i64 = 8;
    const PER_THREAD: i64 = 500;
    let ids = 1..=THREADS * PER_THREAD;
    let sim = sim_with(ids.clone().filter(|id| id % 10 != 7).collect(), 0);
    for id in ids {
        if let (Some(fault), _) = scripted(id) {
            sim.set_fault(id, Some(fault));
        }
    }
    let client = Client::new(&config(&sim.base_url())).unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let client = &client;
            s.spawn(move || {
                for id in t * PER_THREAD + 1..=(t + 1) * PER_THREAD {
                    let out = client.cancel(id);
                    assert_eq!(out.kind, scripted(id).1, "id {id}: {}", out.message);
                    assert_eq!(out.attempts, 1, "id {id}");
                }
            });
        }
    });
    assert_eq!(sim.cancel_requests(), (THREADS * PER_THREAD) as u64, "each cancel sent exactly once");
}

#[test]
fn warm_opens_connections_and_syncs_ahead_of_the_first_cancel() {
    let sim = sim_with(vec![1, 2, 3], 5_000);
    let client = Client::new(&config(&sim.base_url())).unwrap();
    let out = client.warm(1);
    assert_eq!(out.kind, Kind::Ok, "{}", out.message);
    assert_eq!(sim.connections(), 1);
    assert!((client.clock_offset_ms().unwrap() - 5_000).abs() < 500);
    assert_eq!(client.cancel(1).kind, Kind::Ok);
    assert_eq!(sim.connections(), 1, "the cancel used the warmed connection");
    assert_eq!(sim.requests(), 2, "one GET /api/v3/time, one cancel: no second sync");

    // Sixteen at once: the idle one and fifteen new, each held until all
    // are in, so that none is reused.
    let out = client.warm(16);
    assert_eq!(out.kind, Kind::Ok, "{}", out.message);
    assert_eq!(sim.connections(), 16);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = Client::new(&config(&format!("http://127.0.0.1:{port}"))).unwrap();
    let out = dead.warm(2);
    assert_eq!(out.kind, Kind::Transport);
    assert!(
        out.message.starts_with("warmed 0 of 2 connections: GET /api/v3/time: request not sent"),
        "{}",
        out.message
    );
}

/// A server that accepts connections (the kernel does) but never answers,
/// and a config for it with these timeouts.
fn silent_server(connect_ms: i64, total_ms: i64) -> (std::net::TcpListener, Config) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cfg = config(&format!("http://{}", listener.local_addr().unwrap()));
    cfg.set_timeouts(connect_ms, total_ms).unwrap();
    (listener, cfg)
}

#[test]
fn a_slow_time_endpoint_gets_half_the_time_and_the_cancel_still_goes_out() {
    // The time request hangs for 3 s; the cancel is answered at once.
    let url = scripted_server(|request_line, _, _| {
        if request_line.starts_with("DELETE ") {
            ("200 OK", r#"{"algoId":1,"success":true,"code":0,"msg":"OK"}"#.to_owned(), Duration::ZERO)
        } else {
            ("200 OK", server_time_now(), Duration::from_secs(3))
        }
    });
    let mut cfg = config(&url);
    cfg.set_timeouts(1_000, 1_000).unwrap();
    let client = Client::new(&cfg).unwrap();
    let out = client.cancel(1);
    assert_eq!((out.kind, out.attempts), (Kind::Ok, 1), "signed on the local clock: {}", out.message);
    assert_eq!(client.clock_offset_ms(), None, "the sync gave up");
}

#[test]
fn a_slow_sync_on_one_thread_does_not_hold_another_past_its_timeout() {
    // Thread A's sync waits out its 8 s; B's cancel (200 ms) waits for that
    // sync only for half its time, then goes out on the local clock
    // (unanswered here).
    let (listener, cfg) = silent_server(1_000, 8_000);
    let client = std::sync::Arc::new(Client::new(&cfg).unwrap());
    let syncing = std::thread::spawn({
        let client = client.clone();
        move || client.sync_now()
    });
    listener.set_nonblocking(true).unwrap();
    let started = std::time::Instant::now();
    let held = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream, // A's sync is under way
            Err(_) if started.elapsed() < Duration::from_secs(5) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("the sync never connected: {e}"),
        }
    };
    let opts = CallOptions { total_timeout: Some(Duration::from_millis(200)), ..CallOptions::default() };
    let out = client.cancel_with(OrderRef::AlgoId(1), &opts);
    assert_eq!((out.kind, out.attempts), (Kind::UnknownOutcome, 1), "{}", out.message);
    assert!(!syncing.is_finished(), "the cancel waited for the whole sync");
    drop(held); // A's sync ends now: the connection closes unanswered
    assert_eq!(syncing.join().unwrap().kind, Kind::UnknownOutcome);
}

#[test]
fn an_implausible_server_time_is_a_failed_sync_not_an_offset() {
    // serverTime about 1000 (1970): seconds instead of ms, or a broken gateway.
    let local_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let sim = sim_with(vec![1], 1_000 - local_ms);
    let client = Client::new(&config(&sim.base_url())).unwrap();
    let out = client.sync_now();
    assert_eq!(out.kind, Kind::UnknownOutcome, "{}", out.message);
    assert!(out.message.contains("implausible serverTime"), "{}", out.message);
    assert_eq!(client.clock_offset_ms(), None);
}

#[test]
fn a_slow_signer_leaves_the_request_only_what_is_left_of_the_total() {
    let sim = sim_with(vec![1], 0);
    sim.set_fault(1, Some(Fault::Slow { delay_ms: 900 }));
    let client = |signing_ms: u64| {
        let mut cfg = config(&sim.base_url());
        cfg.set_clock_sync(false);
        cfg.set_timeouts(1_000, 1_000).unwrap();
        let secret = SimConfig::default().secret_key;
        cfg.set_external_signer(Arc::new(move |payload: &[u8]| {
            std::thread::sleep(Duration::from_millis(signing_ms));
            Ok(binance_algo::engine::sign::hmac_sha256_hex(secret.as_bytes(), payload))
        }));
        Client::new(&cfg).unwrap()
    };
    // Signing outlasts the total: nothing may be sent.
    let out = client(1_100).cancel(1);
    assert_eq!((out.kind, out.attempts), (Kind::Transport, 0), "{}", out.message);
    assert!(out.message.contains("ran out"), "{}", out.message);
    assert_eq!(sim.cancel_requests(), 0);
    // 600 ms signing + a 900 ms answer: past the 1 s total, however fast the machine.
    let out = client(600).cancel(1);
    assert_eq!((out.kind, out.attempts), (Kind::UnknownOutcome, 1), "{}", out.message);
    assert!(out.message.contains("timed out"), "{}", out.message);
}

/// A local server that answers each request (the request line, the
/// connection's number, the request's number on it) with `answer`'s status
/// line and JSON body, after `answer`'s pause. Every thread it starts ends
/// when its connection does.
fn scripted_server(
    answer: impl Fn(&str, usize, usize) -> (&'static str, String, Duration) + Send + Sync + 'static,
) -> String {
    scripted_server_framed(false, answer)
}

/// As `scripted_server`, with every body sent chunked when `chunked`.
fn scripted_server_framed(
    chunked: bool,
    answer: impl Fn(&str, usize, usize) -> (&'static str, String, Duration) + Send + Sync + 'static,
) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for (conn, stream) in listener.incoming().take(64).enumerate() {
            let (Ok(stream), answer) = (stream, answer.clone()) else { return };
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                for request in 0.. {
                    let (mut first, mut line) = (String::new(), String::new());
                    while reader.read_line(&mut line).is_ok_and(|len| len > 0) && line != "\r\n" {
                        if first.is_empty() {
                            first = line.clone();
                        }
                        line.clear();
                    }
                    if line != "\r\n" {
                        return; // closed
                    }
                    let (status, body, pause) = answer(&first, conn, request);
                    std::thread::sleep(pause);
                    let message = match (chunked, body.len()) {
                        (false, len) => format!("HTTP/1.1 {status}\r\nContent-Length: {len}\r\n\r\n{body}"),
                        (true, 0) => format!("HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                        (true, len) => format!(
                            "HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n{len:x}\r\n{body}\r\n0\r\n\r\n"
                        ),
                    };
                    if (&stream).write_all(message.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn server_time_now() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    format!("{{\"serverTime\":{now}}}")
}

/// A server that refuses every cancel with -1021 after `pause`, and answers
/// the time request with `time()` under `time_status`; with the number of
/// cancels it got.
fn refusing_timestamps(
    pause: Duration,
    time_status: &'static str,
    time: impl Fn() -> String + Send + Sync + 'static,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let cancels = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = cancels.clone();
    let url = scripted_server(move |request_line, _, _| {
        if request_line.starts_with("DELETE ") {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = r#"{"code":-1021,"msg":"Timestamp outside of the recvWindow."}"#.to_owned();
            ("400 Bad Request", body, pause)
        } else {
            (time_status, time(), Duration::ZERO)
        }
    });
    (url, cancels)
}

#[test]
fn warming_several_connections_measures_the_offset_unskewed_by_the_slowest() {
    // Our own clock; the first request on the second connection answers 2 s late.
    let url = scripted_server(|_, conn, request| {
        let pause = if (conn, request) == (1, 0) { Duration::from_secs(2) } else { Duration::ZERO };
        ("200 OK", server_time_now(), pause)
    });
    let client = Client::new(&config(&url)).unwrap();
    let out = client.warm(2);
    assert_eq!(out.kind, Kind::Ok, "{}", out.message);
    // The same clock on both sides: a held probe's 2 s would show as about 1 s.
    let offset = client.clock_offset_ms().unwrap();
    assert!(offset.abs() < 500, "offset {offset} ms: {}", out.message);
}

#[test]
fn a_success_naming_another_order_is_not_taken_for_this_one() {
    // A server (or middlebox) stuck one answer behind: every answer is 1000's.
    let url = scripted_server(|_, _, _| {
        ("200 OK", r#"{"algoId":1000,"success":true,"code":0,"msg":"OK"}"#.to_owned(), Duration::ZERO)
    });
    let mut cfg = config(&url);
    cfg.set_clock_sync(false);
    let client = Client::new(&cfg).unwrap();
    assert_eq!(client.cancel(1000).kind, Kind::Ok);
    let out = client.cancel(1001);
    assert_eq!((out.kind, out.attempts), (Kind::UnknownOutcome, 1), "{}", out.message);
    assert!(out.message.contains("another order (algoId 1000)"), "{}", out.message);
}

#[test]
fn after_a_stray_answer_the_connection_is_not_reused() {
    // The first connection answers each request with the previous one's
    // answer; later connections answer right.
    let previous = Arc::new(std::sync::Mutex::new(None::<String>));
    let url = scripted_server(move |request_line, conn, _| {
        let id = request_line.split("algoId=").nth(1).and_then(|rest| rest.split('&').next()).unwrap().to_owned();
        let named = if conn == 0 { previous.lock().unwrap().replace(id.clone()).unwrap_or(id) } else { id };
        ("200 OK", format!(r#"{{"algoId":{named},"success":true,"code":0,"msg":"OK"}}"#), Duration::ZERO)
    });
    let mut cfg = config(&url);
    cfg.set_clock_sync(false);
    let client = Client::new(&cfg).unwrap();
    assert_eq!(client.cancel(1000).kind, Kind::Ok);
    let stray = client.cancel(1001);
    assert_eq!(stray.kind, Kind::UnknownOutcome, "{}", stray.message);
    let out = client.cancel(1002);
    assert_eq!(out.kind, Kind::Ok, "answered on the shifted connection: {}", out.message);
}

#[test]
fn a_time_request_answered_with_something_else_does_not_leave_its_connection_for_a_cancel() {
    // The first connection answers everything with another order's success;
    // chunked, ureq pools the connection before the library sees the answer.
    for chunked in [false, true] {
        let url = scripted_server_framed(chunked, |request_line, conn, _| {
            let body = match (conn, request_line.starts_with("GET /api/v3/time ")) {
                (0, _) => r#"{"algoId":999,"success":true,"code":0,"msg":"OK"}"#.to_owned(),
                (_, true) => server_time_now(),
                (_, false) => r#"{"algoId":1,"success":true,"code":0,"msg":"OK"}"#.to_owned(),
            };
            ("200 OK", body, Duration::ZERO)
        });
        let client = Client::new(&config(&url)).unwrap();
        let sync = client.sync_now();
        assert_eq!(sync.kind, Kind::UnknownOutcome, "chunked {chunked}: {}", sync.message);
        let out = client.cancel(1);
        assert_eq!(out.kind, Kind::Ok, "chunked {chunked}: answered on the first connection: {}", out.message);
    }
}

#[test]
fn a_1021_is_resent_once_and_only_after_a_successful_resync() {
    // Every cancel gets -1021; the clock answers, or (second server) fails.
    for (time_status, synced, want_cancels) in
        [("200 OK", Kind::Ok, 2), ("500 Internal Server Error", Kind::UnknownOutcome, 1)]
    {
        let (url, cancels) = refusing_timestamps(Duration::ZERO, time_status, server_time_now);
        let mut cfg = config(&url);
        cfg.set_clock_sync(true);
        let client = Client::new(&cfg).unwrap();
        assert_eq!(client.sync_now().kind, synced, "{time_status}");
        let out = client.cancel(1);
        assert_eq!((out.kind, out.exchange_code), (Kind::Rejected, -1021), "{time_status}: {}", out.message);
        assert_eq!(cancels.load(std::sync::atomic::Ordering::SeqCst), want_cancels, "{time_status}");
        assert_eq!(out.attempts as usize, want_cancels, "{time_status}");
        let why = " [not resent: clock sync: HTTP 500 with no serverTime";
        assert_eq!(out.message.contains(why), want_cancels == 1, "{}", out.message);
    }
}

#[test]
fn a_1021_is_not_resent_when_less_time_is_left_than_it_took() {
    // -1021 after 400 ms, within a 700 ms call: a resend would time out and
    // turn "not executed" into an unknown outcome.
    let (url, cancels) = refusing_timestamps(Duration::from_millis(400), "200 OK", server_time_now);
    let mut cfg = config(&url);
    cfg.set_timeouts(700, 700).unwrap();
    let client = Client::new(&cfg).unwrap();
    assert_eq!(client.sync_now().kind, Kind::Ok);
    let out = client.cancel(1);
    assert_eq!((out.kind, out.exchange_code, out.attempts), (Kind::Rejected, -1021, 1), "{}", out.message);
    assert!(out.message.contains("not resent"), "{}", out.message);
    assert_eq!(cancels.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_redirect_is_an_answer_never_followed() {
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = requests.clone();
    let url = scripted_server(move |_, _, _| {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // A Location back to this very server: following it would be a resend.
        ("307 Temporary Redirect\r\nLocation: /sapi/v1/algo/futures/order", String::new(), Duration::ZERO)
    });
    let mut cfg = config(&url);
    cfg.set_clock_sync(false);
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.http_status, out.attempts), (Kind::UnknownOutcome, 307, 1), "{}", out.message);
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1, "the redirect was followed");
}
