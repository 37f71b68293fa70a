//! The HTTP headers of MCP 2026-07-28 that mirror a request's body (SEP-2243),
//! as pure functions over the message:
//!
//! - `Mcp-Method` (every POST) and `Mcp-Name` (a tool's or prompt's `name`,
//!   a resource's `uri`):
//!   https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#standard-request-headers
//! - `Mcp-Param-{Name}` for each `tools/call` argument the tool's
//!   `inputSchema` marks with `x-mcp-header`:
//!   https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#custom-headers-from-tool-parameters
//!   and the constraints on those marks (a tool that breaks one MUST be
//!   excluded by the client):
//!   https://modelcontextprotocol.io/specification/2026-07-28/server/tools#x-mcp-header
//! - the value encoding shared by all of them: plain visible ASCII as it
//!   is, anything else (non-ASCII, control characters, leading or trailing
//!   whitespace, or text that itself looks like the sentinel) as
//!   `=?base64?{standard Base64 of the UTF-8 bytes}?=`:
//!   https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#value-encoding

use std::collections::HashMap;

use base64::Engine;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

pub const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
pub const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
const PARAM_PREFIX: &str = "mcp-param-";
const MARK: &str = "x-mcp-header";

/// A header value for `text` under the SEP-2243 encoding rule.
pub fn encode_value(text: &str) -> HeaderValue {
    let plain = text.bytes().all(|b| (0x20..0x7f).contains(&b))
        && text.trim_matches([' ', '\t']) == text
        && !(text.starts_with("=?base64?") && text.ends_with("?="));
    let encoded;
    let out = if plain {
        text
    } else {
        encoded = format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
        );
        &encoded
    };
    // Both forms are visible ASCII by construction.
    HeaderValue::try_from(out).unwrap_or(HeaderValue::from_static(""))
}

/// One `x-mcp-header` mark: where the argument is and which header carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Property names from the arguments object down to the value.
    pub path: Vec<String>,
    pub header: HeaderName,
}

/// What a tool's `inputSchema` says about custom headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolHeaders {
    Valid(Vec<Mark>),
    /// The marks break a constraint: the tool must not be called.
    Invalid(String),
}

/// Reads the `x-mcp-header` marks of one `inputSchema`.
pub fn scan(schema: &Value) -> ToolHeaders {
    let mut marks = Vec::new();
    match walk(schema, &mut Vec::new(), true, &mut marks) {
        Ok(()) => {}
        Err(why) => return ToolHeaders::Invalid(why),
    }
    let mut seen: Vec<String> = Vec::new();
    for m in &marks {
        let lower = m.header.as_str().to_string();
        if seen.contains(&lower) {
            return ToolHeaders::Invalid(format!(
                "two parameters declare the header {}",
                &lower[PARAM_PREFIX.len()..]
            ));
        }
        seen.push(lower);
    }
    ToolHeaders::Valid(marks)
}

/// Walks a schema. `reachable`: reached from the root through `properties`
/// only, where a mark may stand; a mark anywhere else is an error.
fn walk(
    node: &Value,
    path: &mut Vec<String>,
    reachable: bool,
    marks: &mut Vec<Mark>,
) -> Result<(), String> {
    match node {
        Value::Object(o) => {
            if let Some(name) = o.get(MARK) {
                if !reachable || path.is_empty() {
                    return Err(
                        "x-mcp-header is only allowed on properties of the arguments".into(),
                    );
                }
                let Value::String(name) = name else {
                    return Err("x-mcp-header must be a string".into());
                };
                if name.is_empty() {
                    return Err("x-mcp-header is empty".into());
                }
                // RFC 9110 §5.6.2 token characters only.
                let token = name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                if !token {
                    return Err(format!("x-mcp-header {name:?} is not an HTTP token"));
                }
                match o.get("type").and_then(Value::as_str) {
                    Some("string" | "integer" | "boolean") => {}
                    other => {
                        return Err(format!(
                            "x-mcp-header {name:?} is on a property of type {}; only string, integer and boolean may be mirrored",
                            other.unwrap_or("(none)")
                        ));
                    }
                }
                let header = HeaderName::try_from(format!("{PARAM_PREFIX}{name}"))
                    .map_err(|_| format!("x-mcp-header {name:?} is not a valid header name"))?;
                marks.push(Mark {
                    path: path.clone(),
                    header,
                });
            }
            for (k, v) in o {
                if k == "properties" {
                    if let Value::Object(props) = v {
                        for (name, sub) in props {
                            path.push(name.clone());
                            walk(sub, path, reachable, marks)?;
                            path.pop();
                        }
                    }
                } else if k != MARK
                    && k != "const"
                    && k != "default"
                    && k != "enum"
                    && k != "examples"
                {
                    walk(v, path, false, marks)?;
                }
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|v| walk(v, path, false, marks)),
        _ => Ok(()),
    }
}

/// The `Mcp-Param-*` headers for one call's `arguments`. A null or absent
/// argument sends no header.
pub fn param_headers(marks: &[Mark], arguments: &Value) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::with_capacity(marks.len());
    for m in marks {
        let mut v = arguments;
        for p in &m.path {
            match v.get(p) {
                Some(next) => v = next,
                None => {
                    v = &Value::Null;
                    break;
                }
            }
        }
        let value = match v {
            Value::String(s) => encode_value(s),
            Value::Bool(b) => HeaderValue::from_static(if *b { "true" } else { "false" }),
            Value::Number(n) => encode_value(&n.to_string()),
            _ => continue,
        };
        out.push((m.header.clone(), value));
    }
    out
}

/// What the bridge learned from one `tools/list` result: each tool's marks,
/// and the result to give the client (None: the original bytes, because
/// every tool is valid; Some: the result without the invalid tools).
pub struct Listed {
    pub tools: HashMap<String, ToolHeaders>,
    pub filtered: Option<Vec<u8>>,
}

/// Reads a `tools/list` response. Only a response that names
/// `x-mcp-header` at all is parsed.
pub fn learn_tools(response: &[u8]) -> Option<Listed> {
    if !contains(response, MARK.as_bytes()) {
        return None;
    }
    let mut v: Value = serde_json::from_slice(response).ok()?;
    let tools = v.get_mut("result")?.get_mut("tools")?.as_array_mut()?;
    let mut learned = HashMap::new();
    let mut invalid = false;
    tools.retain(|t| {
        let Some(name) = t.get("name").and_then(Value::as_str) else {
            return true;
        };
        let headers = t
            .get("inputSchema")
            .map(scan)
            .unwrap_or(ToolHeaders::Valid(Vec::new()));
        let keep = match &headers {
            ToolHeaders::Valid(_) => true,
            ToolHeaders::Invalid(why) => {
                tracing::warn!(tool = %name, reason = %why, "excluding a tool with an invalid x-mcp-header declaration");
                invalid = true;
                false
            }
        };
        learned.insert(name.to_string(), headers);
        keep
    });
    let filtered = if invalid {
        serde_json::to_vec(&v).ok()
    } else {
        None
    };
    Some(Listed {
        tools: learned,
        filtered,
    })
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: &HeaderValue) -> String {
        let s = v.to_str().unwrap();
        match s
            .strip_prefix("=?base64?")
            .and_then(|r| r.strip_suffix("?="))
        {
            Some(b) => {
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
                    .unwrap()
            }
            None => s.to_string(),
        }
    }

    #[test]
    fn values_are_plain_or_base64_by_the_spec_rule() {
        assert_eq!(encode_value("us-west1"), "us-west1");
        assert_eq!(encode_value("us west 1"), "us west 1");
        assert_eq!(encode_value(""), "");
        for tricky in [
            "Hello, 世界",
            " padded ",
            " lead",
            "trail ",
            "line1\nline2",
            "line1\r\nline2",
            "\tindented",
            "=?base64?abc?=",
        ] {
            let v = encode_value(tricky);
            assert!(v.to_str().unwrap().starts_with("=?base64?"), "{tricky:?}");
            assert_eq!(decode(&v), tricky);
        }
    }

    #[test]
    fn marks_are_read_and_invalid_ones_named() {
        let ok = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "n": {"type": "integer", "x-mcp-header": "Priority"},
            "q": {"type": "string"}
        }});
        let ToolHeaders::Valid(marks) = scan(&ok) else {
            panic!()
        };
        assert_eq!(marks.len(), 2);
        let h = param_headers(&marks, &json!({"region": "eu", "n": 42, "q": "x"}));
        assert!(h.contains(&(
            HeaderName::from_static("mcp-param-region"),
            "eu".parse().unwrap()
        )));
        assert!(h.contains(&(
            HeaderName::from_static("mcp-param-priority"),
            "42".parse().unwrap()
        )));
        assert_eq!(param_headers(&marks, &json!({"region": null})).len(), 0);
        for bad in [
            json!({"properties": {"v": {"type": "string", "x-mcp-header": ""}}}),
            json!({"properties": {"v": {"type": "object", "x-mcp-header": "Data"}}}),
            json!({"properties": {"v": {"type": "array", "x-mcp-header": "Items"}}}),
            json!({"properties": {"v": {"type": "null", "x-mcp-header": "Nil"}}}),
            json!({"properties": {"v": {"type": "number", "x-mcp-header": "Score"}}}),
            json!({"properties": {"a": {"type": "string", "x-mcp-header": "R"}, "b": {"type": "string", "x-mcp-header": "r"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "My Region"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "Region:Primary"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "Région"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "Region\t1"}}}),
            json!({"properties": {"v": {"type": "array", "items": {"type": "string", "x-mcp-header": "I"}}}}),
        ] {
            assert!(matches!(scan(&bad), ToolHeaders::Invalid(_)), "{bad}");
        }
    }

    #[test]
    fn a_tools_list_without_marks_is_not_parsed_and_invalid_tools_are_dropped() {
        assert!(
            learn_tools(br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"}]}}"#).is_none()
        );
        let body = json!({"jsonrpc": "2.0", "id": 1, "result": {"ttlMs": 5, "tools": [
            {"name": "good", "inputSchema": {"type": "object", "properties": {"r": {"type": "string", "x-mcp-header": "R"}}}},
            {"name": "bad", "inputSchema": {"type": "object", "properties": {"r": {"type": "number", "x-mcp-header": "R"}}}}
        ]}});
        let l = learn_tools(body.to_string().as_bytes()).unwrap();
        assert!(matches!(l.tools["good"], ToolHeaders::Valid(_)));
        assert!(matches!(l.tools["bad"], ToolHeaders::Invalid(_)));
        let f: Value = serde_json::from_slice(&l.filtered.unwrap()).unwrap();
        assert_eq!(f["result"]["tools"].as_array().unwrap().len(), 1);
        assert_eq!(f["result"]["ttlMs"], 5);
    }
}
