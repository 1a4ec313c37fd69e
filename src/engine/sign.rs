//! Binance request signing (HMAC-SHA256) and parameter encoding.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `payload` under `secret`. The MAC state holds key
/// material, so it lives only for this call, and its hash states are wiped
/// when it drops (the `zeroize` features of hmac and sha2 in Cargo.toml).
pub fn hmac_sha256(secret: &[u8], payload: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex HMAC-SHA256, as Binance expects in `signature=`.
pub fn hmac_sha256_hex(secret: &[u8], payload: &[u8]) -> String {
    let mut hex = String::with_capacity(64);
    push_hex(&mut hex, &hmac_sha256(secret, payload));
    hex
}

/// Appends `bytes` as lowercase hex, by hand: hex::encode's per-char collect
/// was the costliest step of building a request (see bench/results).
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 15)]));
    }
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// RFC 3986's unreserved bytes: `A-Z a-z 0-9 - _ . ~`.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~');
        b += 1;
    }
    table
};

/// Appends `value` percent-encoded (UTF-8, RFC 3986 unreserved characters
/// kept), as Binance requires for every value since 2026-01-15.
pub fn percent_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut rest = value;
    // Whole runs of unreserved (ASCII) bytes at a time: a hex signature or a
    // number is one copy.
    while let Some(at) = rest.bytes().position(|b| !UNRESERVED[usize::from(b)]) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        for &b in c.encode_utf8(&mut [0; 4]).as_bytes() {
            out.extend(['%', HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]);
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// Constant-time comparison, for checking signatures.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from shared/binance-api.md ("Test vectors (verified)").
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    /// Fails to compile if sha2's `zeroize` feature is dropped from Cargo.toml.
    #[test]
    fn mac_hash_states_wipe_themselves() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<sha2::Sha256>();
    }

    #[test]
    fn binance_doc_example() {
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            hmac_sha256_hex(SECRET.as_bytes(), payload.as_bytes()),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn cancel_vectors() {
        let cases = [
            (
                "algoId=14511&recvWindow=5000&timestamp=1499827319559",
                "57818683434957adf9113c00f1f030ae9a467ff8cff504a2fc87f9dd5afbd548",
            ),
            (
                "algoId=14511&timestamp=1499827319559",
                "232cb579e71fbedd1c51d74963e8a99e9bd5a45a01955f517fd0f3d53f115d43",
            ),
            (
                "algoId=9223372036854775807&recvWindow=60000&timestamp=1764000000000",
                "b486f1bd461a33e52abb2acf256bce63b7d3641bed08f3108d0573050304b5f7",
            ),
        ];
        for (payload, want) in cases {
            assert_eq!(hmac_sha256_hex(SECRET.as_bytes(), payload.as_bytes()), want, "{payload}");
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only() {
        let mut s = String::new();
        percent_encode_into(&mut s, "aZ09-_.~ +/=&é");
        assert_eq!(s, "aZ09-_.~%20%2B%2F%3D%26%C3%A9");
    }

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
