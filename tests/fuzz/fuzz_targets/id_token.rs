//! ID tokens: `identity::from_id_token` decodes the payload of an
//! unverified JWT from the token response, for display only.
//!
//! Input: the token text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::model::Secret;
use mcp_auth::oauth::identity::from_id_token;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data).into_owned();
    let id = from_id_token(&Secret::new(token.clone()));
    if !token.contains('.') {
        assert!(id.is_empty(), "no payload, no identity");
    }
    if let Some(email) = &id.email {
        assert!(!email.is_empty());
    }
    // `or` fills gaps and never drops what is there.
    let merged = id.clone().or(Default::default());
    assert_eq!(merged, id);
});
