//! How the simulator checks `signature=`: an HMAC secret, or the public half
//! of an Ed25519 or RSA API key, read from its SPKI PEM by a small DER walker
//! (no ASN.1 crate is a dependency).

use std::io;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::signature::{UnparsedPublicKey, VerificationAlgorithm, ED25519, RSA_PKCS1_2048_8192_SHA256};

use super::exchange::form_decode;
use crate::engine::secret::Secret;
use crate::engine::sign::{ct_eq, hmac_sha256_hex};

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";
const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
/// Contents of the OIDs 1.3.101.112 and 1.2.840.113549.1.1.1.
const ED25519_OID: &[u8] = &[0x2b, 0x65, 0x70];
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// DER NULL, the parameters openssl writes for rsaEncryption.
const NULL: &[u8] = &[0x05, 0x00];

pub(crate) enum Verifier {
    /// Lowercase hex HMAC-SHA256.
    Hmac(Secret),
    /// Base64 (percent-encoded in the URL) of a signature checked with this
    /// algorithm against this key: 32 raw bytes (Ed25519) or a PKCS#1
    /// RSAPublicKey (RSA).
    Key(&'static dyn VerificationAlgorithm, Vec<u8>),
}

impl Verifier {
    /// HMAC with `secret_key`, unless a public key PEM is given.
    pub fn new(secret_key: &str, public_key_pem: Option<&str>) -> io::Result<Self> {
        let Some(pem) = public_key_pem else {
            return Ok(Verifier::Hmac(Secret::new(secret_key)));
        };
        let (alg, key) = parse_spki(pem).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(Verifier::Key(alg, key))
    }

    /// `signature` is the value as received (still percent-encoded).
    pub fn verify(&self, signed: &[u8], signature: &[u8]) -> bool {
        match self {
            // Binance: "The signature is not case sensitive."
            Verifier::Hmac(secret) => {
                ct_eq(hmac_sha256_hex(secret.expose().as_bytes(), signed).as_bytes(), &signature.to_ascii_lowercase())
            }
            Verifier::Key(alg, key) => form_decode(signature)
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|sig| UnparsedPublicKey::new(*alg, key).verify(signed, &sig).is_ok()),
        }
    }
}

/// The algorithm and key bytes of an SPKI PEM, or why it is unusable.
fn parse_spki(pem: &str) -> Result<(&'static dyn VerificationAlgorithm, Vec<u8>), String> {
    let body = pem
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(body, _)| body)
        .ok_or_else(|| format!("public key: expected a {BEGIN} PEM block (as `openssl pkey -pubout` writes)"))?;
    let b64: String = body.split_ascii_whitespace().collect();
    let der = STANDARD.decode(b64).map_err(|e| format!("public key: bad base64 in the PEM: {e}"))?;
    let bad = |what: &str| format!("public key: not an SPKI public key ({what})");

    let (spki, rest) = expect(&der, SEQUENCE).map_err(bad)?;
    let (algorithm, bits) = expect(spki, SEQUENCE).map_err(bad)?;
    let (bits, tail) = expect(bits, BIT_STRING).map_err(bad)?;
    let (oid, params) = expect(algorithm, OID).map_err(bad)?;
    if !rest.is_empty() || !tail.is_empty() {
        return Err(bad("trailing data"));
    }
    // The first byte counts unused bits; a key is whole bytes.
    let Some((0, key)) = bits.split_first() else {
        return Err(bad("bad BIT STRING"));
    };
    match oid {
        ED25519_OID if params.is_empty() && key.len() == 32 => Ok((&ED25519, key.to_vec())),
        ED25519_OID => Err(bad("an Ed25519 key is 32 bytes, without parameters")),
        RSA_OID if params.is_empty() || params == NULL => {
            check_rsa(key).map_err(|e| format!("public key: unusable RSA key ({e})"))?;
            Ok((&RSA_PKCS1_2048_8192_SHA256, key.to_vec()))
        }
        RSA_OID => Err(bad("rsaEncryption parameters must be NULL")),
        _ => Err("public key: unsupported algorithm (only Ed25519 and RSA keys are)".into()),
    }
}

/// PKCS#1 RSAPublicKey `SEQUENCE { n INTEGER, e INTEGER }`. Checked here
/// because ring only looks at it when verifying: a key it cannot use would
/// otherwise turn every request into -1022.
fn check_rsa(der: &[u8]) -> Result<(), &'static str> {
    let (seq, rest) = expect(der, SEQUENCE)?;
    let (n, after_n) = expect(seq, INTEGER)?;
    let (e, after_e) = expect(after_n, INTEGER)?;
    if !rest.is_empty() || !after_e.is_empty() || e.is_empty() {
        return Err("malformed RSAPublicKey");
    }
    let n = n.strip_prefix(&[0]).unwrap_or(n);
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(2048..=8192).contains(&bits) {
        return Err("the modulus must have 2048 to 8192 bits");
    }
    Ok(())
}

/// The contents of the DER element at the start of `der`, which must have
/// tag `tag`, and what follows it.
fn expect(der: &[u8], tag: u8) -> Result<(&[u8], &[u8]), &'static str> {
    let [t, len, rest @ ..] = der else {
        return Err("truncated DER");
    };
    if *t != tag {
        return Err("unexpected DER element");
    }
    let (len, rest) = match *len {
        short @ 0..=0x7f => (usize::from(short), rest),
        // Long form: the low bits count the length bytes. 0x80 (indefinite)
        // is not DER; four bytes cover any key.
        long => {
            let n = usize::from(long & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err("bad DER length");
            }
            let (bytes, rest) = rest.split_at(n);
            (bytes.iter().fold(0, |acc, &b| acc << 8 | usize::from(b)), rest)
        }
    };
    if rest.len() < len {
        return Err("truncated DER");
    }
    Ok(rest.split_at(len))
}
