//! Property tests: arbitrary answers, bytes, numbers and NULLs never panic,
//! never reach BINANCE_ERR_INTERNAL, and always get the documented status.

use binance_algo::engine::classify::{classify, Answer, BodyProblem};
use binance_algo::engine::outcome::Kind;
use binance_algo::ffi::*;
use binance_status::*;
use proptest::prelude::*;
use std::ffi::{c_char, CString};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::ptr::{null, null_mut};

/// Bodies that look like Binance's, mixed with noise.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<Vec<u8>>(),
        (any::<Option<bool>>(), any::<Option<i64>>(), ".*").prop_map(|(success, code, msg)| {
            let mut fields = vec![format!("\"msg\":{}", serde_json::Value::from(msg))];
            fields.extend(success.map(|s| format!("\"success\":{s}")));
            fields.extend(code.map(|c| format!("\"code\":{c}")));
            format!("{{{}}}", fields.join(",")).into_bytes()
        }),
    ]
}

/// A NUL-terminated C string of arbitrary bytes, or NULL.
fn c_arg() -> impl Strategy<Value = Option<CString>> {
    proptest::option::of(any::<Vec<u8>>().prop_map(|mut b| {
        b.retain(|&c| c != 0);
        CString::new(b).unwrap()
    }))
}

fn ptr(arg: &Option<CString>) -> *const c_char {
    arg.as_ref().map_or(null(), |s| s.as_ptr())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn classification_is_total_and_consistent(status in 0u16..1000, body in body(), cut in any::<bool>()) {
        let answer = Answer {
            status,
            body: if cut { Err(BodyProblem::Broken("cut".into())) } else { Ok(body.clone()) },
            retry_after_s: None,
            used_weight_ip_1m: None,
            used_weight_uid_1m: None,
        };
        let out = classify(answer);
        prop_assert!(!out.message.is_empty());
        if out.kind == Kind::Ok {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(out.body.as_deref().map(str::as_bytes), Some(&body[..]));
        }
        if let Some(json) = &out.body {
            prop_assert!(serde_json::from_str::<serde_json::Value>(json).is_ok());
            prop_assert!(!json.contains('\0'));
        }
        if cut {
            prop_assert_eq!(out.kind, Kind::UnknownOutcome);
        } else if out.exchange_code != -1007 {
            match status {
                429 | 418 => prop_assert_eq!(out.kind, Kind::RateLimited),
                400..=499 => prop_assert_eq!(out.kind, Kind::Rejected),
                500..=599 => prop_assert_eq!(out.kind, Kind::UnknownOutcome),
                _ => {}
            }
        } else {
            prop_assert_eq!(out.kind, Kind::UnknownOutcome);
        }
    }

    #[test]
    fn config_entry_points_take_anything(
        key in c_arg(), secret in c_arg(), url in c_arg(), ca in c_arg(),
        recv in any::<i64>(), connect in any::<i64>(), total in any::<i64>(), retries in any::<i32>(),
        null_cfg in any::<bool>(), sync in any::<i32>(),
    ) {
        let cfg = if null_cfg { null_mut() } else { binance_config_new() };
        let statuses = [
            binance_config_set_api_key(cfg, ptr(&key)),
            binance_config_set_secret_key(cfg, ptr(&secret)),
            binance_config_set_base_url(cfg, ptr(&url)),
            binance_config_set_ca_file(cfg, ptr(&ca)),
            binance_config_set_recv_window(cfg, recv),
            binance_config_set_timeouts(cfg, connect, total),
            binance_config_set_max_retries(cfg, retries),
            binance_config_set_clock_sync(cfg, sync),
        ];
        for st in statuses {
            prop_assert!(st == BINANCE_OK || st == BINANCE_ERR_INVALID_ARGUMENT);
            prop_assert!(!null_cfg || st == BINANCE_ERR_INVALID_ARGUMENT);
        }
        prop_assert_eq!(statuses[4] == BINANCE_OK, !null_cfg && (1..=60_000).contains(&recv));
        prop_assert_eq!(statuses[6] == BINANCE_OK, !null_cfg && (0..=10).contains(&retries));
        let mut client = 0x1 as *mut binance_client;
        let st = binance_client_new(cfg, &mut client);
        prop_assert!(st == BINANCE_OK || st == BINANCE_ERR_INVALID_ARGUMENT);
        prop_assert_eq!(st == BINANCE_OK, !client.is_null());
        binance_client_free(client);
        binance_config_free(cfg);
    }

    #[test]
    fn status_names_exist_for_every_int(status in any::<i32>()) {
        prop_assert!(!binance_status_str(status).is_null());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any bytes as the server's answer: a status, never a crash, never
    /// TRANSPORT (the request was sent), and a body only when it is JSON.
    #[test]
    fn garbage_from_the_network(answer in any::<Vec<u8>>(), id in any::<i64>()) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            if let Ok((mut tcp, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = tcp.read(&mut request);
                let _ = tcp.write_all(&answer);
            }
        });
        let cfg = binance_config_new();
        let (key, url) = (CString::new("k").unwrap(), CString::new(format!("http://127.0.0.1:{port}")).unwrap());
        binance_config_set_api_key(cfg, key.as_ptr());
        binance_config_set_secret_key(cfg, key.as_ptr());
        binance_config_set_base_url(cfg, url.as_ptr());
        binance_config_set_clock_sync(cfg, 0);
        binance_config_set_timeouts(cfg, 2_000, 2_000);
        let mut client = null_mut();
        prop_assert_eq!(binance_client_new(cfg, &mut client), BINANCE_OK);
        binance_config_free(cfg);
        let detail = binance_result_new();
        let mut json: *mut c_char = null_mut();
        let st = binance_cancel_algo_order_ex(client, id, detail, &mut json);
        if id <= 0 {
            prop_assert_eq!(st, BINANCE_ERR_INVALID_ARGUMENT);
            // Nothing was sent: wake the server so its thread ends.
            let _ = std::net::TcpStream::connect(("127.0.0.1", port));
        } else {
            prop_assert!(st != BINANCE_ERR_TRANSPORT && st != BINANCE_ERR_INTERNAL && st != BINANCE_OK, "{:?}", st);
        }
        prop_assert_eq!(binance_result_status(detail), st);
        binance_string_free(json);
        binance_result_free(detail);
        binance_client_free(client);
        server.join().unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every pointer argument of the client entry points, NULL or not, with
    /// any id: a status, the out-params cleared, nothing sent on bad input.
    #[test]
    fn client_entry_points_take_any_mix_of_nulls(
        null_ctx in any::<bool>(), null_detail in any::<bool>(), null_out in any::<bool>(), id in any::<i64>(),
    ) {
        // A port nobody listens on: anything sent would come back TRANSPORT.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cfg = binance_config_new();
        let (key, url) = (CString::new("k").unwrap(), CString::new(format!("http://127.0.0.1:{port}")).unwrap());
        binance_config_set_api_key(cfg, key.as_ptr());
        binance_config_set_secret_key(cfg, key.as_ptr());
        binance_config_set_base_url(cfg, url.as_ptr());
        binance_config_set_max_retries(cfg, 0);
        binance_config_set_clock_sync(cfg, 0);
        let mut real = null_mut();
        prop_assert_eq!(binance_client_new(cfg, &mut real), BINANCE_OK);
        binance_config_free(cfg);
        let ctx = if null_ctx { null_mut() } else { real };
        let detail = if null_detail { null_mut() } else { binance_result_new() };
        let mut json: *mut c_char = 0x1 as *mut _;
        let out = if null_out { null_mut() } else { &mut json as *mut _ };
        let st = binance_cancel_algo_order_ex(ctx, id, detail, out);
        let invalid = null_ctx || null_out || id <= 0;
        prop_assert_eq!(st, if invalid { BINANCE_ERR_INVALID_ARGUMENT } else { BINANCE_ERR_TRANSPORT });
        if !null_out {
            prop_assert!(json.is_null());
        }
        if !null_detail {
            prop_assert_eq!(binance_result_status(detail), st);
            prop_assert_eq!(binance_result_attempts(detail), i32::from(!invalid));
        }
        let mut offset = 7i64;
        let offset_out = if null_out { null_mut() } else { &mut offset as *mut i64 };
        let st = binance_client_clock_offset_ms(ctx, offset_out);
        prop_assert_eq!(st == BINANCE_OK, !null_ctx && !null_out);
        prop_assert!(null_out || offset == 0);
        let st = binance_client_sync_clock(ctx, detail);
        prop_assert_eq!(st, if null_ctx { BINANCE_ERR_INVALID_ARGUMENT } else { BINANCE_ERR_TRANSPORT });
        binance_result_free(detail);
        binance_client_free(real);
    }
}
