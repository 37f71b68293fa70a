//! The login redirect's callback: `loopback::check` (the query of the one
//! request the loopback listener answers, or of a pasted URL) and
//! `loopback::host_allowed` (its DNS-rebinding guard on `Host`).
//!
//! Input: a flags byte (bit 0: an issuer is expected; bit 1: `iss` is
//! required), then `state \n issuer \n Host header \n query`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::oauth::loopback::{Expect, check, host_allowed};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(4, '\n');
    let state = parts.next().unwrap_or_default().to_string();
    let issuer = parts.next().unwrap_or_default().to_string();
    let host = parts.next().unwrap_or_default();
    let query = parts.next().unwrap_or_default();
    let expect = Expect {
        state: state.clone(),
        issuer: (flags & 1 == 1).then_some(issuer.clone()),
        iss_required: flags & 2 == 2,
    };

    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let all = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    match check(query, &expect) {
        Ok(cb) => {
            // Accepted only with exactly our state, one non-empty code,
            // no error, and an `iss` that is the issuer's when present.
            assert_eq!(all("state"), vec![state.as_str()], "accepted another state");
            assert_eq!(all("code"), vec![cb.code.expose()]);
            assert!(!cb.code.expose().is_empty());
            assert!(all("error").is_empty());
            let iss = all("iss");
            assert!(iss.len() <= 1);
            assert_eq!(iss.first().copied(), cb.iss.as_deref());
            if let (Some(got), Some(want)) = (&cb.iss, &expect.issuer) {
                assert_eq!(got, want, "accepted another issuer");
            }
            if expect.iss_required && expect.issuer.is_some() {
                assert!(cb.iss.is_some(), "accepted without the promised iss");
            }
            assert!(
                !format!("{cb:?}").contains("code: \""),
                "Debug shows the code"
            );
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.exit_code();
        }
    }

    for port in [0u16, 1, 8080, 65535] {
        if host_allowed(host, port) {
            let h = host.to_ascii_lowercase();
            assert!(
                h == format!("127.0.0.1:{port}")
                    || h == format!("localhost:{port}")
                    || h == format!("[::1]:{port}"),
                "{host:?} allowed for port {port}"
            );
        }
    }
    assert!(host_allowed(&format!("LocalHost:{}", 1234), 1234));
});
