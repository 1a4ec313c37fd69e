//! The C contract, exercised through the extern "C" functions themselves:
//! NULLs, out-params cleared on every failure, frees that accept NULL, and
//! statuses for bad input. No network beyond a refused loopback connect.

use binance_algo::ffi::*;
use binance_status::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn config(base_url: &str) -> *mut binance_config {
    let cfg = binance_config_new();
    assert!(!cfg.is_null());
    let (key, secret, url) =
        (CString::new("key").unwrap(), CString::new("secret").unwrap(), CString::new(base_url).unwrap());
    assert_eq!(binance_config_set_api_key(cfg, key.as_ptr()), BINANCE_OK);
    assert_eq!(binance_config_set_secret_key(cfg, secret.as_ptr()), BINANCE_OK);
    assert_eq!(binance_config_set_base_url(cfg, url.as_ptr()), BINANCE_OK);
    cfg
}

fn client(base_url: &str) -> *mut binance_client {
    let cfg = config(base_url);
    let mut c = null_mut();
    assert_eq!(binance_client_new(cfg, &mut c), BINANCE_OK);
    binance_config_free(cfg);
    assert!(!c.is_null());
    c
}

/// A loopback port with nothing listening.
fn dead_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn status_names_never_null() {
    assert_eq!(text(binance_status_str(0)), "BINANCE_OK");
    assert_eq!(text(binance_status_str(4)), "BINANCE_ERR_UNKNOWN_OUTCOME");
    assert_eq!(text(binance_status_str(6)), "BINANCE_ERR_INTERNAL");
    assert_eq!(text(binance_status_str(7)), "BINANCE_ERR_SIGNER");
    for bad in [-1, 8, 999, i32::MIN, i32::MAX] {
        assert_eq!(text(binance_status_str(bad)), "unknown status");
    }
    assert_eq!(text(binance_version()), env!("CARGO_PKG_VERSION"));
}

#[test]
fn frees_accept_null() {
    binance_config_free(null_mut());
    binance_client_free(null_mut());
    binance_result_free(null_mut());
    binance_string_free(null_mut());
}

#[test]
fn config_setters_check_everything() {
    let good = CString::new("abc").unwrap();
    let empty = CString::new("").unwrap();
    let not_utf8 = [0xffu8, 0xfe, 0];
    assert_eq!(binance_config_set_api_key(null_mut(), good.as_ptr()), BINANCE_ERR_INVALID_ARGUMENT);
    let cfg = binance_config_new();
    type Setter = extern "C" fn(*mut binance_config, *const c_char) -> binance_status;
    let setters: [Setter; 4] = [
        binance_config_set_api_key,
        binance_config_set_secret_key,
        binance_config_set_base_url,
        binance_config_set_ca_file,
    ];
    for set in setters {
        assert_eq!(set(cfg, null()), BINANCE_ERR_INVALID_ARGUMENT);
        assert_eq!(set(cfg, empty.as_ptr()), BINANCE_ERR_INVALID_ARGUMENT);
        assert_eq!(set(cfg, not_utf8.as_ptr().cast()), BINANCE_ERR_INVALID_ARGUMENT);
    }
    assert_eq!(binance_config_set_recv_window(cfg, 0), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_recv_window(cfg, 60_001), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_recv_window(cfg, 60_000), BINANCE_OK);
    assert_eq!(binance_config_set_recv_window(null_mut(), 5000), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_timeouts(cfg, 0, 100), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_timeouts(cfg, 100, 600_001), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_timeouts(cfg, -5, 100), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_timeouts(cfg, 100, 600_000), BINANCE_OK);
    assert_eq!(binance_config_set_timeouts(null_mut(), 1, 1), BINANCE_ERR_INVALID_ARGUMENT);
    let missing = CString::new("/nonexistent/ca.pem").unwrap();
    assert_eq!(binance_config_set_ca_file(cfg, missing.as_ptr()), BINANCE_ERR_INVALID_ARGUMENT);
    for url in ["ftp://x", "api.binance.com", "https://h/?q=1", "http://h:0"] {
        let url = CString::new(url).unwrap();
        assert_eq!(binance_config_set_base_url(cfg, url.as_ptr()), BINANCE_ERR_INVALID_ARGUMENT);
    }
    binance_config_free(cfg);
}

#[test]
fn client_new_needs_both_keys_and_clears_its_out_param() {
    let mut out: *mut binance_client = 0x1 as *mut _;
    assert_eq!(binance_client_new(null(), &mut out), BINANCE_ERR_INVALID_ARGUMENT);
    assert!(out.is_null(), "out_client not cleared");
    let cfg = binance_config_new();
    assert_eq!(binance_client_new(cfg, null_mut()), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(text(binance_config_last_error(cfg)), "out_client is NULL");
    out = 0x1 as *mut _;
    assert_eq!(binance_client_new(cfg, &mut out), BINANCE_ERR_INVALID_ARGUMENT);
    assert!(out.is_null());
    let key = CString::new("key").unwrap();
    assert_eq!(binance_config_set_api_key(cfg, key.as_ptr()), BINANCE_OK);
    assert_eq!(binance_client_new(cfg, &mut out), BINANCE_ERR_INVALID_ARGUMENT, "secret missing");
    assert_eq!(binance_config_set_secret_key(cfg, key.as_ptr()), BINANCE_OK);
    assert_eq!(binance_client_new(cfg, &mut out), BINANCE_OK);
    // The config may go first; the client keeps its own copy.
    binance_config_free(cfg);
    binance_client_free(out);
}

#[test]
fn cancel_rejects_bad_input_before_sending() {
    let c = client(&dead_url());
    let detail = binance_result_new();
    let mut json: *mut c_char;
    for id in [0, -1, i64::MIN] {
        json = 0x1 as *mut _;
        assert_eq!(binance_cancel_algo_order_ex(c, id, detail, &mut json), BINANCE_ERR_INVALID_ARGUMENT);
        assert!(json.is_null());
        assert_eq!(binance_result_status(detail), BINANCE_ERR_INVALID_ARGUMENT);
        assert!(text(binance_result_message(detail)).contains("nothing was sent"));
        assert_eq!(binance_result_http_status(detail), 0);
    }
    json = 0x1 as *mut _;
    assert_eq!(binance_cancel_algo_order(null_mut(), 1, &mut json), BINANCE_ERR_INVALID_ARGUMENT);
    assert!(json.is_null());
    assert_eq!(binance_cancel_algo_order_ex(c, 1, detail, null_mut()), BINANCE_ERR_INVALID_ARGUMENT);
    assert!(text(binance_result_message(detail)).contains("out_json is NULL"));
    binance_result_free(detail);
    binance_client_free(c);
}

#[test]
fn refused_connection_is_transport_with_a_message() {
    let c = client(&dead_url());
    let detail = binance_result_new();
    let mut json: *mut c_char = 0x1 as *mut _;
    assert_eq!(binance_cancel_algo_order_ex(c, 14511, detail, &mut json), BINANCE_ERR_TRANSPORT);
    assert!(json.is_null());
    assert_eq!(binance_result_status(detail), BINANCE_ERR_TRANSPORT);
    let msg = text(binance_result_message(detail));
    assert!(msg.contains("not sent") && msg.contains("refused"), "{msg}");
    assert!(!msg.contains("signature") && !msg.contains("secret"), "{msg}");
    assert_eq!(binance_result_retry_after_s(detail), -1);
    binance_result_free(detail);
    binance_client_free(c);
}

#[test]
fn result_readers_accept_null() {
    assert_eq!(binance_result_status(null()), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_result_http_status(null()), 0);
    assert_eq!(binance_result_exchange_code(null()), 0);
    assert_eq!(text(binance_result_exchange_msg(null())), "");
    assert_eq!(text(binance_result_message(null())), "");
    assert_eq!(binance_result_retry_after_s(null()), -1);
    assert_eq!(binance_result_used_weight_ip_1m(null()), -1);
    assert_eq!(binance_result_used_weight_uid_1m(null()), -1);
    let fresh = binance_result_new();
    assert_eq!(binance_result_status(fresh), BINANCE_ERR_INTERNAL);
    binance_result_free(fresh);
}

#[test]
fn threads_may_build_clients_from_one_config_at_once() {
    struct Shared(*const binance_config);
    // SAFETY (of the test): binance_client_new is documented as callable from
    // several threads at once on one config, which outlives the threads.
    unsafe impl Sync for Shared {}
    let good = config(&dead_url());
    let bad = binance_config_new(); // no key: every build fails alike
    let (good_ref, bad_ref) = (Shared(good), Shared(bad));
    std::thread::scope(|s| {
        for _ in 0..4 {
            for (cfg, want) in [(&good_ref, BINANCE_OK), (&bad_ref, BINANCE_ERR_INVALID_ARGUMENT)] {
                s.spawn(move || {
                    for _ in 0..1000 {
                        let mut c = null_mut();
                        assert_eq!(binance_client_new(cfg.0, &mut c), want);
                        assert_eq!(c.is_null(), want != BINANCE_OK);
                        binance_client_free(c);
                    }
                });
            }
        }
    });
    assert_eq!(text(binance_config_last_error(good)), "");
    assert_eq!(text(binance_config_last_error(bad)), "no API key set");
    binance_config_free(good);
    binance_config_free(bad);
}
