//! Building the signed query of `DELETE /sapi/v1/algo/futures/order`.

use super::sign::percent_encode_into;
use super::signer::Signer;
use std::fmt::Write;

pub const CANCEL_PATH: &str = "/sapi/v1/algo/futures/order";

/// Which order to cancel: Binance's id, or the caller's own `clientAlgoId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    AlgoId(i64),
    ClientAlgoId(&'a str),
}

impl OrderRef<'_> {
    /// Checked before anything is signed or sent. A clientAlgoId follows
    /// Binance's rule for client order ids: 1 to 36 of `A-Za-z0-9.:/_-`.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            OrderRef::AlgoId(id) if id <= 0 => Err(format!("algo_id must be positive, got {id}")),
            OrderRef::ClientAlgoId(id)
                if id.is_empty()
                    || id.len() > 36
                    || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b".:/_-".contains(&b)) =>
            {
                Err("client_algo_id must be 1 to 36 characters of A-Z a-z 0-9 . : / _ -".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// The algoId, or 0 for a clientAlgoId (for logs).
    pub fn algo_id(&self) -> i64 {
        match *self {
            OrderRef::AlgoId(id) => id,
            OrderRef::ClientAlgoId(_) => 0,
        }
    }
}

/// The cancel's query, appended to `out` (after `https://host/path?`, so a
/// URL is built in one allocation): the order, then `recvWindow` only when
/// configured, then `timestamp` (Unix milliseconds), then the signature of
/// all before it. Every value is percent-encoded before signing (integers
/// need none) and the signature after (base64 has `+/=`), as binance-api.md
/// requires. The body of this DELETE is empty, so the query alone is
/// totalParams.
pub fn append_cancel_query(
    out: &mut String,
    order: OrderRef<'_>,
    recv_window_ms: Option<i64>,
    timestamp_ms: i64,
    signer: &Signer,
) -> Result<(), String> {
    let start = out.len();
    // Writing into a String cannot fail.
    match order {
        OrderRef::AlgoId(id) => {
            let _ = write!(out, "algoId={id}");
        }
        OrderRef::ClientAlgoId(id) => {
            out.push_str("clientAlgoId=");
            percent_encode_into(out, id);
        }
    }
    if let Some(window) = recv_window_ms {
        let _ = write!(out, "&recvWindow={window}");
    }
    let _ = write!(out, "&timestamp={timestamp_ms}");
    signer.append_signature(out, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::secret::Secret;
    use crate::engine::sign::hmac_sha256_hex;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    fn hmac() -> Signer {
        Signer::Hmac(Secret::new(SECRET))
    }

    fn cancel_query(order: OrderRef<'_>, window: Option<i64>, ts: i64, signer: &Signer) -> Result<String, String> {
        let mut q = String::new();
        append_cancel_query(&mut q, order, window, ts, signer).map(|()| q)
    }

    #[test]
    fn query_matches_the_documented_vectors() {
        let q = |id, window, ts| cancel_query(OrderRef::AlgoId(id), window, ts, &hmac()).unwrap();
        assert_eq!(
            q(14511, Some(5000), 1499827319559),
            "algoId=14511&recvWindow=5000&timestamp=1499827319559\
             &signature=57818683434957adf9113c00f1f030ae9a467ff8cff504a2fc87f9dd5afbd548"
        );
        assert_eq!(
            q(14511, None, 1499827319559),
            "algoId=14511&timestamp=1499827319559\
             &signature=232cb579e71fbedd1c51d74963e8a99e9bd5a45a01955f517fd0f3d53f115d43"
        );
        assert_eq!(
            q(i64::MAX, Some(60000), 1764000000000),
            "algoId=9223372036854775807&recvWindow=60000&timestamp=1764000000000\
             &signature=b486f1bd461a33e52abb2acf256bce63b7d3641bed08f3108d0573050304b5f7"
        );
    }

    #[test]
    fn ed25519_signature_is_url_encoded() {
        let signer = Signer::from_pem(crate::engine::signer::tests::ED25519_PEM, None).unwrap();
        assert_eq!(
            cancel_query(OrderRef::AlgoId(14511), Some(5000), 1499827319559, &signer).unwrap(),
            "algoId=14511&recvWindow=5000&timestamp=1499827319559&signature=\
             01FYZWythY5MkH%2BR2GaDZfmFik3HP08rxH6w%2F9BZbIa1aYfyy90aNN86oFG0kSIttoYeGmSlO%2Fa1Dwls0llOAQ%3D%3D"
        );
    }

    #[test]
    fn large_ids_are_exact() {
        // 2^53 + 1 is not representable as a double; it must survive as text.
        let q = cancel_query(OrderRef::AlgoId(9007199254740993), None, 1, &hmac()).unwrap();
        assert!(q.starts_with("algoId=9007199254740993&timestamp=1&signature="), "{q}");
    }

    #[test]
    fn values_are_encoded_before_signing() {
        let mut q = "https://h/p?".to_owned();
        // Not a valid clientAlgoId (validate() runs before this), but any
        // text must come out encoded.
        append_cancel_query(&mut q, OrderRef::ClientAlgoId("a b/é~x"), None, 7, &hmac()).unwrap();
        let q = q.strip_prefix("https://h/p?").unwrap();
        let (payload, sig) = q.split_once("&signature=").unwrap();
        assert_eq!(payload, "clientAlgoId=a%20b%2F%C3%A9~x&timestamp=7");
        assert_eq!(sig, hmac_sha256_hex(SECRET.as_bytes(), payload.as_bytes()));
    }

    #[test]
    fn client_algo_ids() {
        let q = cancel_query(OrderRef::ClientAlgoId("my-twap:1"), None, 5, &hmac()).unwrap();
        assert!(q.starts_with("clientAlgoId=my-twap%3A1&timestamp=5&signature="), "{q}");
        assert!(OrderRef::ClientAlgoId("my-twap:1").validate().is_ok());
        for bad in ["", "has space", "é", &"x".repeat(37)] {
            assert!(OrderRef::ClientAlgoId(bad).validate().is_err(), "{bad:?}");
        }
        assert!(OrderRef::AlgoId(0).validate().is_err());
    }
}
