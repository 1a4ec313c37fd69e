//! Property tests: arbitrary answers, bytes, numbers and NULLs never panic,
//! never reach BINANCE_ERR_INTERNAL, and always get the documented status.

use binance_algo::engine::classify::{classify, Answer, BodyProblem, CODES_OF_UNKNOWN_OUTCOME};
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

/// JSON (and near-JSON) whose keys and values trip a reader up: repeats,
/// escaped keys, wrong types, nesting, numbers out of range, other top-level
/// values, trailing bytes.
fn tricky_json() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec!["code", "success", "msg", "c\\u006fde", "m\\u0073g", "algoId", "Code"]);
    let value = prop::sample::select(vec![
        "0",
        "-20124",
        "1.5",
        "1e3",
        "9223372036854775808",
        "-1007",
        "-1006",
        "-1000",
        "\"OK\"",
        "\"\\u00e9\\n\"",
        "true",
        "false",
        "null",
        "[1,{\"code\":2}]",
        "{\"msg\":\"inner\",\"code\":-1}",
        "{\"code\":-1007}",
        "\"see -1006 above\"",
    ]);
    let object = prop::collection::vec((key, value), 0..6)
        .prop_map(|kv| format!("{{{}}}", kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")));
    let top = prop::sample::select(vec!["", " \n", "[1,2]", "\"x\"", "null", "12", "true"]);
    let tail = prop::sample::select(vec!["", " ", "\n", "x", "}", ",{}"]);
    (prop_oneof![object, top.prop_map(str::to_owned)], tail, any::<bool>())
        .prop_map(|(json, tail, pad)| format!("{}{json}{tail}", if pad { " " } else { "" }))
}

/// Whether a top-level JSON object names code, success, msg, algoId or
/// clientAlgoId more than once (escapes decoded), which serde_json::Value
/// does not show.
fn repeats_a_rule_key(body: &str) -> bool {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(key) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visit)
        }
    }
    let Ok(Keys(keys)) = serde_json::from_str::<Keys>(body) else { return false };
    ["code", "success", "msg", "algoId", "clientAlgoId"].iter().any(|k| keys.iter().filter(|key| key == k).count() > 1)
}

/// The JSON the rules read: the whole body, or for a body that is not
/// exactly JSON, the object it starts with.
fn read_as_classify_does(body: &str) -> Option<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(body).ok().or_else(|| {
        let start = body.trim_start_matches('\u{feff}');
        let mut values = serde_json::Deserializer::from_str(start).into_iter::<serde_json::Value>();
        values.next()?.ok().filter(serde_json::Value::is_object)
    })
}

/// Whether `body` holds -1000, -1006 or -1007 as a number of its own: not
/// part of a longer one or of a word.
fn mentions_an_unknown_outcome_code(body: &str) -> bool {
    let in_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    CODES_OF_UNKNOWN_OUTCOME.iter().any(|code| {
        let code = code.to_string();
        body.match_indices(&code)
            .any(|(at, _)| !body[..at].ends_with(in_word) && !body[at + code.len()..].starts_with(in_word))
    })
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
        let out = classify(answer, None);
        prop_assert!(!out.message.is_empty());
        if out.kind == Kind::Ok {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(out.body.as_deref().map(str::as_bytes), Some(&body[..]));
        }
        if let Some(json) = &out.body {
            prop_assert!(serde_json::from_str::<serde_json::Value>(json).is_ok());
            prop_assert!(!json.contains('\0'));
        }
        let text = String::from_utf8_lossy(&body);
        let read = read_as_classify_does(&text);
        let claims_success = read.as_ref().is_some_and(|json| json.get("success") == Some(&serde_json::Value::Bool(true)));
        let code = read.as_ref().and_then(|json| json.get("code")?.as_i64());
        if cut || mentions_an_unknown_outcome_code(&text) {
            prop_assert_eq!(out.kind, Kind::UnknownOutcome);
        } else if !code.is_some_and(|c| CODES_OF_UNKNOWN_OUTCOME.contains(&c)) {
            match status {
                // "success" under an error status contradicts itself.
                _ if claims_success && status != 200 => prop_assert_eq!(out.kind, Kind::UnknownOutcome),
                429 | 418 => prop_assert_eq!(out.kind, Kind::RateLimited),
                // Binance: a timeout waiting for its backend; a partial success.
                408 | 409 => prop_assert_eq!(out.kind, Kind::UnknownOutcome),
                400..=499 if code == Some(-1003) => prop_assert_eq!(out.kind, Kind::RateLimited),
                400..=499 => prop_assert_eq!(out.kind, Kind::Rejected),
                200 => {}
                // 1XX, 3XX, a 2XX other than 200, 5XX and beyond: never a verdict.
                _ => prop_assert_eq!(out.kind, Kind::UnknownOutcome),
            }
        } else {
            prop_assert_eq!(out.kind, Kind::UnknownOutcome);
        }
    }

    #[test]
    fn fields_are_read_as_a_json_tree_would_read_them(
        status in prop::sample::select(vec![200u16, 400, 503]),
        body in tricky_json(),
        cut_at in proptest::option::of(0usize..80),
    ) {
        // Cut short too, as a close-delimited answer can be.
        let body: String = match cut_at {
            Some(n) => body.chars().take(n).collect(),
            None => body,
        };
        let tree = serde_json::from_str::<serde_json::Value>(&body).ok();
        let read = read_as_classify_does(&body);
        let field = |name: &str| read.as_ref().and_then(|t| t.get(name));
        let out = classify(Answer {
            status,
            body: Ok(body.clone().into_bytes()),
            retry_after_s: None,
            used_weight_ip_1m: None,
            used_weight_uid_1m: None,
        }, None);
        // A body whose first object is cut off keeps the code found in it.
        if read.is_some() || !body.contains("\"code\"") {
            prop_assert_eq!(out.exchange_code, field("code").and_then(serde_json::Value::as_i64).unwrap_or(0));
        }
        if status == 400 && mentions_an_unknown_outcome_code(&body) {
            prop_assert_eq!(out.kind, Kind::UnknownOutcome, "{}", body);
        }
        prop_assert_eq!(out.exchange_msg.as_str(), field("msg").and_then(serde_json::Value::as_str).unwrap_or(""));
        prop_assert_eq!(out.body.is_some(), tree.is_some(), "{}", body);
        // No code (or null), or the integer 0: a code of another type is no
        // verdict, nor is a field the rules read given twice.
        let no_error_code = field("code").is_none_or(|c| c.is_null() || c.as_i64() == Some(0));
        let ok = status == 200
            && tree.is_some()
            && !mentions_an_unknown_outcome_code(&body)
            && !repeats_a_rule_key(&body)
            && field("success").and_then(serde_json::Value::as_bool) == Some(true)
            && no_error_code;
        prop_assert_eq!(out.kind == Kind::Ok, ok, "{}", body);
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
        let client = client_at(port);
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
        let real = dead_client();
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

/// A client on a loopback port nobody listens on: whatever is sent comes
/// back TRANSPORT at once.
fn dead_client() -> *mut binance_client {
    client_at(TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port())
}

/// A client of http://127.0.0.1:PORT: no clock sync, no retries, 2 s timeouts.
fn client_at(port: u16) -> *mut binance_client {
    let cfg = binance_config_new();
    let (key, url) = (CString::new("k").unwrap(), CString::new(format!("http://127.0.0.1:{port}")).unwrap());
    binance_config_set_api_key(cfg, key.as_ptr());
    binance_config_set_secret_key(cfg, key.as_ptr());
    binance_config_set_base_url(cfg, url.as_ptr());
    binance_config_set_max_retries(cfg, 0);
    binance_config_set_clock_sync(cfg, 0);
    binance_config_set_timeouts(cfg, 2_000, 2_000);
    let mut client = null_mut();
    assert_eq!(binance_client_new(cfg, &mut client), BINANCE_OK);
    binance_config_free(cfg);
    client
}

/// What the library accepts as a clientAlgoId.
fn valid_client_id(bytes: &[u8]) -> bool {
    (1..=36).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b".:/_-".contains(b))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The key, signer and logger setters, and the per-call options, with
    /// anything: a status and a message, never a crash.
    #[test]
    fn key_and_option_entry_points_take_anything(
        pem in c_arg(), passphrase in c_arg(), path in c_arg(), null_cfg in any::<bool>(),
        window in any::<i64>(), timeout in any::<i64>(), null_opts in any::<bool>(),
    ) {
        let cfg = if null_cfg { null_mut() } else { binance_config_new() };
        for st in [
            binance_config_set_private_key(cfg, ptr(&pem), ptr(&passphrase)),
            binance_config_set_private_key_file(cfg, ptr(&path), ptr(&passphrase)),
            binance_config_set_signer(cfg, None, null_mut()),
            binance_config_set_logger(cfg, None, null_mut()),
        ] {
            prop_assert!(st == BINANCE_OK || st == BINANCE_ERR_INVALID_ARGUMENT);
        }
        prop_assert!(!binance_config_last_error(cfg).is_null());
        binance_config_free(cfg);

        let opts = if null_opts { null_mut() } else { binance_call_options_new() };
        let st = binance_call_options_set_recv_window(opts, window);
        prop_assert_eq!(st == BINANCE_OK, !null_opts && (1..=60_000).contains(&window));
        let st = binance_call_options_set_timeout(opts, timeout);
        prop_assert_eq!(st == BINANCE_OK, !null_opts && (1..=600_000).contains(&timeout));
        binance_call_options_free(opts);
    }

    /// Cancels and dry runs by clientAlgoId with any bytes, and warm-ups with
    /// any count: invalid input sends nothing; valid input is signed (dry run)
    /// or sent (TRANSPORT here).
    #[test]
    fn client_id_presign_and_warm_take_anything(id in any::<Vec<u8>>(), null_id in any::<bool>(), algo_id in any::<i64>(), connections in -2i32..70) {
        let client = dead_client();
        let mut id = id;
        id.retain(|&b| b != 0);
        let valid = !null_id && valid_client_id(&id);
        let id = CString::new(id).unwrap();
        let id_ptr = if null_id { null() } else { id.as_ptr() };
        let detail = binance_result_new();
        let mut json: *mut c_char = 0x1 as *mut _;
        let st = binance_cancel_by_client_algo_id(client, id_ptr, null(), detail, &mut json);
        prop_assert_eq!(st, if valid { BINANCE_ERR_TRANSPORT } else { BINANCE_ERR_INVALID_ARGUMENT });
        prop_assert!(json.is_null());
        prop_assert_eq!(binance_result_attempts(detail), i32::from(valid));

        let st = binance_presign_cancel_by_client_algo_id(client, id_ptr, null(), &mut json);
        prop_assert_eq!(st == BINANCE_OK, valid);
        prop_assert_eq!(!json.is_null(), valid);
        binance_string_free(json);
        let st = binance_presign_cancel(client, algo_id, null(), &mut json);
        prop_assert_eq!(st == BINANCE_OK, algo_id > 0);
        binance_string_free(json);

        let st = binance_client_warm(client, connections, detail);
        let in_range = (1..=64).contains(&connections);
        prop_assert_eq!(st, if in_range { BINANCE_ERR_TRANSPORT } else { BINANCE_ERR_INVALID_ARGUMENT });
        prop_assert!(!binance_result_message(detail).is_null());
        binance_result_free(detail);
        binance_client_free(client);
    }
}
