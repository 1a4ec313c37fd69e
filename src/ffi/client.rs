use super::cancel::{client_of, invalid, with_detail};
use super::config::ConfigHandle;
use super::{binance_config, binance_result, binance_status, guard, guard_or, try_out, try_out_value, try_ref};
use crate::engine::client::Client;
use std::sync::Arc;

/// Opaque, thread-safe client ("ctx"): a signed-request sender with its own
/// kept-alive connection pool. Any number of threads may cancel through one
/// client at once. After fork(), use it in the parent only: in the child a
/// call can hang or break the parent's connections; create a new client
/// there.
pub struct binance_client {
    _private: [u8; 0],
}

/// Creates a client from a configuration.
///
/// Ownership: `cfg` is borrowed: its settings are copied into the client
/// (it may be freed or changed right after), and the outcome is recorded
/// for binance_config_last_error(cfg). On BINANCE_OK `*out_client` is a
/// client that the caller owns and frees with binance_client_free.
/// `*out_client` is set to NULL on entry and stays NULL on every failure.
/// Thread safety: any thread; several threads may build clients from one
/// config at once (each only reads it, and records its outcome under a
/// lock), but not while a setter or binance_config_free runs on it.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL argument or
/// a config without an API key or a way to sign (secret key, private key or
/// signer); binance_config_last_error(cfg) says which.
#[no_mangle]
pub extern "C" fn binance_client_new(
    cfg: *const binance_config,
    out_client: *mut *mut binance_client,
) -> binance_status {
    guard(|| {
        // Said in the config's last error too, like every other refusal.
        // SAFETY: NULL or a live config from binance_config_new.
        if let (true, Some(handle)) = (out_client.is_null(), unsafe { cfg.cast::<ConfigHandle>().as_ref() }) {
            return handle.record(Err("out_client is NULL".to_owned()));
        }
        let out = try_out!(out_client);
        let handle = try_ref!(cfg, ConfigHandle);
        match Client::new(&handle.config) {
            Ok(client) => {
                let status = handle.record(Ok(()));
                // Last, so that nothing after it can fail with a client out.
                *out = Arc::into_raw(Arc::new(client)).cast_mut().cast();
                status
            }
            Err(why) => handle.record(Err(why)),
        }
    })
}

/// Frees a client: closes its connections and wipes its API key and HMAC
/// secret (an Ed25519 or RSA key is freed unwiped: see
/// binance_config_set_private_key).
///
/// NULL: accepted, does nothing.
/// Thread safety: only after every call on `client` has returned.
#[no_mangle]
pub extern "C" fn binance_client_free(client: *mut binance_client) {
    guard_or((), || {
        if !client.is_null() {
            // SAFETY: non-NULL clients only come from binance_client_new
            // (Arc::into_raw), and the caller promises to free each once.
            drop(unsafe { Arc::from_raw(client.cast_const().cast::<Client>()) });
        }
    })
}

/// Measures the server-time offset now with `GET /api/v3/time` (unsigned,
/// weight 1), half the round trip accounted for. Clients also do this by
/// themselves before their first cancel and after a -1021, unless
/// binance_config_set_clock_sync turned it off; this call sets the offset
/// either way.
///
/// `ctx`: borrowed, non-NULL. `detail`: may be NULL; otherwise reset, then
/// filled (message, HTTP status).
/// Thread safety: any thread, concurrently with cancels on the same client.
/// Returns BINANCE_OK; BINANCE_ERR_INVALID_ARGUMENT for a NULL `ctx`;
/// BINANCE_ERR_TRANSPORT when the request could not be sent; otherwise the
/// status of the failed answer (REJECTED, RATE_LIMITED, UNKNOWN_OUTCOME).
#[no_mangle]
pub extern "C" fn binance_client_sync_clock(ctx: *mut binance_client, detail: *mut binance_result) -> binance_status {
    guard(|| with_detail(detail, || client_of(ctx).map_or_else(|out| *out, Client::sync_now)).0)
}

/// Pre-warms the client so the next cancels cost no connection set-up:
/// opens up to `connections` (1..=64) kept-alive connections, TLS handshake
/// and certificate check included, with that many concurrent unsigned
/// `GET /api/v3/time` (weight 1 each), each held until all are open, and
/// syncs the clock when clock sync is on (from that answer for one
/// connection; with one more GET for several, since a held answer's round
/// trip includes its wait for the others). Open one connection per thread that will
/// cancel at the same time. An idle connection is reused for up to 15 s
/// (probed first), so warm shortly before you expect to need them; up to 64
/// stay idle, and one idle longer keeps its socket until the client's next
/// call or binance_client_free (there is no background thread).
///
/// `ctx`: borrowed, non-NULL. `detail`: may be NULL; otherwise reset, then
/// filled (message: how many connections were opened).
/// Thread safety: any thread, concurrently with cancels.
/// Returns BINANCE_OK when every connection was opened;
/// BINANCE_ERR_INVALID_ARGUMENT for a NULL `ctx` or `connections` outside
/// 1..=64; otherwise the status of the first failure, when none or only
/// some were opened (the message says how many): BINANCE_ERR_TRANSPORT for
/// a connection that could not be made, or the status of a failed answer.
#[no_mangle]
pub extern "C" fn binance_client_warm(
    ctx: *mut binance_client,
    connections: i32,
    detail: *mut binance_result,
) -> binance_status {
    guard(|| {
        with_detail(detail, || match client_of(ctx) {
            Err(out) => *out,
            Ok(_) if !(1..=64).contains(&connections) => invalid("connections must be 1..=64"),
            Ok(client) => client.warm(connections as u32),
        })
        .0
    })
}

/// The measured server-time offset: server time minus local time, in ms,
/// as used for every timestamp this client signs. 0 until a sync succeeded.
///
/// `ctx`: borrowed, non-NULL. `out_offset_ms`: non-NULL, set to 0 on entry.
/// Thread safety: any thread.
/// Returns BINANCE_OK, or BINANCE_ERR_INVALID_ARGUMENT for a NULL argument.
#[no_mangle]
pub extern "C" fn binance_client_clock_offset_ms(
    ctx: *const binance_client,
    out_offset_ms: *mut i64,
) -> binance_status {
    guard(|| {
        let out = try_out_value!(out_offset_ms, 0);
        let client = try_ref!(ctx, Client);
        *out = client.clock_offset_ms().unwrap_or(0);
        binance_status::BINANCE_OK
    })
}
