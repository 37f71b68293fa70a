//! The little the bridge reads of a JSON-RPC message, and the error
//! responses it writes itself.
//!
//! A message is peeked, never re-encoded: [`peek`] borrows `id` (as raw
//! JSON text, so `1`, `"1"` and `1.0` stay distinct), `method` and, only
//! when asked, `params`. Everything else is skipped by serde without being
//! kept.
//!
//! Error codes the bridge answers with (JSON-RPC reserves -32000..-32099 for
//! implementation-defined server errors):
//!
//! | code   | meaning |
//! |--------|---------|
//! | -32700 | a line on stdin is not JSON |
//! | -32600 | a line on stdin is JSON but not a JSON-RPC message |
//! | -32601 | (to the server) a server-to-client request the client's protocol era cannot carry |
//! | -32602 | a `tools/call` of a tool whose `x-mcp-header` marks are invalid (never sent) |
//! | -32000 | the upstream server failed: unreachable, timeout, HTTP error (`data.httpStatus`, and `data.retryAfter` in seconds when it sent `Retry-After`), malformed body, stream closed before the response; or the authorization server failed transiently while renewing the token |
//! | -32001 | authorization needed: no usable token and no login possible (`data.hint` says what to run) |
//! | -32003 | the server refused the token for this request (HTTP 403) |

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const UPSTREAM_ERROR: i64 = -32000;
pub const AUTH_REQUIRED: i64 = -32001;
pub const FORBIDDEN: i64 = -32003;

/// The fields the bridge reads, borrowed from the message's bytes.
#[derive(Debug, Deserialize)]
pub struct Peek<'a> {
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub params: Option<&'a RawValue>,
}

impl Peek<'_> {
    pub fn kind(&self) -> Kind {
        match (&self.method, self.id) {
            (Some(_), Some(id)) if id.get() != "null" => Kind::Request,
            (Some(_), _) => Kind::Notification,
            (None, Some(_)) => Kind::Response,
            (None, None) => Kind::Invalid,
        }
    }

    /// The id as raw JSON text, if the message has a non-null one.
    pub fn id_text(&self) -> Option<&str> {
        self.id.map(RawValue::get).filter(|t| *t != "null")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Has `method` and `id`: expects a response.
    Request,
    /// Has `method`, no `id`.
    Notification,
    /// Has `id`, no `method`: the answer to a server-initiated request.
    Response,
    /// Neither.
    Invalid,
}

/// A message on one line, or a batch (a JSON array, 2025-03-26 and older).
pub enum Peeked<'a> {
    One(Peek<'a>),
    Batch(Vec<Peek<'a>>),
}

/// Reads what the bridge needs from one message (or batch).
pub fn peek(bytes: &[u8]) -> Result<Peeked<'_>, serde_json::Error> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        serde_json::from_slice(bytes).map(Peeked::Batch)
    } else {
        serde_json::from_slice(bytes).map(Peeked::One)
    }
}

/// The target a 2026-07-28 `Mcp-Name` header names: a tool or prompt's
/// `name`, a resource's `uri`.
pub fn target_name(method: &str, params: Option<&RawValue>) -> Option<String> {
    #[derive(Deserialize)]
    struct Target<'a> {
        #[serde(borrow, default)]
        name: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        uri: Option<Cow<'a, str>>,
    }
    let params = params?;
    let t: Target = serde_json::from_str(params.get()).ok()?;
    match method {
        "tools/call" | "prompts/get" => t.name.map(Cow::into_owned),
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
            t.uri.map(Cow::into_owned)
        }
        _ => None,
    }
}

/// A JSON-RPC error response for request `id` (raw JSON text; `null` when
/// the request could not be read).
pub fn error_response(
    id: Option<&str>,
    code: i64,
    message: &str,
    data: Option<serde_json::Value>,
) -> Vec<u8> {
    let mut error = serde_json::json!({ "code": code, "message": message });
    if let Some(data) = data {
        error["data"] = data;
    }
    let error = error.to_string();
    format!(
        r#"{{"jsonrpc":"2.0","id":{},"error":{error}}}"#,
        id.unwrap_or("null")
    )
    .into_bytes()
}

/// Makes a JSON text fit on one line without re-encoding it. A raw CR or LF
/// can only be insignificant whitespace in JSON (inside strings they must be
/// escaped), so turning them into spaces keeps the value identical.
pub fn one_line(mut bytes: Vec<u8>) -> Vec<u8> {
    for b in bytes.iter_mut() {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    bytes
}

/// The ids of the responses (messages with an `id` and no `method`) in one
/// message or batch from the server, as raw JSON text.
pub fn response_ids(bytes: &[u8]) -> Vec<String> {
    match peek(bytes) {
        Ok(Peeked::One(p)) => response_id(&p).into_iter().collect(),
        Ok(Peeked::Batch(all)) => all.iter().filter_map(response_id).collect(),
        Err(_) => Vec::new(),
    }
}

fn response_id(p: &Peek) -> Option<String> {
    if p.method.is_some() {
        return None;
    }
    p.id_text().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_classifies_messages() {
        let k = |s: &str| match peek(s.as_bytes()).unwrap() {
            Peeked::One(p) => p.kind(),
            Peeked::Batch(_) => panic!("batch"),
        };
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Kind::Request
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Kind::Notification
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#),
            Kind::Response
        );
        assert_eq!(k(r#"{"jsonrpc":"2.0"}"#), Kind::Invalid);
        assert!(peek(b"{nope").is_err());
        assert!(
            matches!(peek(b" [{\"id\":1,\"method\":\"x\"}]"), Ok(Peeked::Batch(v)) if v.len() == 1)
        );
    }

    #[test]
    fn ids_keep_their_exact_json_text() {
        let ids = response_ids(br#"{"id":1.0,"result":{"id":7,"method":"x"}}"#);
        assert_eq!(ids, vec!["1.0"]);
        let ids = response_ids(br#"[{"id":"a","result":1},{"id":2,"method":"m"}]"#);
        assert_eq!(ids, vec![r#""a""#]);
    }

    #[test]
    fn one_line_keeps_escaped_newlines_and_drops_raw_ones() {
        let v = one_line(b"{\n  \"a\": \"x\\ny\"\r\n}\n".to_vec());
        assert_eq!(v, b"{   \"a\": \"x\\ny\"  }");
        let parsed: serde_json::Value = serde_json::from_slice(&v).unwrap();
        assert_eq!(parsed["a"], "x\ny");
    }

    #[test]
    fn error_responses_are_valid_json_rpc() {
        let e = error_response(Some(r#""r1""#), UPSTREAM_ERROR, "boom \"quoted\"", None);
        let v: serde_json::Value = serde_json::from_slice(&e).unwrap();
        assert_eq!(v["id"], "r1");
        assert_eq!(v["error"]["code"], -32000);
        assert_eq!(v["error"]["message"], "boom \"quoted\"");
        let e = error_response(None, PARSE_ERROR, "x", Some(serde_json::json!({"a": 1})));
        let v: serde_json::Value = serde_json::from_slice(&e).unwrap();
        assert!(v["id"].is_null());
        assert_eq!(v["error"]["data"]["a"], 1);
    }

    #[test]
    fn target_names_come_from_name_or_uri() {
        let p = RawValue::from_string(r#"{"name":"echo","arguments":{}}"#.into()).unwrap();
        assert_eq!(target_name("tools/call", Some(&p)).as_deref(), Some("echo"));
        let p = RawValue::from_string(r#"{"uri":"test://x"}"#.into()).unwrap();
        assert_eq!(
            target_name("resources/read", Some(&p)).as_deref(),
            Some("test://x")
        );
        assert_eq!(target_name("tools/list", Some(&p)), None);
    }
}
