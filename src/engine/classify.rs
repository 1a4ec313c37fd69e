//! Turning an HTTP answer into an `Outcome`. The caller's next move depends on
//! the kind, so every rule here follows binance-api.md's table, and anything
//! unrecognised is UnknownOutcome: never guess "not executed".

use super::outcome::{Kind, Outcome};
use serde_json::Value;

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
    TooLarge { cap: u64 },
    Broken(String),
}

/// `-1007`: "Send status unknown; execution status unknown", under any HTTP status.
const CODE_BACKEND_TIMEOUT: i64 = -1007;

pub const MAY_HAVE_RUN: &str = "the cancel may have been executed: query the order before acting";

pub fn classify(answer: Answer) -> Outcome {
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
            };
            out.message = format!("HTTP {status}, {why}; {MAY_HAVE_RUN}");
            return out;
        }
    };

    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let field = |name: &str| json.as_ref().and_then(|j| j.get(name));
    let code = field("code").and_then(Value::as_i64);
    let success = field("success").and_then(Value::as_bool);
    out.exchange_code = code.unwrap_or(0);
    out.exchange_msg = field("msg").and_then(Value::as_str).unwrap_or_default().to_owned();

    out.kind = if code == Some(CODE_BACKEND_TIMEOUT) {
        Kind::UnknownOutcome
    } else {
        match status {
            429 | 418 => Kind::RateLimited,
            400..=499 => Kind::Rejected,
            200 if success == Some(false) || code.is_some_and(|c| c != 0) => Kind::Rejected,
            200 if success == Some(true) => Kind::Ok,
            _ => Kind::UnknownOutcome,
        }
    };
    out.message = describe(&out, json.is_some());
    if json.is_some() {
        // Valid JSON is UTF-8 without raw NUL bytes, so it is a C string as is.
        out.body = String::from_utf8(body).ok();
    }
    out
}

fn describe(out: &Outcome, is_json: bool) -> String {
    let status = out.http_status;
    let mut what = format!("HTTP {status}");
    if out.exchange_code != 0 {
        what.push_str(&format!(", code {}", out.exchange_code));
    }
    if !out.exchange_msg.is_empty() {
        what.push_str(&format!(": {}", out.exchange_msg));
    } else if !is_json {
        what.push_str(" with a body that is not JSON");
    }
    match out.kind {
        Kind::Ok => format!("cancelled ({what})"),
        Kind::Rejected => format!("rejected by the exchange ({what}); not cancelled by this call"),
        Kind::RateLimited => {
            let wait = out.retry_after_s.map(|s| format!(", retry after {s} s")).unwrap_or_default();
            let ban = if status == 418 { "IP banned" } else { "rate limited" };
            format!("{ban} ({what}{wait}); not executed: back off before retrying")
        }
        _ => format!("unexpected answer ({what}); {MAY_HAVE_RUN}"),
    }
}

/// Header values are integers in Binance's answers; anything else is absent.
pub fn header_int(value: Option<&str>) -> Option<i64> {
    value?.trim().parse().ok()
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
        classify(answer(status, body)).kind
    }

    const OK_BODY: &str = r#"{"algoId":14511,"success":true,"code":0,"msg":"OK"}"#;

    #[test]
    fn success_keeps_the_body_byte_for_byte() {
        let out = classify(answer(200, OK_BODY));
        assert_eq!(out.kind, Kind::Ok);
        assert_eq!(out.body.as_deref(), Some(OK_BODY));
        assert_eq!((out.exchange_code, out.exchange_msg.as_str()), (0, "OK"));
        assert_eq!((out.used_weight_ip_1m, out.used_weight_uid_1m), (Some(7), Some(9)));
    }

    #[test]
    fn rejections_are_not_executed() {
        let unknown_id = r#"{"code":-20124,"msg":"Invalid algo id or it has been completed."}"#;
        let out = classify(answer(400, unknown_id));
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
        assert_eq!(classify(answer(404, "<html></html>")).body, None);
    }

    #[test]
    fn rate_limits() {
        let mut a = answer(429, r#"{"code":-1003,"msg":"Too many requests."}"#);
        a.retry_after_s = Some(30);
        let out = classify(a);
        assert_eq!(out.kind, Kind::RateLimited);
        assert_eq!(out.retry_after_s, Some(30));
        assert!(out.message.contains("retry after 30 s"), "{}", out.message);
        assert_eq!(kind(418, ""), Kind::RateLimited);
    }

    #[test]
    fn unknown_outcomes() {
        let backend = r#"{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}"#;
        for (status, body) in [
            (500, r#"{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}"#),
            (503, backend),
            (400, backend),
            (200, backend),
            (502, "<html>Bad Gateway</html>"),
            (200, "<html>hello</html>"),
            (200, r#"{"algoId":14511,"success":true"#),
            (200, ""),
            (200, "[1,2]"),
            (200, r#"{"algoId":14511}"#),
            (204, ""),
            (302, ""),
        ] {
            assert_eq!(kind(status, body), Kind::UnknownOutcome, "{status} {body}");
        }
        let out = classify(answer(503, backend));
        assert_eq!(out.exchange_code, -1007);
        assert_eq!(out.body.as_deref(), Some(backend));
        assert!(out.message.contains("may have been executed"), "{}", out.message);
    }

    #[test]
    fn broken_bodies_are_unknown_and_never_returned() {
        for problem in [BodyProblem::TooLarge { cap: 1 << 20 }, BodyProblem::Broken("eof".into())] {
            let out = classify(Answer { body: Err(problem), ..answer(200, "") });
            assert_eq!(out.kind, Kind::UnknownOutcome);
            assert_eq!((out.http_status, out.body), (200, None));
        }
    }

    #[test]
    fn header_values() {
        assert_eq!(header_int(Some(" 30 ")), Some(30));
        assert_eq!(header_int(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(header_int(None), None);
    }
}
