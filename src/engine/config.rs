//! Client settings, each validated when set so that a bad value is reported
//! where the caller made it.

use super::log::LogHook;
use super::secret::Secret;
use super::signer::{ExternalSign, Signer};
use std::sync::Arc;

pub const DEFAULT_BASE_URL: &str = "https://api.binance.com";
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_TOTAL_TIMEOUT_MS: u64 = 10_000;
pub const MAX_TIMEOUT_MS: i64 = 600_000;
pub const MAX_RECV_WINDOW_MS: i64 = 60_000;
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const MAX_RETRIES: i64 = 10;
/// The real answer is under 200 bytes; anything near this is not Binance.
pub const BODY_CAP_BYTES: u64 = 1 << 20;
/// A CA bundle or key file larger than this is not one.
const MAX_PEM_FILE_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) api_key: Option<Secret>,
    /// HMAC secret, private key or external signer: the last one set wins.
    pub(crate) signer: Option<Signer>,
    pub(crate) base_url: String,
    pub(crate) recv_window_ms: Option<i64>,
    /// DER roots that replace the built-in Mozilla set, when given.
    pub(crate) ca_roots: Option<Arc<Vec<Vec<u8>>>>,
    pub(crate) connect_timeout_ms: u64,
    pub(crate) total_timeout_ms: u64,
    pub(crate) clock_sync: bool,
    /// Extra attempts for failures that provably did not execute.
    pub(crate) max_retries: u32,
    pub(crate) logger: Option<LogHook>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: None,
            signer: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            recv_window_ms: None,
            ca_roots: None,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            total_timeout_ms: DEFAULT_TOTAL_TIMEOUT_MS,
            clock_sync: true,
            max_retries: DEFAULT_MAX_RETRIES,
            logger: None,
        }
    }
}

/// Why a setting was refused; the text never contains the value of a key.
pub type Invalid = String;

impl Config {
    pub fn set_api_key(&mut self, key: &str) -> Result<(), Invalid> {
        check_key_text("API key", key)?;
        self.api_key = Some(Secret::new(key));
        Ok(())
    }

    pub fn set_secret_key(&mut self, key: &str) -> Result<(), Invalid> {
        check_key_text("secret key", key)?;
        self.signer = Some(Signer::Hmac(Secret::new(key)));
        Ok(())
    }

    /// An Ed25519 or RSA private key in PKCS#8 PEM, instead of an HMAC secret.
    pub fn set_private_key(&mut self, pem: &str, passphrase: Option<&str>) -> Result<(), Invalid> {
        self.signer = Some(Signer::from_pem(pem, passphrase)?);
        Ok(())
    }

    pub fn set_private_key_file(&mut self, path: &str, passphrase: Option<&str>) -> Result<(), Invalid> {
        let pem = zeroize::Zeroizing::new(read_small_file(path, "private key")?);
        let pem = std::str::from_utf8(&pem).map_err(|_| "the private key file is not PEM text".to_owned())?;
        self.set_private_key(pem, passphrase)
    }

    /// Signing by the caller (an HSM, another process), instead of a key here.
    pub fn set_external_signer(&mut self, sign: Arc<ExternalSign>) {
        self.signer = Some(Signer::External(sign));
    }

    /// Receives structured events; `None` turns logging off (the default).
    pub fn set_logger(&mut self, logger: Option<LogHook>) {
        self.logger = logger;
    }

    /// `http[s]://host[:port][/prefix]`; a trailing `/` is dropped.
    pub fn set_base_url(&mut self, url: &str) -> Result<(), Invalid> {
        self.base_url = check_base_url(url)?;
        Ok(())
    }

    pub fn set_recv_window(&mut self, ms: i64) -> Result<(), Invalid> {
        self.recv_window_ms = Some(recv_window(ms)?);
        Ok(())
    }

    /// Reads a PEM bundle now, so a missing or unreadable file fails here.
    pub fn set_ca_file(&mut self, path: &str) -> Result<(), Invalid> {
        let pem = read_small_file(path, "CA")?;
        let mut roots = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => roots.push(cert.der().to_vec()),
                Ok(_) => {}
                Err(e) => return Err(format!("the CA file is not valid PEM: {e}")),
            }
        }
        if roots.is_empty() {
            return Err("the CA file holds no PEM certificate".to_owned());
        }
        self.ca_roots = Some(Arc::new(roots));
        Ok(())
    }

    /// `connect_ms` bounds DNS, TCP connect and the TLS handshake; `total_ms`
    /// bounds the whole call. A connect timeout above the total is capped to it.
    pub fn set_timeouts(&mut self, connect_ms: i64, total_ms: i64) -> Result<(), Invalid> {
        let (connect, total) = (timeout_ms("connect timeout", connect_ms)?, timeout_ms("total timeout", total_ms)?);
        self.connect_timeout_ms = connect.min(total);
        self.total_timeout_ms = total;
        Ok(())
    }

    /// Server-time sync before the first cancel and after a -1021.
    pub fn set_clock_sync(&mut self, enabled: bool) {
        self.clock_sync = enabled;
    }

    pub fn set_max_retries(&mut self, retries: i64) -> Result<(), Invalid> {
        self.max_retries = in_range("max retries", retries, 0..=MAX_RETRIES, "")? as u32;
        Ok(())
    }
}

/// `value` when `range` holds it; otherwise says so, e.g. "recvWindow must
/// be 1..=60000 ms, got 0".
fn in_range(what: &str, value: i64, range: std::ops::RangeInclusive<i64>, unit: &str) -> Result<i64, Invalid> {
    if range.contains(&value) {
        return Ok(value);
    }
    Err(format!("{what} must be {}..={}{unit}, got {value}", range.start(), range.end()))
}

pub(crate) fn recv_window(ms: i64) -> Result<i64, Invalid> {
    in_range("recvWindow", ms, 1..=MAX_RECV_WINDOW_MS, " ms")
}

pub(crate) fn timeout_ms(what: &str, ms: i64) -> Result<u64, Invalid> {
    Ok(in_range(what, ms, 1..=MAX_TIMEOUT_MS, " ms")? as u64)
}

/// Reads a PEM file, refusing what is too large to be one.
fn read_small_file(path: &str, what: &str) -> Result<Vec<u8>, Invalid> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read the {what} file: {e}"))?;
    if bytes.len() as u64 > MAX_PEM_FILE_BYTES {
        return Err(format!("the {what} file is larger than {MAX_PEM_FILE_BYTES} bytes"));
    }
    Ok(bytes)
}

/// Keys travel in a header and secrets are HMAC keys: printable ASCII, no spaces.
fn check_key_text(what: &str, key: &str) -> Result<(), Invalid> {
    if key.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if key.len() > 1024 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{what} must be at most 1024 printable ASCII characters without spaces"));
    }
    Ok(())
}

const MAX_URL_BYTES: usize = 2048;

fn check_base_url(url: &str) -> Result<String, Invalid> {
    // An '@' may follow a password: such a URL is never quoted back, nor is
    // one too long to be a base URL.
    let shown = if url.contains('@') {
        "(not shown: it holds an '@')".to_owned()
    } else if url.len() > MAX_URL_BYTES {
        format!("(not shown: {} bytes)", url.len())
    } else {
        format!("{url:?}")
    };
    let bad = |why: &str| Err(format!("base URL {shown} is unusable: {why}"));
    if url.is_empty() || url.len() > MAX_URL_BYTES || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return bad("expected http[s]://host[:port] in printable ASCII");
    }
    let uri: ureq::http::Uri = match url.parse() {
        Ok(u) => u,
        Err(_) => return bad("not a URL"),
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return bad("scheme must be http or https");
    }
    let Some(authority) = uri.authority() else { return bad("no host") };
    if authority.host().is_empty() {
        return bad("no host");
    }
    if authority.as_str().contains('@') {
        return bad("credentials in the URL are not supported");
    }
    if let Some((_, port)) = authority.as_str().rsplit_once(':').filter(|(_, p)| !p.contains(']')) {
        // u16's parser would also take "+80".
        if !port.bytes().all(|b| b.is_ascii_digit()) || !matches!(port.parse::<u16>(), Ok(1..)) {
            return bad("bad port");
        }
    }
    let host = authority.host();
    if host.starts_with('[')
        && host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::Ipv6Addr>().is_err()
    {
        return bad("bad IPv6 address");
    }
    if uri.query().is_some() || url.contains('#') {
        return bad("query and fragment are not allowed");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let mut c = Config::default();
        for good in
            ["https://api.binance.com", "http://127.0.0.1:8080/", "https://[::1]:9", "https://gw.example/binance"]
        {
            c.set_base_url(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        assert_eq!(c.base_url, "https://gw.example/binance");
        for bad in [
            "",
            "api.binance.com",
            "ftp://x",
            "https://",
            "https://u:p@host",
            "http://h:0",
            "http://h:99999",
            "http://h:+80",
            "http://[zz]:80",
            "https://h/?a=1",
            "https://h/#x",
            "https://h /",
            "http://h\n",
        ] {
            assert!(c.set_base_url(bad).is_err(), "{bad:?} accepted");
        }
        for with_password in ["https://u:hunter2@host", "https://u:hunter2@ho st/", "u:hunter2@host"] {
            let why = c.set_base_url(with_password).unwrap_err();
            assert!(!why.contains("hunter2"), "{why}");
        }
        assert!(c.set_base_url("https://u:p@host").unwrap_err().contains("credentials"));
        let huge = "\u{1}".repeat(10 << 20);
        assert!(c.set_base_url(&huge).unwrap_err().len() < 200);
    }

    #[test]
    fn paths_are_not_quoted_back() {
        // Key text where a path belongs is an easy slip; the caller knows the path.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBSECRET\n-----END PRIVATE KEY-----\n";
        let mut c = Config::default();
        for why in [c.set_private_key_file(pem, None).unwrap_err(), c.set_ca_file("hmacSECRET").unwrap_err()] {
            assert!(!why.contains("SECRET") && why.starts_with("cannot read the "), "{why}");
        }
    }

    #[test]
    fn ranges() {
        let mut c = Config::default();
        assert!(c.set_recv_window(0).is_err());
        assert!(c.set_recv_window(60_001).is_err());
        c.set_recv_window(60_000).unwrap();
        assert!(c.set_timeouts(0, 10).is_err());
        assert!(c.set_timeouts(10, 600_001).is_err());
        assert!(c.set_timeouts(-1, 10).is_err());
        assert!(c.set_max_retries(-1).is_err());
        assert!(c.set_max_retries(11).is_err());
        c.set_max_retries(0).unwrap();
        c.set_timeouts(5_000, 1_000).unwrap();
        assert_eq!((c.connect_timeout_ms, c.total_timeout_ms), (1_000, 1_000));
    }

    #[test]
    fn keys_are_checked_and_never_echoed() {
        let mut c = Config::default();
        let e = c.set_api_key("has space").unwrap_err();
        assert!(!e.contains("has space"), "{e}");
        assert!(c.set_secret_key("").is_err());
        assert!(c.set_secret_key("tab\tkey").is_err());
        c.set_api_key("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A").unwrap();
        assert!(!format!("{c:?}").contains("vmPUZE6"));
    }

    #[test]
    fn ca_files() {
        let mut c = Config::default();
        assert!(c.set_ca_file("/nonexistent/ca.pem").unwrap_err().contains("cannot read"));
        assert!(c.set_private_key_file("/nonexistent/key.pem", None).unwrap_err().contains("cannot read"));
        let dir = std::env::temp_dir().join(format!("binance_algo_ca_{}", std::process::id()));
        std::fs::write(&dir, "not pem").unwrap();
        assert!(c.set_ca_file(dir.to_str().unwrap()).is_err());
        std::fs::remove_file(&dir).unwrap();
        assert!(c.ca_roots.is_none());
    }
}
