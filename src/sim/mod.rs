//! Local Binance exchange simulator.
//!
//! Serves, on 127.0.0.1 only, `DELETE /sapi/v1/algo/futures/order` (verified
//! like Binance: API key, parameters, time window, HMAC-SHA256 signature or,
//! with `public_key_pem`, Ed25519 or RSA), by `algoId` or `clientAlgoId`,
//! `GET /api/v3/time`, and `GET /sim/stats` for tests that cannot call Rust.
//! Faults can be injected per algo id. No public testnet serves the algo
//! endpoints, so this is the only place a client can be exercised end to end.
//!
//! ```no_run
//! use binance_algo::sim::{Sim, SimConfig};
//! let sim = Sim::start(SimConfig { open_ids: vec![14511], ..SimConfig::default() })?;
//! println!("{}", sim.base_url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod exchange;
mod fault;
mod http;
mod keys;
mod server;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use fault::{Fault, HUGE_BODY_LEN};
use server::Shared;

#[derive(Clone)]
pub struct SimConfig {
    /// 0 picks a free port.
    pub port: u16,
    pub api_key: String,
    /// HMAC secret; unused when `public_key_pem` is set.
    pub secret_key: String,
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout`
    /// writes) of an Ed25519 or RSA API key: signatures are then checked
    /// against it instead of the HMAC secret.
    pub public_key_pem: Option<String>,
    /// Algo ids that are open and can be cancelled (once each).
    pub open_ids: Vec<i64>,
    /// Client algo ids (`clientAlgoId`) that are open, likewise. Each gets
    /// an algo id of its own, from 8000000000 on in order, for the success
    /// body and for `faults`.
    pub open_client_ids: Vec<String>,
    /// Per algo id, applied to every verified cancel of that id.
    pub faults: Vec<(i64, Fault)>,
    /// Server clock = local clock + this.
    pub clock_offset_ms: i64,
    /// Keep-alive connections idle this long are closed; 0 = never.
    pub idle_timeout_ms: u64,
    /// One line per request on stderr (never keys or signatures).
    pub log: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            api_key: "sim-api-key".into(),
            secret_key: "sim-secret-key".into(),
            public_key_pem: None,
            open_ids: Vec::new(),
            open_client_ids: Vec::new(),
            faults: Vec::new(),
            clock_offset_ms: 0,
            idle_timeout_ms: 30_000,
            log: false,
        }
    }
}

/// Keys redacted, so a config can be printed safely.
impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("port", &self.port)
            .field("api_key", &"<redacted>")
            .field("secret_key", &"<redacted>")
            // Public, but a private key pasted here by mistake must not be printed.
            .field("public_key_pem", &self.public_key_pem.as_ref().map(|_| "<PEM>"))
            .field("open_ids", &self.open_ids)
            .field("open_client_ids", &self.open_client_ids)
            .field("faults", &self.faults)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .field("idle_timeout_ms", &self.idle_timeout_ms)
            .field("log", &self.log)
            .finish()
    }
}

/// A running simulator. Stops (and joins its threads) on `stop` or drop.
pub struct Sim {
    shared: Arc<Shared>,
    port: u16,
    accept: Option<JoinHandle<()>>,
}

impl Sim {
    /// Binds 127.0.0.1 and serves on background threads; requests are
    /// accepted as soon as this returns. An unusable `public_key_pem` is an
    /// `InvalidInput` error.
    pub fn start(cfg: SimConfig) -> io::Result<Sim> {
        let shared = Arc::new(Shared::new(&cfg)?);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, cfg.port))?;
        let port = listener.local_addr()?.port();
        let accept = thread::Builder::new().name("sim-accept".into()).spawn({
            let shared = Arc::clone(&shared);
            move || server::accept_loop(listener, &shared)
        })?;
        Ok(Sim { shared, port, accept: Some(accept) })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// HTTP requests fully received so far, any path.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Relaxed)
    }

    /// Requests to `DELETE /sapi/v1/algo/futures/order`.
    pub fn cancel_requests(&self) -> u64 {
        self.shared.cancel_requests.load(Relaxed)
    }

    /// TCP connections accepted so far (shows whether clients reuse them).
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Relaxed)
    }

    /// Stray-byte deliveries made so far (the `stray` fault).
    pub fn stray_sent(&self) -> u64 {
        self.shared.stray_sent.load(Relaxed)
    }

    /// Keep-alive connections closed so far for idling (`idle_timeout_ms`).
    pub fn idle_closed(&self) -> u64 {
        self.shared.idle_closed.load(Relaxed)
    }

    pub fn is_open(&self, algo_id: i64) -> bool {
        self.shared.exchange.is_open(algo_id)
    }

    pub fn add_open_id(&self, algo_id: i64) {
        self.shared.exchange.add_open_id(algo_id);
    }

    /// Opens (or reopens) a client algo id; returns the algo id it goes by.
    pub fn add_open_client_id(&self, client_id: &str) -> i64 {
        self.shared.exchange.add_open_client_id(client_id)
    }

    pub fn is_client_id_open(&self, client_id: &str) -> bool {
        self.shared.exchange.is_client_id_open(client_id)
    }

    /// Sets (`Some`) or clears (`None`) the fault for one algo id.
    pub fn set_fault(&self, algo_id: i64, fault: Option<Fault>) {
        self.shared.exchange.set_fault(algo_id, fault);
    }

    /// Moves the server clock: server time = local time + `offset_ms`.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared.exchange.set_clock_offset_ms(offset_ms);
    }

    /// Stops accepting, closes every connection and joins all threads.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        let Some(accept) = self.accept.take() else {
            return;
        };
        // `accept` blocks; a connection of our own wakes it to see the flag.
        // Should even that fail, the thread is left behind rather than
        // hanging the caller (connection threads still exit on the flag).
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
            let _ = accept.join();
        }
    }
}
