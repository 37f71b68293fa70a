//! An in-process fake MCP server (axum on 127.0.0.1:0) for fast, exact
//! bridge tests. It speaks Streamable HTTP (JSON or SSE answers, sessions,
//! the optional GET stream, SSE resumption with `Last-Event-ID` and
//! `retry:`) or the legacy HTTP+SSE transport, can require a bearer (401
//! with `WWW-Authenticate`) or an API key header, serves a tiny OAuth token
//! endpoint for refreshes (on `token_ledger`, which a crate declares beside
//! it), and records protocol violations it sees
//! (missing Accept types, wrong session id or protocol version header) so
//! tests can assert there were none.
//!
//! Tools (`tools/call` by name): `echo {text}`, `slow {ms, text}`,
//! `fail500`, `badjson`, `hang`, `drop_resume` (SSE: a progress event, the
//! connection dropped, the response only on resumption), and faults:
//! `reset_sse` (a progress event without an id, then the connection
//! dropped: nothing to resume), `reset_json` (half a JSON answer, then the
//! connection dropped), `unavailable {retry_after?}` (HTTP 503, with
//! `Retry-After` when given).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{any, post};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

use super::token_ledger::{ErrorBody, Ledger, LedgerOptions};

pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// A request's headers as received: (lower-case name, value), sorted.
pub type Headers = Vec<(String, String)>;

#[derive(Clone, Debug)]
pub struct Behavior {
    /// Answer requests with an SSE stream (else one JSON body).
    pub sse: bool,
    /// Offer the GET stream (else 405).
    pub get_stream: bool,
    /// Speak only the legacy HTTP+SSE transport.
    pub legacy: bool,
    /// Require `Authorization: Bearer <valid token>`.
    pub bearer: bool,
    /// Require this header (name, value).
    pub api_key: Option<(String, String)>,
    /// The protocol version the server negotiates. From 2026-07-28 on it
    /// checks `Mcp-Method`/`Mcp-Name` and expects no GET stream.
    pub version: &'static str,
    /// Speak only MCP 2026-07-28, stateless: no `initialize`, no session;
    /// every POST must carry `MCP-Protocol-Version` equal to its `_meta`
    /// version, `Mcp-Method`, `Mcp-Name` and the `Mcp-Param-*` headers of
    /// the `locate` tool (https://modelcontextprotocol.io/specification/2026-07-28/basic/transports).
    pub stateless: bool,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            sse: true,
            get_stream: false,
            legacy: false,
            bearer: false,
            api_key: None,
            version: PROTOCOL_VERSION,
            stateless: false,
        }
    }
}

/// What the server saw and the state tests steer.
#[derive(Default)]
pub struct Seen {
    next_session: u64,
    pub sessions: HashSet<String>,
    /// `initialize` requests received (whole messages).
    pub initializes: Vec<Value>,
    /// DELETEs: (Mcp-Session-Id, Authorization) as received.
    pub deletes: Vec<(Option<String>, Option<String>)>,
    pub gets: u32,
    pub posts: u32,
    pub violations: Vec<String>,
    /// Notifications and responses the client posted.
    pub client_messages: Vec<Value>,
    pub valid_tokens: HashSet<String>,
    /// The bearer of every MCP request (None: none sent).
    pub bearers: Vec<Option<String>>,
    pub refreshes: u32,
    /// The token endpoint's refresh tokens; set up in [`FakeServer::start`]
    /// to issue `at-new-N` and `rt-new-N`.
    ledger: Ledger,
    streams: HashMap<String, StreamLog>,
    next_stream: u64,
    legacy: HashMap<String, mpsc::UnboundedSender<String>>,
    /// tools/call names in arrival order.
    pub calls: Vec<String>,
    /// Stateless mode: every POST's headers (lower-case name, value) and
    /// body bytes as received.
    pub stateless_posts: Vec<(Headers, Vec<u8>)>,
}

#[derive(Default)]
struct StreamLog {
    events: Vec<(u64, String)>,
    done: bool,
}

pub struct Fake {
    pub behavior: Behavior,
    pub seen: Mutex<Seen>,
    changed: Notify,
    base: Mutex<String>,
}

impl Fake {
    fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }
}

pub struct FakeServer {
    pub fake: Arc<Fake>,
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub url: String,
    pub base: String,
    rt: Option<tokio::runtime::Runtime>,
}

impl FakeServer {
    pub fn start(behavior: Behavior) -> FakeServer {
        FakeServer::start_on("127.0.0.1", behavior)
    }

    /// The same on another loopback address (`127.0.0.2`): another origin
    /// on this machine.
    pub fn start_on(ip: &str, behavior: Behavior) -> FakeServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("fake server runtime");
        let listener = std::net::TcpListener::bind((ip, 0)).expect("bind a loopback port");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let fake = Arc::new(Fake {
            behavior,
            seen: Mutex::new(Seen {
                ledger: Ledger::new(LedgerOptions {
                    access_prefix: "at-new-",
                    refresh_prefix: "rt-new-",
                    error_body: ErrorBody::CodeOnly,
                }),
                ..Seen::default()
            }),
            changed: Notify::new(),
            base: Mutex::new(base.clone()),
        });
        let app = Router::new()
            .route("/mcp", any(mcp))
            .route("/messages", post(legacy_post))
            .route("/token", post(token))
            .with_state(fake.clone());
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let _ = axum::serve(listener, app).await;
        });
        FakeServer {
            fake,
            url: format!("{base}/mcp"),
            base,
            rt: Some(rt),
        }
    }

    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.fake.seen.lock().unwrap()
    }

    /// Forgets every session: the next request with an old id gets 404.
    pub fn expire_sessions(&self) {
        self.seen().sessions.clear();
    }

    /// Accepts only these bearers from now on.
    pub fn set_valid_tokens(&self, tokens: &[&str]) {
        let mut s = self.seen();
        s.valid_tokens = tokens.iter().map(|t| t.to_string()).collect();
    }

    /// Registers a refresh token the token endpoint will honour.
    pub fn add_refresh_token(&self, rt: &str) {
        self.seen().ledger.add_refresh(rt);
    }

    /// Stops the server at once, dropping every open connection.
    pub fn kill(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }

    pub fn assert_no_violations(&self) {
        let v = self.seen().violations.clone();
        assert!(
            v.is_empty(),
            "the fake server saw protocol violations: {v:#?}"
        );
    }

    /// Waits until `pred` holds for what was seen (or panics).
    pub fn wait_for(&self, what: &str, pred: impl Fn(&Seen) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !pred(&self.seen()) {
            assert!(
                std::time::Instant::now() < deadline,
                "fake server: timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn status(code: StatusCode, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(code)
        .body(body.into())
        .expect("response")
}

fn json_response(value: &Value, session: Option<&str>) -> Response {
    let mut b = Response::builder()
        .status(200)
        .header("content-type", "application/json");
    if let Some(s) = session {
        b = b.header("mcp-session-id", s);
    }
    b.body(Body::from(value.to_string())).expect("response")
}

fn sse_response(body: Body, session: Option<&str>) -> Response {
    let mut b = Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache");
    if let Some(s) = session {
        b = b.header("mcp-session-id", s);
    }
    b.body(body).expect("response")
}

/// A streaming body fed by a channel; an `Err` aborts the connection.
fn channel_body() -> (mpsc::UnboundedSender<Result<String, std::io::Error>>, Body) {
    let (tx, rx) = mpsc::unbounded_channel::<Result<String, std::io::Error>>();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item.map(Bytes::from), rx))
    });
    (tx, Body::from_stream(stream))
}

/// Checks auth (bearer or API key); returns a 401 when it fails.
fn check_auth(fake: &Fake, headers: &HeaderMap) -> Option<Response> {
    let auth = header(headers, "authorization");
    let bearer = auth
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_string);
    let mut seen = fake.seen.lock().unwrap();
    seen.bearers.push(bearer.clone());
    if let Some((name, value)) = &fake.behavior.api_key
        && header(headers, name).as_deref() != Some(value.as_str())
    {
        return Some(status(StatusCode::UNAUTHORIZED, "missing or wrong API key"));
    }
    if fake.behavior.bearer
        && !bearer
            .as_ref()
            .is_some_and(|b| seen.valid_tokens.contains(b))
    {
        let www = format!(
            "Bearer error=\"invalid_token\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            fake.base()
        );
        return Some(
            Response::builder()
                .status(401)
                .header("www-authenticate", www)
                .body(Body::from("{\"error\":\"invalid_token\"}"))
                .expect("response"),
        );
    }
    None
}

async fn mcp(
    State(fake): State<Arc<Fake>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = check_auth(&fake, &headers) {
        return r;
    }
    match method {
        Method::POST => mcp_post(fake, headers, body).await,
        Method::GET => mcp_get(fake, headers).await,
        Method::DELETE => {
            let mut s = fake.seen.lock().unwrap();
            let session = header(&headers, "mcp-session-id");
            s.deletes
                .push((session.clone(), header(&headers, "authorization")));
            if let Some(id) = session {
                s.sessions.remove(&id);
            }
            fake.changed.notify_waiters();
            status(StatusCode::OK, "")
        }
        _ => status(StatusCode::METHOD_NOT_ALLOWED, ""),
    }
}

async fn mcp_post(fake: Arc<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if fake.behavior.stateless {
        return stateless_post(fake, headers, body).await;
    }
    if fake.behavior.legacy {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "use GET for the event stream",
        );
    }
    let accept = header(&headers, "accept").unwrap_or_default();
    let ctype = header(&headers, "content-type").unwrap_or_default();
    let msg: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            fake.seen
                .lock()
                .unwrap()
                .violations
                .push(format!("POST body is not JSON: {e}"));
            return status(StatusCode::BAD_REQUEST, "not json");
        }
    };
    let session = header(&headers, "mcp-session-id");
    let version = header(&headers, "mcp-protocol-version");
    let is_init = msg["method"] == "initialize";
    {
        let mut s = fake.seen.lock().unwrap();
        s.posts += 1;
        if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
            s.violations.push(format!("POST Accept is {accept:?}"));
        }
        if !ctype.starts_with("application/json") {
            s.violations.push(format!("POST Content-Type is {ctype:?}"));
        }
        if is_init {
            if session.is_some() {
                s.violations.push("initialize carried a session id".into());
            }
            if version.is_some() {
                s.violations
                    .push("initialize carried MCP-Protocol-Version".into());
            }
        } else {
            match &session {
                // A 2026-07-28 client's first request, probing: refused as
                // a 2025 server refuses it, and no violation.
                None if version.as_deref() == Some("2026-07-28")
                    && fake.behavior.version < "2026-07-28" =>
                {
                    return status(
                        StatusCode::BAD_REQUEST,
                        "Bad Request: Server not initialized",
                    );
                }
                None => {
                    s.violations
                        .push(format!("{} without a session id", msg["method"]));
                    return status(StatusCode::BAD_REQUEST, "Bad Request: no session id");
                }
                Some(id) if !s.sessions.contains(id) => {
                    return status(
                        StatusCode::NOT_FOUND,
                        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}"#,
                    );
                }
                Some(_) => {}
            }
            if version.as_deref() != Some(fake.behavior.version) {
                s.violations.push(format!(
                    "{} carried MCP-Protocol-Version {version:?}",
                    msg["method"]
                ));
            }
        }
    }
    if is_init {
        let mut s = fake.seen.lock().unwrap();
        s.next_session += 1;
        let id = format!("sess-{}", s.next_session);
        s.sessions.insert(id.clone());
        s.initializes.push(msg.clone());
        drop(s);
        let resp = json!({"jsonrpc": "2.0", "id": msg["id"], "result": {
            "protocolVersion": fake.behavior.version,
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "fake", "version": "1"}
        }});
        return reply(&fake, resp, Some(&id));
    }
    if fake.behavior.version >= "2026-07-28" {
        let mut s = fake.seen.lock().unwrap();
        let method = msg["method"].as_str();
        if header(&headers, "mcp-method").as_deref() != method {
            s.violations.push(format!(
                "Mcp-Method {:?} for {method:?}",
                header(&headers, "mcp-method")
            ));
        }
        let name = msg["params"]["name"]
            .as_str()
            .filter(|_| method == Some("tools/call"));
        if header(&headers, "mcp-name").as_deref() != name {
            s.violations.push(format!(
                "Mcp-Name {:?} for {name:?}",
                header(&headers, "mcp-name")
            ));
        }
    }
    if msg.get("method").is_none() || msg.get("id").is_none() {
        // A notification or a response to the server's request.
        fake.seen.lock().unwrap().client_messages.push(msg);
        fake.changed.notify_waiters();
        return status(StatusCode::ACCEPTED, "");
    }
    let name = msg["params"]["name"].as_str().unwrap_or("").to_string();
    if msg["method"] == "tools/call" {
        fake.seen.lock().unwrap().calls.push(name.clone());
        match name.as_str() {
            "fail500" => return status(StatusCode::INTERNAL_SERVER_ERROR, "internal kaboom"),
            "badjson" => {
                return Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(Body::from("{this is not json"))
                    .expect("response");
            }
            "hang" => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            "drop_resume" => return drop_resume(&fake, msg),
            "reset_sse" => {
                let (tx, body) = channel_body();
                let progress = json!({"jsonrpc": "2.0", "method": "notifications/progress",
                    "params": {"progressToken": "p", "progress": 1}});
                let _ = tx.send(Ok(format!("data: {progress}\n\n")));
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    let _ = tx.send(Err(std::io::Error::other("reset on purpose")));
                });
                return sse_response(body, None);
            }
            "reset_json" => {
                let (tx, body) = channel_body();
                let text = answer(&msg).to_string();
                let _ = tx.send(Ok(text[..text.len() / 2].to_string()));
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    let _ = tx.send(Err(std::io::Error::other("reset on purpose")));
                });
                return Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body)
                    .expect("response");
            }
            "unavailable" => {
                let mut r = status(StatusCode::SERVICE_UNAVAILABLE, "");
                if let Some(secs) = msg["params"]["arguments"]["retry_after"].as_u64() {
                    r.headers_mut()
                        .insert("retry-after", secs.to_string().parse().expect("header"));
                }
                return r;
            }
            "slow" => {
                let ms = msg["params"]["arguments"]["ms"].as_u64().unwrap_or(100);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            "progress" => return progress_stream(msg),
            _ => {}
        }
    }
    let resp = answer(&msg);
    reply(&fake, resp, None)
}

/// `progress {count, ms}`: `count` progress notifications `ms` apart on an
/// SSE stream, then the answer.
fn progress_stream(msg: Value) -> Response {
    let (tx, body) = channel_body();
    tokio::spawn(async move {
        let count = msg["params"]["arguments"]["count"].as_u64().unwrap_or(3);
        let ms = msg["params"]["arguments"]["ms"].as_u64().unwrap_or(100);
        for i in 0..count {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let p = json!({"jsonrpc": "2.0", "method": "notifications/progress",
                "params": {"progressToken": msg["params"]["_meta"]["progressToken"], "progress": i + 1, "total": count}});
            let _ = tx.send(Ok(format!("data: {p}\n\n")));
        }
        let _ = tx.send(Ok(format!("data: {}\n\n", answer(&msg))));
    });
    sse_response(body, None)
}

/// The tools a stateless server lists: `locate` mirrors `region` into
/// `Mcp-Param-Region`; `broken` marks a number, which clients must refuse.
fn stateless_tools() -> Value {
    json!([
        {"name": "echo", "inputSchema": {"type": "object"}},
        {"name": "slow", "inputSchema": {"type": "object"}},
        {"name": "locate", "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "query": {"type": "string"}
        }}},
        {"name": "broken", "inputSchema": {"type": "object", "properties": {
            "score": {"type": "number", "x-mcp-header": "Score"}
        }}}
    ])
}

fn decode_header(v: &str) -> String {
    use base64::Engine;
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
        None => v.to_string(),
    }
}

fn rpc_error(code: i64, id: &Value, err: i64, message: &str) -> Response {
    Response::builder()
        .status(code as u16)
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": err, "message": message,
                "data": {"supported": ["2026-07-28"]}}})
            .to_string(),
        ))
        .expect("response")
}

async fn stateless_post(fake: Arc<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return status(StatusCode::BAD_REQUEST, "not json");
    };
    let h = |n: &str| header(&headers, n);
    let id = msg["id"].clone();
    let method = msg["method"].as_str().map(str::to_string);
    if method.as_deref() == Some("initialize") {
        // A 2025-era client's first message: refused, as a 2026-only
        // server does, and no violation.
        fake.seen.lock().unwrap().initializes.push(msg.clone());
        return rpc_error(
            400,
            &id,
            -32601,
            "initialize is not part of MCP 2026-07-28; use server/discover",
        );
    }
    {
        let mut s = fake.seen.lock().unwrap();
        s.posts += 1;
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or("?").to_string(),
                )
            })
            .collect();
        all.sort();
        s.stateless_posts.push((all, body.to_vec()));
        if h("mcp-session-id").is_some() {
            s.violations
                .push("a stateless POST carried Mcp-Session-Id".into());
        }
        if let Some(m) = &method {
            if h("mcp-method").as_deref() != Some(m.as_str()) {
                s.violations
                    .push(format!("Mcp-Method {:?} for {m}", h("mcp-method")));
            }
            let target = match m.as_str() {
                "tools/call" | "prompts/get" => msg["params"]["name"].as_str(),
                "resources/read" => msg["params"]["uri"].as_str(),
                _ => None,
            };
            if h("mcp-name").map(|v| decode_header(&v)).as_deref() != target {
                s.violations
                    .push(format!("Mcp-Name {:?} for {target:?}", h("mcp-name")));
            }
            if m == "tools/call" && msg["params"]["name"] == "locate" {
                let want = msg["params"]["arguments"]["region"].as_str();
                if h("mcp-param-region").map(|v| decode_header(&v)).as_deref() != want {
                    s.violations.push(format!(
                        "Mcp-Param-Region {:?} for {want:?}",
                        h("mcp-param-region")
                    ));
                }
            }
            if m == "tools/call" && msg["params"]["name"] == "broken" {
                s.violations
                    .push("a tool with an invalid x-mcp-header was called".into());
            }
        }
    }
    let Some(version) = h("mcp-protocol-version") else {
        fake.seen
            .lock()
            .unwrap()
            .violations
            .push(format!("{method:?} without MCP-Protocol-Version"));
        return rpc_error(400, &id, -32020, "Missing MCP-Protocol-Version header");
    };
    let Some(method) = method else {
        // A response: this server sends no requests.
        fake.seen
            .lock()
            .unwrap()
            .violations
            .push("a response posted to a stateless server".into());
        return status(StatusCode::ACCEPTED, "");
    };
    let meta = &msg["params"]["_meta"];
    if meta["io.modelcontextprotocol/protocolVersion"].as_str() != Some(version.as_str())
        || !meta["io.modelcontextprotocol/clientCapabilities"].is_object()
    {
        fake.seen.lock().unwrap().violations.push(format!(
            "{method}: _meta {meta} does not match the version header {version}"
        ));
        return rpc_error(400, &id, -32602, "Invalid params: _meta");
    }
    if version != "2026-07-28" {
        return rpc_error(400, &id, -32022, "Unsupported protocol version");
    }
    if msg.get("id").is_none() {
        fake.seen.lock().unwrap().client_messages.push(msg);
        fake.changed.notify_waiters();
        return status(StatusCode::ACCEPTED, "");
    }
    let result = match method.as_str() {
        "server/discover" => json!({"resultType": "complete", "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}}, "serverInfo": {"name": "fake-stateless", "version": "1"},
            "ttlMs": 0, "cacheScope": "private"}),
        "tools/list" => {
            json!({"resultType": "complete", "tools": stateless_tools(), "ttlMs": 60000, "cacheScope": "private"})
        }
        "tools/call" => {
            let name = msg["params"]["name"].as_str().unwrap_or("").to_string();
            fake.seen.lock().unwrap().calls.push(name.clone());
            match name.as_str() {
                "slow" => {
                    let ms = msg["params"]["arguments"]["ms"].as_u64().unwrap_or(100);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                "hang" => tokio::time::sleep(Duration::from_secs(3600)).await,
                "progress" => return progress_stream(msg),
                // Multi round trip (SEP-2322): first an elicitation, then
                // the answer once it comes back with the request state.
                "confirm" => {
                    let p = &msg["params"];
                    if p.get("inputResponses").is_none() {
                        let r = json!({"resultType": "input_required",
                            "inputRequests": {"ask": {"method": "elicitation/create", "params": {
                                "message": "Sure?", "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}}},
                            "requestState": "state-1"});
                        return json_response(
                            &json!({"jsonrpc": "2.0", "id": id, "result": r}),
                            None,
                        );
                    }
                    let ok = p["requestState"] == "state-1"
                        && p["inputResponses"]["ask"]["action"] == "accept";
                    let text = if ok { "confirmed" } else { "wrong retry" };
                    return json_response(
                        &json!({"jsonrpc": "2.0", "id": id, "result": {
                        "resultType": "complete", "content": [{"type": "text", "text": text}]}}),
                        None,
                    );
                }
                _ => {}
            }
            let text = msg["params"]["arguments"]["text"].clone();
            json!({"resultType": "complete", "content": [{"type": "text", "text": text}]})
        }
        "ping" => json!({}),
        other => {
            return json_response(
                &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("no method {other}")}}),
                None,
            );
        }
    };
    let resp = json!({"jsonrpc": "2.0", "id": id, "result": result});
    if fake.behavior.sse {
        return sse_response(Body::from(format!("data: {resp}\n\n")), None);
    }
    json_response(&resp, None)
}

/// The result of a request (for both transports).
fn answer(msg: &Value) -> Value {
    let id = msg["id"].clone();
    let result = match msg["method"].as_str().unwrap_or("") {
        "ping" => json!({}),
        "tools/list" => json!({"tools": [
            {"name": "echo", "inputSchema": {"type": "object"}},
            {"name": "slow", "inputSchema": {"type": "object"}}
        ]}),
        "tools/call" => {
            let text = msg["params"]["arguments"]["text"].clone();
            json!({"content": [{"type": "text", "text": text}]})
        }
        "initialize" => json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "fake-legacy", "version": "1"}
        }),
        other => {
            return json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("no method {other}")}});
        }
    };
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// One response, as JSON or as a short SSE stream (a priming event with an
/// id and `retry`, then the message).
fn reply(fake: &Fake, resp: Value, session: Option<&str>) -> Response {
    if !fake.behavior.sse {
        return json_response(&resp, session);
    }
    let sid = {
        let mut s = fake.seen.lock().unwrap();
        s.next_stream += 1;
        format!("st{}", s.next_stream)
    };
    let text = format!("id: {sid}-0\nretry: 20\ndata: \n\nid: {sid}-1\ndata: {resp}\n\n");
    sse_response(Body::from(text), session)
}

/// Sends a progress notification with an event id, drops the connection,
/// and logs the response for a resumption to pick up.
fn drop_resume(fake: &Arc<Fake>, msg: Value) -> Response {
    let sid = {
        let mut s = fake.seen.lock().unwrap();
        s.next_stream += 1;
        let sid = format!("st{}", s.next_stream);
        s.streams.insert(sid.clone(), StreamLog::default());
        sid
    };
    let (tx, body) = channel_body();
    let progress = json!({"jsonrpc": "2.0", "method": "notifications/progress",
        "params": {"progressToken": msg["params"]["_meta"]["progressToken"], "progress": 1, "total": 2}});
    let _ = tx.send(Ok(format!("id: {sid}-0\nretry: 30\ndata: \n\n")));
    let _ = tx.send(Ok(format!("id: {sid}-1\ndata: {progress}\n\n")));
    let fake = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _ = tx.send(Err(std::io::Error::other("dropped on purpose")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut resp = answer(&msg);
        resp["result"]["content"][0]["text"] = json!("resumed");
        {
            let mut s = fake.seen.lock().unwrap();
            let log = s.streams.get_mut(&sid).expect("stream log");
            log.events.push((2, resp.to_string()));
            log.done = true;
        }
        fake.changed.notify_waiters();
    });
    sse_response(body, None)
}

async fn mcp_get(fake: Arc<Fake>, headers: HeaderMap) -> Response {
    let accept = header(&headers, "accept").unwrap_or_default();
    {
        let mut s = fake.seen.lock().unwrap();
        s.gets += 1;
        if !accept.contains("text/event-stream") {
            s.violations.push(format!("GET Accept is {accept:?}"));
        }
    }
    if fake.behavior.legacy {
        return legacy_stream(&fake);
    }
    if fake.behavior.stateless || fake.behavior.version >= "2026-07-28" {
        fake.seen
            .lock()
            .unwrap()
            .violations
            .push("a GET stream was opened under 2026-07-28".into());
    }
    let session = header(&headers, "mcp-session-id");
    {
        let s = fake.seen.lock().unwrap();
        match &session {
            Some(id) if s.sessions.contains(id) => {}
            Some(_) => return status(StatusCode::NOT_FOUND, "no such session"),
            None => return status(StatusCode::BAD_REQUEST, "no session id"),
        }
    }
    if let Some(last) = header(&headers, "last-event-id") {
        return resume(fake, &last).await;
    }
    if !fake.behavior.get_stream {
        return status(StatusCode::METHOD_NOT_ALLOWED, "");
    }
    let (tx, body) = channel_body();
    let request = json!({"jsonrpc": "2.0", "id": "srv-1", "method": "sampling/createMessage",
        "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 5}});
    let note = json!({"jsonrpc": "2.0", "method": "notifications/message",
        "params": {"level": "info", "data": "from the GET stream"}});
    let _ = tx.send(Ok(format!(
        "id: g-1\ndata: {note}\n\nid: g-2\ndata: {request}\n\n"
    )));
    // Keep the stream open until the server stops.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(tx);
    });
    sse_response(body, None)
}

/// Replays the events of a stream after `last` and waits for the rest.
async fn resume(fake: Arc<Fake>, last: &str) -> Response {
    let Some((sid, n)) = last.rsplit_once('-') else {
        return status(StatusCode::BAD_REQUEST, "bad Last-Event-ID");
    };
    let n: u64 = n.parse().unwrap_or(0);
    let sid = sid.to_string();
    if !fake.seen.lock().unwrap().streams.contains_key(&sid) {
        return status(StatusCode::NOT_FOUND, "no such stream");
    }
    let (tx, body) = channel_body();
    tokio::spawn(async move {
        let mut sent = n;
        loop {
            let notified = fake.changed.notified();
            let (events, done) = {
                let s = fake.seen.lock().unwrap();
                let log = &s.streams[&sid];
                let ev: Vec<(u64, String)> = log
                    .events
                    .iter()
                    .filter(|(i, _)| *i > sent)
                    .cloned()
                    .collect();
                (ev, log.done)
            };
            for (i, data) in events {
                let _ = tx.send(Ok(format!("id: {sid}-{i}\ndata: {data}\n\n")));
                sent = i;
            }
            if done {
                return;
            }
            notified.await;
        }
    });
    sse_response(body, None)
}

// ---- legacy HTTP+SSE --------------------------------------------------------

fn legacy_stream(fake: &Arc<Fake>) -> Response {
    let (tx, body) = channel_body();
    let (msgs_tx, mut msgs_rx) = mpsc::unbounded_channel::<String>();
    let id = {
        let mut s = fake.seen.lock().unwrap();
        s.next_session += 1;
        let id = format!("legacy-{}", s.next_session);
        s.legacy.insert(id.clone(), msgs_tx);
        id
    };
    let _ = tx.send(Ok(format!(
        "event: endpoint\ndata: /messages?sessionId={id}\n\n"
    )));
    tokio::spawn(async move {
        while let Some(m) = msgs_rx.recv().await {
            if tx
                .send(Ok(format!("event: message\ndata: {m}\n\n")))
                .is_err()
            {
                return;
            }
        }
    });
    sse_response(body, None)
}

async fn legacy_post(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = check_auth(&fake, &headers) {
        return r;
    }
    let Some(tx) = q
        .get("sessionId")
        .and_then(|id| fake.seen.lock().unwrap().legacy.get(id).cloned())
    else {
        return status(StatusCode::NOT_FOUND, "unknown session");
    };
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return status(StatusCode::BAD_REQUEST, "not json");
    };
    {
        let mut s = fake.seen.lock().unwrap();
        s.posts += 1;
        if msg["method"] == "initialize" {
            s.initializes.push(msg.clone());
        }
    }
    if msg.get("method").is_some() && msg.get("id").is_some() {
        let _ = tx.send(answer(&msg).to_string());
    } else {
        fake.seen.lock().unwrap().client_messages.push(msg);
    }
    status(StatusCode::ACCEPTED, "Accepted")
}

// ---- OAuth token endpoint -------------------------------------------------------

async fn token(
    State(fake): State<Arc<Fake>>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response, Infallible> {
    let mut s = fake.seen.lock().unwrap();
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return Ok(s
            .ledger
            .error(StatusCode::BAD_REQUEST, "unsupported_grant_type"));
    }
    let rt = form.get("refresh_token").cloned().unwrap_or_default();
    if let Some(refused) = s.ledger.refusal(&rt) {
        return Ok(refused);
    }
    s.refreshes += 1;
    let issued = s.ledger.refresh(&rt, true);
    let (at, new_rt) = (issued.access_token, issued.refresh_token);
    // What it issues, the MCP endpoint accepts.
    s.valid_tokens.insert(at.clone());
    let body = json!({"access_token": at, "token_type": "Bearer", "expires_in": 3600, "refresh_token": new_rt});
    Ok(json_response(&body, None))
}
