//! Just enough HTTP/1.1: parse one request out of a buffer, lay out one
//! response (possibly damaged on purpose, see `Delivery`).

use std::time::Duration;

/// Longest request head accepted; anything longer is answered 400.
const MAX_HEAD: usize = 16 * 1024;
/// Longest request (head and body) ever buffered, so no client can make the
/// simulator hold unbounded input.
pub(crate) const MAX_REQUEST: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;

pub(crate) struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

impl Request {
    /// First header called `name`, compared ASCII case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

pub(crate) enum Parse {
    /// A request and how many buffer bytes it used.
    Complete(Request, usize),
    Incomplete,
    Invalid,
}

pub(crate) fn parse(buf: &[u8]) -> Parse {
    // Stray CRLFs between pipelined requests are allowed (RFC 9112 §2.2).
    let skip = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let rest = &buf[skip..];
    let Some(head_len) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if rest.len() > MAX_HEAD || buf.len() > MAX_REQUEST { Parse::Invalid } else { Parse::Incomplete };
    };
    if head_len > MAX_HEAD {
        return Parse::Invalid;
    }
    let Some((mut req, body_len)) = parse_head(&rest[..head_len]) else {
        return Parse::Invalid;
    };
    let body_start = head_len + 4;
    let end = match body_start.checked_add(body_len) {
        Some(end) if skip + end <= MAX_REQUEST => end,
        _ => return Parse::Invalid,
    };
    if rest.len() < end {
        return Parse::Incomplete;
    }
    req.body = rest[body_start..end].to_vec();
    Parse::Complete(req, skip + end)
}

/// The request line and headers; `None` for anything malformed. Returns the
/// request (body still empty) and the body length.
fn parse_head(head: &[u8]) -> Option<(Request, usize)> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let method_ok = (1..=16).contains(&method.len()) && method.bytes().all(|b| b.is_ascii_uppercase());
    let target_ok = target.starts_with('/') && target.bytes().all(|b| b.is_ascii_graphic());
    if parts.next().is_some() || !method_ok || !target_ok {
        return None;
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return None,
    };

    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name_ok = !name.is_empty() && name.bytes().all(is_token_char);
        let value_ok = !value.bytes().any(|b| b.is_ascii_control() && b != b'\t');
        if !name_ok || !value_ok || headers.len() == MAX_HEADERS {
            return None;
        }
        headers.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
    }

    let mut body_len = None;
    for (name, value) in &headers {
        // Chunked bodies are not supported; refusing beats misreading the framing.
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return None;
        }
        if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let len: usize = value.parse().ok()?;
            if body_len.is_some_and(|l| l != len) {
                return None;
            }
            body_len = Some(len);
        }
    }

    let has_token = |token: &str| {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let keep_alive = if http10 { has_token("keep-alive") } else { !has_token("close") };
    let req = Request { method: method.to_owned(), target: target.to_owned(), headers, body: Vec::new(), keep_alive };
    Some((req, body_len.unwrap_or(0)))
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(crate) type Headers = Vec<(&'static str, String)>;

pub(crate) struct Response {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, headers: Headers, body: impl Into<Vec<u8>>) -> Self {
        Response { status, headers, body: body.into() }
    }

    /// An HTML page like the ones a proxy or CDN in front of the API serves.
    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Self {
        let headers = vec![("Content-Type", "text/html; charset=utf-8".to_owned())];
        Response::new(status, headers, body)
    }

    /// nginx-style error page for `status`.
    pub fn html_error(status: u16) -> Self {
        let title = format!("{status} {}", reason(status));
        Response::html(
            status,
            format!("<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"),
        )
    }
}

/// How the response reaches the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    Full,
    /// Correct Content-Length, half the body, then close.
    Truncated,
    /// Content-Length larger than the body sent, then close.
    ShortBody,
    /// Nothing at all: close without answering.
    Hangup,
    /// The whole answer, then, `STRAY_AFTER` later, bytes nobody asked for
    /// on the kept-alive connection: a client must not send its next request
    /// on it.
    Stray,
}

pub(crate) const STRAY_AFTER: Duration = Duration::from_millis(50);
pub(crate) const STRAY_BYTES: &[u8] = b"stray bytes nobody asked for\r\n";

pub(crate) struct Reply {
    pub response: Response,
    pub delivery: Delivery,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn new(response: Response, delivery: Delivery) -> Self {
        Reply { response, delivery, delay: Duration::ZERO }
    }

    pub fn full(response: Response) -> Self {
        Reply::new(response, Delivery::Full)
    }

    /// Whether the connection stays open after this reply.
    pub fn keeps_alive(&self, request_keep_alive: bool) -> bool {
        request_keep_alive && matches!(self.delivery, Delivery::Full | Delivery::Stray)
    }

    /// The response head and the part of the body to send. Kept apart so a
    /// large body is not copied.
    pub fn wire(&self, request_keep_alive: bool) -> (Vec<u8>, &[u8]) {
        let r = &self.response;
        let (declared, body) = match self.delivery {
            Delivery::Full | Delivery::Stray => (r.body.len(), &r.body[..]),
            Delivery::Truncated => (r.body.len(), &r.body[..r.body.len() / 2]),
            Delivery::ShortBody => (r.body.len() + 100, &r.body[..]),
            Delivery::Hangup => return (Vec::new(), &[]),
        };
        let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
        for (name, value) in &r.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let connection = if self.keeps_alive(request_keep_alive) { "keep-alive" } else { "close" };
        head.push_str(&format!("Content-Length: {declared}\r\nConnection: {connection}\r\n\r\n"));
        (head.into_bytes(), body)
    }
}

pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
