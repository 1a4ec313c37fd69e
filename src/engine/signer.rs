//! Who signs a request: an HMAC secret, an Ed25519 or RSA private key, or
//! the caller's own signer (an HSM, another process). Binance recommends
//! Ed25519 and calls HMAC legacy. Ed25519 and RSA use ring (constant-time,
//! already built for rustls).

use super::secret::Secret;
use super::sign::{hmac_sha256, hmac_sha256_hex, percent_encode_into, push_hex};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use std::fmt;
use std::sync::Arc;

/// The caller's signer: payload bytes in, the signature text Binance
/// expects (hex or base64, before URL encoding) out, or why it failed.
pub type ExternalSign = dyn Fn(&[u8]) -> Result<String, String> + Send + Sync;

#[derive(Clone)]
pub enum Signer {
    Hmac(Secret),
    Ed25519(Arc<Ed25519KeyPair>),
    Rsa(Arc<RsaKeyPair>),
    External(Arc<ExternalSign>),
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signer::Hmac(_) => "Signer::Hmac(<redacted>)",
            Signer::Ed25519(_) => "Signer::Ed25519(<redacted>)",
            Signer::Rsa(_) => "Signer::Rsa(<redacted>)",
            Signer::External(_) => "Signer::External",
        })
    }
}

impl Signer {
    /// A PKCS#8 PEM private key; Ed25519 or RSA is read from the key itself.
    pub fn from_pem(pem: &str, passphrase: Option<&str>) -> Result<Signer, String> {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err("encrypted private keys are not supported: decrypt it first \
                        (openssl pkcs8 -in key.pem -out plain.pem) and keep the file private"
                .into());
        }
        if passphrase.is_some() {
            return Err("a passphrase was given but the key is not encrypted".into());
        }
        let der = ureq::tls::parse_pem(pem.as_bytes())
            .find_map(|item| match item {
                Ok(ureq::tls::PemItem::PrivateKey(key)) => Some(zeroize::Zeroizing::new(key.der().to_vec())),
                _ => None,
            })
            .ok_or("no PEM private key found (expected -----BEGIN PRIVATE KEY-----)")?;
        // "maybe_unchecked": openssl writes PKCS#8 v1, without the public key.
        if let Ok(key) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
            return Ok(Signer::Ed25519(Arc::new(key)));
        }
        match RsaKeyPair::from_pkcs8(&der) {
            Ok(key) => Ok(Signer::Rsa(Arc::new(key))),
            Err(e) => Err(format!("the private key is neither Ed25519 nor a usable RSA key in PKCS#8 ({e})")),
        }
    }

    /// The signature text for `payload`: lowercase hex (HMAC) or base64
    /// (Ed25519, RSA PKCS#1 v1.5 with SHA-256), not yet URL-encoded.
    pub fn sign(&self, payload: &[u8]) -> Result<String, String> {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match self {
            Signer::Hmac(secret) => Ok(hmac_sha256_hex(secret.expose().as_bytes(), payload)),
            Signer::Ed25519(key) => Ok(b64(key.sign(payload).as_ref())),
            Signer::Rsa(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), payload, &mut signature)
                    .map_err(|_| "RSA signing failed".to_owned())?;
                Ok(b64(&signature))
            }
            Signer::External(sign) => sign(payload),
        }
    }

    /// Appends `&signature=` and the URL-encoded signature of
    /// `query[start..]` to `query`.
    pub fn append_signature(&self, query: &mut String, start: usize) -> Result<(), String> {
        if let Signer::Hmac(secret) = self {
            // Hex needs no encoding: straight into the query, no allocation.
            let mac = hmac_sha256(secret.expose().as_bytes(), &query.as_bytes()[start..]);
            query.push_str("&signature=");
            push_hex(query, &mac);
            return Ok(());
        }
        let signature = self.sign(&query.as_bytes()[start..])?;
        query.push_str("&signature=");
        percent_encode_into(query, &signature);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// RFC 8032 test 1 secret as PKCS#8, from shared/binance-api.md.
    pub const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
        -----END PRIVATE KEY-----\n";

    #[test]
    fn ed25519_vector() {
        let signer = Signer::from_pem(ED25519_PEM, None).unwrap();
        assert!(matches!(signer, Signer::Ed25519(_)));
        assert_eq!(
            signer.sign(b"algoId=14511&recvWindow=5000&timestamp=1499827319559").unwrap(),
            "01FYZWythY5MkH+R2GaDZfmFik3HP08rxH6w/9BZbIa1aYfyy90aNN86oFG0kSIttoYeGmSlO/a1Dwls0llOAQ=="
        );
        assert_eq!(format!("{signer:?}"), "Signer::Ed25519(<redacted>)");
    }

    #[test]
    fn unusable_keys_are_explained() {
        assert!(Signer::from_pem("nonsense", None).unwrap_err().contains("no PEM private key"));
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(Signer::from_pem(encrypted, Some("pw")).unwrap_err().contains("encrypted"));
        assert!(Signer::from_pem(ED25519_PEM, Some("pw")).unwrap_err().contains("not encrypted"));
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(Signer::from_pem(garbage, None).is_err());
    }

    #[test]
    fn external_signers_are_called_with_the_payload() {
        let signer = Signer::External(Arc::new(|p: &[u8]| Ok(format!("len{}", p.len()))));
        assert_eq!(signer.sign(b"abc").unwrap(), "len3");
        let failing = Signer::External(Arc::new(|_: &[u8]| Err("HSM offline".to_owned())));
        assert_eq!(failing.sign(b"abc").unwrap_err(), "HSM offline");
    }
}
