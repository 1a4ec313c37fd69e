//! The engine against the in-process simulator: every status, the detail
//! fields, and how many requests reached the exchange (never more than one
//! per cancel).

use binance_algo::engine::client::Client;
use binance_algo::engine::config::Config;
use binance_algo::engine::outcome::{Kind, Outcome};
use binance_algo::sim::{Fault, Sim, SimConfig};
use std::time::Duration;

const KEY: &str = "test-api-key";
const SECRET: &str = "test-secret-key-NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP";

fn sim(open_ids: &[i64], faults: Vec<(i64, Fault)>) -> Sim {
    Sim::start(SimConfig {
        api_key: KEY.into(),
        secret_key: SECRET.into(),
        open_ids: open_ids.to_vec(),
        faults,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn config(sim: &Sim) -> Config {
    let mut cfg = Config::default();
    cfg.set_api_key(KEY).unwrap();
    cfg.set_secret_key(SECRET).unwrap();
    cfg.set_base_url(&sim.base_url()).unwrap();
    cfg
}

fn client(sim: &Sim) -> Client {
    Client::new(&config(sim)).unwrap()
}

/// No outcome may ever carry key material.
fn no_secrets(out: &Outcome) {
    let all = format!("{out:?}");
    assert!(!all.contains(SECRET) && !all.contains(KEY), "secret leaked: {all}");
    assert!(!all.contains("signature="), "signed URL leaked: {all}");
}

#[test]
fn cancel_then_cancel_again() {
    let sim = sim(&[14511], vec![]);
    let c = client(&sim);
    let out = c.cancel(14511);
    no_secrets(&out);
    // Nor the client's Debug, with the connection it used pooled: not as
    // text, nor as the byte list a derived Debug of a buffer would print.
    let shown = format!("{c:?}");
    let key_bytes = format!("{:?}", KEY.as_bytes());
    for leak in [KEY, SECRET, "signature=", key_bytes.trim_matches(['[', ']'])] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    assert_eq!(out.kind, Kind::Ok, "{}", out.message);
    assert_eq!(out.body.as_deref(), Some(r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#));
    assert_eq!(out.http_status, 200);
    assert!(out.used_weight_ip_1m >= Some(1) && out.used_weight_uid_1m >= Some(1), "{out:?}");
    assert!(!sim.is_open(14511));

    let again = c.cancel(14511);
    assert_eq!(again.kind, Kind::Rejected);
    assert_eq!((again.http_status, again.exchange_code), (400, -20124));
    assert_eq!(again.exchange_msg, "Invalid algo id or it has been completed.");
    assert_eq!(sim.cancel_requests(), 2);
    assert_eq!(sim.connections(), 1, "the second call reuses the kept-alive connection");
}

#[test]
fn ids_beyond_two_to_the_53_are_exact() {
    let big = [9_007_199_254_740_993, i64::MAX];
    let sim = sim(&big, vec![]);
    let c = client(&sim);
    for id in big {
        let out = c.cancel(id);
        assert_eq!(out.kind, Kind::Ok, "{}", out.message);
        assert!(out.body.unwrap().contains(&format!("\"algoId\":{id},")));
    }
}

#[test]
fn recv_window_is_sent_when_configured() {
    // The server's clock 10 s ahead and no sync: our timestamps are 10 s old,
    // outside Binance's default 5000 ms window, inside a 60000 ms one.
    let sim = sim(&[1], vec![]);
    sim.set_clock_offset_ms(10_000);
    let mut cfg = config(&sim);
    cfg.set_clock_sync(false);
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.exchange_code), (Kind::Rejected, -1021), "{}", out.message);
    cfg.set_recv_window(60_000).unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!(out.kind, Kind::Ok, "the exchange saw recvWindow=60000: {}", out.message);
}

#[test]
fn wrong_credentials_are_rejected() {
    let sim = sim(&[1], vec![]);
    let mut cfg = config(&sim);
    cfg.set_api_key("someone-else").unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.http_status, out.exchange_code), (Kind::Rejected, 401, -2015));
    // An unknown key counts against the IP only: the two weights are not mixed up.
    assert_eq!((out.used_weight_ip_1m, out.used_weight_uid_1m), (Some(1), None));
    let mut cfg = config(&sim);
    cfg.set_secret_key("wrong-secret").unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.http_status, out.exchange_code), (Kind::Rejected, 400, -1022));
    assert_eq!((out.used_weight_ip_1m, out.used_weight_uid_1m), (Some(2), Some(1)));
    no_secrets(&out);
    assert!(sim.is_open(1), "a rejected cancel must not cancel");
}

#[test]
fn each_fault_is_classified_and_sent_once() {
    struct Case {
        fault: Fault,
        kind: Kind,
        http: u16,
        code: i64,
        json: bool,
    }
    let cases = [
        Case {
            fault: Fault::RateLimited { retry_after_s: 30 },
            kind: Kind::RateLimited,
            http: 429,
            code: -1003,
            json: true,
        },
        Case {
            fault: Fault::Banned { retry_after_s: 120 },
            kind: Kind::RateLimited,
            http: 418,
            code: -1003,
            json: true,
        },
        Case { fault: Fault::ServerError, kind: Kind::UnknownOutcome, http: 500, code: -1001, json: true },
        Case { fault: Fault::BackendTimeout, kind: Kind::UnknownOutcome, http: 503, code: -1007, json: true },
        Case { fault: Fault::BadGatewayHtml, kind: Kind::UnknownOutcome, http: 502, code: 0, json: false },
        Case { fault: Fault::NotFoundHtml, kind: Kind::Rejected, http: 404, code: 0, json: false },
        Case { fault: Fault::Close, kind: Kind::UnknownOutcome, http: 0, code: 0, json: false },
        Case { fault: Fault::Html200, kind: Kind::UnknownOutcome, http: 200, code: 0, json: false },
        Case { fault: Fault::Truncated, kind: Kind::UnknownOutcome, http: 200, code: 0, json: false },
        Case { fault: Fault::ShortBody, kind: Kind::UnknownOutcome, http: 200, code: 0, json: false },
        Case { fault: Fault::Huge, kind: Kind::UnknownOutcome, http: 200, code: 0, json: false },
    ];
    // Open ids, so that a fault that cancels and then loses the answer shows
    // a truly unknown outcome: cancelled, yet not confirmed.
    let sim = sim(&(100..100 + cases.len() as i64).collect::<Vec<_>>(), vec![]);
    let c = client(&sim);
    for (i, case) in cases.into_iter().enumerate() {
        let id = 100 + i as i64;
        let label = format!("{:?}", case.fault);
        sim.set_fault(id, Some(case.fault));
        let before = sim.cancel_requests();
        let out = c.cancel(id);
        no_secrets(&out);
        assert_eq!(out.kind, case.kind, "{label}: {}", out.message);
        assert_eq!(out.http_status, case.http, "{label}");
        assert_eq!(out.exchange_code, case.code, "{label}");
        assert_eq!(out.body.is_some(), case.json, "{label}");
        assert_eq!(sim.cancel_requests() - before, 1, "{label}: the request must be sent exactly once");
        if case.kind == Kind::RateLimited {
            assert!(out.retry_after_s.is_some(), "{label}");
        }
        if case.kind == Kind::UnknownOutcome {
            assert!(out.message.contains("may have been executed"), "{label}: {}", out.message);
        }
    }
    // After all that, the client still works on the same pool.
    sim.add_open_id(1);
    assert_eq!(c.cancel(1).kind, Kind::Ok);
}

#[test]
fn a_slow_answer_times_out_as_unknown_and_is_not_resent() {
    let sim = sim(&[], vec![(7, Fault::Slow { delay_ms: 10_000 })]);
    let mut cfg = config(&sim);
    cfg.set_timeouts(1_000, 1_000).unwrap();
    cfg.set_clock_sync(false); // the whole budget is the cancel's
    let out = Client::new(&cfg).unwrap().cancel(7);
    assert_eq!((out.kind, out.http_status), (Kind::UnknownOutcome, 0), "{}", out.message);
    assert!(out.message.contains("timed out"), "{}", out.message);
    assert_eq!(sim.cancel_requests(), 1);
}

#[test]
fn refused_connection_is_transport() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = Config::default();
    cfg.set_api_key(KEY).unwrap();
    cfg.set_secret_key(SECRET).unwrap();
    cfg.set_base_url(&format!("http://127.0.0.1:{port}")).unwrap();
    let out = Client::new(&cfg).unwrap().cancel(1);
    assert_eq!((out.kind, out.http_status), (Kind::Transport, 0), "{}", out.message);
    no_secrets(&out);
}

/// Waits, at most 5 s, for something the simulator reports.
fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the simulator never got there");
}

#[test]
fn a_connection_closed_while_idle_costs_a_reconnect_not_an_unknown() {
    let sim = Sim::start(SimConfig {
        api_key: KEY.into(),
        secret_key: SECRET.into(),
        open_ids: vec![1, 2],
        idle_timeout_ms: 100,
        ..SimConfig::default()
    })
    .unwrap();
    let c = client(&sim);
    assert_eq!(c.cancel(1).kind, Kind::Ok);
    wait_until(|| sim.idle_closed() == 1); // the server drops the idle connection
    second_cancel_reconnects(&sim, &c);
}

#[test]
fn a_connection_with_stray_bytes_is_not_reused() {
    let sim = sim(&[1, 2], vec![(1, Fault::Stray)]);
    let c = client(&sim);
    assert_eq!(c.cancel(1).kind, Kind::Ok);
    // The stray bytes arrive 50 ms after the answer, once the connection is
    // back in the pool: only the probe before reuse can see them.
    wait_until(|| sim.stray_sent() == 1);
    second_cancel_reconnects(&sim, &c);
}

/// Cancels order 2 once what the server just sent has crossed loopback: the
/// pooled connection is condemned, so the cancel goes out once, on a new one.
fn second_cancel_reconnects(sim: &Sim, c: &Client) {
    std::thread::sleep(Duration::from_millis(20));
    let out = c.cancel(2);
    assert_eq!(out.kind, Kind::Ok, "{}", out.message);
    assert_eq!(sim.connections(), 2);
    assert_eq!(sim.cancel_requests(), 2);
}

#[test]
fn eight_threads_share_one_client() {
    let ids: Vec<i64> = (1000..1080).collect();
    let sim = sim(&ids, vec![]);
    let c = client(&sim);
    std::thread::scope(|s| {
        for t in 0..8 {
            let c = &c;
            s.spawn(move || {
                for id in (0..10).map(|k| 1000 + t * 10 + k) {
                    assert_eq!(c.cancel(id).kind, Kind::Ok);
                }
                assert_eq!(c.cancel(1000 + t * 10).kind, Kind::Rejected);
            });
        }
    });
    assert_eq!(sim.cancel_requests(), 88);
    assert!(sim.connections() <= 8, "connections are pooled: {}", sim.connections());
}
