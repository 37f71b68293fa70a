//! The daemon's socket protocol, both ways: a request line as the daemon
//! reads it (`ipc::parse_request`) and an answer line as the client reads
//! it (`ipc::Response`, `Response::into_result`, `WireError::into_error`).
//! Other processes of the same user write these lines; a token can be in
//! them (`rejected`, `token`).
//!
//! Input: one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::ipc::{Op, Request, Response, VERSION, parse_request};
use serde_json::Value;

/// What the daemon may answer a bad request with: fixed sentences that
/// never quote the request (which may hold a token).
const TEMPLATES: &[&str] = &[
    "this daemon speaks protocol ",
    "request without a protocol version",
    "not a JSON request (",
    "unknown or malformed request (",
];

/// String values of at least 8 characters anywhere in a JSON document: the
/// ones that must not be quoted back (shorter ones match by chance).
fn long_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.chars().count() >= 8 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| long_strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| long_strings(v, out)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    match parse_request(data) {
        Ok(r) => {
            assert_eq!(r.v, VERSION);
            // What the daemon understood is what a client would have sent.
            let line = serde_json::to_vec(&r).expect("requests serialise");
            let again: Request = serde_json::from_slice(&line).expect("and parse back");
            assert_eq!(again, r);
            if let Op::Refresh {
                rejected: Some(t), ..
            } = &r.op
                && t.expose().len() >= 8
            {
                assert!(!format!("{r:?}").contains(t.expose()), "a token in Debug");
            }
        }
        Err(w) => {
            assert!(
                TEMPLATES.iter().any(|t| w.message.starts_with(t)),
                "{:?}",
                w.message
            );
            assert!(w.message.len() <= 100);
        }
    }

    let Ok(resp) = serde_json::from_slice::<Response>(data) else {
        return;
    };
    let mut secrets = Vec::new();
    if let Some(t) = &resp.token {
        secrets.push(t.token.expose().to_string());
    }
    let debug = format!("{resp:?}");
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        // Only a leak if the value shows nowhere else in the answer.
        let mut others = Vec::new();
        let mut v: Value = serde_json::from_slice(data).expect("it parsed once");
        if let Some(t) = v.get_mut("token") {
            t["token"] = Value::Null;
        }
        long_strings(&v, &mut others);
        if !others.iter().any(|o| o.contains(s.as_str())) {
            assert!(!debug.contains(s.as_str()), "a token in Debug");
        }
    }
    match resp.into_result() {
        Ok(r) => assert!(r.ok),
        Err(e) => {
            let _ = e.to_string();
            let _ = e.exit_code();
        }
    }
});
