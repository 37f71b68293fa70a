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

fuzz_target!(|data: &[u8]| {
    match parse_request(data) {
        Ok(r) => {
            assert_eq!(r.v, VERSION);
            // What the daemon understood is what a client would have sent.
            let line = serde_json::to_vec(&r).expect("requests serialise");
            let again: Request = serde_json::from_slice(&line).expect("and parse back");
            assert_eq!(again, r);
            // The same request with its rejected token replaced must print
            // the same: if not, `Debug` shows the token. (Not "the token is
            // not in the text": the name may contain the same characters.)
            if let Op::Refresh {
                rejected: Some(_), ..
            } = &r.op
            {
                let mut replaced = serde_json::to_value(&r).expect("requests serialise");
                replaced["rejected"] = Value::String("REPLACED".into());
                let b: Request = serde_json::from_value(replaced).expect("and parse back");
                assert!(
                    matches!(&b.op, Op::Refresh { rejected: Some(t), .. } if t.expose() == "REPLACED")
                );
                assert_eq!(format!("{r:?}"), format!("{b:?}"), "a token in Debug");
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
    // The same answer with its token replaced must print the same: if
    // not, `Debug` shows the token. (Compared after a round trip through
    // `Value`: the line itself may hold bytes serde skipped unchecked.)
    if resp.token.is_some() {
        let v = serde_json::to_value(&resp).expect("answers serialise");
        let mut replaced = v.clone();
        replaced["token"]["token"] = Value::String("REPLACED".into());
        let a: Response = serde_json::from_value(v).expect("and parse back");
        let b: Response = serde_json::from_value(replaced).expect("and parse back");
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "a token in Debug");
    }
    match resp.into_result() {
        Ok(r) => assert!(r.ok),
        Err(e) => {
            let _ = e.to_string();
            let _ = e.exit_code();
        }
    }
});
