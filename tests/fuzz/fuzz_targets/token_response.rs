//! Token endpoint answers: the lenient `TokenResponse` deserialisation,
//! `Tokens::from_response` (absolute expiry times), the answer
//! normalisation every token request goes through (`http::normalise`) and
//! the OAuth error reading (`http::oauth_error`).
//!
//! Input: 2 bytes of HTTP status, 8 bytes of "now" (big endian), then the
//! body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::oauth::http::{normalise, oauth_error};
use mcp_auth::oauth::token::{TokenResponse, Tokens};
use oauth2::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

/// The response again, with every token replaced: its `Debug` must be the
/// same as the original's, or a token leaks into logs.
fn debug_without_tokens(r: &TokenResponse) -> Option<(String, String)> {
    let mut v = serde_json::to_value(r).ok()?;
    let original: TokenResponse = serde_json::from_value(v.clone()).ok()?;
    for k in ["access_token", "refresh_token", "id_token"] {
        if v.get(k).is_some_and(Value::is_string) {
            v[k] = Value::String("REPLACED".into());
        }
    }
    let replaced: TokenResponse = serde_json::from_value(v).ok()?;
    Some((format!("{original:?}"), format!("{replaced:?}")))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let status = 100 + u16::from_be_bytes([data[0], data[1]]) % 900;
    let now = i64::from_be_bytes(data[2..10].try_into().expect("8 bytes"));
    let body = &data[10..];

    if let Ok(r) = serde_json::from_slice::<TokenResponse>(body) {
        if let Some((a, b)) = debug_without_tokens(&r) {
            assert_eq!(a, b, "a token shows in Debug");
        }
        let t = Tokens::from_response(r, now);
        // Expiry is absolute and never before the moment it was issued,
        // however large or odd `expires_in` was.
        for at in [t.access_expires_at, t.refresh_expires_at]
            .into_iter()
            .flatten()
        {
            assert!(at >= now, "expiry {at} before now {now}");
        }
        assert_eq!(t.token_type, t.token_type.to_ascii_lowercase());
        if let Some(scopes) = &t.scopes {
            // Read `scope` the way TokenResponse does (other fields are
            // skipped unchecked, so the body may not be a valid `Value`).
            #[derive(serde::Deserialize)]
            struct ScopeOnly {
                scope: Option<Value>,
            }
            let from_list = serde_json::from_slice::<ScopeOnly>(body)
                .ok()
                .is_some_and(|s| s.scope.as_ref().is_some_and(Value::is_array));
            if !from_list {
                // A scope string is split at spaces and commas.
                assert!(
                    scopes
                        .iter()
                        .all(|s| !s.is_empty() && !s.contains([' ', ',']))
                );
            }
        }
    }

    let status = StatusCode::from_u16(status).expect("100..=999 is a status");
    for headers in [HeaderMap::new(), {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        h
    }] {
        let r = normalise(status, headers, body.to_vec());
        let json: Option<Value> = serde_json::from_slice(r.body()).ok();
        let error_object = json
            .as_ref()
            .and_then(|v| v.get("error"))
            .is_some_and(Value::is_string);
        if status.is_success() {
            assert!(r.status() == StatusCode::OK || r.status() == StatusCode::BAD_REQUEST);
        } else {
            assert_eq!(r.status(), status, "error statuses are kept");
        }
        if !r.status().is_success() {
            // Every failure reaches the oauth2 crate as an OAuth error
            // object, so it is classified by code, never by body text.
            assert!(error_object, "an error answer without an error object");
            let e = oauth_error("t", json.as_ref().expect("error objects are JSON"));
            if let mcp_auth::error::Error::OAuth { description, .. } = &e {
                assert!(
                    description
                        .as_ref()
                        .is_none_or(|d| d.chars().count() <= 300)
                );
            }
            let _ = e.to_string();
        }
        if json.is_some() {
            assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        }
    }
});
