//! Sockets and threads: the accept loop, one thread per connection,
//! keep-alive, idle timeout, routing and the request log.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::exchange::{self, Exchange, CANCEL_PATH, JSON};
use super::http::{self, Delivery, Parse, Reply, Request, Response, STRAY_AFTER, STRAY_BYTES};
use super::SimConfig;

/// How often blocked threads look at the stop flag; bounds how long `stop` takes.
const POLL: Duration = Duration::from_millis(50);
/// Connections beyond this are closed at once, so a flood cannot exhaust threads.
const MAX_CONNECTIONS: usize = 1024;

pub(crate) struct Shared {
    pub exchange: Exchange,
    pub stop: AtomicBool,
    pub requests: AtomicU64,
    pub cancel_requests: AtomicU64,
    pub connections: AtomicU64,
    pub stray_sent: AtomicU64,
    pub idle_closed: AtomicU64,
    /// `None`: idle connections are never closed.
    idle_timeout: Option<Duration>,
    log: bool,
}

impl Shared {
    pub fn new(cfg: &SimConfig) -> std::io::Result<Self> {
        Ok(Shared {
            exchange: Exchange::new(cfg)?,
            stop: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            cancel_requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            stray_sent: AtomicU64::new(0),
            idle_closed: AtomicU64::new(0),
            idle_timeout: (cfg.idle_timeout_ms > 0).then(|| Duration::from_millis(cfg.idle_timeout_ms)),
            log: cfg.log,
        })
    }

    fn stopped(&self) -> bool {
        self.stop.load(Relaxed)
    }

    fn idle_for(&self, since: Instant) -> bool {
        self.idle_timeout.is_some_and(|t| since.elapsed() >= t)
    }
}

/// Accepts until the stop flag is set (the caller then wakes `accept` with a
/// connection of its own), then waits for every connection thread.
pub(crate) fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for conn in listener.incoming() {
        if shared.stopped() {
            break;
        }
        let Ok(stream) = conn else {
            // Typically out of file descriptors: back off rather than spin.
            thread::sleep(POLL);
            continue;
        };
        workers.retain(|w| !w.is_finished());
        if workers.len() >= MAX_CONNECTIONS {
            continue;
        }
        shared.connections.fetch_add(1, Relaxed);
        let shared = Arc::clone(shared);
        let spawned = thread::Builder::new().name("sim-conn".into()).spawn(move || serve(stream, &shared));
        if let Ok(worker) = spawned {
            workers.push(worker);
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// Serves one connection until the client closes, it idles out, a reply
/// ends it, or the simulator stops. Short socket timeouts keep every wait
/// bounded by `POLL`.
fn serve(mut stream: TcpStream, shared: &Shared) {
    let configured = stream.set_nonblocking(false).is_ok()
        && stream.set_read_timeout(Some(POLL)).is_ok()
        && stream.set_write_timeout(Some(POLL)).is_ok();
    if !configured {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut last_activity = Instant::now();
    loop {
        match http::parse(&buf) {
            Parse::Complete(req, used) => {
                buf.drain(..used);
                shared.requests.fetch_add(1, Relaxed);
                if !respond(&mut stream, shared, &req) {
                    return;
                }
                last_activity = Instant::now();
                continue;
            }
            Parse::Invalid => {
                if shared.log {
                    eprintln!("sim: malformed request -> 400 Bad Request");
                }
                let reply = Reply::full(Response::html_error(400));
                let (head, body) = reply.wire(false);
                if send(&mut stream, shared, &head) && send(&mut stream, shared, body) {
                    close_gracefully(&mut stream, shared);
                }
                return;
            }
            Parse::Incomplete => {}
        }
        if shared.stopped() {
            return;
        }
        if shared.idle_for(last_activity) {
            // Closed before it is counted: a test that saw the count can
            // rely on the FIN being on its way.
            let _ = stream.shutdown(Shutdown::Both);
            shared.idle_closed.fetch_add(1, Relaxed);
            return;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                // Idle time counts from a request's first byte, not its
                // latest: a head trickled in byte by byte is cut off too.
                if buf.is_empty() {
                    last_activity = Instant::now();
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
    }
}

/// Answers one request; returns whether the connection stays open.
fn respond(stream: &mut TcpStream, shared: &Shared, req: &Request) -> bool {
    let reply = route(shared, req);
    if shared.log {
        log(req, &reply);
    }
    if !reply.delay.is_zero() && !sleep_unless_stopped(shared, reply.delay) {
        return false;
    }
    let (head, body) = reply.wire(req.keep_alive);
    // A HEAD answer has the headers of a GET, Content-Length included, and no content (RFC 9110 9.3.2).
    let body = if req.method == "HEAD" { &[][..] } else { body };
    if !(send(stream, shared, &head) && send(stream, shared, body)) {
        return false;
    }
    if reply.delivery == Delivery::Stray {
        if !(sleep_unless_stopped(shared, STRAY_AFTER) && send(stream, shared, STRAY_BYTES)) {
            return false;
        }
        shared.stray_sent.fetch_add(1, Relaxed);
    }
    if reply.keeps_alive(req.keep_alive) {
        return true;
    }
    close_gracefully(stream, shared);
    false
}

fn route(shared: &Shared, req: &Request) -> Reply {
    let ex = &shared.exchange;
    let json = |body: String| Response::new(200, vec![("Content-Type", JSON.to_owned())], body);
    match (req.method.as_str(), req.path()) {
        ("DELETE", CANCEL_PATH) => {
            shared.cancel_requests.fetch_add(1, Relaxed);
            ex.cancel(req)
        }
        ("GET", "/api/v3/time") => Reply::full(json(format!(r#"{{"serverTime":{}}}"#, ex.server_ms()))),
        ("GET", "/sim/stats") => Reply::full(json(format!(
            r#"{{"requests":{},"cancel_requests":{},"connections":{},"open_ids":{}}}"#,
            shared.requests.load(Relaxed),
            shared.cancel_requests.load(Relaxed),
            shared.connections.load(Relaxed),
            ex.open_count(),
        ))),
        (_, path) => {
            if path.starts_with("/sapi/") {
                ex.hit_ip_weight();
            }
            Reply::full(Response::html_error(404))
        }
    }
}

/// One line per request. Only the path and the order named are printed:
/// the query holds the signature and the headers the API key.
fn log(req: &Request, reply: &Reply) {
    let algo = match exchange::target_for_log(req) {
        Some(target) if req.path() == CANCEL_PATH => target,
        _ => String::new(),
    };
    let status = format!("{} {}", reply.response.status, http::reason(reply.response.status));
    let outcome = match reply.delivery {
        Delivery::Full => status,
        Delivery::Truncated => format!("{status}, body cut to half"),
        Delivery::ShortBody => format!("{status}, body shorter than Content-Length"),
        Delivery::Hangup => format!("connection closed without answer (would have been {status})"),
        Delivery::Stray => format!("{status}, then stray bytes {} ms later", STRAY_AFTER.as_millis()),
    };
    let delay = if reply.delay.is_zero() { String::new() } else { format!(" after {} ms", reply.delay.as_millis()) };
    eprintln!("sim: {} {}{algo} -> {outcome}{delay}", req.method, req.path());
}

/// Writes all of `bytes`. Gives up when the simulator stops or the client
/// reads nothing for the idle timeout, so a client that never reads (e.g.
/// the 10 MiB body) cannot pin the thread.
fn send(stream: &mut TcpStream, shared: &Shared, mut bytes: &[u8]) -> bool {
    let mut progress = Instant::now();
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return false,
            Ok(n) => {
                bytes = &bytes[n..];
                progress = Instant::now();
            }
            Err(e) if is_timeout(&e) => {
                if shared.stopped() || shared.idle_for(progress) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}

/// Sleeps for `delay`; false if the simulator stopped meanwhile.
fn sleep_unless_stopped(shared: &Shared, delay: Duration) -> bool {
    let end = Instant::now() + delay;
    loop {
        if shared.stopped() {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        thread::sleep(left.min(POLL));
    }
}

/// Sends FIN, then reads and drops what the client still sends for a short
/// while. Closing with unread input would make the kernel send RST, which
/// can destroy the answer before the client reads it.
fn close_gracefully(stream: &mut TcpStream, shared: &Shared) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut sink = [0u8; 8192];
    let mut drained = 0;
    while Instant::now() < deadline && drained < http::MAX_REQUEST && !shared.stopped() {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted)
}
