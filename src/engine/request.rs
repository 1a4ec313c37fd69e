//! Building the signed query of `DELETE /sapi/v1/algo/futures/order`.

use super::sign::{hmac_sha256_hex, percent_encode_into};

pub const CANCEL_PATH: &str = "/sapi/v1/algo/futures/order";

/// `name=value&...&signature=<hex>`: every value percent-encoded before
/// signing, the signature last, as binance-api.md requires. The body of this
/// DELETE is empty, so the query alone is totalParams.
pub fn signed_query(params: &[(&str, &str)], secret: &[u8]) -> String {
    let mut q = String::with_capacity(128);
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            q.push('&');
        }
        q.push_str(name);
        q.push('=');
        percent_encode_into(&mut q, value);
    }
    let signature = hmac_sha256_hex(secret, q.as_bytes());
    q.push_str("&signature=");
    q.push_str(&signature);
    q
}

/// The cancel's query: `algoId`, then `recvWindow` only when configured, then
/// `timestamp` (Unix milliseconds).
pub fn cancel_query(algo_id: i64, recv_window_ms: Option<i64>, timestamp_ms: i64, secret: &[u8]) -> String {
    let id = algo_id.to_string();
    let ts = timestamp_ms.to_string();
    match recv_window_ms {
        Some(w) => {
            let w = w.to_string();
            signed_query(&[("algoId", &id), ("recvWindow", &w), ("timestamp", &ts)], secret)
        }
        None => signed_query(&[("algoId", &id), ("timestamp", &ts)], secret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    #[test]
    fn query_matches_the_documented_vectors() {
        assert_eq!(
            cancel_query(14511, Some(5000), 1499827319559, SECRET),
            "algoId=14511&recvWindow=5000&timestamp=1499827319559\
             &signature=57818683434957adf9113c00f1f030ae9a467ff8cff504a2fc87f9dd5afbd548"
        );
        assert_eq!(
            cancel_query(14511, None, 1499827319559, SECRET),
            "algoId=14511&timestamp=1499827319559\
             &signature=232cb579e71fbedd1c51d74963e8a99e9bd5a45a01955f517fd0f3d53f115d43"
        );
        assert_eq!(
            cancel_query(i64::MAX, Some(60000), 1764000000000, SECRET),
            "algoId=9223372036854775807&recvWindow=60000&timestamp=1764000000000\
             &signature=b486f1bd461a33e52abb2acf256bce63b7d3641bed08f3108d0573050304b5f7"
        );
    }

    #[test]
    fn large_ids_are_exact() {
        // 2^53 + 1 is not representable as a double; it must survive as text.
        let q = cancel_query(9007199254740993, None, 1, SECRET);
        assert!(q.starts_with("algoId=9007199254740993&timestamp=1&signature="), "{q}");
    }

    #[test]
    fn values_are_encoded_before_signing() {
        let q = signed_query(&[("clientAlgoId", "a b/é")], SECRET);
        let (payload, sig) = q.split_once("&signature=").unwrap();
        assert_eq!(payload, "clientAlgoId=a%20b%2F%C3%A9");
        assert_eq!(sig, hmac_sha256_hex(SECRET, payload.as_bytes()));
    }
}
