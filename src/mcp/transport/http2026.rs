//! Streamable HTTP as MCP 2026-07-28 has it: stateless. No `initialize`,
//! no session, no GET stream; every message is one POST that carries
//! `MCP-Protocol-Version` (the version its `_meta` names), `Mcp-Method`,
//! `Mcp-Name` where the spec asks for it, and the `Mcp-Param-*` headers the
//! called tool declares; the answer is one JSON body or an SSE stream
//! scoped to that request.
//! https://modelcontextprotocol.io/specification/2026-07-28/basic/transports
//!
//! The message itself (its `_meta` included) goes as the client wrote it.
//! The one rewrite: a `tools/list` result loses the tools whose
//! `x-mcp-header` marks break the spec's constraints (a client MUST exclude
//! them, and the bridge is the HTTP client), and a call to such a tool is
//! refused without reaching the server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{self, HeaderValue};
use serde::Deserialize;

use super::Outgoing;
use super::core::{
    ACCEPT_BOTH, Core, ErrorAnswer, JSON, MCP_PROTOCOL_VERSION, Rounds, Undelivered, content_type,
    is_sse, lock, read_body,
};
use crate::mcp::headers::{self, MCP_METHOD, MCP_NAME, ToolHeaders};
use crate::mcp::jsonrpc;
use crate::mcp::sse::{Events, Item};

/// The revision this module speaks.
pub const REVISION: &str = "2026-07-28";

/// The JSON-RPC error a 2026-07-28 server answers when a request's headers
/// and body disagree (HEADER_MISMATCH); for `Mcp-Param-*` the client lists
/// the tools again and retries once.
/// https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#custom-headers-from-tool-parameters
const HEADER_MISMATCH: i64 = -32020;

/// Pages of `tools/list` the bridge reads on its own at most.
const MAX_PAGES: usize = 20;

/// One attempt's failure.
enum Attempt {
    /// HEADER_MISMATCH on a `tools/call`: worth one more try.
    Mismatch(ErrorAnswer),
    Failed(Undelivered),
}

impl From<Undelivered> for Attempt {
    fn from(f: Undelivered) -> Attempt {
        Attempt::Failed(f)
    }
}

fn next_cursor(answer: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct R {
        result: Option<P>,
    }
    #[derive(Deserialize)]
    struct P {
        #[serde(rename = "nextCursor")]
        next_cursor: Option<String>,
    }
    serde_json::from_slice::<R>(answer)
        .ok()?
        .result?
        .next_cursor
}

pub(super) struct Stateless {
    core: Arc<Core>,
    /// What each listed tool declares, learned from `tools/list` results.
    tools: Mutex<HashMap<String, Arc<ToolHeaders>>>,
    /// The latest protocol version the client's `_meta` named, for
    /// messages that name none (notifications, responses).
    version: Mutex<Option<HeaderValue>>,
    /// The server answered a stateless request: it speaks this revision.
    pub(super) proven: AtomicBool,
}

impl Stateless {
    pub(super) fn new(core: Arc<Core>) -> Stateless {
        Stateless {
            core,
            tools: Mutex::new(HashMap::new()),
            version: Mutex::new(None),
            proven: AtomicBool::new(false),
        }
    }

    /// The version header for `msg`: its own `_meta` version, else the
    /// latest one seen, else this revision.
    fn version(&self, msg: &Outgoing) -> HeaderValue {
        if let Some(v) = msg.meta_version.as_deref()
            && let Ok(h) = HeaderValue::try_from(v)
        {
            let mut last = lock(&self.version);
            if last.as_ref() != Some(&h) {
                *last = Some(h.clone());
            }
            return h;
        }
        lock(&self.version)
            .clone()
            .unwrap_or(HeaderValue::from_static(REVISION))
    }

    /// Sends one message and forwards what comes back.
    pub(super) async fn deliver(
        &self,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        match self.attempt(msg, pending).await {
            Ok(()) => Ok(()),
            Err(Attempt::Failed(f)) => Err(f),
            Err(Attempt::Mismatch(_)) => {
                // The server's tool definitions changed, or the bridge never
                // saw them: list the tools again and call once more (what
                // the spec asks of a client after HEADER_MISMATCH).
                tracing::info!(
                    "the server says the request headers and body disagree; listing the tools again"
                );
                self.relist(msg).await;
                match self.attempt(msg, pending).await {
                    Ok(()) => Ok(()),
                    Err(Attempt::Failed(f)) => Err(f),
                    Err(Attempt::Mismatch(answer)) => Err(answer.failure(&self.core, pending)),
                }
            }
        }
    }

    /// Lists the server's tools (every page, up to a bound) to learn their
    /// `x-mcp-header` marks, with the `_meta` of `msg`.
    async fn relist(&self, msg: &Outgoing) {
        let meta = msg.meta.as_deref().unwrap_or("{}");
        let mut cursor: Option<String> = None;
        for page in 0..MAX_PAGES {
            let id = format!("\"mcp-auth-bridge-tools-{page}\"");
            let cursor_field = cursor
                .as_deref()
                .map(|c| {
                    format!(
                        r#","cursor":{}"#,
                        serde_json::to_string(c).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list","params":{{"_meta":{meta}{cursor_field}}}}}"#
            );
            let mut list = Outgoing::internal(Bytes::from(body), "tools/list", Vec::new(), false);
            list.meta_version = msg.meta_version.clone();
            let waiter = self.core.wait_for(&id);
            let mut expect = vec![id.clone()];
            let sent = self.attempt(&list, &mut expect).await;
            let answer = match sent {
                Ok(()) => waiter.answer().await,
                Err(_) => None,
            };
            let Some(answer) = answer else { return };
            cursor = next_cursor(&answer);
            if cursor.is_none() {
                return;
            }
        }
    }

    async fn attempt(&self, msg: &Outgoing, pending: &mut Vec<String>) -> Result<(), Attempt> {
        let params = self.param_headers(msg)?;
        let version = self.version(msg);
        self.core.prepare_auth().await?;
        let mut rounds = Rounds::default();
        loop {
            let sent = self.core.current().await?;
            let (req, mut h) =
                self.core
                    .request(Method::POST, &self.core.cfg.url, &sent, 6 + params.len());
            h.insert(header::ACCEPT, ACCEPT_BOTH);
            h.insert(header::CONTENT_TYPE, JSON);
            h.insert(MCP_PROTOCOL_VERSION, version.clone());
            if let Some(m) = msg.method.as_deref() {
                h.insert(MCP_METHOD, headers::encode_value(m));
            }
            if let Some(n) = msg.name.as_deref() {
                h.insert(MCP_NAME, headers::encode_value(n));
            }
            for (k, v) in &params {
                h.insert(k.clone(), v.clone());
            }
            let resp = req
                .headers(h)
                .body(msg.body.clone())
                .send()
                .await
                .map_err(|e| Undelivered::network(&e))?;
            if resp.status().is_success() {
                self.core.note_success(&sent);
                self.proven.store(true, Ordering::Relaxed);
                return self
                    .consume(resp, msg, pending)
                    .await
                    .map_err(Attempt::Failed);
            }
            let Some(resp) = self
                .core
                .on_refusal(resp, &sent, msg.method.as_deref(), &mut rounds)
                .await?
            else {
                continue;
            };
            let answer = ErrorAnswer::read(resp).await;
            if answer.rpc_code() == Some(HEADER_MISMATCH)
                && msg.method.as_deref() == Some("tools/call")
                && !pending.is_empty()
            {
                self.proven.store(true, Ordering::Relaxed);
                return Err(Attempt::Mismatch(answer));
            }
            let failure = answer.failure(&self.core, pending);
            if matches!(failure, Undelivered::Answered) {
                self.proven.store(true, Ordering::Relaxed);
            }
            return Err(Attempt::Failed(failure));
        }
    }

    /// The `Mcp-Param-*` headers of a `tools/call`, from the marks its
    /// tool declared in the last `tools/list`. A tool whose marks are
    /// invalid is not called.
    fn param_headers(
        &self,
        msg: &Outgoing,
    ) -> Result<Vec<(header::HeaderName, HeaderValue)>, Undelivered> {
        if msg.method.as_deref() != Some("tools/call") {
            return Ok(Vec::new());
        }
        let Some(name) = msg.name.as_deref() else {
            return Ok(Vec::new());
        };
        let Some(decl) = lock(&self.tools).get(name).cloned() else {
            return Ok(Vec::new());
        };
        match &*decl {
            ToolHeaders::Valid(marks) if marks.is_empty() => Ok(Vec::new()),
            ToolHeaders::Valid(marks) => {
                #[derive(Deserialize)]
                struct Call {
                    params: Option<Params>,
                }
                #[derive(Deserialize)]
                struct Params {
                    #[serde(default)]
                    arguments: serde_json::Value,
                }
                let args = serde_json::from_slice::<Call>(&msg.body)
                    .ok()
                    .and_then(|c| c.params)
                    .map(|p| p.arguments)
                    .unwrap_or_default();
                Ok(headers::param_headers(marks, &args))
            }
            ToolHeaders::Invalid(why) => Err(Undelivered::Refused {
                code: jsonrpc::INVALID_PARAMS,
                message: format!(
                    "the server's definition of tool {name:?} is invalid ({why}); MCP clients must not call it"
                ),
            }),
        }
    }

    async fn consume(
        &self,
        resp: reqwest::Response,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        let listing = msg.method.as_deref() == Some("tools/list");
        if is_sse(resp.headers()) {
            let mut events = Events::new(resp).limit(self.core.cfg.max_reply);
            loop {
                match events.next().await {
                    Item::Message(data) => {
                        if let Some(a) = &msg.activity {
                            a.touch_if_progress(data.as_bytes());
                        }
                        let data = if listing {
                            self.learn(data.into_bytes())
                        } else {
                            data.into_bytes()
                        };
                        let _ = self.core.forward(data, pending);
                        if pending.is_empty() {
                            return Ok(());
                        }
                    }
                    Item::End { error } => {
                        if pending.is_empty() {
                            return Ok(());
                        }
                        let why = error.map(|e| format!(" ({e})")).unwrap_or_default();
                        return Err(Undelivered::Upstream(format!(
                            "the MCP server closed the response stream before answering{why}"
                        )));
                    }
                }
            }
        }
        let status = resp.status();
        let ct = content_type(resp.headers());
        let body: Bytes = read_body(resp, self.core.cfg.max_reply).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            if pending.is_empty() {
                return Ok(());
            }
            return Err(Undelivered::Upstream(format!(
                "the MCP server answered HTTP {} without a response",
                status.as_u16()
            )));
        }
        let data = if listing {
            self.learn(body.to_vec())
        } else {
            body.to_vec()
        };
        if let Err(e) = self.core.forward(data, pending) {
            return Err(Undelivered::Upstream(format!(
                "the MCP server's answer to this request (HTTP {}) is {} ({})",
                status.as_u16(),
                crate::body_text::not_json(ct.as_deref(), &body),
                crate::error::json_problem(&e)
            )));
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(Undelivered::Upstream(
                "the MCP server's answer did not contain the response".into(),
            ))
        }
    }

    /// Learns the custom headers of the tools in a `tools/list` response;
    /// returns what the client gets.
    fn learn(&self, data: Vec<u8>) -> Vec<u8> {
        let Some(listed) = headers::learn_tools(&data) else {
            // No marks at all: forget stale ones for the tools listed? A
            // page may list only some tools, so marks are only ever added.
            return data;
        };
        let mut tools = lock(&self.tools);
        for (name, h) in listed.tools {
            tools.insert(name, Arc::new(h));
        }
        listed.filtered.unwrap_or(data)
    }
}
