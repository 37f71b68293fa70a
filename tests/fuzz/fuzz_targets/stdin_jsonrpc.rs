//! What the bridge does with its stdin: the line splitter
//! (`stdio::Splitter`, fed arbitrarily split bytes), the per-line decision
//! (`bridge::classify`: skip, answer with an error, or forward) and the
//! JSON-RPC helpers it and the response path use (`jsonrpc::peek`,
//! `target_name`, `response_ids`, `one_line`, `error_response`).
//!
//! Input: one byte (chunking seed; its low bit turns the 2026-07-28
//! method headers on), then the bytes on stdin.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::mcp::bridge::{LineAction, classify};
use mcp_auth::mcp::jsonrpc::{self, Peeked};
use mcp_auth::mcp::stdio::{Input, Splitter};
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;

/// The lines a reader must see: split at `\n`, a `\r` before it dropped,
/// a last line without newline kept.
fn reference_lines(data: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let last = lines.pop().unwrap_or_default();
    for l in &mut lines {
        if l.last() == Some(&b'\r') {
            l.pop();
        }
    }
    if !last.is_empty() {
        lines.push(last);
    }
    lines
}

fn split_lines(data: &[u8], seed: u8) -> Vec<Vec<u8>> {
    let mut s = Splitter::default();
    let mut out = Vec::new();
    let mut take = |inputs: Vec<Input>| {
        for i in inputs {
            match i {
                Input::Lines(ls) => out.extend(ls),
                Input::TooLong | Input::Eof => panic!("no line here is too long"),
            }
        }
    };
    let mut state = u32::from(seed) | 1;
    let mut rest = data;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((state >> 16) as usize % 16 + 1).min(rest.len());
        take(s.push(&rest[..n]));
        rest = &rest[n..];
    }
    take(s.finish());
    out
}

fn parses(bytes: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
}

/// An answer the bridge writes itself, read without loss (ids stay raw
/// JSON text: `-1e400` is valid JSON that `Value` cannot hold).
#[derive(serde::Deserialize)]
struct Reply<'a> {
    jsonrpc: &'a str,
    #[serde(borrow)]
    id: &'a RawValue,
    error: ErrorObject<'a>,
}

#[derive(serde::Deserialize)]
struct ErrorObject<'a> {
    code: i64,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
}

/// One line of JSON-RPC 2.0 error; returns its id as raw JSON text.
fn check_reply(reply: &[u8]) -> String {
    assert!(!reply.contains(&b'\n') && !reply.contains(&b'\r'));
    let r: Reply = serde_json::from_slice(reply).expect("the bridge's own replies are JSON-RPC");
    assert_eq!(r.jsonrpc, "2.0");
    assert!(r.error.code < 0);
    let _ = r.error.message;
    r.id.get().to_string()
}

fn check_line(line: &[u8]) {
    match classify(line) {
        LineAction::Skip => assert!(line.iter().all(u8::is_ascii_whitespace)),
        LineAction::Reply(reply) => {
            check_reply(&reply);
        }
        LineAction::Forward(c) => {
            // Only JSON is ever sent upstream.
            assert!(parses(line), "forwarded a line that is not JSON");
            for id in &c.expect {
                assert!(parses(id.as_bytes()), "ids are raw JSON");
                assert_ne!(id, "null");
                // An error for that id carries exactly that id.
                let e = jsonrpc::error_response(Some(id), jsonrpc::UPSTREAM_ERROR, "x", None);
                assert_eq!(&check_reply(&e), id);
            }
            if c.name.is_some() {
                assert!(c.method.is_some(), "Mcp-Name only for a method");
            }
            if let Some((version, meta)) = &c.meta {
                // The _meta is a JSON object and names the version read.
                let m: serde_json::Value = serde_json::from_str(meta).expect("_meta is JSON");
                assert_eq!(
                    m["io.modelcontextprotocol/protocolVersion"].as_str(),
                    Some(version.as_str())
                );
            }
            if c.initialize.is_some() {
                assert_eq!(c.method.as_deref(), Some("initialize"));
            }
            assert_eq!(
                c.initialized,
                c.method.as_deref() == Some("notifications/initialized")
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let lines = split_lines(input, seed);
    assert_eq!(lines, reference_lines(input), "chunking changed the lines");
    for line in &lines {
        check_line(line);
    }

    // The same helpers on the whole input as one message (the response
    // path gets whole bodies from the server).
    let ids = jsonrpc::response_ids(input);
    if !ids.is_empty() {
        assert!(parses(input));
    }
    for id in &ids {
        assert_ne!(id, "null");
        assert!(parses(id.as_bytes()), "ids are raw JSON");
    }
    if let Ok(peeked) = jsonrpc::peek(input) {
        assert!(parses(input), "peek accepted what is not JSON");
        let one = |p: &jsonrpc::Peek| {
            if let (Some(m), Some(params)) = (p.method.as_deref(), p.params) {
                let _ = jsonrpc::target_name(m, Some(params));
            }
            if let Some(id) = p.id_text() {
                assert_ne!(id, "null");
            }
        };
        match &peeked {
            Peeked::One(p) => one(p),
            Peeked::Batch(all) => all.iter().for_each(one),
        }
    }
    let flat = jsonrpc::one_line(input.to_vec());
    assert!(!flat.contains(&b'\n') && !flat.contains(&b'\r'));
    if let Ok(before) = serde_json::from_slice::<Value>(input) {
        let after: Value = serde_json::from_slice(&flat).expect("one_line keeps JSON valid");
        assert_eq!(before, after, "one_line changed the value");
    }
});
