//! The client side of MCP's HTTP transports, one module per protocol era
//! over a shared [`core`]:
//!
//! - [`http2025`]: Streamable HTTP of the 2025 revisions (`initialize`,
//!   sessions, GET stream, resumption);
//! - [`http2026`]: Streamable HTTP of 2026-07-28 (stateless, per-request
//!   headers);
//! - [`legacy`]: the HTTP+SSE transport of 2024-11-05, a 2025 session's
//!   fallback.
//!
//! [`Upstream`] picks the era from what the client sends: an `initialize`
//! is a 2025-era client; a message whose `_meta` names
//! `io.modelcontextprotocol/protocolVersion` is a 2026-era client
//! (https://modelcontextprotocol.io/specification/2026-07-28/basic/index#meta).
//! When the server turns out to speak only the other era, the bridge
//! adapts (see [`Adapted`]): a 2025 client reaches a 2026-only server and a
//! 2026 client a 2025-only server.
//!
//! It also owns the request timeout: a request the server has not answered
//! for `request_timeout` (a progress notification on its stream restarts
//! the time) is answered with an error, logged, and cancelled upstream with
//! `notifications/cancelled`
//! (https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation).

pub(crate) mod core;
pub(crate) mod http2025;
pub(crate) mod http2026;
pub(crate) mod legacy;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

pub use self::core::{Config, Failure, Mode, http_client};
use self::core::{Core, lock};
pub use self::http2025::GateHold;
use self::http2025::Session;
use self::http2026::{REVISION, Stateless};
use super::authorizer::Authorizer;
use super::headers;
use super::jsonrpc;
use super::stdio::Output;
use crate::error::Error;

/// The 2025 revision the bridge asks for when it opens a session on a
/// 2026 client's behalf.
const REV_2025: &str = "2025-11-25";
/// Rounds of `input_required` the bridge carries for one request.
const MAX_ROUNDS: usize = 8;
/// How long the bridge's own probe or `initialize` may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// One message from the client, ready to send.
pub struct Outgoing {
    pub body: Bytes,
    /// The JSON-RPC method (None for responses and batches).
    pub method: Option<String>,
    /// `Mcp-Name`: a tool's or prompt's `name`, a resource's `uri`.
    pub name: Option<String>,
    /// Ids (raw JSON text) of the requests in it: they expect responses.
    pub expect: Vec<String>,
    pub is_initialize: bool,
    /// The protocol version the message's `_meta` names (2026-07-28 on).
    pub meta_version: Option<String>,
    /// The message's `_meta` object (raw JSON), when it names a version.
    pub meta: Option<String>,
    /// Its hold on the gate (`initialize`, `notifications/initialized`):
    /// it waits only for the hold before it, and is released by the caller.
    pub hold: Option<Arc<GateHold>>,
    /// When the request last showed signs of life (the request timeout).
    pub activity: Option<Arc<Activity>>,
}

impl Outgoing {
    /// A message of the bridge's own.
    pub(crate) fn internal(
        body: Bytes,
        method: &str,
        expect: Vec<String>,
        is_initialize: bool,
    ) -> Outgoing {
        Outgoing {
            body,
            method: Some(method.to_string()),
            name: None,
            expect,
            is_initialize,
            meta_version: None,
            meta: None,
            hold: None,
            activity: None,
        }
    }
}

/// The last sign of life of one request.
pub struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    /// A progress notification on the request's stream restarts its time.
    pub fn touch_if_progress(&self, data: &[u8]) {
        if headers::contains(data, b"notifications/progress") {
            let ms = self.start.elapsed().as_millis() as u64;
            self.last_ms.store(ms, Ordering::Relaxed);
        }
    }

    fn deadline(&self, timeout: Duration) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + timeout
    }
}

/// Which era the client speaks, decided by its first telling message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    Unknown,
    Y2025,
    Y2026,
}

/// When the server speaks only the other era.
enum Adapted {
    No,
    /// A 2025-era client, a 2026-only server: the bridge answered
    /// `initialize` from `server/discover` and adds this `_meta` (the
    /// client's info and capabilities) to each message.
    ToStateless {
        meta: BTreeMap<String, Box<RawValue>>,
    },
    /// A 2026-era client, a 2025-only server: the bridge opened a session
    /// on the client's behalf; this is the server's `initialize` result,
    /// from which `server/discover` is answered.
    ToSession {
        init: Box<RawValue>,
    },
}

/// The remote MCP server, as seen by the bridge.
pub struct Upstream {
    core: Arc<Core>,
    session: Arc<Session>,
    stateless: Stateless,
    era: Mutex<Era>,
    adapted: Mutex<Arc<Adapted>>,
    adapting: tokio::sync::Mutex<()>,
    probes: AtomicU64,
    /// Requests the bridge sent to the client on a server's behalf, by id.
    client_waiters: Mutex<HashMap<String, tokio::sync::oneshot::Sender<Vec<u8>>>>,
}

impl Upstream {
    pub fn new(
        cfg: Config,
        auth: Arc<dyn Authorizer>,
        out: Output,
    ) -> Result<Arc<Upstream>, Error> {
        let core = Arc::new(Core::new(cfg, auth, out)?);
        Ok(Arc::new(Upstream {
            session: Arc::new(Session::new(core.clone())),
            stateless: Stateless::new(core.clone()),
            core,
            era: Mutex::new(Era::Unknown),
            adapted: Mutex::new(Arc::new(Adapted::No)),
            adapting: tokio::sync::Mutex::new(()),
            probes: AtomicU64::new(0),
            client_waiters: Mutex::new(HashMap::new()),
        }))
    }

    /// Asks the authorizer for the first bearer.
    pub async fn prepare_auth(&self) -> Result<(), Failure> {
        self.core.prepare_auth().await
    }

    /// See [`Session::hold_gate`].
    pub fn hold_gate(&self, initialize: bool) -> Arc<GateHold> {
        self.session.hold_gate(initialize)
    }

    /// Remembers the client's `initialize` params for a later replay.
    pub fn remember_initialize(&self, params: Option<&str>, id: Option<&str>) {
        self.session.remember_initialize(params, id);
    }

    /// After the client's `notifications/initialized`: the GET stream.
    pub fn client_initialized(&self) {
        if matches!(**lock(&self.adapted), Adapted::No) {
            self.session.client_initialized();
        }
    }

    /// Sends one client message and forwards what comes back. Requests that
    /// get no answer are answered with a JSON-RPC error.
    pub async fn deliver(self: Arc<Self>, mut msg: Outgoing) {
        let stats = &self.core.stats;
        stats.messages.fetch_add(1, Ordering::Relaxed);
        stats
            .requests
            .fetch_add(msg.expect.len() as u64, Ordering::Relaxed);
        // What is still unanswered; crossed off as responses arrive.
        let mut pending = std::mem::take(&mut msg.expect);
        let timeout = self
            .core
            .cfg
            .request_timeout
            .filter(|_| !pending.is_empty());
        let Some(timeout) = timeout else {
            if let Err(f) = self.route(&msg, &mut pending).await {
                self.core.fail(msg.method.as_deref(), &pending, &f);
            }
            return;
        };
        let activity = Arc::new(Activity::new());
        msg.activity = Some(activity.clone());
        let outcome = {
            let work = self.route(&msg, &mut pending);
            tokio::pin!(work);
            loop {
                let deadline = activity.deadline(timeout);
                tokio::select! {
                    r = &mut work => break Some(r),
                    _ = tokio::time::sleep_until(deadline.into()) => {
                        if activity.deadline(timeout) <= Instant::now() {
                            break None;
                        }
                    }
                }
            }
        };
        match outcome {
            Some(Ok(())) => {}
            Some(Err(f)) => self.core.fail(msg.method.as_deref(), &pending, &f),
            None => self.timed_out(&msg, &pending, timeout).await,
        }
    }

    /// The request got no answer in time: an error to the client and a
    /// cancellation to the server.
    async fn timed_out(self: &Arc<Self>, msg: &Outgoing, pending: &[String], timeout: Duration) {
        let secs = timeout.as_secs_f64();
        tracing::warn!(
            method = msg.method.as_deref().unwrap_or("(batch)"),
            timeout_s = secs,
            "the server did not answer in time; cancelling the request"
        );
        let failure = Failure::Upstream(format!(
            "the MCP server did not answer within {secs}s (request_timeout); the request was cancelled"
        ));
        self.core.fail(msg.method.as_deref(), pending, &failure);
        for id in pending {
            let meta = match &msg.meta {
                Some(m) => format!(r#","_meta":{m}"#),
                None => String::new(),
            };
            let body = format!(
                r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{id},"reason":"mcp-auth bridge: no answer within {secs}s"{meta}}}}}"#
            );
            let mut cancel = Outgoing::internal(
                Bytes::from(body),
                "notifications/cancelled",
                Vec::new(),
                false,
            );
            cancel.meta_version = msg.meta_version.clone();
            let mut none = Vec::new();
            if let Err(e) = self.route(&cancel, &mut none).await {
                tracing::debug!(error = ?e, "could not send notifications/cancelled");
            }
        }
    }

    fn client_era(&self, msg: &Outgoing) -> Era {
        let mut era = lock(&self.era);
        if *era == Era::Unknown {
            if msg.is_initialize {
                *era = Era::Y2025;
            } else if msg.meta_version.as_deref().is_some_and(|v| v >= REVISION) {
                tracing::debug!("the client speaks 2026-07-28 or later");
                *era = Era::Y2026;
            }
        }
        *era
    }

    async fn route(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Failure> {
        let era = self.client_era(msg);
        if era != Era::Y2026 {
            // After the client's `initialize`: it decides how to go on.
            self.session.wait_turn(msg, !pending.is_empty()).await;
        }
        let adapted = lock(&self.adapted).clone();
        match (&*adapted, era) {
            (Adapted::ToStateless { meta }, _) => self.to_stateless(msg, pending, meta).await,
            (Adapted::ToSession { init }, _) => self.to_session(msg, pending, init).await,
            (Adapted::No, Era::Y2026) => self.stateless_client(msg, pending).await,
            (Adapted::No, _) => self.session_client(msg, pending).await,
        }
    }

    // ---- a 2026-era client --------------------------------------------------

    async fn stateless_client(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Failure> {
        if self.core.cfg.mode == Mode::Sse {
            return self.adapt_to_session(msg, pending).await;
        }
        match self.stateless.deliver(msg, pending).await {
            Err(Failure::Http {
                status: 400 | 404 | 405,
                ..
            }) if !self.stateless.proven.load(Ordering::Relaxed)
                && self.core.cfg.mode == Mode::Auto
                && !pending.is_empty() =>
            {
                // No 2026 answer yet and a refusal that is not a JSON-RPC
                // answer: perhaps a 2025-only server.
                self.adapt_to_session(msg, pending).await
            }
            other => other,
        }
    }

    /// Opens a 2025 session for a 2026 client, then delivers `msg` through it.
    async fn adapt_to_session(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Failure> {
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
                            Failure::Upstream("the MCP server did not answer initialize".into())
                        })??;
                let init = init_result(&answer).ok_or_else(|| {
                    Failure::Upstream(format!(
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
    async fn to_session(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        init: &RawValue,
    ) -> Result<(), Failure> {
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
            let i: Init =
                serde_json::from_str(init.get()).map_err(|e| Failure::Upstream(e.to_string()))?;
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
    async fn refuse(self: &Arc<Self>, id: &str, method: &str) {
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

    async fn session_client(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Failure> {
        match self.session.deliver(msg, pending).await {
            Err(Failure::InitializeRefused(original)) => {
                if let Some(done) = self.adapt_to_stateless(msg, pending).await {
                    return done;
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
    async fn adapt_to_stateless(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Option<Result<(), Failure>> {
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
        let rx = self.core.wait_for(&id);
        let mut expect = vec![id.clone()];
        let sent =
            tokio::time::timeout(PROBE_TIMEOUT, self.stateless.deliver(&probe, &mut expect)).await;
        let answer = match sent {
            Ok(Ok(())) => rx.await.ok(),
            _ => None,
        };
        self.core.forget(&id);
        let answer = answer?;
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
    async fn to_stateless(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        meta: &BTreeMap<String, Box<RawValue>>,
    ) -> Result<(), Failure> {
        match msg.method.as_deref() {
            Some("notifications/initialized") => return Ok(()),
            Some("initialize") => {
                return Err(Failure::Upstream(
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
        let adapt = |body: &[u8], extra: &[(&str, &RawValue)]| -> Result<Outgoing, Failure> {
            let body = with_meta_and(body, meta, extra).ok_or_else(|| {
                Failure::Upstream("cannot add the protocol _meta to this message".into())
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
            let id_raw =
                RawValue::from_string(id.clone()).map_err(|e| Failure::Upstream(e.to_string()))?;
            let mut fields: Vec<(&str, &RawValue)> = vec![("id", &id_raw)];
            fields.extend(extra.iter().map(|(k, v)| (*k, &**v)));
            let attempt = adapt(&msg.body, &fields)?;
            let rx = self.core.wait_for(&id);
            let mut expect = vec![id.clone()];
            let sent = self.stateless.deliver(&attempt, &mut expect).await;
            if let Err(f) = sent {
                self.core.forget(&id);
                if matches!(f, Failure::Answered) {
                    // The error went to the waiter.
                } else {
                    return Err(f);
                }
            }
            let answer = rx.await.map_err(|_| {
                Failure::Upstream("the MCP server's answer did not reach the bridge".into())
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
        Err(Failure::Upstream(format!(
            "the MCP server still asked for input after {MAX_ROUNDS} rounds"
        )))
    }

    /// Sends each of a 2026 server's `inputRequests` to the 2025 client as
    /// a request of its own and returns the `inputResponses` object.
    async fn carry_input_requests(
        self: &Arc<Self>,
        requests: BTreeMap<String, Box<RawValue>>,
    ) -> Result<Box<RawValue>, Failure> {
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
                Failure::Upstream(format!("the server's input request {key:?}: {e}"))
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
                Failure::Upstream("the client did not answer the server's input request".into())
            })?;
            let a: Answer = serde_json::from_slice(&answer)
                .map_err(|e| Failure::Upstream(format!("the client's answer: {e}")))?;
            match (a.result, a.error) {
                (Some(result), _) => {
                    responses.insert(key, result);
                }
                (None, error) => {
                    return Err(Failure::Upstream(format!(
                        "the client refused the server's {} request: {}",
                        r.method,
                        error.map_or("no result".into(), |e| e.get().to_string())
                    )));
                }
            }
        }
        serde_json::value::to_raw_value(&responses).map_err(|e| Failure::Upstream(e.to_string()))
    }

    // ---- shutdown ------------------------------------------------------------

    /// Ends the session (2025 era): DELETE when there is one.
    pub async fn close(&self) {
        if self.session.is_open() {
            self.session.close().await;
        }
    }

    /// Tells the authorizer the session ended (audit).
    pub async fn finish(&self) {
        self.core.finish().await;
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

/// Reads what a message says about its era: the version and the raw
/// `_meta` of a request or notification whose `_meta` names one.
pub fn meta_of(line: &[u8]) -> Option<(String, String)> {
    const KEY: &[u8] = b"io.modelcontextprotocol/protocolVersion";
    if !headers::contains(line, KEY) {
        return None;
    }
    #[derive(Deserialize)]
    struct Msg<'a> {
        #[serde(borrow)]
        params: Option<Params<'a>>,
    }
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(borrow, rename = "_meta")]
        meta: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Meta {
        #[serde(rename = "io.modelcontextprotocol/protocolVersion")]
        version: Option<String>,
    }
    let m: Msg = serde_json::from_slice(line).ok()?;
    let raw = m.params?.meta?;
    let v: Meta = serde_json::from_str(raw.get()).ok()?;
    Some((v.version?, raw.get().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_read_only_when_it_names_a_version() {
        assert!(meta_of(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).is_none());
        let (v, raw) = meta_of(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","x":1}}}"#).unwrap();
        assert_eq!(v, "2026-07-28");
        assert!(raw.contains("\"x\":1"));
    }

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
