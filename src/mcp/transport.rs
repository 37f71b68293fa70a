//! The client side of MCP's HTTP transports: Streamable HTTP (2025-03-26
//! and later, with the 2026-07-28 `Mcp-Method`/`Mcp-Name` headers) and, as
//! a fallback, the older HTTP+SSE transport (2024-11-05).
//!
//! [`Upstream::deliver`] sends one message from the client and writes
//! everything the server sends back to the [`Output`] as it arrives. Many
//! deliveries run at once; nothing here serialises them except:
//!
//! - the *gate*: while `initialize` (or the `notifications/initialized`
//!   after it) is on its way, later requests and notifications wait, so they
//!   carry the session id and protocol version and arrive in order;
//! - the *re-initialisation lock*: when the server forgets the session
//!   (404), one task replays the client's `initialize` and the others wait
//!   for it, then retry under the new session (the `epoch` tells them
//!   whether someone already did it);
//! - the [`Authorizer`], whose own lock makes a refresh or login single-flight.
//!
//! Failures become [`Failure`]s, which the caller turns into JSON-RPC error
//! responses for the requests still waiting for an answer.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::{OnceCell, oneshot, watch};
use url::Url;

use super::authorizer::{Authorizer, Challenge, SessionStats};
use super::jsonrpc::{self, Peeked};
use super::sse::{DEFAULT_RETRY, Events, Item};
use super::stdio::Output;
use crate::error::Error;
use crate::model::Secret;

const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
const ACCEPT_BOTH: HeaderValue = HeaderValue::from_static("application/json, text/event-stream");
const ACCEPT_SSE: HeaderValue = HeaderValue::from_static("text/event-stream");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const USER_AGENT: &str = concat!("mcp-auth/", env!("CARGO_PKG_VERSION"));

/// The first revision whose requests carry `Mcp-Method`/`Mcp-Name` and that
/// has no GET stream. Revision names are dates, so they compare as strings.
const REV_2026: &str = "2026-07-28";

/// Reconnects in a row that bring nothing before a stream is given up.
const MAX_RECONNECTS: u32 = 5;
/// How long a finished response stream may take to end cleanly (so its
/// connection goes back to the pool) before it is dropped.
const DRAIN: Duration = Duration::from_millis(100);
/// The DELETE at exit must not hold the exit up for long.
const DELETE_TIMEOUT: Duration = Duration::from_millis(500);
/// How much of an error body is read to describe the error.
const ERROR_BODY: usize = 4096;
/// How long a replayed `initialize` may take over the legacy transport.
const LEGACY_INIT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Streamable HTTP, falling back to HTTP+SSE when `initialize` gets
    /// 400, 404 or 405.
    Auto,
    StreamableHttp,
    /// The HTTP+SSE transport of 2024-11-05 only.
    Sse,
}

/// What the command decides; static for the session.
/// Most authorization rounds one request may cause (MCP scope challenge
/// handling: a bounded number of step-up attempts).
const MAX_AUTH_ROUNDS: usize = 3;

pub struct Config {
    pub url: Url,
    pub mode: Mode,
    /// `--header` values, marked sensitive so no `Debug` shows them.
    pub headers: HeaderMap,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A URL's query can carry a key (`?api_key=...`): only its origin
        // and path are shown.
        let query = if self.url.query().is_some() {
            "?[redacted]"
        } else {
            ""
        };
        let url = format!(
            "{}{}{query}",
            self.url.origin().ascii_serialization(),
            self.url.path()
        );
        f.debug_struct("Config")
            .field("url", &url)
            .field("mode", &self.mode)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// One message from the client, ready to send.
pub struct Outgoing {
    pub body: Bytes,
    /// The JSON-RPC method (None for responses and batches).
    pub method: Option<String>,
    /// `Mcp-Name` for 2026-07-28 servers.
    pub name: Option<String>,
    /// Ids (raw JSON text) of the requests in it: they expect responses.
    pub expect: Vec<String>,
    pub is_initialize: bool,
    /// Its hold on the gate (`initialize`, `notifications/initialized`):
    /// it waits only for the hold before it, and is released by the caller.
    pub hold: Option<Arc<GateHold>>,
}

/// Why a message could not be delivered; becomes a JSON-RPC error.
#[derive(Debug)]
pub enum Failure {
    /// Unreachable, timed out, malformed, cut off.
    Upstream(String),
    /// An HTTP error status, with the server's `Retry-After` (seconds) if
    /// it sent one: passed on in the error's data for the client to honour
    /// (the bridge does not repeat a request itself; it may have had an
    /// effect).
    Http {
        status: u16,
        detail: String,
        retry_after: Option<u64>,
    },
    /// No usable authorization.
    Auth(Error),
    /// HTTP 403.
    Forbidden { detail: String },
}

impl Failure {
    fn network(e: &reqwest::Error) -> Failure {
        Failure::Upstream(Error::network("cannot reach the MCP server", e).to_string())
    }

    /// The JSON-RPC error response for request `id`.
    pub fn response(&self, id: &str) -> Vec<u8> {
        use jsonrpc::{AUTH_REQUIRED, FORBIDDEN, UPSTREAM_ERROR, error_response};
        match self {
            Failure::Upstream(m) => error_response(Some(id), UPSTREAM_ERROR, m, None),
            Failure::Http {
                status,
                detail,
                retry_after,
            } => {
                let mut data = serde_json::json!({ "httpStatus": status });
                let mut message = format!("the MCP server answered HTTP {status}{detail}");
                if let Some(secs) = retry_after {
                    data["retryAfter"] = serde_json::json!(secs);
                    message.push_str(&format!("; it asked to retry in {secs}s"));
                }
                error_response(
                    Some(id),
                    if *status == 401 {
                        AUTH_REQUIRED
                    } else {
                        UPSTREAM_ERROR
                    },
                    &message,
                    Some(data),
                )
            }
            Failure::Auth(e) => {
                let data = match e {
                    Error::NeedsLogin { login_hint, .. } => {
                        Some(serde_json::json!({ "hint": format!("mcp-auth login {login_hint}") }))
                    }
                    _ => None,
                };
                let code = if e.is_transient() {
                    UPSTREAM_ERROR
                } else {
                    AUTH_REQUIRED
                };
                error_response(Some(id), code, &format!("authorization: {e}"), data)
            }
            Failure::Forbidden { detail } => error_response(
                Some(id),
                FORBIDDEN,
                &format!("the MCP server refused this request (HTTP 403){detail}"),
                Some(serde_json::json!({ "httpStatus": 403 })),
            ),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Auth(e)
    }
}

/// The bearer in use, with its header ready.
struct Bearer {
    secret: Secret,
    header: HeaderValue,
    /// A DPoP-bound token's key: each request then carries a fresh proof.
    dpop: Option<crate::oauth::dpop::Key>,
}

impl Bearer {
    fn new(secret: Secret, auth: &dyn Authorizer) -> Result<Arc<Bearer>, Failure> {
        let dpop = auth.dpop_key(&secret);
        // RFC 9449 §7.1: a DPoP-bound token goes with the DPoP scheme.
        let scheme = if dpop.is_some() { "DPoP" } else { "Bearer" };
        let mut header =
            HeaderValue::try_from(format!("{scheme} {}", secret.expose())).map_err(|_| {
                Failure::Upstream(
                    "the access token contains characters that cannot go in an HTTP header".into(),
                )
            })?;
        header.set_sensitive(true);
        Ok(Arc::new(Bearer {
            secret,
            header,
            dpop,
        }))
    }

    /// The headers that present the token on one request: the
    /// Authorization header, and for a DPoP-bound token a proof for this
    /// method and URL, bound to the token (`ath`) and carrying the
    /// server's latest nonce (RFC 9449 §7.1, §9).
    fn attach(&self, h: &mut HeaderMap, method: &Method, url: &Url, nonce: Option<&str>) {
        h.insert(header::AUTHORIZATION, self.header.clone());
        let Some(key) = &self.dpop else { return };
        let proof = key.proof(
            method.as_str(),
            url.as_str(),
            nonce,
            Some(&self.secret),
            crate::model::now(),
        );
        match proof.map(|p| HeaderValue::try_from(p.expose())) {
            Ok(Ok(mut v)) => {
                v.set_sensitive(true);
                h.insert(crate::oauth::dpop::HEADER, v);
            }
            _ => tracing::warn!("cannot make a DPoP proof; the server will refuse the request"),
        }
    }
}

#[derive(Default)]
struct State {
    session: Option<HeaderValue>,
    version: Option<(String, HeaderValue)>,
    /// Bumped by every (re-)initialisation.
    epoch: u64,
    bearer: Option<Arc<Bearer>>,
    /// The client's `initialize` params (raw JSON), replayed when the server
    /// forgets the session.
    init_params: Option<Arc<str>>,
    /// The client sent `notifications/initialized`: the GET stream is wanted.
    initialized: bool,
    legacy: Option<Legacy>,
    closing: bool,
}

#[derive(Clone)]
struct Legacy {
    endpoint: Url,
    alive: bool,
    generation: u64,
}

/// What one attempt sends, copied out of [`State`] at once.
struct Snap {
    session: Option<HeaderValue>,
    version: Option<HeaderValue>,
    method_headers: bool,
    epoch: u64,
    bearer: Option<Arc<Bearer>>,
    legacy: Option<Legacy>,
}

#[derive(Default)]
struct Stats {
    messages: AtomicU64,
    requests: AtomicU64,
    failed: AtomicU64,
}

/// The remote MCP server, as seen by the bridge.
pub struct Upstream {
    cfg: Config,
    client: reqwest::Client,
    auth: Arc<dyn Authorizer>,
    out: Output,
    state: Mutex<State>,
    /// Set once the authorizer's initial bearer is known.
    auth_ready: OnceCell<Result<(), String>>,
    reinit: tokio::sync::Mutex<()>,
    legacy_connect: tokio::sync::Mutex<()>,
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
    legacy_pending: Mutex<HashSet<String>>,
    /// Legacy transport: the bridge's own requests (replayed initialize),
    /// whose responses go to these waiters instead of the client.
    internal: Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>,
    /// Legacy transport: the id of the client's `initialize`, to adopt its
    /// result when it comes on the stream.
    legacy_init_id: Mutex<Option<String>>,
    /// True while a refresh or login runs: new requests wait for its bearer
    /// instead of spending a round trip on a 401.
    renewing: watch::Sender<bool>,
    reinit_counter: AtomicU64,
    method_headers: AtomicBool,
    stats: Stats,
    succeeded: AtomicBool,
    /// The latest `DPoP-Nonce` the server sent (RFC 9449 §9).
    dpop_nonce: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent under every early return, so a lock
    // poisoned by a panic elsewhere is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Builds the HTTP client. TLS roots are loaded only for an https URL: the
/// platform verifier reads every system CA file when it is built, which
/// costs milliseconds of startup that a plain-http server never needs.
pub fn http_client(url: &Url, connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    crate::oauth::http::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        // The bearer must not follow a redirect to another host; reqwest
        // strips it there, and a few same-host hops are allowed.
        .redirect(reqwest::redirect::Policy::limited(5));
    if url.scheme() == "http" {
        builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
    }
    builder
        .build()
        .map_err(|e| Error::Other(format!("cannot set up the HTTP client: {e}")))
}

impl Upstream {
    pub fn new(
        cfg: Config,
        auth: Arc<dyn Authorizer>,
        out: Output,
    ) -> Result<Arc<Upstream>, Error> {
        let client = http_client(&cfg.url, cfg.connect_timeout)?;
        let (gate, _) = watch::channel(0u32);
        Ok(Arc::new(Upstream {
            cfg,
            client,
            auth,
            out,
            state: Mutex::new(State::default()),
            auth_ready: OnceCell::new(),
            reinit: tokio::sync::Mutex::new(()),
            legacy_connect: tokio::sync::Mutex::new(()),
            gate,
            init_hold: Mutex::new(None),
            last_hold: Mutex::new(None),
            legacy_pending: Mutex::new(HashSet::new()),
            internal: Mutex::new(HashMap::new()),
            legacy_init_id: Mutex::new(None),
            renewing: watch::channel(false).0,
            reinit_counter: AtomicU64::new(0),
            method_headers: AtomicBool::new(false),
            stats: Stats::default(),
            succeeded: AtomicBool::new(false),
            dpop_nonce: Mutex::new(None),
        }))
    }

    /// Asks the authorizer for the first bearer; later calls wait for the
    /// first one's answer.
    pub async fn prepare_auth(&self) -> Result<(), Failure> {
        let ready = self
            .auth_ready
            .get_or_init(|| async {
                match self.auth.initial().await {
                    Ok(Some(secret)) => match Bearer::new(secret, self.auth.as_ref()) {
                        Ok(b) => {
                            lock(&self.state).bearer = Some(b);
                            Ok(())
                        }
                        Err(f) => Err(format!("{f:?}")),
                    },
                    Ok(None) => Ok(()),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot get a bearer for the server");
                        Err(e.to_string())
                    }
                }
            })
            .await;
        ready
            .as_ref()
            .map(|_| ())
            .map_err(|m| Failure::Auth(Error::Other(m.clone())))
    }

    /// True once a 2026-07-28 (or later) protocol version is negotiated: the
    /// caller then fills [`Outgoing::name`].
    pub fn wants_method_headers(&self) -> bool {
        self.method_headers.load(Ordering::Relaxed)
    }

    /// Closes the gate for an `initialize` or `notifications/initialized`
    /// about to be sent; the hold is released by [`GateHold::release`] (or
    /// for `initialize`, as soon as its response is seen).
    pub fn hold_gate(self: &Arc<Self>, initialize: bool) -> Arc<GateHold> {
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
    pub fn remember_initialize(&self, params: Option<&str>, id: Option<&str>) {
        lock(&self.state).init_params = Some(Arc::from(params.unwrap_or("{}")));
        *lock(&self.legacy_init_id) = id.map(str::to_string);
    }

    pub fn stats(&self) -> SessionStats {
        SessionStats {
            messages: self.stats.messages.load(Ordering::Relaxed),
            requests: self.stats.requests.load(Ordering::Relaxed),
            failed: self.stats.failed.load(Ordering::Relaxed),
        }
    }

    fn snapshot(&self) -> Snap {
        let s = lock(&self.state);
        Snap {
            session: s.session.clone(),
            version: s.version.as_ref().map(|(_, h)| h.clone()),
            method_headers: self.method_headers.load(Ordering::Relaxed),
            epoch: s.epoch,
            bearer: s.bearer.clone(),
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

    /// Sends one client message and forwards what comes back. Requests that
    /// get no answer are answered with a JSON-RPC error.
    pub async fn deliver(self: Arc<Self>, mut msg: Outgoing) {
        self.stats.messages.fetch_add(1, Ordering::Relaxed);
        self.stats
            .requests
            .fetch_add(msg.expect.len() as u64, Ordering::Relaxed);
        // Responses to the server's own requests never wait: the server may
        // be waiting for them to finish what the gate waits for.
        if let Some(hold) = &msg.hold {
            hold.wait_for_previous().await;
        } else if msg.method.is_some() || !msg.expect.is_empty() {
            self.wait_gate().await;
        }
        // What is still unanswered; crossed off as responses arrive.
        let mut pending = std::mem::take(&mut msg.expect);
        let result = self.try_deliver(&msg, &mut pending).await;
        if let Err(failure) = result {
            if pending.is_empty() {
                tracing::warn!(method = msg.method.as_deref().unwrap_or("(response)"), error = ?failure, "could not deliver a message");
            } else {
                tracing::warn!(method = msg.method.as_deref().unwrap_or("(batch)"), error = ?failure, "request failed");
            }
            for id in &pending {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                self.out.send(failure.response(id));
            }
        }
    }

    async fn try_deliver(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Failure> {
        self.prepare_auth().await?;
        let mut auth_retried = false;
        let mut nonce_retried = false;
        // Authorization rounds (a 401's renewal, 403 step-ups) for this one
        // request: a server that keeps asking for more is not asked forever.
        let mut auth_rounds = 0;
        let mut reinit_retried = false;
        let mut legacy_tried = false;
        loop {
            if *self.renewing.borrow() {
                let mut rx = self.renewing.subscribe();
                let _ = rx.wait_for(|busy| !*busy).await;
            }
            let snap = self.snapshot();
            if snap.legacy.is_some() || self.cfg.mode == Mode::Sse {
                return self.legacy_deliver(msg, pending).await;
            }
            let resp = self.post(&self.cfg.url, &snap, msg).await?;
            let status = resp.status();
            let nonce_asked = self.note_dpop_nonce(&snap, resp.headers());
            if status.is_success() {
                return self.consume(resp, msg, pending, &snap).await;
            }
            match status {
                // RFC 9449 §9: the proof lacked the server's (new) nonce;
                // the same token with a proof carrying it, once.
                StatusCode::UNAUTHORIZED if nonce_asked && !nonce_retried => {
                    nonce_retried = true;
                }
                StatusCode::UNAUTHORIZED if !auth_retried => {
                    auth_retried = true;
                    auth_rounds += 1;
                    self.reauthorize(&snap, resp.headers(), msg.method.as_deref())
                        .await?;
                }
                StatusCode::FORBIDDEN if auth_rounds < MAX_AUTH_ROUNDS => {
                    auth_rounds += 1;
                    let challenge = challenge(403, &snap, resp.headers(), msg.method.as_deref());
                    match self.auth.forbidden(&challenge).await? {
                        Some(secret) => self.set_bearer(secret)?,
                        None => return Err(forbidden(resp).await),
                    }
                }
                StatusCode::FORBIDDEN => return Err(forbidden(resp).await),
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
                    if msg.is_initialize && self.cfg.mode == Mode::Auto && !legacy_tried =>
                {
                    legacy_tried = true;
                    let original = http_failure(resp).await;
                    tracing::info!(
                        status = status.as_u16(),
                        "initialize refused; trying the older HTTP+SSE transport"
                    );
                    if let Err(e) = self.legacy_connect().await {
                        tracing::info!(error = ?e, "the HTTP+SSE transport is not offered either");
                        return Err(original);
                    }
                }
                _ => return Err(http_failure(resp).await),
            }
        }
    }

    /// Keeps a `DPoP-Nonce` the server sent for the next proofs; true when
    /// the answer is a `use_dpop_nonce` refusal of a DPoP request.
    fn note_dpop_nonce(&self, snap: &Snap, headers: &HeaderMap) -> bool {
        let Some(nonce) = crate::oauth::dpop::nonce_of(headers) else {
            return false;
        };
        *lock(&self.dpop_nonce) = Some(nonce);
        snap.bearer.as_ref().is_some_and(|b| b.dpop.is_some())
            && crate::oauth::dpop::nonce_asked(headers, None).is_some()
    }

    fn set_bearer(&self, secret: Secret) -> Result<(), Failure> {
        let bearer = Bearer::new(secret, self.auth.as_ref())?;
        lock(&self.state).bearer = Some(bearer);
        Ok(())
    }

    async fn reauthorize(
        &self,
        snap: &Snap,
        headers: &HeaderMap,
        method: Option<&str>,
    ) -> Result<(), Failure> {
        let challenge = challenge(401, snap, headers, method);
        tracing::info!("the server answered 401; asking for a new bearer");
        self.renewing.send_replace(true);
        let result = self.auth.unauthorized(&challenge).await;
        let result = result
            .map_err(Failure::from)
            .and_then(|s| self.set_bearer(s));
        self.renewing.send_replace(false);
        result
    }

    fn request(&self, method: Method, url: &Url, snap: &Snap) -> reqwest::RequestBuilder {
        let mut h = HeaderMap::with_capacity(8 + self.cfg.headers.len());
        for (k, v) in &self.cfg.headers {
            h.append(k.clone(), v.clone());
        }
        if let Some(b) = &snap.bearer {
            let nonce = lock(&self.dpop_nonce).clone();
            b.attach(&mut h, &method, url, nonce.as_deref());
        }
        if let Some(s) = &snap.session {
            h.insert(MCP_SESSION_ID, s.clone());
        }
        if let Some(v) = &snap.version {
            h.insert(MCP_PROTOCOL_VERSION, v.clone());
        }
        self.client.request(method, url.clone()).headers(h)
    }

    async fn post(
        &self,
        url: &Url,
        snap: &Snap,
        msg: &Outgoing,
    ) -> Result<reqwest::Response, Failure> {
        let mut req = self
            .request(Method::POST, url, snap)
            .header(header::ACCEPT, ACCEPT_BOTH)
            .header(header::CONTENT_TYPE, JSON);
        if snap.method_headers {
            if let Some(m) = msg.method.as_deref().and_then(header_value) {
                req = req.header(MCP_METHOD, m);
            }
            if let Some(n) = msg.name.as_deref().and_then(header_value) {
                req = req.header(MCP_NAME, n);
            }
        }
        req.body(msg.body.clone())
            .send()
            .await
            .map_err(|e| Failure::network(&e))
    }

    async fn consume(
        self: &Arc<Self>,
        resp: reqwest::Response,
        msg: &Outgoing,
        pending: &mut Vec<String>,
        snap: &Snap,
    ) -> Result<(), Failure> {
        if msg.is_initialize {
            self.adopt_session(resp.headers());
        }
        self.note_success(snap);
        if is_sse(resp.headers()) {
            return self
                .read_stream(resp, msg.is_initialize, pending, snap)
                .await;
        }
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| Failure::network(&e))?;
        if body.iter().all(u8::is_ascii_whitespace) {
            if pending.is_empty() {
                return Ok(());
            }
            return Err(Failure::Upstream(format!(
                "the MCP server answered HTTP {} without a response",
                status.as_u16()
            )));
        }
        if let Err(e) = self.forward(body.to_vec(), pending, msg.is_initialize) {
            return Err(Failure::Upstream(format!(
                "the MCP server's answer is not valid JSON ({e})"
            )));
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(Failure::Upstream(
                "the MCP server's answer did not contain the response".into(),
            ))
        }
    }

    /// The first success with a bearer is recorded (last used), off the
    /// request's path.
    fn note_success(&self, snap: &Snap) {
        if snap.bearer.is_some() && !self.succeeded.swap(true, Ordering::Relaxed) {
            let auth = self.auth.clone();
            tokio::spawn(async move { auth.first_success().await });
        }
    }

    /// Writes one message from the server to the client and crosses off
    /// the responses in it. `init`: the message may answer `initialize`.
    fn forward(
        &self,
        data: Vec<u8>,
        pending: &mut Vec<String>,
        init: bool,
    ) -> Result<(), serde_json::Error> {
        let peeked = match jsonrpc::peek(&data) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "the server sent something that is not JSON; dropped");
                return Err(e);
            }
        };
        let mut is_message = true;
        match &peeked {
            Peeked::One(p) => {
                is_message = p.kind() != jsonrpc::Kind::Invalid;
                if p.method.is_none()
                    && let Some(id) = p.id_text()
                    && let Some(i) = pending.iter().position(|x| x == id)
                {
                    pending.swap_remove(i);
                    if init {
                        self.adopt_init_result(&data);
                    }
                }
            }
            Peeked::Batch(all) => {
                for p in all.iter().filter(|p| p.method.is_none()) {
                    if let Some(id) = p.id_text()
                        && let Some(i) = pending.iter().position(|x| x == id)
                    {
                        pending.swap_remove(i);
                    }
                }
            }
        }
        if !is_message {
            tracing::debug!("the server sent JSON that is not a JSON-RPC message; dropped");
            return Ok(());
        }
        drop(peeked);
        self.out.send(jsonrpc::one_line(data));
        Ok(())
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
    fn adopt_init_result(&self, data: &[u8]) {
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
        init: bool,
        pending: &mut Vec<String>,
        snap: &Snap,
    ) -> Result<(), Failure> {
        let mut events = Events::new(resp);
        let mut reconnects = 0u32;
        let expected = !pending.is_empty();
        loop {
            match events.next().await {
                Item::Message(data) => {
                    reconnects = 0;
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
                    let Some(last) = events.last_event_id.clone() else {
                        return Err(Failure::Upstream(format!(
                            "the MCP server closed the response stream before answering{why}"
                        )));
                    };
                    if reconnects >= MAX_RECONNECTS {
                        return Err(Failure::Upstream(format!(
                            "the MCP server's response stream kept closing before answering{why}"
                        )));
                    }
                    reconnects += 1;
                    tracing::debug!(last_event_id = %last, retry_ms = events.retry.as_millis() as u64, "response stream closed early; resuming");
                    tokio::time::sleep(events.retry).await;
                    let resp = self.resume(&last, snap).await?;
                    events = Events::with_state(resp, Some(last), events.retry);
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
    async fn resume(&self, last: &str, snap: &Snap) -> Result<reqwest::Response, Failure> {
        let last = HeaderValue::try_from(last).map_err(|_| {
            Failure::Upstream("the server's event id is not a valid header value".into())
        })?;
        let resp = self
            .request(Method::GET, &self.cfg.url, snap)
            .header(header::ACCEPT, ACCEPT_SSE)
            .header(LAST_EVENT_ID, last)
            .send()
            .await
            .map_err(|e| Failure::network(&e))?;
        if resp.status().is_success() && is_sse(resp.headers()) {
            Ok(resp)
        } else if resp.status().is_success() {
            Err(Failure::Upstream(
                "the MCP server answered the stream resumption with something other than an event stream"
                    .into(),
            ))
        } else {
            let f = http_failure(resp).await;
            Err(match f {
                Failure::Http { status, detail, .. } => Failure::Upstream(format!(
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
    async fn reinitialize(self: &Arc<Self>, failed_epoch: u64) -> Result<(), Failure> {
        let _guard = self.reinit.lock().await;
        let params = {
            let s = lock(&self.state);
            if s.epoch != failed_epoch {
                return Ok(());
            }
            s.init_params.clone()
        };
        let params = params.ok_or_else(|| {
            Failure::Upstream(
                "the MCP server ended the session and the client never sent initialize to start another"
                    .into(),
            )
        })?;
        let n = self.reinit_counter.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("\"mcp-auth-bridge-reinit-{n}\"");
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{params}}}"#);
        let msg = Outgoing {
            body: Bytes::from(body),
            method: Some("initialize".into()),
            name: None,
            expect: vec![id.clone()],
            is_initialize: true,
            hold: None,
        };
        let mut auth_retried = false;
        let resp = loop {
            // A fresh start: no session, no version yet. Others keep using
            // the old session meanwhile; its 404 brings them here to wait.
            let mut snap = self.snapshot();
            snap.session = None;
            snap.version = None;
            let resp = self.post(&self.cfg.url, &snap, &msg).await?;
            if resp.status() == StatusCode::UNAUTHORIZED && !auth_retried {
                auth_retried = true;
                self.reauthorize(&snap, resp.headers(), Some("initialize"))
                    .await?;
                continue;
            }
            if !resp.status().is_success() {
                return Err(http_failure(resp).await);
            }
            break resp;
        };
        let session = resp.headers().get(MCP_SESSION_ID).cloned();
        let answer = if is_sse(resp.headers()) {
            let mut events = Events::new(resp);
            loop {
                match events.next().await {
                    Item::Message(data) => {
                        if jsonrpc::response_ids(data.as_bytes()).contains(&id) {
                            break data.into_bytes();
                        }
                    }
                    Item::End { .. } => {
                        return Err(Failure::Upstream(
                            "the MCP server closed the stream before answering the new initialize"
                                .into(),
                        ));
                    }
                }
            }
        } else {
            resp.bytes()
                .await
                .map_err(|e| Failure::network(&e))?
                .to_vec()
        };
        let version = protocol_version(&answer);
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
        Ok(())
    }

    async fn notify_initialized(&self) {
        let msg = Outgoing {
            body: Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            method: Some("notifications/initialized".into()),
            name: None,
            expect: Vec::new(),
            is_initialize: false,
            hold: None,
        };
        let snap = self.snapshot();
        let sent = match &snap.legacy {
            Some(l) => self.post(&l.endpoint, &snap, &msg).await,
            None => self.post(&self.cfg.url, &snap, &msg).await,
        };
        if let Err(e) = sent {
            tracing::warn!(error = ?e, "could not send notifications/initialized for the new session");
        }
    }

    /// Called after the client's `notifications/initialized` went through:
    /// opens the optional GET stream for server-initiated messages.
    pub fn client_initialized(self: &Arc<Self>) {
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
        if self.cfg.mode == Mode::Sse || self.method_headers.load(Ordering::Relaxed) {
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
            let snap = self.snapshot();
            let mut req = self
                .request(Method::GET, &self.cfg.url, &snap)
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
                    let mut events = Events::with_state(r, last.take(), retry);
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

    // ---- legacy HTTP+SSE transport -----------------------------------------

    /// Opens the legacy event stream and learns the POST endpoint from its
    /// `endpoint` event. The endpoint must be on the server's origin: the
    /// bearer goes there.
    async fn legacy_connect(self: &Arc<Self>) -> Result<(), Failure> {
        let _guard = self.legacy_connect.lock().await;
        if lock(&self.state).legacy.as_ref().is_some_and(|l| l.alive) {
            return Ok(());
        }
        let mut auth_retried = false;
        let resp = loop {
            let mut snap = self.snapshot();
            snap.session = None;
            snap.version = None;
            let resp = self
                .request(Method::GET, &self.cfg.url, &snap)
                .header(header::ACCEPT, ACCEPT_SSE)
                .send()
                .await
                .map_err(|e| Failure::network(&e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !auth_retried {
                auth_retried = true;
                self.reauthorize(&snap, resp.headers(), None).await?;
                continue;
            }
            if !resp.status().is_success() {
                return Err(http_failure(resp).await);
            }
            if !is_sse(resp.headers()) {
                return Err(Failure::Upstream(
                    "the server's GET answer is not an event stream (no HTTP+SSE transport)".into(),
                ));
            }
            break resp;
        };
        let mut events = Events::new(resp);
        let endpoint = tokio::time::timeout(Duration::from_secs(10), events.endpoint())
            .await
            .map_err(|_| Failure::Upstream("the server sent no endpoint event within 10 s".into()))?
            .map_err(Failure::Upstream)?;
        let endpoint = self.cfg.url.join(&endpoint).map_err(|e| {
            Failure::Upstream(format!("the server's endpoint event is not a URL: {e}"))
        })?;
        if endpoint.origin() != self.cfg.url.origin() {
            return Err(Failure::Upstream(format!(
                "the server's endpoint {} is on another origin; refusing to send the bearer there",
                endpoint.origin().ascii_serialization()
            )));
        }
        let generation = {
            let mut s = lock(&self.state);
            let generation = s.legacy.as_ref().map_or(1, |l| l.generation + 1);
            s.legacy = Some(Legacy {
                endpoint,
                alive: true,
                generation,
            });
            generation
        };
        tracing::info!("using the HTTP+SSE transport");
        let me = self.clone();
        tokio::spawn(async move { me.legacy_reader(events, generation).await });
        Ok(())
    }

    /// Forwards everything on the legacy stream; when it ends, the requests
    /// still waiting get errors and the next message reconnects.
    async fn legacy_reader(self: Arc<Self>, mut events: Events, generation: u64) {
        let init_id = lock(&self.legacy_init_id).clone();
        while let Item::Message(data) = events.next().await {
            let ids = jsonrpc::response_ids(data.as_bytes());
            let mut internal = None;
            for id in &ids {
                if let Some(tx) = lock(&self.internal).remove(id) {
                    internal = Some(tx);
                }
            }
            if let Some(tx) = internal {
                let _ = tx.send(data.into_bytes());
                continue;
            }
            let mut answered: Vec<String> = Vec::new();
            {
                let mut pending = lock(&self.legacy_pending);
                for id in ids {
                    if pending.remove(&id) {
                        answered.push(id);
                    }
                }
            }
            let init = init_id.as_ref().is_some_and(|i| answered.contains(i));
            if init {
                self.adopt_init_result(data.as_bytes());
            }
            let mut none = Vec::new();
            let _ = self.forward(data.into_bytes(), &mut none, false);
        }
        tracing::info!("the server closed the HTTP+SSE stream");
        {
            let mut s = lock(&self.state);
            if let Some(l) = s.legacy.as_mut()
                && l.generation == generation
            {
                l.alive = false;
            }
            if s.closing {
                return;
            }
        }
        let lost: Vec<String> = lock(&self.legacy_pending).drain().collect();
        let failure =
            Failure::Upstream("the MCP server closed its event stream before answering".into());
        for id in lost {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            self.out.send(failure.response(&id));
        }
    }

    async fn legacy_deliver(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Failure> {
        let alive = lock(&self.state).legacy.as_ref().is_some_and(|l| l.alive);
        if !alive {
            let had_session = lock(&self.state).legacy.is_some();
            self.legacy_connect().await?;
            if had_session && !msg.is_initialize {
                self.legacy_replay_initialize().await?;
            }
        }
        {
            let mut p = lock(&self.legacy_pending);
            p.extend(pending.iter().cloned());
        }
        let mut auth_retried = false;
        loop {
            let snap = self.snapshot();
            let Some(legacy) = &snap.legacy else {
                return Err(Failure::Upstream("the HTTP+SSE stream is not open".into()));
            };
            let result = self.post(&legacy.endpoint, &snap, msg).await;
            let failure = match result {
                Ok(r) if r.status().is_success() => {
                    // The answers come on the stream; the reader owns them now.
                    pending.clear();
                    self.note_success(&snap);
                    return Ok(());
                }
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED && !auth_retried => {
                    auth_retried = true;
                    match self
                        .reauthorize(&snap, r.headers(), msg.method.as_deref())
                        .await
                    {
                        Ok(()) => continue,
                        Err(f) => f,
                    }
                }
                Ok(r) if r.status() == StatusCode::FORBIDDEN => forbidden(r).await,
                Ok(r) => http_failure(r).await,
                Err(f) => f,
            };
            // Only the requests the reader has not answered get the error.
            let mut p = lock(&self.legacy_pending);
            pending.retain(|id| p.remove(id));
            return Err(failure);
        }
    }

    /// After the legacy stream dropped and was reopened: a new session, so
    /// the client's `initialize` is replayed with a private id.
    async fn legacy_replay_initialize(self: &Arc<Self>) -> Result<(), Failure> {
        let Some(params) = lock(&self.state).init_params.clone() else {
            return Ok(());
        };
        let n = self.reinit_counter.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("\"mcp-auth-bridge-reinit-{n}\"");
        let (tx, rx) = oneshot::channel();
        lock(&self.internal).insert(id.clone(), tx);
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{params}}}"#);
        let snap = self.snapshot();
        let Some(legacy) = &snap.legacy else {
            return Err(Failure::Upstream("the HTTP+SSE stream is not open".into()));
        };
        let msg = Outgoing {
            body: Bytes::from(body),
            method: Some("initialize".into()),
            name: None,
            expect: Vec::new(),
            is_initialize: true,
            hold: None,
        };
        let resp = self.post(&legacy.endpoint, &snap, &msg).await?;
        if !resp.status().is_success() {
            lock(&self.internal).remove(&id);
            return Err(http_failure(resp).await);
        }
        match tokio::time::timeout(LEGACY_INIT_TIMEOUT, rx).await {
            Ok(Ok(_answer)) => {}
            _ => {
                lock(&self.internal).remove(&id);
                return Err(Failure::Upstream(
                    "the MCP server did not answer the new initialize".into(),
                ));
            }
        }
        lock(&self.state).epoch += 1;
        self.notify_initialized().await;
        Ok(())
    }

    // ---- shutdown ------------------------------------------------------------

    /// Ends the session: DELETE (with the bearer) when there is one. A 405
    /// (the server does not let clients end sessions) is fine.
    pub async fn close(&self) {
        let snap = {
            let mut s = lock(&self.state);
            s.closing = true;
            drop(s);
            self.snapshot()
        };
        if snap.legacy.is_some() || snap.session.is_none() {
            return;
        }
        let sent = tokio::time::timeout(
            DELETE_TIMEOUT,
            self.request(Method::DELETE, &self.cfg.url, &snap).send(),
        )
        .await;
        match sent {
            Ok(Ok(r)) => tracing::debug!(status = r.status().as_u16(), "session deleted"),
            Ok(Err(e)) => tracing::debug!(error = %e, "DELETE failed"),
            Err(_) => tracing::debug!("DELETE timed out"),
        }
    }

    /// Tells the authorizer the session ended (audit).
    pub async fn finish(&self) {
        self.auth.session_ended(self.stats()).await;
    }
}

/// One hold on the gate (see [`Upstream::hold_gate`]).
pub struct GateHold {
    up: Arc<Upstream>,
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

fn challenge(status: u16, snap: &Snap, headers: &HeaderMap, method: Option<&str>) -> Challenge {
    Challenge {
        status,
        www_authenticate: headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        rejected: snap.bearer.as_ref().map(|b| b.secret.clone()),
        method: method.map(str::to_string),
    }
}

fn is_sse(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        })
}

/// A header value for `Mcp-Method`/`Mcp-Name`, when the text is plain
/// visible ASCII (anything else is left out rather than mangled).
fn header_value(text: &str) -> Option<HeaderValue> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        HeaderValue::try_from(text).ok()
    } else {
        None
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

async fn read_error_body(mut resp: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY);
    describe_body(&body)
}

/// A short description of an error body: a JSON-RPC error's message, an
/// OAuth error, or the start of the text.
fn describe_body(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct E {
        error: Option<serde_json::Value>,
        error_description: Option<String>,
        message: Option<String>,
    }
    if let Ok(e) = serde_json::from_slice::<E>(body) {
        let text = match (&e.error, e.error_description, e.message) {
            (Some(serde_json::Value::Object(o)), _, _) => o
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string),
            (Some(serde_json::Value::String(code)), desc, _) => Some(match desc {
                Some(d) => format!("{code}: {d}"),
                None => code.clone(),
            }),
            (_, _, Some(m)) => Some(m),
            _ => None,
        };
        if let Some(t) = text {
            return format!(": {}", truncate(&t, 300));
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", truncate(&text, 200))
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

async fn http_failure(resp: reqwest::Response) -> Failure {
    let status = resp.status().as_u16();
    let reason = resp.status().canonical_reason().unwrap_or("");
    let retry_after = crate::oauth::http::retry_after(resp.headers());
    let detail = read_error_body(resp).await;
    let detail = if detail.is_empty() && !reason.is_empty() {
        format!(" ({reason})")
    } else {
        detail
    };
    Failure::Http {
        status,
        detail,
        retry_after,
    }
}

async fn forbidden(resp: reqwest::Response) -> Failure {
    let www = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut detail = read_error_body(resp).await;
    if let Some(w) = www {
        detail.push_str(&format!(" [WWW-Authenticate: {}]", truncate(&w, 300)));
    }
    Failure::Forbidden { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_described_briefly() {
        assert_eq!(
            describe_body(br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#),
            ": Bad Request: No valid session ID provided"
        );
        assert_eq!(
            describe_body(
                br#"{"error":"insufficient_scope","error_description":"needs files:read"}"#
            ),
            ": insufficient_scope: needs files:read"
        );
        assert_eq!(
            describe_body(b"<html>\n  Bad gateway\n</html>"),
            ": <html> Bad gateway </html>"
        );
        assert_eq!(describe_body(b""), "");
        assert!(describe_body(&[b'x'; 1000]).chars().count() < 210);
    }

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

    #[test]
    fn failures_become_json_rpc_errors_without_secrets() {
        let f = Failure::Http {
            status: 500,
            detail: ": boom".into(),
            retry_after: None,
        };
        let v: serde_json::Value = serde_json::from_slice(&f.response("7")).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["error"]["code"], jsonrpc::UPSTREAM_ERROR);
        assert_eq!(v["error"]["data"]["httpStatus"], 500);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("HTTP 500: boom")
        );
        let f = Failure::Auth(Error::NeedsLogin {
            name: "x".into(),
            reason: "r".into(),
            login_hint: "https://a.example/mcp".into(),
        });
        let v: serde_json::Value = serde_json::from_slice(&f.response("\"a\"")).unwrap();
        assert_eq!(v["error"]["code"], jsonrpc::AUTH_REQUIRED);
        assert_eq!(
            v["error"]["data"]["hint"],
            "mcp-auth login https://a.example/mcp"
        );
    }

    #[test]
    fn config_debug_hides_header_values_and_url_queries() {
        let mut headers = HeaderMap::new();
        let mut v = HeaderValue::from_static("k-SECRET");
        v.set_sensitive(true);
        headers.insert("x-api-key", v);
        let cfg = Config {
            url: Url::parse("https://mcp.example.com/mcp?key=q-SECRET").unwrap(),
            mode: Mode::Auto,
            headers,
            connect_timeout: Duration::from_secs(1),
        };
        let text = format!("{cfg:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(
            text.contains("x-api-key") && text.contains("https://mcp.example.com/mcp"),
            "{text}"
        );
    }

    #[test]
    fn only_plain_ascii_goes_into_method_headers() {
        assert!(header_value("tools/call").is_some());
        assert!(header_value("héllo").is_none());
        assert!(header_value("a\nb").is_none());
    }
}
