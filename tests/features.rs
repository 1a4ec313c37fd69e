//! Issue 8 through the C ABI against the simulator: Ed25519 and RSA keys,
//! an external signer, clientAlgoId, dry run, the logging hook, per-call
//! options and config error messages.

use binance_algo::engine::sign::hmac_sha256_hex;
use binance_algo::ffi::*;
use binance_algo::sim::{Fault, Sim, SimConfig};
use binance_status::*;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr::{null, null_mut};
use std::sync::Mutex;

const ED25519_PRIVATE: &str =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
const ED25519_PUBLIC: &str =
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn text(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

/// A config for `sim` with its API key and base URL, but no way to sign yet.
fn config(sim: &Sim) -> *mut binance_config {
    let cfg = binance_config_new();
    assert_eq!(binance_config_set_api_key(cfg, c(&SimConfig::default().api_key).as_ptr()), BINANCE_OK);
    assert_eq!(binance_config_set_base_url(cfg, c(&sim.base_url()).as_ptr()), BINANCE_OK);
    cfg
}

fn hmac_config(sim: &Sim) -> *mut binance_config {
    let cfg = config(sim);
    assert_eq!(binance_config_set_secret_key(cfg, c(&SimConfig::default().secret_key).as_ptr()), BINANCE_OK);
    cfg
}

fn client(cfg: *mut binance_config) -> *mut binance_client {
    let mut client = null_mut();
    assert_eq!(binance_client_new(cfg, &mut client), BINANCE_OK, "{}", text(binance_config_last_error(cfg)));
    binance_config_free(cfg);
    client
}

/// One call: status, body, and the detail's message and attempts.
struct Call {
    status: binance_status,
    json: Option<String>,
    message: String,
    attempts: i32,
    code: i64,
}

fn call(f: impl FnOnce(*mut binance_result, *mut *mut c_char) -> binance_status) -> Call {
    let detail = binance_result_new();
    let mut json = null_mut();
    let status = f(detail, &mut json);
    let body = (!json.is_null()).then(|| text(json));
    binance_string_free(json);
    let out = Call {
        status,
        json: body,
        message: text(binance_result_message(detail)),
        attempts: binance_result_attempts(detail),
        code: binance_result_exchange_code(detail),
    };
    binance_result_free(detail);
    out
}

fn cancel(client: *mut binance_client, id: i64) -> Call {
    call(|d, out| binance_cancel_algo_order_opts(client, id, null(), d, out))
}

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("the openssl command is needed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("binance_algo_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ed25519_key_is_verified_by_the_exchange() {
    let sim = Sim::start(SimConfig {
        public_key_pem: Some(ED25519_PUBLIC.into()),
        open_ids: vec![1, 2],
        ..SimConfig::default()
    })
    .unwrap();
    let cfg = config(&sim);
    assert_eq!(binance_config_set_private_key(cfg, c(ED25519_PRIVATE).as_ptr(), null()), BINANCE_OK);
    let ed = client(cfg);
    let out = cancel(ed, 1);
    assert_eq!(out.status, BINANCE_OK, "{}", out.message);
    assert_eq!(cancel(ed, 1).code, -20124);
    // An HMAC signature means nothing to an Ed25519 API key.
    let hmac = client(hmac_config(&sim));
    assert_eq!((cancel(hmac, 2).status, cancel(hmac, 2).code), (BINANCE_ERR_REJECTED, -1022));
    binance_client_free(ed);
    binance_client_free(hmac);
}

#[test]
fn rsa_key_from_a_file_matches_openssl_and_the_exchange() {
    let dir = temp_dir("rsa");
    openssl(&dir, &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem"]);
    let public = openssl(&dir, &["pkey", "-in", "key.pem", "-pubout"]);
    // The vector: openssl's own PKCS#1 v1.5 SHA-256 signature of a payload.
    let payload = "algoId=14511&recvWindow=5000&timestamp=1499827319559";
    std::fs::write(dir.join("payload"), payload).unwrap();
    let expected = openssl(&dir, &["dgst", "-sha256", "-sign", "key.pem", "payload"]);
    let pem = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    let signer = binance_algo::engine::signer::Signer::from_pem(&pem, None).unwrap();
    use base64::Engine as _;
    assert_eq!(signer.sign(payload.as_bytes()).unwrap(), base64::engine::general_purpose::STANDARD.encode(expected));

    let sim = Sim::start(SimConfig {
        public_key_pem: Some(String::from_utf8(public).unwrap()),
        open_ids: vec![7],
        ..SimConfig::default()
    })
    .unwrap();
    let cfg = config(&sim);
    let path = c(dir.join("key.pem").to_str().unwrap());
    assert_eq!(binance_config_set_private_key_file(cfg, path.as_ptr(), null()), BINANCE_OK);
    let rsa = client(cfg);
    let out = cancel(rsa, 7);
    assert_eq!(out.status, BINANCE_OK, "{}", out.message);
    binance_client_free(rsa);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unusable_keys_say_why() {
    let cfg = binance_config_new();
    let encrypted = c("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assert_eq!(binance_config_set_private_key(cfg, encrypted.as_ptr(), c("pw").as_ptr()), BINANCE_ERR_INVALID_ARGUMENT);
    assert!(text(binance_config_last_error(cfg)).contains("encrypted private keys are not supported"));
    assert_eq!(
        binance_config_set_private_key(cfg, c(ED25519_PRIVATE).as_ptr(), c("pw").as_ptr()),
        BINANCE_ERR_INVALID_ARGUMENT
    );
    assert_eq!(binance_config_set_private_key(cfg, c("junk").as_ptr(), null()), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_config_set_private_key(cfg, null(), null()), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(
        binance_config_set_private_key_file(cfg, c("/nonexistent").as_ptr(), null()),
        BINANCE_ERR_INVALID_ARGUMENT
    );
    assert!(text(binance_config_last_error(cfg)).contains("cannot read the private key file"));
    assert_eq!(binance_config_set_recv_window(cfg, 0), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(text(binance_config_last_error(cfg)), "recvWindow must be 1..=60000 ms, got 0");
    assert_eq!(binance_config_set_recv_window(cfg, 5000), BINANCE_OK);
    assert_eq!(text(binance_config_last_error(cfg)), "");
    let mut out = null_mut();
    assert_eq!(binance_client_new(cfg, &mut out), BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(text(binance_config_last_error(cfg)), "no API key set");
    assert_eq!(text(binance_config_last_error(null())), "");
    binance_config_free(cfg);
}

/// The external signer of these tests: HMAC with the simulator's secret,
/// or a failure when `user_data` says so.
unsafe extern "C" fn test_signer(
    user: *mut c_void,
    payload: *const u8,
    len: usize,
    out: *mut c_char,
    cap: usize,
) -> c_int {
    let mode = unsafe { *(user as *const u8) };
    let payload = unsafe { std::slice::from_raw_parts(payload, len) };
    let sig = match mode {
        0 => hmac_sha256_hex(SimConfig::default().secret_key.as_bytes(), payload),
        1 => return -5,
        _ => "x".repeat(cap), // no room for the NUL
    };
    let n = sig.len().min(cap);
    unsafe { std::ptr::copy_nonoverlapping(sig.as_ptr(), out.cast::<u8>(), n) };
    if n < cap {
        unsafe { *out.add(n) = 0 };
    }
    0
}

#[test]
fn an_external_signer_signs_and_its_failures_send_nothing() {
    let sim = Sim::start(SimConfig { open_ids: vec![1], ..SimConfig::default() }).unwrap();
    let modes = [0u8, 1, 2];
    let clients: Vec<_> = modes
        .iter()
        .map(|mode| {
            let cfg = config(&sim);
            assert_eq!(binance_config_set_signer(cfg, Some(test_signer), mode as *const u8 as *mut c_void), BINANCE_OK);
            client(cfg)
        })
        .collect();
    let out = cancel(clients[0], 1);
    assert_eq!(out.status, BINANCE_OK, "{}", out.message);
    let before = sim.cancel_requests();
    for (client, why) in [(clients[1], "returned -5"), (clients[2], "not NUL-terminated")] {
        let out = cancel(client, 1);
        assert_eq!((out.status, out.attempts), (BINANCE_ERR_SIGNER, 0), "{}", out.message);
        assert!(out.message.contains(why), "{}", out.message);
    }
    assert_eq!(sim.cancel_requests(), before, "a failed signature sends nothing");
    assert_eq!(binance_config_set_signer(binance_config_new(), None, null_mut()), BINANCE_ERR_INVALID_ARGUMENT);
    clients.into_iter().for_each(|c| binance_client_free(c));
}

#[test]
fn cancel_by_client_algo_id() {
    let sim = Sim::start(SimConfig { open_client_ids: vec!["my-twap:1".into()], ..SimConfig::default() }).unwrap();
    let client = client(hmac_config(&sim));
    let by_client_id = |id: Option<&str>| {
        let id = id.map(c);
        call(|d, out| {
            binance_cancel_by_client_algo_id(client, id.as_ref().map_or(null(), |s| s.as_ptr()), null(), d, out)
        })
    };
    let out = by_client_id(Some("my-twap:1"));
    assert_eq!(out.status, BINANCE_OK, "{}", out.message);
    assert!(out.json.unwrap().contains("\"success\":true"));
    assert!(!sim.is_client_id_open("my-twap:1"));
    assert_eq!(by_client_id(Some("my-twap:1")).code, -20124);
    let before = sim.cancel_requests();
    for bad in [None, Some(""), Some("has space"), Some("ünïcode"), Some(&"x".repeat(37))] {
        let out = by_client_id(bad);
        assert_eq!((out.status, out.attempts), (BINANCE_ERR_INVALID_ARGUMENT, 0), "{bad:?}");
    }
    assert_eq!(sim.cancel_requests(), before);
    binance_client_free(client);
}

#[test]
fn presign_builds_the_exact_request_without_sending() {
    let sim = Sim::start(SimConfig { open_ids: vec![14511], ..SimConfig::default() }).unwrap();
    let cfg = hmac_config(&sim);
    let key = c("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A");
    assert_eq!(binance_config_set_api_key(cfg, key.as_ptr()), BINANCE_OK);
    let client = client(cfg);
    let opts = binance_call_options_new();
    assert_eq!(binance_call_options_set_recv_window(opts, 5000), BINANCE_OK);
    let out = call(|_, out| binance_presign_cancel(client, 14511, opts, out));
    assert_eq!(out.status, BINANCE_OK);
    let request: serde_json::Value = serde_json::from_str(&out.json.unwrap()).unwrap();
    assert_eq!(request["method"], "DELETE");
    assert_eq!(request["headers"]["X-MBX-APIKEY"], "vmPU****Eh8A");
    let url = request["url"].as_str().unwrap();
    let prefix = format!("{}/sapi/v1/algo/futures/order?algoId=14511&recvWindow=5000&timestamp=", sim.base_url());
    assert!(url.starts_with(&prefix), "{url}");
    let (payload, signature) = url.split_once('?').unwrap().1.split_once("&signature=").unwrap();
    assert_eq!(signature, hmac_sha256_hex(SimConfig::default().secret_key.as_bytes(), payload.as_bytes()));
    assert_eq!(sim.cancel_requests(), 0, "a dry run sends nothing");
    assert!(sim.is_open(14511));

    let by_client = call(|_, out| binance_presign_cancel_by_client_algo_id(client, c("a.b").as_ptr(), null(), out));
    assert!(by_client.json.unwrap().contains("clientAlgoId=a.b&timestamp="));
    assert_eq!(call(|_, out| binance_presign_cancel(client, 0, null(), out)).status, BINANCE_ERR_INVALID_ARGUMENT);
    assert_eq!(binance_presign_cancel(client, 1, null(), null_mut()), BINANCE_ERR_INVALID_ARGUMENT);
    binance_call_options_free(opts);
    binance_client_free(client);
}

#[test]
fn per_call_options_override_the_client() {
    let sim = Sim::start(SimConfig { open_ids: vec![1, 2], ..SimConfig::default() }).unwrap();
    sim.set_fault(2, Some(Fault::Slow { delay_ms: 3_000 }));
    let client = client(hmac_config(&sim));
    let opts = binance_call_options_new();
    assert_eq!(binance_call_options_set_recv_window(opts, 60_000), BINANCE_OK);
    let out = call(|d, out| binance_cancel_algo_order_opts(client, 1, opts, d, out));
    assert_eq!(out.status, BINANCE_OK, "{}", out.message);
    // The client waits 10 s by default; this call only 300 ms.
    assert_eq!(binance_call_options_set_timeout(opts, 300), BINANCE_OK);
    let out = call(|d, out| binance_cancel_algo_order_opts(client, 2, opts, d, out));
    assert_eq!(out.status, BINANCE_ERR_UNKNOWN_OUTCOME, "{}", out.message);
    assert!(out.message.contains("timed out"), "{}", out.message);
    for (set, bad) in [
        (binance_call_options_set_recv_window as extern "C" fn(_, _) -> _, 60_001),
        (binance_call_options_set_timeout, 0),
    ] {
        assert_eq!(set(opts, bad), BINANCE_ERR_INVALID_ARGUMENT);
        assert_eq!(set(null_mut(), 1), BINANCE_ERR_INVALID_ARGUMENT);
    }
    binance_call_options_free(opts);
    binance_call_options_free(null_mut());
    binance_client_free(client);
}

/// Events as the test's log hook records them.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    kind: binance_log_kind,
    algo_id: i64,
    attempt: i32,
    status: binance_status,
    http_status: i32,
    message: String,
}

unsafe extern "C" fn record(user: *mut c_void, event: *const binance_log_event) {
    let seen = unsafe { &*(user as *const Mutex<Vec<Seen>>) };
    let e = unsafe { &*event };
    seen.lock().unwrap().push(Seen {
        kind: e.kind,
        algo_id: e.algo_id,
        attempt: e.attempt,
        status: e.status,
        http_status: e.http_status,
        message: text(e.message),
    });
}

#[test]
fn the_logging_hook_sees_each_step_and_no_secret() {
    use binance_log_kind::*;
    let sim = Sim::start(SimConfig { open_ids: vec![5], ..SimConfig::default() }).unwrap();
    let seen: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    let cfg = hmac_config(&sim);
    assert_eq!(binance_config_set_logger(cfg, Some(record), &seen as *const _ as *mut c_void), BINANCE_OK);
    let logged = client(cfg);
    assert_eq!(cancel(logged, 5).status, BINANCE_OK);
    let events = std::mem::take(&mut *seen.lock().unwrap());
    let kinds: Vec<_> = events.iter().map(|e| (e.kind, e.algo_id, e.status, e.http_status)).collect();
    assert_eq!(
        kinds,
        [
            (BINANCE_LOG_CLOCK_SYNC, 0, BINANCE_OK, 200),
            (BINANCE_LOG_REQUEST, 5, BINANCE_OK, 0),
            (BINANCE_LOG_ANSWER, 5, BINANCE_OK, 200),
        ]
    );
    let secret = SimConfig::default().secret_key;
    for e in &events {
        let key = SimConfig::default().api_key;
        assert!(!e.message.contains(&secret) && !e.message.contains(&key) && !e.message.contains("signature"), "{e:?}");
    }
    binance_client_free(logged);

    // Pre-warming syncs the clock too, and says so.
    let cfg = hmac_config(&sim);
    assert_eq!(binance_config_set_logger(cfg, Some(record), &seen as *const _ as *mut c_void), BINANCE_OK);
    let warmed = client(cfg);
    assert_eq!(binance_client_warm(warmed, 1, null_mut()), BINANCE_OK);
    let events = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(
        events.iter().map(|e| (e.kind, e.status, e.http_status)).collect::<Vec<_>>(),
        [(BINANCE_LOG_CLOCK_SYNC, BINANCE_OK, 200)]
    );
    assert!(events[0].message.starts_with("clock synced: server - local = "), "{:?}", events[0]);
    binance_client_free(warmed);

    // A refused connection: the retry is an event of its own.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = hmac_config(&sim);
    assert_eq!(binance_config_set_base_url(cfg, c(&format!("http://127.0.0.1:{port}")).as_ptr()), BINANCE_OK);
    assert_eq!(binance_config_set_clock_sync(cfg, 0), BINANCE_OK);
    assert_eq!(binance_config_set_max_retries(cfg, 1), BINANCE_OK);
    assert_eq!(binance_config_set_logger(cfg, Some(record), &seen as *const _ as *mut c_void), BINANCE_OK);
    let refused = client(cfg);
    assert_eq!(cancel(refused, 6).status, BINANCE_ERR_TRANSPORT);
    let kinds: Vec<_> = seen.lock().unwrap().iter().map(|e| (e.kind, e.attempt, e.status)).collect();
    assert_eq!(
        kinds,
        [
            (BINANCE_LOG_REQUEST, 1, BINANCE_OK),
            (BINANCE_LOG_ANSWER, 1, BINANCE_ERR_TRANSPORT),
            (BINANCE_LOG_RETRY, 2, BINANCE_ERR_TRANSPORT),
            (BINANCE_LOG_REQUEST, 2, BINANCE_OK),
            (BINANCE_LOG_ANSWER, 2, BINANCE_ERR_TRANSPORT),
        ]
    );
    binance_client_free(refused);
}
