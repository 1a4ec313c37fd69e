//! HTTP over one kept-alive ureq Agent, with the one fact ureq does not
//! report: whether the request could have left this process.
//!
//! Everything that fails while resolving or connecting (DNS, TCP connect, TLS
//! handshake, connect timeout) is tagged `NotSent` by our resolver and
//! connector (the socket is tcp.rs, TLS is ureq's rustls). Any other failure
//! happened with a connection in hand, after the request may have been
//! written, so it is reported as `MaybeSent`. ureq 3.5 neither retries nor
//! resends (its pool has the socket probe an idle connection before reuse, so
//! one the server closed costs a reconnect, not a resend), and redirects are
//! off: a request goes out at most once.

use super::classify::{header_int, Answer, BodyProblem};
use super::config::{Config, BODY_CAP_BYTES};
use super::tcp;
use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};
use ureq::config::AutoHeaderValue;
use ureq::http::header::{ACCEPT, CONNECTION, CONTENT_ENCODING, TRANSFER_ENCODING, USER_AGENT};
use ureq::http::{HeaderName, HeaderValue, Uri};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout, RustlsConnector, Transport};
use ureq::Timeout;
use ureq::{Agent, BodyReader};

/// Why no answer was read; the text is the cause only, for the caller to
/// phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Nothing was written to the network: safe to retry.
    NotSent(String),
    /// The request may have reached the server.
    MaybeSent(String),
}

/// The two requests this client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Delete,
    Get,
}

// Parsed once, not on every call.
const USER_AGENT_VALUE: HeaderValue = HeaderValue::from_static(concat!("binance_algo/", env!("CARGO_PKG_VERSION")));
const ACCEPT_JSON: HeaderValue = HeaderValue::from_static("application/json");
const API_KEY: HeaderName = HeaderName::from_static("x-mbx-apikey");
const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
const USED_WEIGHT_IP: HeaderName = HeaderName::from_static("x-sapi-used-ip-weight-1m");
const USED_WEIGHT_UID: HeaderName = HeaderName::from_static("x-sapi-used-uid-weight-1m");

#[derive(Debug)]
pub struct Http {
    agent: Agent,
    generations: tcp::Generations,
    connect_timeout: Duration,
    body_cap: u64,
}

impl Http {
    pub fn new(cfg: &Config) -> Self {
        Self::with_lookup(cfg, Box::new(DefaultResolver::default()))
    }

    /// `lookup` resolves names that are neither IP literals nor cached.
    fn with_lookup(cfg: &Config, lookup: Box<dyn Resolver>) -> Self {
        let mut tls = TlsConfig::builder();
        if let Some(roots) = &cfg.ca_roots {
            let certs = roots.iter().map(|der| Certificate::from_der(der).to_owned());
            tls = tls.root_certs(RootCerts::from(certs));
        }
        let connect = Duration::from_millis(cfg.connect_timeout_ms);
        let agent_config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // Deterministic routing: no proxy picked up from the environment.
            .proxy(None)
            .accept_encoding(AutoHeaderValue::None)
            .timeout_global(Some(Duration::from_millis(cfg.total_timeout_ms)))
            .timeout_resolve(Some(connect))
            .timeout_connect(Some(connect))
            // Room for one idle connection per calling thread of a busy host.
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .tls_config(tls.build())
            .build();
        let dns = Arc::new(DnsCache::default());
        let generations = tcp::Generations::default();
        let connector = NotSentConnector {
            tls: RustlsConnector::default(),
            dns: dns.clone(),
            generations: generations.clone(),
            connect_timeout: connect,
        };
        let resolver = NotSentResolver { inner: lookup, dns };
        Http {
            agent: Agent::with_parts(agent_config, connector, resolver),
            generations,
            connect_timeout: connect,
            body_cap: BODY_CAP_BYTES,
        }
    }

    /// One request, with the API key header when given. `budget` replaces the
    /// configured total timeout (for a call's later requests, which share its
    /// deadline); `answer_within` limits the wait for the answer's head once
    /// the request is sent. With `gather`, the connection is held, once the
    /// answer's head is in, until every request of the gathering has one.
    /// The URL may hold a signature, so nothing derived from it goes into
    /// an error message. Taken by value: ureq keeps it without a copy.
    pub fn send(
        &self,
        method: Method,
        url: String,
        api_key: Option<&str>,
        budget: Option<Duration>,
        answer_within: Option<Duration>,
        gather: Option<&Gather>,
    ) -> Result<(Answer, Held), Failure> {
        let mut request = match method {
            Method::Delete => self.agent.delete(url),
            Method::Get => self.agent.get(url),
        };
        // Set here from constants: left to ureq, both are parsed and copied
        // on every call.
        request = request.header(USER_AGENT, USER_AGENT_VALUE).header(ACCEPT, ACCEPT_JSON);
        if let Some(key) = api_key {
            request = request.header(API_KEY, key);
        }
        if budget.is_some() || answer_within.is_some() {
            let mut config = request.config().timeout_recv_response(answer_within);
            if let Some(budget) = budget {
                let connect = Some(self.connect_timeout.min(budget));
                config = config.timeout_global(Some(budget)).timeout_resolve(connect).timeout_connect(connect);
            }
            request = config.build();
        }
        let called = request.call();
        if let Some(gather) = gather {
            gather.arrive_and_wait();
        }
        let response = called.map_err(failure)?;
        let header = |name: &HeaderName| header_int(response.headers().get(name).and_then(|v| v.to_str().ok()));
        let (retry_after_s, used_weight_ip_1m, used_weight_uid_1m) =
            (header(&RETRY_AFTER), header(&USED_WEIGHT_IP), header(&USED_WEIGHT_UID));
        let status = response.status().as_u16();
        // No Accept-Encoding is sent, which RFC 9110 lets a server take for
        // "any": a compressed body is not read as if it were the answer.
        let coding =
            response.headers().get(CONTENT_ENCODING).filter(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        let coding = coding.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let cap = self.body_cap;
        let length = response.body().content_length();
        let names = |name: &HeaderName, token: &str| {
            let mut values = response.headers().get_all(name).iter().filter_map(|v| v.to_str().ok());
            values.any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        };
        // What ureq pools as its body ends, before the caller has read it: a
        // chunked body on a connection kept alive (a body that ends at the
        // close leaves nothing to reuse).
        let pooled = length.is_none() && names(&TRANSFER_ENCODING, "chunked") && !names(&CONNECTION, "close");
        // Sized from Content-Length up front, the body takes one read, not a
        // series of growing ones.
        let mut body = Vec::with_capacity(length.map_or(0, |n| n.min(cap)) as usize);
        let mut reader = response.into_body().into_with_config().limit(cap).reader();
        // Reading just Content-Length bytes stops short of ureq's end-of-body
        // read, which hands the connection back to the pool: it stays ours
        // until the caller has read the answer (Held).
        let read = match length {
            Some(n) => (&mut reader).take(n).read_to_end(&mut body),
            None => reader.read_to_end(&mut body),
        };
        let (body, held) = match (read, coding) {
            (Ok(_), Some(coding)) => (Err(BodyProblem::Encoded(coding)), Held { reader: None, pooled: false }),
            (Ok(_), None) => (Ok(body), Held { reader: Some(reader), pooled }),
            (Err(e), _) => {
                let problem = match ureq::Error::from(e) {
                    ureq::Error::BodyExceedsLimit(_) => BodyProblem::TooLarge { cap },
                    e => BodyProblem::Broken(describe(&e)),
                };
                (Err(problem), Held { reader: None, pooled: false })
            }
        };
        Ok((Answer { status, body, retry_after_s, used_weight_ip_1m, used_weight_uid_1m }, held))
    }

    /// Every connection open now is closed instead of reused: after an answer
    /// that was not its request's, the next may be shifted too.
    pub fn retire_connections(&self) {
        self.generations.retire_all();
    }

    /// Keeps the connection of an answer that may not be its request's from
    /// being reused: closed, or every connection retired when ureq pooled
    /// it already.
    pub fn discard(&self, held: Held) {
        if held.pooled {
            self.retire_connections();
        }
    }
}

/// The connection an answer came on, kept out of the pool until the caller
/// has read the answer: `release` lets it be reused, dropping it closes it.
/// A chunked body is read to its end, which has ureq pool the connection
/// before the caller sees it (`pooled`).
pub struct Held {
    reader: Option<BodyReader<'static>>,
    pooled: bool,
}

impl Held {
    pub fn release(self) {
        if let Some(mut reader) = self.reader {
            // The end-of-body read: the connection goes back to the pool.
            let _ = reader.read(&mut [0]);
        }
    }
}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (&self.reader, self.pooled) {
            (_, true) => "Held(pooled)",
            (Some(_), false) => "Held(connection)",
            (None, false) => "Held(none)",
        })
    }
}

/// Concurrent requests that each hold their connection until all have one,
/// so that none goes back to the pool for another to reuse: N requests then
/// leave N connections open (binance_client_warm). A request that fails
/// arrives too, and nobody waits past `deadline`.
#[derive(Debug)]
pub struct Gather {
    waiting_for: Mutex<usize>,
    all_in: Condvar,
    deadline: Instant,
}

impl Gather {
    pub fn new(requests: usize, deadline: Instant) -> Self {
        Gather { waiting_for: Mutex::new(requests), all_in: Condvar::new(), deadline }
    }

    fn arrive_and_wait(&self) {
        let mut waiting_for = self.waiting_for.lock().unwrap_or_else(PoisonError::into_inner);
        *waiting_for = waiting_for.saturating_sub(1);
        if *waiting_for == 0 {
            self.all_in.notify_all();
        }
        while *waiting_for > 0 {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            waiting_for = self.all_in.wait_timeout(waiting_for, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

fn failure(e: ureq::Error) -> Failure {
    match not_sent(&e) {
        Some(inner) => Failure::NotSent(describe(inner)),
        None => Failure::MaybeSent(describe(&e)),
    }
}

/// ureq's own text, except for variants that could quote the (signed) URL.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => "invalid request URL".to_owned(),
        ureq::Error::Timeout(t) => format!("timed out: {t}"),
        ureq::Error::Io(io) => io.to_string(),
        e => e.to_string(),
    }
}

/// Marks an error raised before any request byte was written.
#[derive(Debug)]
struct NotSent(ureq::Error);

impl fmt::Display for NotSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for NotSent {}

fn tag(e: ureq::Error) -> ureq::Error {
    ureq::Error::Io(io::Error::other(NotSent(e)))
}

fn not_sent(e: &ureq::Error) -> Option<&ureq::Error> {
    match e {
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<NotSent>().map(|n| &n.0),
        _ => None,
    }
}

thread_local! {
    /// When this thread's last resolve started a name lookup; None when it
    /// answered at once. ureq resolves and then connects on the calling
    /// thread, and starts the connect budget afresh after the lookup: the
    /// connector takes this to give DNS, TCP and TLS one budget between them.
    static LOOKUP_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Our TCP socket (see tcp.rs), wrapped in ureq's rustls for https.
#[derive(Debug)]
struct NotSentConnector {
    tls: RustlsConnector,
    dns: Arc<DnsCache>,
    generations: tcp::Generations,
    connect_timeout: Duration,
}

impl Connector for NotSentConnector {
    type Out = Box<dyn Transport>;

    fn connect(&self, details: &ConnectionDetails, _: Option<()>) -> Result<Option<Self::Out>, ureq::Error> {
        let shortened = self.after_lookup(details);
        let details = shortened.as_ref().unwrap_or(details);
        let connected =
            tcp::connect(details, &self.generations).and_then(|socket| self.tls.connect(details, Some(socket)));
        match connected {
            Ok(Some(transport)) => Ok(Some(transport.boxed())),
            Ok(None) => Err(ureq::Error::ConnectionFailed),
            Err(e) => Err(e),
        }
        .map_err(|e| {
            // The host may have moved: look it up afresh next time.
            self.dns.forget();
            tag(e)
        })
    }
}

impl NotSentConnector {
    /// `details` with the connect budget the name lookup left, when that is
    /// less than ureq's.
    fn after_lookup<'a>(&self, d: &ConnectionDetails<'a>) -> Option<ConnectionDetails<'a>> {
        let left = self.connect_timeout.saturating_sub(LOOKUP_STARTED.take()?.elapsed());
        (left < *d.timeout.after).then(|| ConnectionDetails {
            uri: d.uri,
            addrs: d.addrs.clone(),
            config: d.config,
            request_level: d.request_level,
            resolver: d.resolver,
            now: d.now,
            timeout: NextTimeout { after: left.into(), reason: Timeout::Connect, ..d.timeout },
            current_time: d.current_time.clone(),
            run_connector: d.run_connector.clone(),
            register_shutdown: d.register_shutdown.clone(),
        })
    }
}

/// How long looked-up addresses are reused.
const DNS_TTL: Duration = Duration::from_secs(30);

/// The last lookup: host, port, addresses, when. ureq resolves on every call,
/// pooled connection or not, and its resolver spawns a thread per lookup
/// when a timeout is set: uncached, that is a thread and a DNS query per
/// cancel. A connect failure clears it.
#[derive(Debug, Default)]
struct DnsCache(Mutex<Option<(String, u16, ResolvedSocketAddrs, Instant)>>);

impl DnsCache {
    fn get(&self, host: &str, port: u16) -> Option<ResolvedSocketAddrs> {
        let cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &*cached {
            Some((h, p, addrs, at)) if h == host && *p == port && at.elapsed() < DNS_TTL => Some(addrs.clone()),
            _ => None,
        }
    }

    fn put(&self, host: &str, port: u16, addrs: &ResolvedSocketAddrs) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((host.to_owned(), port, addrs.clone(), Instant::now()));
    }

    fn forget(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[derive(Debug)]
struct NotSentResolver {
    inner: Box<dyn Resolver>,
    dns: Arc<DnsCache>,
}

impl Resolver for NotSentResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        LOOKUP_STARTED.set(None);
        let (Some(host), Some(port)) = (uri.host(), port_of(uri)) else {
            return self.inner.resolve(uri, config, timeout).map_err(tag);
        };
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        if let Some(addrs) = self.dns.get(host, port) {
            return Ok(addrs);
        }
        LOOKUP_STARTED.set(Some(Instant::now()));
        let addrs = self.inner.resolve(uri, config, timeout).map_err(tag)?;
        self.dns.put(host, port, &addrs);
        Ok(addrs)
    }
}

fn port_of(uri: &Uri) -> Option<u16> {
    uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(resolver: &NotSentResolver, url: &str) -> Vec<SocketAddr> {
        let timeout = NextTimeout {
            after: Duration::from_secs(2).into(),
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        };
        resolver.resolve(&url.parse().unwrap(), &ureq::config::Config::default(), timeout).unwrap().to_vec()
    }

    #[test]
    fn ip_literals_need_no_lookup_and_names_are_cached() {
        let dns = Arc::new(DnsCache::default());
        let resolver = NotSentResolver { inner: Box::new(DefaultResolver::default()), dns: dns.clone() };
        assert_eq!(resolve(&resolver, "http://127.0.0.1:8080/x"), ["127.0.0.1:8080".parse().unwrap()]);
        assert_eq!(resolve(&resolver, "https://[::1]/x"), ["[::1]:443".parse().unwrap()]);
        assert!(dns.get("127.0.0.1", 8080).is_none(), "literals are not cached");
        let first = resolve(&resolver, "http://localhost:9/x");
        assert!(!first.is_empty());
        assert_eq!(dns.get("localhost", 9).map(|a| a.to_vec()), Some(first));
        assert!(dns.get("localhost", 10).is_none());
        dns.forget();
        assert!(dns.get("localhost", 9).is_none());
    }

    /// A name lookup that takes `.1`, then answers `.0`.
    #[derive(Debug)]
    struct SlowLookup(SocketAddr, Duration);

    impl Resolver for SlowLookup {
        fn resolve(
            &self,
            _: &Uri,
            _: &ureq::config::Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            std::thread::sleep(self.1);
            let mut addrs = self.empty();
            addrs.push(self.0);
            Ok(addrs)
        }
    }

    #[test]
    fn a_lookup_longer_than_the_connect_timeout_leaves_nothing_to_connect_with() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut cfg = Config::default();
        cfg.set_timeouts(100, 5000).unwrap();
        let http = Http::with_lookup(&cfg, Box::new(SlowLookup(addr, Duration::from_millis(300))));
        let url = format!("http://lookup.test:{}/x", addr.port());
        match http.send(Method::Delete, url, Some("k"), None, None, None).unwrap_err() {
            Failure::NotSent(m) => assert!(m.contains("timed out"), "{m}"),
            other => panic!("{other:?}"),
        }
        let nothing = listener.accept().unwrap_err();
        assert_eq!(nothing.kind(), io::ErrorKind::WouldBlock, "no connection may be tried");
    }

    #[test]
    fn answer_within_limits_the_wait_for_the_answer_not_the_lookup() {
        use std::io::{BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // The first connection is answered at once, the second after 400 ms.
        std::thread::spawn(move || {
            for (stream, pause) in listener.incoming().zip([0, 400]) {
                let stream = stream.unwrap();
                read_head(&mut BufReader::new(&stream));
                std::thread::sleep(Duration::from_millis(pause));
                let _ = (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            }
        });
        let (total, within) = (Some(Duration::from_secs(2)), Some(Duration::from_millis(100)));
        let slow_lookup = Http::with_lookup(&Config::default(), Box::new(SlowLookup(addr, Duration::from_millis(300))));
        let url = format!("http://lookup.test:{}/x", addr.port());
        let (answer, _) = slow_lookup.send(Method::Get, url, None, total, within, None).unwrap();
        assert_eq!(answer.status, 200, "the 300 ms lookup is not the answer's wait");
        let http = Http::new(&Config::default());
        match http.send(Method::Get, format!("http://{addr}/x"), None, total, within, None).unwrap_err() {
            Failure::MaybeSent(m) => assert!(m.contains("timed out"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refused_connection_is_not_sent() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let http = Http::new(&Config::default());
        let err =
            http.send(Method::Delete, format!("http://127.0.0.1:{port}/x"), Some("k"), None, None, None).unwrap_err();
        match err {
            Failure::NotSent(m) => assert!(m.contains("refused"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// Reads one request head, up to its blank line, as trimmed lower-case
    /// lines; None once the connection ends.
    fn read_head(reader: &mut impl std::io::BufRead) -> Option<Vec<String>> {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            match line.trim_end() {
                "" => return Some(head),
                line => head.push(line.to_ascii_lowercase()),
            }
        }
    }

    #[test]
    fn request_head_carries_each_header_once() {
        use std::io::{BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let head = read_head(&mut BufReader::new(&stream)).unwrap();
            let body = r#"{"code":0}"#;
            write!(&stream, "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len()).unwrap();
            head
        });
        let http = Http::new(&Config::default());
        let (answer, _) =
            http.send(Method::Delete, format!("http://127.0.0.1:{port}/p?a=1"), Some("KeY"), None, None, None).unwrap();
        assert_eq!((answer.status, answer.body.unwrap()), (200, br#"{"code":0}"#.to_vec()));
        let head = server.join().unwrap();
        assert_eq!(head[0], "delete /p?a=1 http/1.1");
        for line in [
            concat!("user-agent: binance_algo/", env!("CARGO_PKG_VERSION")),
            "accept: application/json",
            "x-mbx-apikey: key",
        ] {
            assert_eq!(head.iter().filter(|h| *h == line).count(), 1, "{line} in {head:?}");
        }
        for name in ["user-agent:", "accept:", "x-mbx-apikey:"] {
            assert_eq!(head.iter().filter(|h| h.starts_with(name)).count(), 1, "{name} in {head:?}");
        }
    }

    #[test]
    fn a_connection_is_pooled_only_once_its_answer_is_released() {
        use std::io::{BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(3) {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::spawn(move || {
                    let stream = stream.unwrap();
                    let mut reader = BufReader::new(&stream);
                    while read_head(&mut reader).is_some() {
                        let _ = (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
                    }
                });
            }
        });
        let http = Http::new(&Config::default());
        let send = || http.send(Method::Get, url.clone(), None, None, None, None).unwrap().1;
        let connections = || accepted.load(std::sync::atomic::Ordering::SeqCst);
        drop(send()); // dropped unreleased: closed
        let held = send();
        assert_eq!(connections(), 2, "a dropped answer's connection was reused");
        held.release();
        send().release();
        assert_eq!(connections(), 2, "a released answer's connection was not reused");
    }

    #[test]
    fn only_a_chunked_answer_on_a_kept_alive_connection_is_pooled_before_it_is_read() {
        use std::io::{BufReader, Write};
        let answers = [
            ("Content-Length: 2\r\n\r\n{}", "Held(connection)"),
            ("Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "Held(pooled)"),
            ("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "Held(connection)"),
            ("Connection: close\r\n\r\n{}", "Held(connection)"),
        ];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (stream, (framing, _)) in listener.incoming().zip(answers) {
                let stream = stream.unwrap();
                read_head(&mut BufReader::new(&stream));
                let _ = write!(&stream, "HTTP/1.1 200 OK\r\n{framing}");
            }
        });
        let http = Http::new(&Config::default());
        for (framing, want) in answers {
            let (answer, held) = http.send(Method::Get, url.clone(), None, None, None, None).unwrap();
            assert_eq!(answer.body.as_deref(), Ok(&b"{}"[..]), "{framing}");
            assert_eq!(format!("{held:?}"), want, "{framing}");
            drop(held);
            http.retire_connections(); // the next answer on a new connection
        }
    }

    #[test]
    fn a_body_in_a_content_encoding_is_not_read_as_the_answer() {
        use std::io::{BufReader, Write};
        let codings = [("gzip", Err(BodyProblem::Encoded("gzip".into()))), ("identity", Ok(b"{}".to_vec()))];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (stream, coding) in listener.incoming().zip(["gzip", "identity"]) {
                let stream = stream.unwrap();
                read_head(&mut BufReader::new(&stream));
                let _ =
                    write!(&stream, "HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: 2\r\n\r\n{{}}");
            }
        });
        let http = Http::new(&Config::default());
        for (coding, want) in codings {
            let (answer, held) = http.send(Method::Get, url.clone(), None, None, None, None).unwrap();
            assert_eq!(answer.body, want, "{coding}");
            drop(held); // the next answer on a new connection
        }
    }

    #[test]
    fn the_body_cap_is_one_mib_exactly() {
        use std::io::{BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for (stream, len) in listener.incoming().zip([BODY_CAP_BYTES, BODY_CAP_BYTES + 1]) {
                let stream = stream.unwrap();
                read_head(&mut BufReader::new(&stream));
                let body = vec![b' '; len as usize];
                let _ = write!(&stream, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
                let _ = (&stream).write_all(&body);
            }
        });
        let http = Http::new(&Config::default());
        let url = format!("http://127.0.0.1:{port}/x");
        let (at_cap, _) = http.send(Method::Get, url.clone(), None, None, None, None).unwrap();
        assert_eq!(at_cap.body.map(|b| b.len() as u64), Ok(BODY_CAP_BYTES));
        let (over, _) = http.send(Method::Get, url, None, None, None, None).unwrap();
        assert_eq!(over.body, Err(BodyProblem::TooLarge { cap: BODY_CAP_BYTES }));
    }

    #[test]
    fn unknown_host_is_not_sent() {
        let http = Http::new(&Config::default());
        let err = http
            .send(Method::Get, "http://name.invalid/x".to_owned(), None, Some(Duration::from_secs(2)), None, None)
            .unwrap_err();
        assert!(matches!(err, Failure::NotSent(_)), "{err:?}");
    }
}
