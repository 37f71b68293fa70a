//! Era adaptation: when the client and the server speak different
//! protocol eras, the bridge carries one into the other.
//!
//! - A 2025-era client and a 2026-07-28-only server: the server refuses the
//!   client's `initialize`; the bridge asks `server/discover`
//!   (https://modelcontextprotocol.io/specification/2026-07-28/server/discover),
//!   answers `initialize` from it, adds the client's info and capabilities
//!   as `_meta` to every later message, and carries a multi-round-trip
//!   `input_required` result
//!   (https://modelcontextprotocol.io/specification/2026-07-28/basic/utilities/mrtr)
//!   to the client as ordinary server-to-client requests.
//! - A 2026-era client and a 2025-only server: the stateless request is
//!   refused; the bridge opens a session with `initialize` on the client's
//!   behalf (capabilities and client info from its `_meta`), answers
//!   `server/discover` from the `initialize` result, and refuses the
//!   server's own requests, which a 2026-07-28 client cannot receive.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::core::{Undelivered, lock};
use super::http2026::REVISION;
use super::{Adapted, Mode, Outgoing, Upstream};
use crate::mcp::jsonrpc;

/// The 2025 revision the bridge asks for when it opens a session on a
/// 2026 client's behalf.
const REV_2025: &str = "2025-11-25";
/// Rounds of `input_required` the bridge carries for one request.
const MAX_ROUNDS: usize = 8;
/// How long the bridge's own probe or `initialize` may take.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Upstream {
    // ---- a 2026-era client --------------------------------------------------

    pub(super) async fn stateless_client(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        if self.core.cfg.mode == Mode::Sse {
            return self.adapt_to_session(msg, pending).await;
        }
        match self.stateless.deliver(msg, pending).await {
            Err(Undelivered::Http {
                status: 400 | 404 | 405,
                ..
            }) if !self.stateless.proven.load(Ordering::Relaxed) && !pending.is_empty() => {
                // No 2026 answer yet and a refusal that is not a JSON-RPC
                // answer: perhaps a 2025-only server.
                self.adapt_to_session(msg, pending).await
            }
            other => other,
        }
    }

    /// Opens a 2025 session for a 2026 client, then delivers `msg` through it.
    pub(super) async fn adapt_to_session(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        {
            let _one = self.adapting.lock().await;
            if matches!(**lock(&self.adapted), Adapted::No) {
                let meta = parse_meta(msg.meta.as_deref());
                let params = format!(
                    r#"{{"protocolVersion":"{REV_2025}","capabilities":{},"clientInfo":{}}}"#,
                    meta.get("io.modelcontextprotocol/clientCapabilities")
                        .map_or("{}", |v| v.get()),
                    meta.get("io.modelcontextprotocol/clientInfo")
                        .map_or(r#"{"name":"mcp-auth-bridge","version":"0"}"#, |v| v.get()),
                );
                let answer =
                    tokio::time::timeout(PROBE_TIMEOUT, self.session.open_on_behalf(params))
                        .await
                        .map_err(|_| {
                            Undelivered::Upstream("the MCP server did not answer initialize".into())
                        })??;
                let init = init_result(&answer).ok_or_else(|| {
                    Undelivered::Upstream(format!(
                        "the MCP server speaks neither 2026-07-28 nor a 2025 revision the bridge can adapt (initialize answered {})",
                        crate::text::printable(&String::from_utf8_lossy(&answer), 200)
                    ))
                })?;
                tracing::info!(
                    "the server speaks a 2025 revision only; adapting this 2026-07-28 client to it"
                );
                let mut refusals = self.core.refuse_server_requests();
                let me = self.clone();
                tokio::spawn(async move {
                    while let Some((id, method)) = refusals.recv().await {
                        me.refuse(&id, &method).await;
                    }
                });
                *lock(&self.adapted) = Arc::new(Adapted::ToSession { init });
            }
        }
        let adapted = lock(&self.adapted).clone();
        match &*adapted {
            Adapted::ToSession { init } => self.to_session(msg, pending, init).await,
            _ => self.stateless.deliver(msg, pending).await,
        }
    }

    /// A 2026 client over a 2025 session: `server/discover` is answered
    /// from the `initialize` result; everything else goes as it is.
    pub(super) async fn to_session(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        init: &RawValue,
    ) -> Result<(), Undelivered> {
        if msg.method.as_deref() == Some("server/discover")
            && let Some(id) = pending.pop()
        {
            #[derive(Deserialize)]
            struct Init<'a> {
                #[serde(borrow)]
                capabilities: Option<&'a RawValue>,
                #[serde(borrow, rename = "serverInfo")]
                server_info: Option<&'a RawValue>,
                #[serde(borrow)]
                instructions: Option<&'a RawValue>,
            }
            let i: Init = serde_json::from_str(init.get())
                .map_err(|e| Undelivered::Upstream(e.to_string()))?;
            let version = msg.meta_version.as_deref().unwrap_or(REVISION);
            let version = serde_json::to_string(version).unwrap_or_default();
            let mut result = format!(
                r#"{{"resultType":"complete","supportedVersions":[{version}],"capabilities":{},"serverInfo":{}"#,
                i.capabilities.map_or("{}", RawValue::get),
                i.server_info.map_or("{}", RawValue::get),
            );
            if let Some(text) = i.instructions {
                result.push_str(&format!(r#","instructions":{}"#, text.get()));
            }
            result.push('}');
            self.core
                .out
                .send(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#).into_bytes());
            return Ok(());
        }
        self.session.deliver(msg, pending).await
    }

    /// Answers a server-to-client request the 2026 client cannot receive.
    pub(super) async fn refuse(self: &Arc<Self>, id: &str, method: &str) {
        tracing::info!(%method, "the server sent a request a 2026-07-28 client cannot receive; refused");
        let body = jsonrpc::error_response(
            Some(id),
            jsonrpc::METHOD_NOT_FOUND,
            &format!(
                "mcp-auth bridge: the client speaks MCP 2026-07-28, which has no server-to-client requests; {method} cannot be carried"
            ),
            None,
        );
        let msg = Outgoing {
            body: Bytes::from(body),
            method: None,
            name: None,
            expect: Vec::new(),
            is_initialize: false,
            meta_version: None,
            meta: None,
            hold: None,
            activity: None,
        };
        let mut none = Vec::new();
        if let Err(e) = self.session.deliver(&msg, &mut none).await {
            tracing::debug!(error = ?e, "could not refuse the server's request");
        }
    }

    // ---- a 2025-era client --------------------------------------------------

    pub(super) async fn session_client(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        match self.session.deliver(msg, pending).await {
            Err(Undelivered::InitializeRefused(original)) => {
                if let Some(done) = self.adapt_to_stateless(msg, pending).await {
                    return done;
                }
                if self.core.cfg.mode != Mode::Auto {
                    return Err(*original);
                }
                self.session
                    .initialize_legacy(msg, pending, *original)
                    .await
            }
            other => other,
        }
    }

    /// The server refused the client's `initialize`: if it answers
    /// `server/discover`, it speaks 2026-07-28 and the bridge answers the
    /// `initialize` itself. None: not a 2026 server either.
    pub(super) async fn adapt_to_stateless(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Option<Result<(), Undelivered>> {
        #[derive(Deserialize)]
        struct Req<'a> {
            #[serde(borrow)]
            params: Option<&'a RawValue>,
        }
        #[derive(Deserialize)]
        struct InitParams<'a> {
            #[serde(borrow, rename = "protocolVersion")]
            protocol_version: Option<&'a RawValue>,
            #[serde(borrow)]
            capabilities: Option<&'a RawValue>,
            #[serde(borrow, rename = "clientInfo")]
            client_info: Option<&'a RawValue>,
        }
        let req: Req = serde_json::from_slice(&msg.body).ok()?;
        let params: InitParams = req
            .params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or(InitParams {
                protocol_version: None,
                capabilities: None,
                client_info: None,
            });
        let mut meta: BTreeMap<String, Box<RawValue>> = BTreeMap::new();
        let raw = |s: &str| RawValue::from_string(s.to_string()).ok();
        meta.insert(
            "io.modelcontextprotocol/protocolVersion".into(),
            raw(&format!("\"{REVISION}\""))?,
        );
        meta.insert(
            "io.modelcontextprotocol/clientCapabilities".into(),
            raw(params.capabilities.map_or("{}", RawValue::get))?,
        );
        if let Some(info) = params.client_info {
            meta.insert(
                "io.modelcontextprotocol/clientInfo".into(),
                raw(info.get())?,
            );
        }
        let n = self.probes.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("\"mcp-auth-bridge-discover-{n}\"");
        let meta_text = serde_json::to_string(&meta).ok()?;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"server/discover","params":{{"_meta":{meta_text}}}}}"#
        );
        let mut probe = Outgoing::internal(Bytes::from(body), "server/discover", Vec::new(), false);
        probe.meta_version = Some(REVISION.into());
        let waiter = self.core.wait_for(&id);
        let mut expect = vec![id.clone()];
        let sent =
            tokio::time::timeout(PROBE_TIMEOUT, self.stateless.deliver(&probe, &mut expect)).await;
        let answer = match sent {
            Ok(Ok(())) => waiter.answer().await?,
            _ => return None,
        };
        let discovered = discover_result(&answer)?;
        tracing::info!("the server speaks 2026-07-28 only; adapting this 2025-era client to it");
        let requested = params
            .protocol_version
            .map_or_else(|| format!("\"{REV_2025}\""), |v| v.get().to_string());
        let mut result = format!(
            r#"{{"protocolVersion":{requested},"capabilities":{},"serverInfo":{}"#,
            discovered
                .capabilities
                .as_deref()
                .map_or("{}", RawValue::get),
            discovered
                .server_info
                .as_deref()
                .map_or(r#"{"name":"mcp","version":"0"}"#, RawValue::get),
        );
        if let Some(text) = &discovered.instructions {
            result.push_str(&format!(r#","instructions":{}"#, text.get()));
        }
        result.push('}');
        *lock(&self.adapted) = Arc::new(Adapted::ToStateless { meta });
        if let Some(id) = pending.pop() {
            self.core
                .out
                .send(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#).into_bytes());
        }
        if let Some(hold) = &msg.hold {
            hold.release();
        }
        Some(Ok(()))
    }

    /// A 2025 client to a 2026 server: `initialize` and
    /// `notifications/initialized` stay here; every other message gets the
    /// client's `_meta` (what its `initialize` said) and goes stateless.
    pub(super) async fn to_stateless(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        meta: &BTreeMap<String, Box<RawValue>>,
    ) -> Result<(), Undelivered> {
        match msg.method.as_deref() {
            Some("notifications/initialized") => return Ok(()),
            Some("initialize") => {
                return Err(Undelivered::Upstream(
                    "the server speaks MCP 2026-07-28, which has no sessions; the bridge already answered initialize".into(),
                ));
            }
            None => {
                // The client's answer to a request the bridge carried for
                // the server (see `carry_input_requests`).
                for id in jsonrpc::response_ids(&msg.body) {
                    if let Some(tx) = lock(&self.client_waiters).remove(&id) {
                        let _ = tx.send(msg.body.to_vec());
                    }
                }
                return Ok(());
            }
            Some(_) => {}
        }
        let meta_text = serde_json::to_string(meta).ok();
        let adapt = |body: &[u8], extra: &[(&str, &RawValue)]| -> Result<Outgoing, Undelivered> {
            let body = with_meta_and(body, meta, extra).ok_or_else(|| {
                Undelivered::Upstream("cannot add the protocol _meta to this message".into())
            })?;
            Ok(Outgoing {
                body: Bytes::from(body),
                method: msg.method.clone(),
                name: msg.name.clone(),
                expect: Vec::new(),
                is_initialize: false,
                meta_version: Some(REVISION.into()),
                meta: meta_text.clone(),
                hold: None,
                activity: msg.activity.clone(),
            })
        };
        // A notification, or a batch: as it is.
        let [original] = pending.as_slice() else {
            return self
                .stateless
                .deliver(&adapt(&msg.body, &[])?, pending)
                .await;
        };
        let original = original.clone();
        // A request: its answer may be `input_required` (multi round trip,
        // https://modelcontextprotocol.io/specification/2026-07-28/basic/utilities/mrtr),
        // which a 2025 client does not know: the bridge asks the client
        // with ordinary server-to-client requests and retries for it.
        let mut extra: Vec<(&str, Box<RawValue>)> = Vec::new();
        for round in 0..MAX_ROUNDS {
            let id = if round == 0 {
                original.clone()
            } else {
                let n = self.probes.fetch_add(1, Ordering::Relaxed) + 1;
                format!("\"mcp-auth-bridge-retry-{n}\"")
            };
            let id_raw = RawValue::from_string(id.clone())
                .map_err(|e| Undelivered::Upstream(e.to_string()))?;
            let mut fields: Vec<(&str, &RawValue)> = vec![("id", &id_raw)];
            fields.extend(extra.iter().map(|(k, v)| (*k, &**v)));
            let attempt = adapt(&msg.body, &fields)?;
            let waiter = self.core.wait_for(&id);
            let mut expect = vec![id.clone()];
            let sent = self.stateless.deliver(&attempt, &mut expect).await;
            match sent {
                // The error went to the waiter.
                Ok(()) | Err(Undelivered::Answered) => {}
                Err(f) => return Err(f),
            }
            let answer = waiter.answer().await.ok_or_else(|| {
                Undelivered::Upstream("the MCP server's answer did not reach the bridge".into())
            })?;
            match input_required(&answer) {
                None => {
                    pending.clear();
                    self.core.out.send(with_id(&answer, &original));
                    return Ok(());
                }
                Some((requests, state)) => {
                    let responses = self.carry_input_requests(requests).await?;
                    extra = vec![("inputResponses", responses)];
                    if let Some(state) = state {
                        extra.push(("requestState", state));
                    }
                }
            }
        }
        Err(Undelivered::Upstream(format!(
            "the MCP server still asked for input after {MAX_ROUNDS} rounds"
        )))
    }

    /// Sends each of a 2026 server's `inputRequests` to the 2025 client as
    /// a request of its own and returns the `inputResponses` object.
    pub(super) async fn carry_input_requests(
        self: &Arc<Self>,
        requests: BTreeMap<String, Box<RawValue>>,
    ) -> Result<Box<RawValue>, Undelivered> {
        #[derive(Deserialize)]
        struct Request<'a> {
            method: String,
            #[serde(borrow)]
            params: Option<&'a RawValue>,
        }
        #[derive(Deserialize)]
        struct Answer {
            result: Option<Box<RawValue>>,
            error: Option<Box<RawValue>>,
        }
        let mut responses: BTreeMap<String, Box<RawValue>> = BTreeMap::new();
        for (key, req) in requests {
            let r: Request = serde_json::from_str(req.get()).map_err(|e| {
                Undelivered::Upstream(format!("the server's input request {key:?}: {e}"))
            })?;
            let n = self.probes.fetch_add(1, Ordering::Relaxed) + 1;
            let id = format!("\"mcp-auth-bridge-input-{n}\"");
            let (tx, rx) = tokio::sync::oneshot::channel();
            lock(&self.client_waiters).insert(id.clone(), tx);
            let params = r
                .params
                .map_or(String::new(), |p| format!(r#","params":{}"#, p.get()));
            let method = serde_json::to_string(&r.method).unwrap_or_default();
            tracing::debug!(method = %r.method, "carrying a 2026-07-28 input request to the 2025-era client");
            self.core.out.send(
                format!(r#"{{"jsonrpc":"2.0","id":{id},"method":{method}{params}}}"#).into_bytes(),
            );
            let answer = rx.await.map_err(|_| {
                Undelivered::Upstream("the client did not answer the server's input request".into())
            })?;
            let a: Answer = serde_json::from_slice(&answer)
                .map_err(|e| Undelivered::Upstream(format!("the client's answer: {e}")))?;
            match (a.result, a.error) {
                (Some(result), _) => {
                    responses.insert(key, result);
                }
                (None, error) => {
                    return Err(Undelivered::Upstream(format!(
                        "the client refused the server's {} request: {}",
                        r.method,
                        error.map_or("no result".into(), |e| e.get().to_string())
                    )));
                }
            }
        }
        serde_json::value::to_raw_value(&responses)
            .map_err(|e| Undelivered::Upstream(e.to_string()))
    }
}

fn parse_meta(meta: Option<&str>) -> BTreeMap<String, Box<RawValue>> {
    meta.and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default()
}

/// The `result` of an `initialize` answer, if it is one.
fn init_result(answer: &[u8]) -> Option<Box<RawValue>> {
    #[derive(Deserialize)]
    struct R {
        result: Option<Box<RawValue>>,
    }
    let r: R = serde_json::from_slice(answer).ok()?;
    r.result.filter(|v| v.get().contains("protocolVersion"))
}

struct Discovered {
    capabilities: Option<Box<RawValue>>,
    server_info: Option<Box<RawValue>>,
    instructions: Option<Box<RawValue>>,
}

/// The parts of a `server/discover` result the adapted `initialize` needs
/// (https://modelcontextprotocol.io/specification/2026-07-28/server/discover).
fn discover_result(answer: &[u8]) -> Option<Discovered> {
    #[derive(Deserialize)]
    struct R {
        result: Option<D>,
    }
    #[derive(Deserialize)]
    struct D {
        #[serde(rename = "supportedVersions")]
        supported: Option<Vec<String>>,
        capabilities: Option<Box<RawValue>>,
        #[serde(rename = "serverInfo")]
        server_info: Option<Box<RawValue>>,
        instructions: Option<Box<RawValue>>,
        #[serde(rename = "_meta")]
        meta: Option<BTreeMap<String, Box<RawValue>>>,
    }
    let d = serde_json::from_slice::<R>(answer).ok()?.result?;
    if !d
        .supported
        .as_ref()
        .is_some_and(|s| s.iter().any(|v| v.as_str() >= REVISION))
    {
        return None;
    }
    let server_info = d.server_info.or_else(|| {
        d.meta
            .and_then(|mut m| m.remove("io.modelcontextprotocol/serverInfo"))
    });
    Some(Discovered {
        capabilities: d.capabilities,
        server_info,
        instructions: d.instructions,
    })
}

/// `body` with `meta`'s keys added to `params._meta` (keys the message
/// already has win). Values are kept as raw JSON, so nothing else changes
/// but the order of object keys.
#[cfg(test)]
fn with_meta(body: &[u8], meta: &BTreeMap<String, Box<RawValue>>) -> Option<Vec<u8>> {
    with_meta_and(body, meta, &[])
}

/// [`with_meta`], and `extra`: `id` replaces the message's id, any other
/// key is set in `params` (`inputResponses`, `requestState`).
fn with_meta_and(
    body: &[u8],
    meta: &BTreeMap<String, Box<RawValue>>,
    extra: &[(&str, &RawValue)],
) -> Option<Vec<u8>> {
    let mut top: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(body).ok()?;
    let mut params: BTreeMap<String, Box<RawValue>> = match top.get("params") {
        Some(p) => serde_json::from_str(p.get()).ok()?,
        None => BTreeMap::new(),
    };
    let mut m: BTreeMap<String, Box<RawValue>> = match params.get("_meta") {
        Some(p) => serde_json::from_str(p.get()).ok()?,
        None => BTreeMap::new(),
    };
    for (k, v) in meta {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
    params.insert("_meta".into(), serde_json::value::to_raw_value(&m).ok()?);
    for (k, v) in extra {
        if *k == "id" {
            top.insert("id".into(), (*v).to_owned());
        } else {
            params.insert((*k).into(), (*v).to_owned());
        }
    }
    top.insert(
        "params".into(),
        serde_json::value::to_raw_value(&params).ok()?,
    );
    serde_json::to_vec(&top).ok()
}

/// The input requests and request state of an `input_required` result.
type InputRequired = (BTreeMap<String, Box<RawValue>>, Option<Box<RawValue>>);

fn input_required(answer: &[u8]) -> Option<InputRequired> {
    #[derive(Deserialize)]
    struct R {
        result: Option<Res>,
    }
    #[derive(Deserialize)]
    struct Res {
        #[serde(rename = "resultType")]
        result_type: Option<String>,
        #[serde(rename = "inputRequests")]
        input_requests: Option<BTreeMap<String, Box<RawValue>>>,
        #[serde(rename = "requestState")]
        request_state: Option<Box<RawValue>>,
    }
    let r = serde_json::from_slice::<R>(answer).ok()?.result?;
    if r.result_type.as_deref() != Some("input_required") {
        return None;
    }
    Some((r.input_requests.unwrap_or_default(), r.request_state))
}

/// `answer` (one JSON-RPC response) with its id replaced by `id`.
fn with_id(answer: &[u8], id: &str) -> Vec<u8> {
    let Ok(mut top) = serde_json::from_slice::<BTreeMap<String, Box<RawValue>>>(answer) else {
        return answer.to_vec();
    };
    if top.get("id").map(|v| v.get()) == Some(id) {
        return jsonrpc::one_line(answer.to_vec());
    }
    if let Ok(v) = RawValue::from_string(id.to_string()) {
        top.insert("id".into(), v);
    }
    serde_json::to_vec(&top).unwrap_or_else(|_| answer.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_added_without_touching_other_values() {
        let mut meta = BTreeMap::new();
        meta.insert(
            "k".to_string(),
            RawValue::from_string("{\"a\":1}".into()).unwrap(),
        );
        let out = with_meta(br#"{"jsonrpc":"2.0","id":1.0,"method":"tools/call","params":{"name":"x","arguments":{"n":1.50},"_meta":{"progressToken":7}}}"#, &meta).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""id":1.0"#), "{text}");
        assert!(text.contains(r#""n":1.50"#), "{text}");
        assert!(
            text.contains(r#""progressToken":7"#) && text.contains(r#""k":{"a":1}"#),
            "{text}"
        );
        let out = with_meta(br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, &meta).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains(r#""params":{"_meta":{"k":{"a":1}}}"#)
        );
    }

    #[test]
    fn discover_results_name_a_2026_version() {
        let d = discover_result(br#"{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{}},"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"}}}}"#).unwrap();
        assert_eq!(
            d.server_info.unwrap().get(),
            r#"{"name":"s","version":"1"}"#
        );
        assert!(
            discover_result(br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"x"}}"#)
                .is_none()
        );
    }
}
