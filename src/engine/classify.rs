//! Turning an HTTP answer into an `Outcome`. The caller's next move depends on
//! the kind, so every rule here follows binance-api.md's table, and anything
//! unrecognised is UnknownOutcome: never guess "not executed".

use super::outcome::{Kind, Outcome};
use super::request::OrderRef;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::fmt::{self, Write};

/// What came back over HTTP, before interpretation.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Result<Vec<u8>, BodyProblem>,
    pub retry_after_s: Option<i64>,
    pub used_weight_ip_1m: Option<i64>,
    pub used_weight_uid_1m: Option<i64>,
}

/// Why the body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyProblem {
    TooLarge {
        cap: u64,
    },
    Broken(String),
    /// A Content-Encoding (gzip, say) this client does not decode.
    Encoded(String),
}

/// Codes that leave the request's fate open, under any HTTP status: `-1007`
/// "Send status unknown; execution status unknown", `-1006` "unexpected
/// response from the message bus" (Binance: execution status unknown), and
/// `-1000` "unknown error while processing the request".
pub const CODES_OF_UNKNOWN_OUTCOME: [i64; 3] = [-1000, -1006, -1007];

const CODE_TOO_MANY_REQUESTS: i64 = -1003;

pub const MAY_HAVE_RUN: &str = "the cancel may have been executed: query the order before acting";

/// `order`: what the request cancelled (None for other requests), so that
/// an answer naming another order is not taken for this one's.
pub fn classify(answer: Answer, order: Option<OrderRef<'_>>) -> Outcome {
    let status = answer.status;
    let mut out = Outcome::without_answer(Kind::UnknownOutcome, String::new());
    out.http_status = status;
    out.retry_after_s = answer.retry_after_s;
    out.used_weight_ip_1m = answer.used_weight_ip_1m;
    out.used_weight_uid_1m = answer.used_weight_uid_1m;

    let body = match answer.body {
        Ok(body) => body,
        Err(problem) => {
            let why = match problem {
                BodyProblem::TooLarge { cap } => format!("answer body larger than {cap} bytes"),
                BodyProblem::Broken(e) => format!("answer cut short: {e}"),
                BodyProblem::Encoded(coding) => format!("answer body in a content encoding not read here ({coding})"),
            };
            out.message = format!("HTTP {status}, {why}; {MAY_HAVE_RUN}");
            return out;
        }
    };

    // JSON is UTF-8 (RFC 8259), and serde skips unread fields unchecked. A
    // body that is not exactly JSON (not UTF-8, a byte-order mark, bytes
    // after the value) is read leniently for its code (a -1007 stays a
    // -1007), but is never a success nor handed back.
    let (text, exact) = match String::from_utf8(body) {
        Ok(text) => (text, true),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
    };
    let fields = if exact { Fields::read(&text) } else { None };
    let is_json = fields.is_some();
    let Fields { code, code_malformed, success, msg, algo_id, client_algo_id, order_malformed, repeated } =
        fields.unwrap_or_else(|| Fields::read_lenient(&text));
    out.exchange_code = code.unwrap_or(0);
    out.exchange_msg = msg.unwrap_or_default();
    // HTTP/1.1 cannot tie an answer to its request: a stray or late answer
    // on a kept-alive connection would otherwise pass for this one's.
    let other_order = match order {
        // An order named in a form that cannot be compared is not shown to be this one.
        Some(_) if order_malformed => {
            Some("an algoId that is not an integer, or a clientAlgoId not a string".to_owned())
        }
        Some(OrderRef::AlgoId(id)) => algo_id.filter(|&named| named != id).map(|named| format!("algoId {named}")),
        Some(OrderRef::ClientAlgoId(id)) => {
            client_algo_id.filter(|named| named != id).map(|_| "another clientAlgoId".to_owned())
        }
        None => None,
    };

    // An answer about another order is not this request's, whatever it says,
    // a code that is not an integer may be a mangled -1007, a field given
    // twice says two things, and so does "success" beside an error code or
    // an error status: no verdict.
    out.stray = other_order.is_some();
    let unknown_code = code.is_some_and(|c| CODES_OF_UNKNOWN_OUTCOME.contains(&c));
    let contradicts = success == Some(true) && (status != 200 || code.unwrap_or(0) != 0);
    out.kind = if out.stray || code_malformed || repeated || unknown_code || contradicts {
        Kind::UnknownOutcome
    } else {
        match status {
            429 | 418 => Kind::RateLimited,
            // Binance: 408 is a timeout waiting for its backend (the -1007
            // case), 409 a request that partly succeeded.
            408 | 409 => Kind::UnknownOutcome,
            // -1003 "too many requests" under another 4XX (a 403, say) still means back off.
            400..=499 if code == Some(CODE_TOO_MANY_REQUESTS) => Kind::RateLimited,
            400..=499 => Kind::Rejected,
            200 if !is_json => Kind::UnknownOutcome,
            200 => match (success, code.unwrap_or(0)) {
                (Some(true), 0) => Kind::Ok,
                (Some(true), _) | (None, 0) => Kind::UnknownOutcome,
                (Some(false), _) | (None, _) => Kind::Rejected,
            },
            _ => Kind::UnknownOutcome,
        }
    };
    // A verdict is believed only from a body that cannot be carrying one of
    // those codes in some other form (nested, quoted, escaped, in a page),
    // and a refusal only from one that claims no success anywhere (a page
    // wrapping the exchange's answer, say).
    let doubt = match out.kind {
        Kind::Ok | Kind::Rejected | Kind::RateLimited
            if mentions_unknown_outcome_code(&text) || mentions_unknown_outcome_code(&out.exchange_msg) =>
        {
            Some(" [the body mentions an execution-status-unknown code]")
        }
        Kind::Rejected | Kind::RateLimited if claims_success(&text) => Some(" [the body claims a success]"),
        _ => None,
    };
    if doubt.is_some() {
        out.kind = Kind::UnknownOutcome;
    }
    out.message = match other_order {
        Some(named) => {
            format!("an answer for another order ({named}): a stray or late answer, not this request's; {MAY_HAVE_RUN}")
        }
        None => describe(&out, is_json),
    };
    if let Some(why) = doubt {
        out.message.push_str(why);
    }
    // Valid JSON holds no raw NUL byte, so it is a C string as is.
    out.body = is_json.then_some(text);
    out
}

/// Whether `text` holds one of CODES_OF_UNKNOWN_OUTCOME as a number of its
/// own, in any form: a JSON code anywhere, a string, a quote-escaped or
/// entity-encoded page; not inside a word (an id such as `bot-1000` or a
/// UUID, a page's `-1000px`).
fn mentions_unknown_outcome_code(text: &str) -> bool {
    let in_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices('-').any(|(at, _)| {
        let (before, after) = (&text[..at], &text[at + 1..]);
        let (digits, rest) = after.split_at(after.bytes().take_while(u8::is_ascii_digit).count());
        !before.ends_with(in_word)
            && !rest.starts_with(in_word)
            && digits.parse::<i64>().is_ok_and(|n| CODES_OF_UNKNOWN_OUTCOME.contains(&-n))
    })
}

/// Whether `text` says `"success": true` anywhere, quoted, escaped or
/// entity-encoded (`\"success\":true`, `&quot;success&quot;:true`).
fn claims_success(text: &str) -> bool {
    text.match_indices("success").any(|(at, key)| {
        let mut rest = &text[at + key.len()..];
        loop {
            let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || matches!(c, '"' | '\\' | ':'));
            match ["&quot;", "&#34;"].iter().find_map(|entity| trimmed.strip_prefix(entity)) {
                Some(shorter) => rest = shorter,
                None => return trimmed.starts_with("true"),
            }
        }
    })
}

/// One sentence, written in one allocation (this runs on every cancel).
fn describe(out: &Outcome, is_json: bool) -> String {
    let status = out.http_status;
    let ban = if status == 418 { "IP banned (" } else { "rate limited (" };
    let (head, tail) = match out.kind {
        Kind::Ok => ("cancelled (", ")"),
        Kind::Rejected => ("rejected by the exchange (", "); not cancelled by this call"),
        Kind::RateLimited => (ban, "); not executed: back off before retrying"),
        _ => ("unexpected answer (", "); "),
    };
    let mut m = String::with_capacity(128 + out.exchange_msg.len());
    // Writing into a String cannot fail.
    let _ = write!(m, "{head}HTTP {status}");
    if out.exchange_code != 0 {
        let _ = write!(m, ", code {}", out.exchange_code);
    }
    if !out.exchange_msg.is_empty() {
        m.push_str(": ");
        m.push_str(&out.exchange_msg);
    } else if !is_json {
        m.push_str(" with a body that is not JSON");
    }
    if let (Kind::RateLimited, Some(s)) = (out.kind, out.retry_after_s) {
        let _ = write!(m, ", retry after {s} s");
    }
    m.push_str(tail);
    if out.kind == Kind::UnknownOutcome {
        m.push_str(MAY_HAVE_RUN);
    }
    m
}

/// The fields the rules read, taken straight from the body without building
/// a JSON tree. A `success` or `msg` of another type counts as absent, a
/// `code` or `algoId` that is not an i64, or a `clientAlgoId` that is not a
/// string, as malformed. One of these keys given twice is `repeated`: JSON
/// parsers disagree on which value holds (RFC 8259 leaves it open).
#[derive(Debug, Default)]
struct Fields {
    code: Option<i64>,
    code_malformed: bool,
    success: Option<bool>,
    msg: Option<String>,
    algo_id: Option<i64>,
    client_algo_id: Option<String>,
    order_malformed: bool,
    repeated: bool,
}

impl Fields {
    /// None when the body is not JSON; no fields when it is JSON but not an object.
    fn read(body: &str) -> Option<Fields> {
        // Skipped strings are not checked for lone surrogates (`"\ud800"`),
        // which strict parsers refuse: a body with escapes is checked whole.
        if body.contains('\\') && serde_json::from_str::<Value>(body).is_err() {
            return None;
        }
        if body.trim_ascii_start().starts_with('{') {
            serde_json::from_str(body).ok()
        } else {
            serde_json::from_str::<IgnoredAny>(body).ok().map(|_| Fields::default())
        }
    }

    /// A body that is not exactly JSON: the object it starts with (after
    /// any byte-order mark), and every `"code"` anywhere in it, so that a
    /// body cut short keeps its code. Its code is the object's, or else the
    /// first one found; any other code differing from it, a number that is
    /// not a JSON integer, or a body that ends at a code leaves no verdict.
    fn read_lenient(body: &str) -> Fields {
        let body = body.trim_start_matches('\u{feff}');
        let first = serde_json::Deserializer::from_str(body).into_iter::<Fields>().next().and_then(Result::ok);
        let parsed = first.is_some();
        let mut fields = first.unwrap_or_default();
        for found in codes_in(body) {
            match (found, fields.code) {
                (None, _) => fields.code_malformed = true,
                (Some(code), None) if !parsed => fields.code = Some(code),
                (Some(code), first) => fields.repeated |= first != Some(code),
            }
        }
        fields
    }
}

/// The value of each `"code"` key in `text`, found by spelling alone:
/// Some(integer) for a JSON integer; None for a number that is not one (a
/// fraction, leading zeros, -0, digits run into other characters, which
/// may be a damaged -1007) or for a body that ends at the key (cut short).
/// Other values (strings, null) are skipped: a code hidden in them is
/// `mentions_unknown_outcome_code`'s to find.
fn codes_in(text: &str) -> impl Iterator<Item = Option<i64>> + '_ {
    text.match_indices("\"code\"").filter_map(|(at, key)| {
        let rest = text[at + key.len()..].trim_ascii_start();
        if rest.is_empty() {
            return Some(None);
        }
        let value = rest.strip_prefix(':')?.trim_ascii_start();
        if !value.is_empty() && !value.starts_with(|c: char| matches!(c, '0'..='9' | '-' | '+')) {
            return None;
        }
        let len = value.find(|c: char| !matches!(c, '0'..='9' | '-' | '+' | '.' | 'e' | 'E')).unwrap_or(value.len());
        let (number, after) = value.split_at(len);
        let delimited = after.starts_with(|c: char| matches!(c, ',' | '}' | ']') || c.is_ascii_whitespace());
        Some(json_integer(number).filter(|_| delimited))
    })
}

/// An integer as JSON writes one (`-?(0|[1-9][0-9]*)`), but not -0, which
/// serde reads as a float.
fn json_integer(number: &str) -> Option<i64> {
    let digits = number.strip_prefix('-').unwrap_or(number);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && number != "-0";
    number.parse().ok().filter(|_| canonical)
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = Fields::default();
        let mut seen = 0u8;
        while let Some(key) = map.next_key::<Key>()? {
            if key != Key::Other {
                let bit = 1 << key as u8;
                fields.repeated |= seen & bit != 0;
                seen |= bit;
            }
            match key {
                Key::Code => {
                    let code = map.next_value::<Value>()?;
                    fields.code = code.as_i64();
                    fields.code_malformed = fields.code.is_none() && !code.is_null();
                }
                Key::Success => fields.success = map.next_value::<Value>()?.as_bool(),
                Key::Msg => fields.msg = string(map.next_value::<Value>()?),
                Key::AlgoId => {
                    let algo_id = map.next_value::<Value>()?;
                    fields.algo_id = algo_id.as_i64();
                    fields.order_malformed |= fields.algo_id.is_none() && !algo_id.is_null();
                }
                Key::ClientAlgoId => {
                    let client_algo_id = map.next_value::<Value>()?;
                    fields.order_malformed |= !(client_algo_id.is_string() || client_algo_id.is_null());
                    fields.client_algo_id = string(client_algo_id);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Code,
    Success,
    Msg,
    AlgoId,
    ClientAlgoId,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "code" => Key::Code,
            "success" => Key::Success,
            "msg" => Key::Msg,
            "algoId" => Key::AlgoId,
            "clientAlgoId" => Key::ClientAlgoId,
            _ => Key::Other,
        })
    }
}

/// Header values are counts (weights, seconds) in Binance's answers;
/// anything else, a negative number or an HTTP date included, is absent.
pub fn header_int(value: Option<&str>) -> Option<i64> {
    value?.trim().parse().ok().filter(|n: &i64| *n >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: Ok(body.as_bytes().to_vec()),
            retry_after_s: None,
            used_weight_ip_1m: Some(7),
            used_weight_uid_1m: Some(9),
        }
    }

    fn kind(status: u16, body: &str) -> Kind {
        classify(answer(status, body), None).kind
    }

    const OK_BODY: &str = r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#;

    #[test]
    fn success_keeps_the_body_byte_for_byte() {
        let out = classify(answer(200, OK_BODY), None);
        assert_eq!(out.kind, Kind::Ok);
        assert_eq!(out.body.as_deref(), Some(OK_BODY));
        assert_eq!((out.exchange_code, out.exchange_msg.as_str()), (0, "OK"));
        assert_eq!((out.used_weight_ip_1m, out.used_weight_uid_1m), (Some(7), Some(9)));
    }

    #[test]
    fn rejections_are_not_executed() {
        let unknown_id = r#"{"code":-20124,"msg":"Invalid algo id or it has been completed."}"#;
        let out = classify(answer(400, unknown_id), None);
        assert_eq!(out.kind, Kind::Rejected);
        assert_eq!(out.exchange_code, -20124);
        assert_eq!(out.exchange_msg, "Invalid algo id or it has been completed.");
        assert_eq!(out.body.as_deref(), Some(unknown_id));
        assert!(out.message.contains("-20124"), "{}", out.message);
        for (status, body) in [
            (400, r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#),
            (400, r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#),
            (401, r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#),
            (403, "<html>WAF</html>"),
            (404, "<html><body>Not Found</body></html>"),
            (200, r#"{"algoId":1,"success":false,"code":0,"msg":"nope"}"#),
            (200, r#"{"code":-20124,"msg":"Invalid algo id or it has been completed."}"#),
        ] {
            assert_eq!(kind(status, body), Kind::Rejected, "{status} {body}");
        }
        assert_eq!(classify(answer(404, "<html></html>"), None).body, None);
    }

    #[test]
    fn rate_limits() {
        let mut a = answer(429, r#"{"code":-1003,"msg":"Too many requests."}"#);
        a.retry_after_s = Some(30);
        let out = classify(a, None);
        assert_eq!(out.kind, Kind::RateLimited);
        assert_eq!(out.retry_after_s, Some(30));
        assert!(out.message.contains("retry after 30 s"), "{}", out.message);
        assert_eq!(kind(418, ""), Kind::RateLimited);
        assert_eq!(kind(403, r#"{"code":-1003,"msg":"Too many requests."}"#), Kind::RateLimited);
    }

    #[test]
    fn unknown_outcomes() {
        let backend = r#"{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}"#;
        let bus = r#"{"code":-1006,"msg":"An unexpected response was received from the message bus. Execution status unknown."}"#;
        for (status, body) in [
            (500, r#"{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}"#),
            (503, backend),
            (400, backend),
            (200, backend),
            (400, bus),
            (200, bus),
            (400, r#"{"code":-1000,"msg":"An unknown error occurred while processing the request."}"#),
            (502, "<html>Bad Gateway</html>"),
            (200, "<html>hello</html>"),
            (200, r#"{"algoId":14511,"success":true"#),
            (200, ""),
            (200, "[1,2]"),
            (200, r#"{"algoId":14511}"#),
            // Contradictions and malformed codes are no verdict either.
            (200, r#"{"algoId":14511,"success":true,"code":-1021,"msg":"?"}"#),
            (200, r#"{"algoId":14511,"success":true,"code":"-1007"}"#),
            (200, r#"{"algoId":14511,"success":true,"code":-1000.0}"#),
            (200, r#"{"algoId":14511,"success":true,"code":9223372036854775808}"#),
            (400, r#"{"code":"-1007","msg":"?"}"#),
            // "success" with an error status.
            (403, r#"{"algoId":14511,"success":true,"code":-1021,"msg":"x"}"#),
            (404, r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#),
            (429, r#"{"algoId":14511,"success":true,"code":-1003,"msg":"x"}"#),
            (418, r#"{"success":true}"#),
            // Binance: a timeout waiting for its backend; a partial success.
            (408, ""),
            (408, r#"{"code":-1001,"msg":"Internal error"}"#),
            (409, r#"{"code":-2021,"msg":"Order cancel-replace partially failed."}"#),
            (204, ""),
            (302, ""),
        ] {
            assert_eq!(kind(status, body), Kind::UnknownOutcome, "{status} {body}");
        }
        let out = classify(answer(503, backend), None);
        assert_eq!(out.exchange_code, -1007);
        assert_eq!(out.body.as_deref(), Some(backend));
        assert!(out.message.contains("may have been executed"), "{}", out.message);
    }

    #[test]
    fn a_body_that_is_not_utf8_is_not_json_wherever_the_bad_bytes_are() {
        for body in [&b"{\"algoId\":5,\"success\":true,\"x\":\"\xff\xfe\"}"[..], b"{\"\xff\":1,\"success\":true}"] {
            let out = classify(Answer { body: Ok(body.to_vec()), ..answer(200, "") }, None);
            assert_eq!((out.kind, out.body), (Kind::UnknownOutcome, None));
            assert!(out.message.contains("not JSON"), "{}", out.message);
        }
    }

    #[test]
    fn an_answer_naming_another_order_is_not_this_ones() {
        let of = |order| classify(answer(200, OK_BODY), Some(order));
        assert_eq!(of(OrderRef::AlgoId(14511)).kind, Kind::Ok);
        let stray = of(OrderRef::AlgoId(14512));
        assert_eq!((stray.kind, stray.body.as_deref()), (Kind::UnknownOutcome, Some(OK_BODY)));
        assert!(stray.message.contains("another order (algoId 14511)"), "{}", stray.message);
        // By clientAlgoId: checked when the answer names one.
        assert_eq!(of(OrderRef::ClientAlgoId("mine")).kind, Kind::Ok);
        let named = |id| classify(answer(200, r#"{"algoId":1,"clientAlgoId":"theirs","success":true}"#), Some(id));
        assert_eq!(named(OrderRef::ClientAlgoId("mine")).kind, Kind::UnknownOutcome);
        assert_eq!(named(OrderRef::ClientAlgoId("theirs")).kind, Kind::Ok);
        for odd in [r#""14511""#, "14511.0", "99999999999999999999999"] {
            let body = format!(r#"{{"algoId":{odd},"success":true,"code":0}}"#);
            assert_eq!(classify(answer(200, &body), Some(OrderRef::AlgoId(14511))).kind, Kind::UnknownOutcome, "{odd}");
        }
        for odd in ["12345", r#"["mine"]"#] {
            let body = format!(r#"{{"algoId":1,"clientAlgoId":{odd},"success":true,"code":0}}"#);
            let out = classify(answer(200, &body), Some(OrderRef::ClientAlgoId("mine")));
            assert_eq!(out.kind, Kind::UnknownOutcome, "{odd}");
        }
        // A refusal or rate limit naming another order is no verdict on this one.
        for status in [400, 429] {
            let other = classify(answer(status, r#"{"algoId":999,"code":-1021,"msg":"x"}"#), Some(OrderRef::AlgoId(1)));
            assert_eq!((other.kind, other.stray), (Kind::UnknownOutcome, true), "{status}");
        }
    }

    #[test]
    fn a_field_given_twice_is_no_verdict() {
        for (status, body) in [
            (200, r#"{"algoId":14511,"success":true,"code":-1007,"code":0}"#),
            (200, r#"{"algoId":14511,"success":false,"success":true,"code":0}"#),
            (200, r#"{"algoId":14511,"algoId":14511,"success":true,"code":0}"#),
            (200, r#"{"algoId":14511,"success":true,"code":0,"msg":"OK","msg":"OK"}"#),
            (400, r#"{"code":-1007,"code":-20124,"msg":"?"}"#),
        ] {
            let out = classify(answer(status, body), Some(OrderRef::AlgoId(14511)));
            assert_eq!(out.kind, Kind::UnknownOutcome, "{body}");
        }
        // Keys the rules do not read may repeat.
        let extra = r#"{"algoId":14511,"x":1,"x":2,"success":true,"code":0,"msg":"OK"}"#;
        assert_eq!(classify(answer(200, extra), Some(OrderRef::AlgoId(14511))).kind, Kind::Ok);
    }

    #[test]
    fn no_refusal_is_taken_from_a_body_that_claims_a_success() {
        for (status, body) in [
            (403, r#"<html><pre>{"algoId":14511,"success":true,"code":0,"msg":"OK"}</pre></html>"#),
            (400, r#"{"code":-1021,"msg":"x","data":{"algoId":14511,"success":true}}"#),
            (400, r#"{"code":-20124,"success":"true","msg":"x"}"#),
            (400, r#"{"code":-1021,"msg":"x"}{"algoId":14511,"success":true}"#),
            (429, "<pre>{&quot;success&quot;: true}</pre>"),
            (400, r#"{"error":"{\"success\":true}"}"#),
        ] {
            let out = classify(answer(status, body), None);
            assert_eq!(out.kind, Kind::UnknownOutcome, "{status} {body}");
            assert!(out.message.ends_with("[the body claims a success]"), "{}", out.message);
        }
        for body in [r#"{"code":-20124,"success":false,"msg":"x"}"#, "<html>unsuccessful: true</html>"] {
            assert_eq!(kind(400, body), Kind::Rejected, "{body}");
        }
    }

    #[test]
    fn a_lone_surrogate_anywhere_makes_a_body_not_json() {
        for field in ["msg", "other"] {
            let body = format!(r#"{{"algoId":1,"success":true,"code":0,"{field}":"\ud800"}}"#);
            let out = classify(answer(200, &body), None);
            assert_eq!((out.kind, out.body), (Kind::UnknownOutcome, None), "{field}");
        }
        let paired = r#"{"algoId":1,"success":true,"code":0,"msg":"\ud83d\ude00"}"#;
        assert_eq!(kind(200, paired), Kind::Ok);
    }

    #[test]
    fn a_4xx_that_is_not_utf8_keeps_its_code() {
        let body = b"{\"code\":-1007,\"msg\":\"execution status unknown \xff\"}";
        let out = classify(Answer { body: Ok(body.to_vec()), ..answer(400, "") }, None);
        assert_eq!((out.kind, out.exchange_code, out.body), (Kind::UnknownOutcome, -1007, None));
        let body = b"{\"code\":-20124,\"msg\":\"gone \xff\"}";
        let out = classify(Answer { body: Ok(body.to_vec()), ..answer(400, "") }, None);
        assert_eq!((out.kind, out.exchange_code), (Kind::Rejected, -20124));
    }

    #[test]
    fn a_body_that_is_not_exactly_json_keeps_its_code_but_is_never_a_success() {
        let backend = r#"{"code":-1007,"msg":"execution status unknown"}"#;
        for body in
            [format!("\u{feff}{backend}"), format!("{backend}\n{backend}"), format!("{backend}<html>proxy</html>")]
        {
            let out = classify(answer(400, &body), Some(OrderRef::AlgoId(1)));
            assert_eq!(
                (out.kind, out.exchange_code, out.body.as_deref()),
                (Kind::UnknownOutcome, -1007, None),
                "{body}"
            );
        }
        let gone = classify(answer(400, r#"{"code":-20124,"msg":"gone"}trailing"#), None);
        assert_eq!((gone.kind, gone.exchange_code, gone.body), (Kind::Rejected, -20124, None));
        // Cut short (an answer that ends at the close), broken after the
        // code, a second code after the first, a damaged number.
        for (body, code) in [
            (r#"{"code":-1007,"msg":"Timeout waiting for"#, -1007),
            (r#"{"code":-1007,"msg":"\u12"}"#, -1007),
            (r#"{"code":-20124,"msg":"gone"}{"code":-2011,"msg":"x"}"#, -20124),
            (r#"{"msg":"x","data":{"code":-1021}}!"#, 0),
            (r#"{"code":-10"#, 0),
            (r#"{"msg":"x","code""#, 0),
            (r#"{"msg":"x","code" :"#, 0),
            (r#"{"code":-10O7,"msg":"x"}"#, 0),
            (r#"{"code":-0,"msg":"x"#, 0),
            (r#"{"code":-020124,"msg":"x"}x"#, 0),
            (r#"{"code":-2011.5}x"#, 0),
        ] {
            let out = classify(answer(400, body), None);
            assert_eq!((out.kind, out.exchange_code), (Kind::UnknownOutcome, code), "{body}");
        }
        let damaged =
            classify(Answer { body: Ok(b"{\"code\":-10\xff07,\"msg\":\"x\"}".to_vec()), ..answer(400, "") }, None);
        assert_eq!(damaged.kind, Kind::UnknownOutcome);
        let cut = classify(answer(400, r#"{"code":-20124,"msg":"Invalid algo id or"#), None);
        assert_eq!((cut.kind, cut.exchange_code), (Kind::Rejected, -20124));
        assert_eq!(kind(400, r#"{"code":null,"msg":"x"}x"#), Kind::Rejected);
    }

    #[test]
    fn no_refusal_is_taken_from_a_body_that_mentions_an_unknown_outcome_code() {
        for (status, body) in [
            (400, r#"{"error":{"code":-1007,"msg":"x"}}"#),
            (400, r#"[{"code":-1006,"msg":"x"}]"#),
            (429, r#"{"upstream":{"code":-1000}}"#),
            (400, r#"{"code":-20124,"msg":"gone"}{"code":-1007,"msg":"x"}"#),
            (400, r#"<html><pre>{"code":-1007,"msg":"x"}</pre></html>"#),
            (400, "<pre>{&quot;code&quot;:-1007,&quot;msg&quot;:&quot;x&quot;}</pre>"),
            (400, r#"{"error":"{\"code\":-1007}"}x"#),
            (400, r#"{"\u0063ode":-1007,"msg":"Timeout wai"#),
            (403, r#"{"code":-1022,"msg":"wrapped -1006."}"#),
        ] {
            assert_eq!(kind(status, body), Kind::UnknownOutcome, "{status} {body}");
        }
        let nested = classify(answer(400, r#"{"error":{"code":-1007,"msg":"x"}}"#), None);
        assert!(nested.message.ends_with("[the body mentions an execution-status-unknown code]"), "{}", nested.message);
        // Decoded, in the message handed back.
        assert_eq!(kind(400, r#"{"code":-20124,"msg":"upstream \u002d1007"}"#), Kind::UnknownOutcome);
        // Nor is a success believed beside one.
        let ok_and = |extra: &str| kind(200, &format!(r#"{{"algoId":1,"success":true,"code":0,"msg":"OK"{extra}}}"#));
        assert_eq!(ok_and(r#","error":{"code":-1007}"#), Kind::UnknownOutcome);
        assert_eq!(ok_and(r#","clientAlgoId":"bot-1000""#), Kind::Ok);
        // A page's own numbers, codes that are words and ids are no such mention.
        for body in [
            r#"{"code":-20124,"msg":"x","clientAlgoId":"bot-1000"}"#,
            "<html>Request ID: 3f2a1c9e-1006-4abc-9d1e-000000000000</html>",
            "<html><style>.x{text-indent:-1000px}</style></html>",
            r#"<html><script>var e={"code":"WAF_BLOCK"};</script></html>"#,
            r#"<html><script>var e={"code":err.code};</script></html>"#,
            r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action, request ip: 10.0.0.1"}"#,
        ] {
            assert_eq!(kind(403, body), Kind::Rejected, "{body}");
        }
        let ok = format!("\u{feff}{OK_BODY}");
        assert_eq!(classify(answer(200, &ok), Some(OrderRef::AlgoId(14511))).kind, Kind::UnknownOutcome);
        assert_eq!(classify(answer(200, &format!("{OK_BODY}x")), None).kind, Kind::UnknownOutcome);
    }

    #[test]
    fn broken_bodies_are_unknown_and_never_returned() {
        for problem in [
            BodyProblem::TooLarge { cap: 1 << 20 },
            BodyProblem::Broken("eof".into()),
            BodyProblem::Encoded("gzip".into()),
        ] {
            let out = classify(Answer { body: Err(problem), ..answer(200, "") }, None);
            assert_eq!(out.kind, Kind::UnknownOutcome);
            assert_eq!((out.http_status, out.body), (200, None));
        }
    }

    #[test]
    fn header_values() {
        assert_eq!(header_int(Some(" 30 ")), Some(30));
        assert_eq!(header_int(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(header_int(Some("-5")), None);
        assert_eq!(header_int(None), None);
    }
}
