//! `private_key_jwt` client authentication (RFC 7523 §2.2): a short-lived
//! JWT signed with the client's key, sent as `client_assertion`.
//!
//! Signing uses ring, which the TLS stack already brings. Keys are PKCS#8
//! PEM (`openssl pkcs8 -topk8 -nocrypt` converts others). The audience is
//! the authorization server's issuer when known (as RFC 7523bis and the MCP
//! client credentials extension expect), else the token endpoint.

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};

use crate::error::{Error, Result};
use crate::model::{Secret, Timestamp};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: enough for one request.
const LIFETIME_SECS: i64 = 300;

/// Algorithms mcp-auth can sign with.
pub const ALGORITHMS: &[&str] = &["ES256", "ES384", "RS256", "RS384", "RS512", "PS256"];

enum Key {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>> {
    let mut inside = false;
    let mut b64 = String::new();
    for line in pem.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN") {
            if line.contains("ENCRYPTED") {
                return Err(bad_key("it is encrypted; decrypt it first"));
            }
            if !line.contains("BEGIN PRIVATE KEY") {
                return Err(bad_key(
                    "it is not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt`",
                ));
            }
            inside = true;
        } else if line.starts_with("-----END") {
            break;
        } else if inside {
            b64.push_str(line);
        }
    }
    if b64.is_empty() {
        return Err(bad_key("no PEM private key found"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad_key("its PEM body is not valid base64"))
}

fn bad_key(why: &str) -> Error {
    Error::Usage(format!("the private key cannot be used: {why}"))
}

fn load(pem: &Secret, alg: &str) -> Result<Key> {
    let der = pem_to_der(pem.expose())?;
    let rng = SystemRandom::new();
    let ec = |a: &'static signature::EcdsaSigningAlgorithm| {
        EcdsaKeyPair::from_pkcs8(a, &der, &rng)
            .map(Key::Ec)
            .map_err(|_| bad_key(&format!("it is not an EC key of the curve {alg} needs")))
    };
    match alg {
        "ES256" => ec(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        "ES384" => ec(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        "RS256" | "RS384" | "RS512" | "PS256" => RsaKeyPair::from_pkcs8(&der)
            .map(Key::Rsa)
            .map_err(|_| bad_key(&format!("it is not an RSA key, which {alg} needs"))),
        other => Err(Error::Usage(format!(
            "signing algorithm {other:?} is not supported; use one of {}",
            ALGORITHMS.join(", ")
        ))),
    }
}

/// The algorithm a key implies when none is given: ES256/ES384 for EC keys
/// by curve, RS256 for RSA keys.
pub fn default_alg(pem: &Secret) -> Result<&'static str> {
    let der = pem_to_der(pem.expose())?;
    let rng = SystemRandom::new();
    if EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng).is_ok() {
        return Ok("ES256");
    }
    if EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &der, &rng).is_ok() {
        return Ok("ES384");
    }
    if RsaKeyPair::from_pkcs8(&der).is_ok() {
        return Ok("RS256");
    }
    Err(bad_key("it is neither a P-256, P-384 nor an RSA key"))
}

/// Largest identity token file read: real ones are a few KiB.
const MAX_ASSERTION: u64 = 64 * 1024;

/// Reads a workload identity token file (trimmed), bounded in size: the
/// assertion of a JWT bearer grant (RFC 7523 §2.1). Used at login and at
/// each renewal, so a token the platform rotated in place is the one sent.
pub fn read_assertion(path: &std::path::Path) -> Result<Secret> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| {
        Error::io(
            format!("cannot read the identity token file {}", path.display()),
            e,
        )
    })?;
    let mut text = String::new();
    file.take(MAX_ASSERTION + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::io(
                format!("cannot read the identity token file {}", path.display()),
                e,
            )
        })?;
    let text = text.trim();
    if text.len() as u64 > MAX_ASSERTION || text.is_empty() || text.split('.').count() != 3 {
        return Err(Error::Usage(format!(
            "{} does not hold a JWT (an identity token is three base64url parts joined by dots)",
            path.display()
        )));
    }
    Ok(Secret::new(text))
}

/// Checks that `pem` can sign with `alg`, before anything is sent.
pub fn check(pem: &Secret, alg: &str) -> Result<()> {
    load(pem, alg).map(|_| ())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs a client assertion for `client_id` towards `audience`.
pub fn client_assertion(
    pem: &Secret,
    alg: &str,
    client_id: &str,
    audience: &str,
    now: Timestamp,
) -> Result<Secret> {
    let key = load(pem, alg)?;
    let rng = SystemRandom::new();
    let mut jti = [0u8; 16];
    rng.fill(&mut jti)
        .map_err(|_| Error::Other("no randomness for the assertion id".into()))?;
    let header = serde_json::json!({"alg": alg, "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": b64(&jti),
        "iat": now,
        "exp": now + LIFETIME_SECS,
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = match key {
        Key::Ec(k) => k
            .sign(&rng, input.as_bytes())
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Other("signing the client assertion failed".into()))?,
        Key::Rsa(k) => {
            let padding: &dyn signature::RsaEncoding = match alg {
                "RS384" => &signature::RSA_PKCS1_SHA384,
                "RS512" => &signature::RSA_PKCS1_SHA512,
                "PS256" => &signature::RSA_PSS_SHA256,
                _ => &signature::RSA_PKCS1_SHA256,
            };
            let mut sig = vec![0u8; k.public().modulus_len()];
            k.sign(padding, &rng, input.as_bytes(), &mut sig)
                .map_err(|_| Error::Other("signing the client assertion failed".into()))?;
            sig
        }
    };
    Ok(Secret::new(format!("{input}.{}", b64(&sig))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair as _;

    /// Generates a P-256 PKCS#8 key and its PEM.
    fn ec_pem() -> (Secret, Vec<u8>) {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(doc.as_ref());
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            doc.as_ref(),
            &rng,
        )
        .unwrap();
        (Secret::new(pem), pair.public_key().as_ref().to_vec())
    }

    #[test]
    fn es256_assertions_verify_and_carry_the_claims() {
        let (pem, public) = ec_pem();
        assert_eq!(default_alg(&pem).unwrap(), "ES256");
        let jwt = client_assertion(&pem, "ES256", "cid", "https://as.example", 1000).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let dec = |s: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap()
        };
        let claims: serde_json::Value = serde_json::from_slice(&dec(parts[1])).unwrap();
        assert_eq!(claims["iss"], "cid");
        assert_eq!(claims["sub"], "cid");
        assert_eq!(claims["aud"], "https://as.example");
        assert_eq!(claims["exp"], 1300);
        let key = signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public);
        key.verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &dec(parts[2]),
        )
        .expect("signature verifies");
    }

    #[test]
    fn unusable_keys_are_clear_errors() {
        let (pem, _) = ec_pem();
        assert!(check(&pem, "RS256").is_err());
        assert!(
            check(&pem, "HS256")
                .unwrap_err()
                .to_string()
                .contains("not supported")
        );
        let sec1 =
            Secret::new("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----");
        assert!(
            check(&sec1, "ES256")
                .unwrap_err()
                .to_string()
                .contains("pkcs8")
        );
        assert!(check(&Secret::new("garbage"), "ES256").is_err());
        let bad = Secret::new("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----");
        assert!(check(&bad, "ES256").is_err());
    }
}
