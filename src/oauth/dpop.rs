//! DPoP, sender-constrained tokens (RFC 9449,
//! https://www.rfc-editor.org/rfc/rfc9449): a key pair per credential, and
//! a proof JWT signed with it on every token request and every request
//! that presents the token, so a stolen access token is useless without
//! the key.
//!
//! Keys are ES256 (P-256), which RFC 9449 §5.1's
//! `dpop_signing_alg_values_supported` lists almost everywhere and ring
//! (already the TLS stack's crypto) signs. A key is made at each login
//! (so a new login rotates it) and kept in the secret store with the
//! tokens, as PKCS#8 in base64url; it never leaves the machine, only its
//! public half does, in each proof's `jwk` header.

use std::sync::Arc;

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, KeyPair as _};

use crate::error::{Error, Result};
use crate::model::{Secret, Timestamp};

/// The only algorithm mcp-auth proves with.
pub const ALG: &str = "ES256";

/// The header a proof travels in (RFC 9449 §4.1).
pub const HEADER: &str = "DPoP";

/// The header a server sends a nonce in (RFC 9449 §8, §9).
pub const NONCE_HEADER: &str = "DPoP-Nonce";

/// The error a server answers when it wants a (new) nonce in the proof
/// (RFC 9449 §8 for the authorization server, §9 for a resource server).
pub const USE_NONCE: &str = "use_dpop_nonce";

/// The token type an authorization server answers for a DPoP-bound token
/// (RFC 9449 §5); compared without case.
pub const TOKEN_TYPE: &str = "dpop";

/// True when an authorization server's metadata says it binds tokens to
/// ES256 keys (`dpop_signing_alg_values_supported`, RFC 9449 §5.1).
pub fn offered(algs: Option<&[String]>) -> bool {
    algs.is_some_and(|a| a.iter().any(|a| a == ALG))
}

/// A credential's proof key. Cloning shares it.
#[derive(Clone)]
pub struct Key(Arc<Inner>);

struct Inner {
    pair: EcdsaKeyPair,
    stored: Secret,
    /// The public key as a JWK (RFC 7517), members in the RFC 7638 order.
    jwk: serde_json::Value,
    thumbprint: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dpop::Key(jkt={})", self.0.thumbprint)
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Key {
    /// A new P-256 key.
    pub fn generate() -> Result<Key> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Error::Other("cannot make a DPoP key: no randomness".into()))?;
        Key::from_pkcs8(doc.as_ref())
    }

    /// The key as [`Key::stored`] wrote it.
    pub fn from_stored(stored: &Secret) -> Result<Key> {
        let der = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(stored.expose())
            .map_err(|_| bad_stored())?;
        Key::from_pkcs8(&der)
    }

    fn from_pkcs8(der: &[u8]) -> Result<Key> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|_| bad_stored())?;
        // An uncompressed SEC1 point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        if point.len() != 65 || point[0] != 4 {
            return Err(bad_stored());
        }
        let (x, y) = (b64(&point[1..33]), b64(&point[33..]));
        // RFC 7638 §3.2: the required members, sorted, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let thumbprint =
            b64(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref());
        let jwk = serde_json::json!({"crv": "P-256", "kty": "EC", "x": x, "y": y});
        Ok(Key(Arc::new(Inner {
            pair,
            stored: Secret::new(b64(der)),
            jwk,
            thumbprint,
        })))
    }

    /// The private key, for the secret store only.
    pub fn stored(&self) -> &Secret {
        &self.0.stored
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), what a bound token's
    /// `cnf.jkt` names (RFC 9449 §6.1).
    pub fn thumbprint(&self) -> &str {
        &self.0.thumbprint
    }

    /// A proof for one request (RFC 9449 §4.2): `method` and `url` (its
    /// query and fragment left out, as `htu` requires), the server's
    /// `nonce` when it gave one, and with `access_token` its hash (`ath`),
    /// which binds the proof to the token it comes with (§7.1).
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        nonce: Option<&str>,
        access_token: Option<&Secret>,
        now: Timestamp,
    ) -> Result<Secret> {
        let rng = SystemRandom::new();
        let mut jti = [0u8; 16];
        rng.fill(&mut jti)
            .map_err(|_| Error::Other("no randomness for the DPoP proof id".into()))?;
        let header = serde_json::json!({"typ": "dpop+jwt", "alg": ALG, "jwk": self.0.jwk});
        let mut claims = serde_json::json!({
            "jti": b64(&jti),
            "htm": method,
            "htu": htu(url),
            "iat": now,
        });
        if let Some(n) = nonce {
            claims["nonce"] = n.into();
        }
        if let Some(t) = access_token {
            let hash = ring::digest::digest(&ring::digest::SHA256, t.expose().as_bytes());
            claims["ath"] = b64(hash.as_ref()).into();
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self
            .0
            .pair
            .sign(&rng, input.as_bytes())
            .map_err(|_| Error::Other("signing the DPoP proof failed".into()))?;
        Ok(Secret::new(format!("{input}.{}", b64(sig.as_ref()))))
    }
}

fn bad_stored() -> Error {
    Error::Other("the stored DPoP key is unreadable; log in again to make a new one".into())
}

/// `htu`: the request URI without query and fragment (RFC 9449 §4.2).
pub fn htu(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or(url).to_string(),
    }
}

/// The nonce a server asks for: `Some` when the answer is a
/// `use_dpop_nonce` error (in the JSON body from an authorization server,
/// in `WWW-Authenticate` from a resource server) and carries a `DPoP-Nonce`.
pub fn nonce_asked(
    headers: &reqwest::header::HeaderMap,
    body_error: Option<&str>,
) -> Option<String> {
    let challenged = body_error == Some(USE_NONCE)
        || headers
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains(USE_NONCE));
    if !challenged {
        return None;
    }
    nonce_of(headers)
}

/// A `DPoP-Nonce` header's value, if any.
pub fn nonce_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(NONCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    }

    #[test]
    fn proofs_verify_with_their_jwk_and_carry_the_claims() {
        let key = Key::generate().unwrap();
        let token = Secret::new("at-1");
        let proof = key
            .proof(
                "POST",
                "https://mcp.example/mcp?x=1#f",
                Some("n-1"),
                Some(&token),
                1000,
            )
            .unwrap();
        let parts: Vec<&str> = proof.expose().split('.').collect();
        let header: serde_json::Value = serde_json::from_slice(&dec(parts[0])).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&dec(parts[1])).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none(), "no private part");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://mcp.example/mcp");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["iat"], 1000);
        let ath = ring::digest::digest(&ring::digest::SHA256, b"at-1");
        assert_eq!(claims["ath"], b64(ath.as_ref()));
        let mut point = vec![4u8];
        point.extend(dec(header["jwk"]["x"].as_str().unwrap()));
        point.extend(dec(header["jwk"]["y"].as_str().unwrap()));
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(
                format!("{}.{}", parts[0], parts[1]).as_bytes(),
                &dec(parts[2]),
            )
            .expect("the proof verifies");
        // Every proof is fresh.
        let again = key
            .proof("POST", "https://mcp.example/mcp", None, None, 1000)
            .unwrap();
        let again: serde_json::Value =
            serde_json::from_slice(&dec(again.expose().split('.').nth(1).unwrap())).unwrap();
        assert_ne!(again["jti"], claims["jti"]);
        assert!(again.get("ath").is_none() && again.get("nonce").is_none());
    }

    #[test]
    fn a_stored_key_comes_back_the_same_and_debug_hides_it() {
        let key = Key::generate().unwrap();
        let back = Key::from_stored(key.stored()).unwrap();
        assert_eq!(back.thumbprint(), key.thumbprint());
        assert!(!format!("{key:?}").contains(key.stored().expose()));
        assert!(Key::from_stored(&Secret::new("garbage")).is_err());
    }

    /// RFC 7638 §3.1's example is RSA; this checks the EC form against a
    /// thumbprint computed by hand from the canonical JSON.
    #[test]
    fn thumbprint_is_the_rfc7638_hash_of_the_sorted_members() {
        let key = Key::generate().unwrap();
        let jwk = &key.0.jwk;
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap()
        );
        let want = b64(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref());
        assert_eq!(key.thumbprint(), want);
    }

    #[test]
    fn a_nonce_is_taken_only_when_asked_for() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(NONCE_HEADER, "n-9".parse().unwrap());
        assert_eq!(nonce_asked(&h, None), None);
        assert_eq!(
            nonce_asked(&h, Some("use_dpop_nonce")).as_deref(),
            Some("n-9")
        );
        h.insert(
            reqwest::header::WWW_AUTHENTICATE,
            r#"DPoP error="use_dpop_nonce""#.parse().unwrap(),
        );
        assert_eq!(nonce_asked(&h, None).as_deref(), Some("n-9"));
        assert!(offered(Some(&["RS256".into(), "ES256".into()])));
        assert!(!offered(Some(&["RS256".into()])) && !offered(None));
    }
}
