//! Streamable HTTP as the 2025 revisions have it (2025-03-26 to
//! 2025-11-25): `initialize`, `Mcp-Session-Id`, the optional GET stream,
//! SSE resumption with `Last-Event-ID`, DELETE at exit.
//! https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
//! The older HTTP+SSE transport it falls back to lives in [`super::legacy`].
//!
//! [`Session::deliver`] sends one message from the client and writes
//! everything the server sends back to the client as it arrives. Many
//! deliveries run at once; nothing here serialises them except:
//!
//! - the *gate*: while `initialize` (or the `notifications/initialized`
//!   after it) is on its way, later requests and notifications wait, so they
//!   carry the session id and protocol version and arrive in order;
//! - the *re-initialisation lock*: when the server forgets the session
//!   (404), one task replays the client's `initialize` and the others wait
//!   for it, then retry under the new session (the `epoch` tells them
//!   whether someone already did it);
//! - the authorizer behind [`Core`], whose own lock makes a refresh or
//!   login single-flight.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::watch;
use url::Url;

use super::core::{
    ACCEPT_BOTH, ACCEPT_SSE, Core, JSON, LAST_EVENT_ID, MCP_PROTOCOL_VERSION, MCP_SESSION_ID,
    Rounds, Sent, Undelivered, content_type, http_failure, http_failure_for, is_sse, lock,
    read_body,
};
use super::{Mode, Outgoing};
use crate::mcp::headers::{self, MCP_METHOD, MCP_NAME};
use crate::mcp::jsonrpc;
use crate::mcp::sse::{DEFAULT_RETRY, Events, Item};

/// The first revision whose requests carry `Mcp-Method`/`Mcp-Name` and that
/// has no GET stream. Revision names are dates, so they compare as strings.
const REV_2026: &str = super::http2026::REVISION;

/// Reconnects in a row that bring nothing before a stream is given up.
pub(super) const MAX_RECONNECTS: u32 = 5;
/// How long a finished response stream may take to end cleanly (so its
/// connection goes back to the pool) before it is dropped.
const DRAIN: Duration = Duration::from_millis(100);
/// The DELETE at exit must not hold the exit up for long.
const DELETE_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Default)]
pub(super) struct SessionState {
    session: Option<HeaderValue>,
    version: Option<(String, HeaderValue)>,
    /// Bumped by every (re-)initialisation.
    pub(super) epoch: u64,
    /// The client's `initialize` params (raw JSON), replayed when the server
    /// forgets the session.
    pub(super) init_params: Option<Arc<str>>,
    /// The client sent `notifications/initialized`: the GET stream is wanted.
    initialized: bool,
    pub(super) legacy: Option<Legacy>,
    pub(super) closing: bool,
}

#[derive(Clone)]
pub(super) struct Legacy {
    pub(super) endpoint: Url,
    pub(super) alive: bool,
    pub(super) generation: u64,
}

/// What one attempt sends, copied out of [`SessionState`] at once.
pub(super) struct Snap {
    pub(super) session: Option<HeaderValue>,
    pub(super) version: Option<HeaderValue>,
    method_headers: bool,
    epoch: u64,
    pub(super) sent: Sent,
    pub(super) legacy: Option<Legacy>,
}

/// A 2025-era session with the server (or, after the fallback, a legacy
/// HTTP+SSE one).
pub(super) struct Session {
    pub(super) core: Arc<Core>,
    pub(super) state: Mutex<SessionState>,
    reinit: tokio::sync::Mutex<()>,
    pub(super) legacy_connect: tokio::sync::Mutex<()>,
    /// How many `initialize` or `notifications/initialized` messages are on
    /// their way; later messages wait until none is.
    gate: watch::Sender<u32>,
    /// The gate hold of the client's `initialize`, released as soon as its
    /// response is seen (before its stream ends).
    init_hold: Mutex<Option<Arc<GateHold>>>,
    /// The latest hold: the next holder waits for it, so `initialize` and
    /// `notifications/initialized` reach the server in the client's order.
    last_hold: Mutex<Option<Arc<GateHold>>>,
    /// Legacy transport: requests whose responses will come on the stream.
    pub(super) legacy_pending: Mutex<HashSet<String>>,
    /// Legacy transport: the id of the client's `initialize`, to adopt its
    /// result when it comes on the stream.
    pub(super) legacy_init_id: Mutex<Option<String>>,
    pub(super) reinit_counter: AtomicU64,
    method_headers: AtomicBool,
}

impl Session {
    pub(super) fn new(core: Arc<Core>) -> Session {
        Session {
            core,
            state: Mutex::new(SessionState::default()),
            reinit: tokio::sync::Mutex::new(()),
            legacy_connect: tokio::sync::Mutex::new(()),
            gate: watch::channel(0u32).0,
            init_hold: Mutex::new(None),
            last_hold: Mutex::new(None),
            legacy_pending: Mutex::new(HashSet::new()),
            legacy_init_id: Mutex::new(None),
            reinit_counter: AtomicU64::new(0),
            method_headers: AtomicBool::new(false),
        }
    }

    /// Closes the gate for an `initialize` or `notifications/initialized`
    /// about to be sent; the hold is released by [`GateHold::release`] (or
    /// for `initialize`, as soon as its response is seen).
    pub(super) fn hold_gate(self: &Arc<Self>, initialize: bool) -> Arc<GateHold> {
        self.gate.send_modify(|n| *n += 1);
        let (done, _) = watch::channel(false);
        let hold = Arc::new(GateHold {
            up: self.clone(),
            released: AtomicBool::new(false),
            done,
            prev: Mutex::new(None),
        });
        let prev = lock(&self.last_hold).replace(hold.clone());
        *lock(&hold.prev) = prev.filter(|p| !p.released.load(Ordering::Acquire));
        if initialize {
            *lock(&self.init_hold) = Some(hold.clone());
        }
        hold
    }

    /// Remembers the client's `initialize` params for a later replay.
    pub(super) fn remember_initialize(&self, params: Option<&str>, id: Option<&str>) {
        lock(&self.state).init_params = Some(Arc::from(params.unwrap_or("{}")));
        *lock(&self.legacy_init_id) = id.map(str::to_string);
    }

    /// True once a session is open (an `initialize` was answered).
    pub(super) fn is_open(&self) -> bool {
        let s = lock(&self.state);
        s.session.is_some() || s.version.is_some() || s.legacy.is_some()
    }

    /// What the next attempt sends, with the credential to send now.
    pub(super) async fn snapshot(&self) -> Result<Snap, Undelivered> {
        let sent = self.core.current().await?;
        Ok(self.snapshot_with(sent))
    }

    /// A snapshot for the bridge's own messages, which go with whatever
    /// credential there is.
    pub(super) async fn snapshot_any(&self) -> Snap {
        let sent = self.core.current().await.unwrap_or(None);
        self.snapshot_with(sent)
    }

    fn snapshot_with(&self, sent: Sent) -> Snap {
        let s = lock(&self.state);
        Snap {
            session: s.session.clone(),
            version: s.version.as_ref().map(|(_, h)| h.clone()),
            method_headers: self.method_headers.load(Ordering::Relaxed),
            epoch: s.epoch,
            sent,
            legacy: s.legacy.clone(),
        }
    }

    async fn wait_gate(&self) {
        if *self.gate.borrow() == 0 {
            return;
        }
        let mut rx = self.gate.subscribe();
        let _ = rx.wait_for(|holds| *holds == 0).await;
    }

    /// Sends one client message and forwards what comes back; `pending`
    /// holds the ids still unanswered.
    pub(super) async fn deliver(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        self.wait_turn(msg, !pending.is_empty()).await;
        self.try_deliver(msg, pending).await
    }

    /// Waits until `msg` may go: after the `initialize` (and
    /// `notifications/initialized`) before it. Responses to the server's
    /// own requests never wait: the server may be waiting for them to
    /// finish what the gate waits for.
    pub(super) async fn wait_turn(&self, msg: &Outgoing, expects: bool) {
        if let Some(hold) = &msg.hold {
            hold.wait_for_previous().await;
        } else if msg.method.is_some() || expects {
            self.wait_gate().await;
        }
    }

    async fn try_deliver(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
        self.core.prepare_auth().await?;
        // Authorization rounds (a 401's renewal, 403 step-ups) for this one
        // request: a server that keeps asking for more is not asked forever.
        let mut auth_rounds = Rounds::default();
        let mut reinit_retried = false;
        loop {
            let snap = self.snapshot().await?;
            if snap.legacy.is_some() || self.core.cfg.mode == Mode::Sse {
                return self.legacy_deliver(msg, pending).await;
            }
            let resp = self.post(&self.core.cfg.url, &snap, msg).await?;
            let status = resp.status();
            if status.is_success() {
                return self.consume(resp, msg, pending, &snap).await;
            }
            let Some(resp) = self
                .core
                .on_refusal(resp, &snap.sent, msg.method.as_deref(), &mut auth_rounds)
                .await?
            else {
                continue;
            };
            match status {
                StatusCode::NOT_FOUND
                    if snap.session.is_some() && !msg.is_initialize && !reinit_retried =>
                {
                    reinit_retried = true;
                    tracing::info!("the server no longer knows the session; starting a new one");
                    self.reinitialize(snap.epoch).await?;
                }
                StatusCode::BAD_REQUEST
                | StatusCode::NOT_FOUND
                | StatusCode::METHOD_NOT_ALLOWED
                    if msg.is_initialize =>
                {
                    // The caller decides: a 2026-07-28 server, or (in auto
                    // mode) the older HTTP+SSE transport.
                    return Err(Undelivered::InitializeRefused(Box::new(
                        http_failure(resp).await,
                    )));
                }
                _ => return Err(http_failure_for(&self.core, resp, pending).await),
            }
        }
    }

    /// After [`Undelivered::InitializeRefused`]: the same `initialize` over the
    /// older HTTP+SSE transport, or `original` when that is not offered either.
    pub(super) async fn initialize_legacy(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        original: Undelivered,
    ) -> Result<(), Undelivered> {
        tracing::info!("initialize refused; trying the older HTTP+SSE transport");
        if let Err(e) = self.legacy_connect().await {
            tracing::info!(error = ?e, "the HTTP+SSE transport is not offered either");
            return Err(original);
        }
        self.legacy_deliver(msg, pending).await
    }

    pub(super) fn request(
        &self,
        method: Method,
        url: &Url,
        snap: &Snap,
    ) -> reqwest::RequestBuilder {
        let (req, mut h) = self.core.request(method, url, &snap.sent, 6);
        if let Some(s) = &snap.session {
            h.insert(MCP_SESSION_ID, s.clone());
        }
        if let Some(v) = &snap.version {
            h.insert(MCP_PROTOCOL_VERSION, v.clone());
        }
        req.headers(h)
    }

    pub(super) async fn post(
        &self,
        url: &Url,
        snap: &Snap,
        msg: &Outgoing,
    ) -> Result<reqwest::Response, Undelivered> {
        let mut req = self
            .request(Method::POST, url, snap)
            .header(header::ACCEPT, ACCEPT_BOTH)
            .header(header::CONTENT_TYPE, JSON);
        if snap.method_headers {
            if let Some(m) = msg.method.as_deref() {
                req = req.header(MCP_METHOD, headers::encode_value(m));
            }
            if let Some(n) = msg.name.as_deref() {
                req = req.header(MCP_NAME, headers::encode_value(n));
            }
        }
        req.body(msg.body.clone())
            .send()
            .await
            .map_err(|e| Undelivered::network(&e))
    }

    async fn consume(
        self: &Arc<Self>,
        resp: reqwest::Response,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        snap: &Snap,
    ) -> Result<(), Undelivered> {
        if msg.is_initialize {
            self.adopt_session(resp.headers());
        }
        self.core.note_success(&snap.sent);
        if is_sse(resp.headers()) {
            return self.read_stream(resp, msg, pending, snap).await;
        }
        let status = resp.status();
        let ct = content_type(resp.headers());
        let body = read_body(resp, self.core.cfg.max_reply).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            if pending.is_empty() {
                return Ok(());
            }
            return Err(Undelivered::Upstream(format!(
                "the MCP server answered HTTP {} without a response",
                status.as_u16()
            )));
        }
        if let Err(e) = self.forward(body.to_vec(), pending, msg.is_initialize) {
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

    /// Writes one message from the server to the client and crosses off
    /// the responses in it. `init`: the message may answer `initialize`,
    /// whose result is adopted before the client sees it.
    pub(super) fn forward(
        &self,
        data: Vec<u8>,
        pending: &mut Vec<String>,
        init: bool,
    ) -> Result<(), serde_json::Error> {
        if init
            && jsonrpc::response_ids(&data)
                .iter()
                .any(|id| pending.contains(id))
        {
            self.adopt_init_result(&data);
        }
        self.core.forward(data, pending)
    }

    fn adopt_session(&self, headers: &HeaderMap) {
        if let Some(id) = headers.get(MCP_SESSION_ID) {
            let mut id = id.clone();
            id.set_sensitive(true);
            lock(&self.state).session = Some(id);
        }
    }

    /// Reads the negotiated protocol version out of an `initialize`
    /// response and opens the gate.
    pub(super) fn adopt_init_result(&self, data: &[u8]) {
        if let Some(version) = protocol_version(data) {
            match HeaderValue::try_from(version.as_str()) {
                Ok(h) => {
                    self.method_headers
                        .store(version.as_str() >= REV_2026, Ordering::Relaxed);
                    tracing::debug!(version = %version, "protocol version negotiated");
                    lock(&self.state).version = Some((version, h));
                }
                Err(_) => {
                    tracing::warn!("the server's protocol version is not a valid header value")
                }
            }
        }
        if let Some(hold) = lock(&self.init_hold).take() {
            hold.release();
        }
    }

    /// Reads an SSE response to a POST, resuming with `Last-Event-ID` when
    /// it drops before every response in it has arrived.
    async fn read_stream(
        &self,
        resp: reqwest::Response,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        snap: &Snap,
    ) -> Result<(), Undelivered> {
        let init = msg.is_initialize;
        let mut events = Events::new(resp).limit(self.core.cfg.max_reply);
        let mut reconnects = 0u32;
        let expected = !pending.is_empty();
        loop {
            match events.next().await {
                Item::Message(data) => {
                    reconnects = 0;
                    if let Some(a) = &msg.activity {
                        a.touch_if_progress(data.as_bytes());
                    }
                    let _ = self.forward(data.into_bytes(), pending, init);
                    if expected && pending.is_empty() {
                        self.drain(&mut events).await;
                        return Ok(());
                    }
                }
                Item::End { error } => {
                    if pending.is_empty() {
                        return Ok(());
                    }
                    let why = error.map(|e| format!(" ({e})")).unwrap_or_default();
                    // Resuming would only replay the same oversized event.
                    let last = events.last_event_id.clone().filter(|_| !events.too_large());
                    let Some(last) = last else {
                        return Err(Undelivered::Upstream(format!(
                            "the MCP server closed the response stream before answering{why}"
                        )));
                    };
                    if reconnects >= MAX_RECONNECTS {
                        return Err(Undelivered::Upstream(format!(
                            "the MCP server's response stream kept closing before answering{why}"
                        )));
                    }
                    reconnects += 1;
                    tracing::debug!(last_event_id = %last, retry_ms = events.retry.as_millis() as u64, "response stream closed early; resuming");
                    tokio::time::sleep(events.retry).await;
                    let resp = self.resume(&last, snap).await?;
                    events = Events::with_state(resp, Some(last), events.retry)
                        .limit(self.core.cfg.max_reply);
                }
            }
        }
    }

    /// Lets a finished response stream reach its end so its connection can
    /// be reused; forwards anything still sent on it.
    async fn drain(&self, events: &mut Events) {
        let mut none = Vec::new();
        let _ = tokio::time::timeout(DRAIN, async {
            while let Item::Message(data) = events.next().await {
                let _ = self.forward(data.into_bytes(), &mut none, false);
            }
        })
        .await;
    }

    /// GET with `Last-Event-ID`: the server replays what the dropped stream
    /// missed.
    async fn resume(&self, last: &str, snap: &Snap) -> Result<reqwest::Response, Undelivered> {
        let last = HeaderValue::try_from(last).map_err(|_| {
            Undelivered::Upstream("the server's event id is not a valid header value".into())
        })?;
        let resp = self
            .request(Method::GET, &self.core.cfg.url, snap)
            .header(header::ACCEPT, ACCEPT_SSE)
            .header(LAST_EVENT_ID, last)
            .send()
            .await
            .map_err(|e| Undelivered::network(&e))?;
        if resp.status().is_success() && is_sse(resp.headers()) {
            Ok(resp)
        } else if resp.status().is_success() {
            Err(Undelivered::Upstream(
                "the MCP server answered the stream resumption with something other than an event stream"
                    .into(),
            ))
        } else {
            let f = http_failure(resp).await;
            Err(match f {
                Undelivered::Http { status, detail, .. } => Undelivered::Upstream(format!(
                    "the response stream dropped and resuming it failed with HTTP {status}{detail}"
                )),
                other => other,
            })
        }
    }

    /// Replays the client's `initialize` (under a private id whose response
    /// is not forwarded) after the server forgot the session, then
    /// `notifications/initialized`. One task does it; the others wait and
    /// then see the new epoch.
    async fn reinitialize(self: &Arc<Self>, failed_epoch: u64) -> Result<(), Undelivered> {
        let _guard = self.reinit.lock().await;
        if lock(&self.state).epoch != failed_epoch {
            return Ok(());
        }
        self.initialize_privately().await.map(|_| ())
    }

    /// Opens a session on behalf of a 2026-07-28 client (whose server
    /// speaks only a 2025 revision) with `params` as the `initialize`
    /// params; returns the server's answer.
    pub(super) async fn open_on_behalf(
        self: &Arc<Self>,
        params: String,
    ) -> Result<Vec<u8>, Undelivered> {
        let _guard = self.reinit.lock().await;
        {
            let mut s = lock(&self.state);
            s.init_params = Some(Arc::from(params));
            // The client cannot send `notifications/initialized`: the GET
            // stream is opened at once.
            s.initialized = true;
        }
        let legacy = self.core.cfg.mode == Mode::Sse || lock(&self.state).legacy.is_some();
        if legacy {
            self.legacy_connect().await?;
        } else {
            match self.initialize_privately().await {
                // As for a client's own `initialize` in auto mode: a server
                // that refuses Streamable HTTP may offer HTTP+SSE.
                Err(
                    original @ Undelivered::Http {
                        status: 400 | 404 | 405,
                        ..
                    },
                ) if self.core.cfg.mode == Mode::Auto => {
                    if let Err(e) = self.legacy_connect().await {
                        tracing::info!(error = ?e, "the HTTP+SSE transport is not offered either");
                        return Err(original);
                    }
                }
                other => return other,
            }
        }
        self.legacy_initialize_privately().await
    }

    /// The remembered `initialize` under a new private id (raw JSON text),
    /// whose answer the bridge keeps; None when the client never sent one.
    /// `expect`: the id is listed as awaited on the message (answered on
    /// the POST), else the answer comes elsewhere (the legacy stream).
    pub(super) fn private_initialize(&self, expect: bool) -> Option<(String, Outgoing)> {
        let params = lock(&self.state).init_params.clone()?;
        let n = self.reinit_counter.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("\"mcp-auth-bridge-reinit-{n}\"");
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{params}}}"#);
        let awaited = if expect { vec![id.clone()] } else { Vec::new() };
        let msg = Outgoing::internal(Bytes::from(body), "initialize", awaited, true);
        Some((id, msg))
    }

    /// Sends the remembered `initialize` under a private id (its answer is
    /// not forwarded), adopts the new session, sends
    /// `notifications/initialized`; returns the answer.
    async fn initialize_privately(self: &Arc<Self>) -> Result<Vec<u8>, Undelivered> {
        let (id, msg) = self.private_initialize(true).ok_or_else(|| {
            Undelivered::Upstream(
                "the MCP server ended the session and the client never sent initialize to start another"
                    .into(),
            )
        })?;
        // The same authorization rounds as any request (a 401's renewal,
        // 403 step-ups, a DPoP nonce): the new session may be the first
        // request to meet a token that expired or lacks a scope.
        let mut rounds = Rounds::default();
        let resp = loop {
            // A fresh start: no session, no version yet. Others keep using
            // the old session meanwhile; its 404 brings them here to wait.
            let mut snap = self.snapshot_any().await;
            snap.session = None;
            snap.version = None;
            let resp = self.post(&self.core.cfg.url, &snap, &msg).await?;
            if resp.status().is_success() {
                break resp;
            }
            match self
                .core
                .on_refusal(resp, &snap.sent, Some("initialize"), &mut rounds)
                .await?
            {
                None => continue,
                Some(resp) => return Err(http_failure(resp).await),
            }
        };
        let session = resp.headers().get(MCP_SESSION_ID).cloned();
        let answer = if is_sse(resp.headers()) {
            let mut events = Events::new(resp).limit(self.core.cfg.max_reply);
            loop {
                match events.next().await {
                    Item::Message(data) => {
                        if jsonrpc::response_ids(data.as_bytes()).contains(&id) {
                            break data.into_bytes();
                        }
                    }
                    Item::End { .. } => {
                        return Err(Undelivered::Upstream(
                            "the MCP server closed the stream before answering the new initialize"
                                .into(),
                        ));
                    }
                }
            }
        } else {
            resp.bytes()
                .await
                .map_err(|e| Undelivered::network(&e))?
                .to_vec()
        };
        let version = protocol_version(&answer);
        if let Some(v) = &version {
            self.method_headers
                .store(v.as_str() >= REV_2026, Ordering::Relaxed);
        }
        let wants_get = {
            let mut s = lock(&self.state);
            s.session = session.map(|mut h| {
                h.set_sensitive(true);
                h
            });
            if let Some(v) = version
                && let Ok(h) = HeaderValue::try_from(v.as_str())
            {
                s.version = Some((v, h));
            }
            s.epoch += 1;
            s.initialized
        };
        tracing::info!("new session started");
        self.notify_initialized().await;
        if wants_get {
            self.start_get_stream();
        }
        Ok(answer)
    }

    pub(super) async fn notify_initialized(&self) {
        let msg = Outgoing::internal(
            Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            "notifications/initialized",
            Vec::new(),
            false,
        );
        let snap = self.snapshot_any().await;
        let sent = match &snap.legacy {
            Some(l) => self.post(&l.endpoint, &snap, &msg).await,
            None => self.post(&self.core.cfg.url, &snap, &msg).await,
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not send notifications/initialized for the new session");
        }
    }

    /// Called after the client's `notifications/initialized` went through:
    /// opens the optional GET stream for server-initiated messages.
    pub(super) fn client_initialized(self: &Arc<Self>) {
        let legacy = {
            let mut s = lock(&self.state);
            s.initialized = true;
            s.legacy.is_some()
        };
        if !legacy {
            self.start_get_stream();
        }
    }

    fn start_get_stream(self: &Arc<Self>) {
        if self.core.cfg.mode == Mode::Sse || self.method_headers.load(Ordering::Relaxed) {
            return; // 2026-07-28 has no GET stream
        }
        let me = self.clone();
        let epoch = lock(&self.state).epoch;
        tokio::spawn(async move { me.get_stream(epoch).await });
    }

    /// The GET stream for server-initiated messages. 405 means the server
    /// has none; 404 means the session is gone (a re-initialisation starts
    /// a new stream); other failures are retried a few times, then given up
    /// on: none of them is fatal to the bridge.
    async fn get_stream(self: Arc<Self>, epoch: u64) {
        let mut last: Option<String> = None;
        let mut retry = DEFAULT_RETRY;
        let mut failures = 0u32;
        loop {
            {
                let s = lock(&self.state);
                if s.closing || s.epoch != epoch {
                    return;
                }
            }
            let snap = self.snapshot_any().await;
            let mut req = self
                .request(Method::GET, &self.core.cfg.url, &snap)
                .header(header::ACCEPT, ACCEPT_SSE);
            if let Some(id) = last.as_deref().and_then(|l| HeaderValue::try_from(l).ok()) {
                req = req.header(LAST_EVENT_ID, id);
            }
            match req.send().await {
                Ok(r) if r.status() == StatusCode::METHOD_NOT_ALLOWED => {
                    tracing::debug!("the server offers no GET stream");
                    return;
                }
                Ok(r) if r.status() == StatusCode::NOT_FOUND => {
                    tracing::debug!("GET stream: the session is gone");
                    return;
                }
                Ok(r) if r.status().is_success() && is_sse(r.headers()) => {
                    tracing::debug!("GET stream open");
                    let mut events =
                        Events::with_state(r, last.take(), retry).limit(self.core.cfg.max_reply);
                    let mut got = false;
                    let mut none = Vec::new();
                    while let Item::Message(data) = events.next().await {
                        got = true;
                        let _ = self.forward(data.into_bytes(), &mut none, false);
                    }
                    last = events.last_event_id;
                    retry = events.retry;
                    failures = if got { 0 } else { failures + 1 };
                }
                Ok(r) => {
                    tracing::debug!(status = r.status().as_u16(), "GET stream refused");
                    failures += 1;
                    if matches!(r.status().as_u16(), 401 | 403) {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "GET stream failed");
                    failures += 1;
                }
            }
            if failures >= MAX_RECONNECTS {
                tracing::info!("giving up on the GET stream");
                return;
            }
            tokio::time::sleep(retry * (1 << failures.min(4))).await;
        }
    }

    // ---- shutdown ------------------------------------------------------------

    /// Ends the session: DELETE (with the bearer) when there is one. A 405
    /// (the server does not let clients end sessions) is fine.
    pub(super) async fn close(&self) {
        lock(&self.state).closing = true;
        // No renewal at exit: the DELETE goes with what there is.
        let snap = self.snapshot_with(self.core.bearer_now());
        if snap.legacy.is_some() || snap.session.is_none() {
            return;
        }
        let sent = tokio::time::timeout(
            DELETE_TIMEOUT,
            self.request(Method::DELETE, &self.core.cfg.url, &snap)
                .send(),
        )
        .await;
        match sent {
            Ok(Ok(r)) => tracing::debug!(status = r.status().as_u16(), "session deleted"),
            Ok(Err(e)) => tracing::debug!(error = %e, "DELETE failed"),
            Err(_) => tracing::debug!("DELETE timed out"),
        }
    }
}

/// One hold on the gate (see [`Upstream::hold_gate`]).
pub struct GateHold {
    up: Arc<Session>,
    released: AtomicBool,
    done: watch::Sender<bool>,
    prev: Mutex<Option<Arc<GateHold>>>,
}

impl GateHold {
    /// Releases the hold; only the first call counts.
    pub fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.done.send_replace(true);
            self.up.gate.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    async fn wait_for_previous(&self) {
        let prev = lock(&self.prev).take();
        if let Some(prev) = prev {
            let mut rx = prev.done.subscribe();
            let _ = rx.wait_for(|done| *done).await;
        }
    }
}

fn protocol_version(data: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Response {
        result: Option<InitResult>,
    }
    #[derive(Deserialize)]
    struct InitResult {
        #[serde(rename = "protocolVersion")]
        protocol_version: Option<String>,
    }
    serde_json::from_slice::<Response>(data)
        .ok()?
        .result?
        .protocol_version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_version_is_read_from_the_initialize_result() {
        let v = protocol_version(br#"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}"#);
        assert_eq!(v.as_deref(), Some("2025-06-18"));
        assert_eq!(
            protocol_version(br#"{"jsonrpc":"2.0","id":0,"error":{"code":1,"message":"x"}}"#),
            None
        );
        assert!("2026-07-28" >= REV_2026 && "2025-11-25" < REV_2026);
    }
}
