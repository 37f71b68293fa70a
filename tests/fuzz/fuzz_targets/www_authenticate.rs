//! `WWW-Authenticate` values from a 401/403 (RFC 9110 §11.6.1, RFC 6750,
//! RFC 9728): `challenge::parse` and `challenge::bearer`.
//!
//! Input: header values separated by `\n` (a response may carry several).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::mcp::auth::challenge::{self, MAX_LEN};

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    let mut any_bearer = false;
    let mut any_dpop = false;
    for v in &values {
        let all = challenge::parse(v);
        if v.len() > MAX_LEN {
            assert!(all.is_empty(), "an oversized header is not parsed");
        }
        for c in &all {
            // Schemes and parameter names are tokens, lower-cased.
            assert!(!c.scheme.is_empty());
            assert!(c.scheme.chars().all(is_tchar), "{:?}", c.scheme);
            assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
            for name in c.params.keys() {
                assert!(!name.is_empty() && name.chars().all(is_tchar), "{name:?}");
                assert_eq!(*name, name.to_ascii_lowercase());
            }
            if let Some(t) = &c.token68 {
                assert!(!t.is_empty());
            }
            any_bearer |= c.scheme == "bearer";
            any_dpop |= c.scheme == "dpop";
        }
        // Parsing is a function of the text: same input, same result.
        assert_eq!(all, challenge::parse(v));
    }
    let b = challenge::bearer(values.iter().copied());
    // A DPoP challenge (RFC 9449 §7.1) stands in when no Bearer came.
    assert_eq!(
        b.is_some(),
        any_bearer || any_dpop,
        "bearer() finds exactly the parsed Bearer or DPoP"
    );
    if let Some(b) = b {
        assert_eq!(b.dpop, !any_bearer, "Bearer wins over DPoP");
        let scopes = b.scopes();
        for (i, s) in scopes.iter().enumerate() {
            assert!(!s.is_empty() && !s.contains(char::is_whitespace));
            assert!(!scopes[..i].contains(s), "scopes are deduplicated");
        }
        assert_eq!(
            b.is_insufficient_scope(),
            b.error.as_deref() == Some("insufficient_scope")
        );
    }
});
