//! What every protocol era's transport shares: the HTTP client, the
//! authorization of each request (one seam, [`Core::authorize`]), the retry
//! after a 401 or 403, the mapping of failures to JSON-RPC errors, bounded
//! bodies, the request timeout, and the one way to the client ([`Core::forward`]).
//!
//! The era modules ([`super::http2025`], [`super::http2026`],
//! [`super::legacy`]) decide what goes on the wire; this module decides who
//! may send it and what happens when the server says no.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::{OnceCell, mpsc, oneshot, watch};
use url::Url;

use crate::body_text;
use crate::error::Error;
use crate::mcp::authorizer::{Authorizer, Refusal, SessionStats};
use crate::mcp::jsonrpc::{self, Peeked};
use crate::mcp::stdio::Output;
use crate::model::Secret;
use crate::text::printable;

pub(super) const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub(super) const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
pub(super) const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
pub(super) const ACCEPT_BOTH: HeaderValue =
    HeaderValue::from_static("application/json, text/event-stream");
pub(super) const ACCEPT_SSE: HeaderValue = HeaderValue::from_static("text/event-stream");
pub(super) const JSON: HeaderValue = HeaderValue::from_static("application/json");
const USER_AGENT: &str = concat!("mcp-auth/", env!("CARGO_PKG_VERSION"));

/// How much of an error body is read to describe the error.
const ERROR_BODY: usize = 4096;

/// Most authorization rounds one request may cause (MCP scope challenge
/// handling: a bounded number of step-up attempts).
const MAX_AUTH_ROUNDS: usize = 3;

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
pub struct TransportConfig {
    pub url: Url,
    pub mode: Mode,
    /// `--header` values, marked sensitive so no `Debug` shows them.
    pub headers: HeaderMap,
    pub connect_timeout: Duration,
    /// A request the server has not answered for this long gets an error
    /// (and the server a `notifications/cancelled`); a progress
    /// notification for it starts the time again. None: no limit.
    pub request_timeout: Option<Duration>,
    /// The largest reply read from the server (a JSON body, or one event of
    /// a stream): a server cannot make the bridge buffer without bound.
    pub max_reply: usize,
}

impl std::fmt::Debug for TransportConfig {
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
        f.debug_struct("TransportConfig")
            .field("url", &url)
            .field("mode", &self.mode)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_reply", &self.max_reply)
            .finish()
    }
}

/// Why a message could not be delivered; becomes a JSON-RPC error.
#[derive(Debug)]
pub enum Undelivered {
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
    /// The server refused a 2025-era `initialize` (HTTP 400, 404 or 405):
    /// it may speak only 2026-07-28, or only the older HTTP+SSE transport.
    InitializeRefused(Box<Undelivered>),
    /// The server answered with a JSON-RPC error response of its own (an
    /// HTTP 4xx whose body is the answer, e.g. -32022 unsupported protocol
    /// version): passed to the client as it is, so it can act on it.
    Answered,
    /// The bridge answers the request itself with this JSON-RPC error.
    Refused { code: i64, message: String },
}

impl Undelivered {
    pub(super) fn network(e: &reqwest::Error) -> Undelivered {
        Undelivered::Upstream(Error::network("cannot reach the MCP server", e).to_string())
    }

    /// The JSON-RPC error response for request `id` (None: nothing to send,
    /// the server's own answer already went to the client).
    pub fn response(&self, id: &str) -> Option<Vec<u8>> {
        use jsonrpc::{AUTH_REQUIRED, FORBIDDEN, UPSTREAM_ERROR, error_response};
        let message = self.to_string();
        Some(match self {
            Undelivered::Upstream(_) => error_response(Some(id), UPSTREAM_ERROR, &message, None),
            Undelivered::Http {
                status,
                retry_after,
                ..
            } => {
                let mut data = serde_json::json!({ "httpStatus": status });
                if let Some(secs) = retry_after {
                    data["retryAfter"] = serde_json::json!(secs);
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
            Undelivered::Auth(e) => {
                let data = e
                    .login_command()
                    .map(|hint| serde_json::json!({ "hint": hint }));
                let code = if e.is_transient() {
                    UPSTREAM_ERROR
                } else {
                    AUTH_REQUIRED
                };
                error_response(Some(id), code, &message, data)
            }
            Undelivered::Forbidden { .. } => error_response(
                Some(id),
                FORBIDDEN,
                &message,
                Some(serde_json::json!({ "httpStatus": 403 })),
            ),
            Undelivered::InitializeRefused(f) => return f.response(id),
            Undelivered::Answered => return None,
            Undelivered::Refused { code, message } => {
                error_response(Some(id), *code, message, None)
            }
        })
    }
}

/// The failure in words: the JSON-RPC error's message and the log line's.
impl std::fmt::Display for Undelivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undelivered::Upstream(m) => f.write_str(m),
            Undelivered::Http {
                status,
                detail,
                retry_after,
            } => {
                write!(f, "the MCP server answered HTTP {status}{detail}")?;
                match retry_after {
                    Some(secs) => write!(f, "; it asked to retry in {secs}s"),
                    None => Ok(()),
                }
            }
            Undelivered::Auth(e) => write!(f, "authorization: {e}"),
            Undelivered::Forbidden { detail } => {
                write!(f, "the MCP server refused this request (HTTP 403){detail}")
            }
            Undelivered::InitializeRefused(inner) => inner.fmt(f),
            Undelivered::Answered => f.write_str("the MCP server answered with a JSON-RPC error"),
            Undelivered::Refused { message, .. } => f.write_str(message),
        }
    }
}

impl From<Error> for Undelivered {
    fn from(e: Error) -> Undelivered {
        Undelivered::Auth(e)
    }
}

/// The credential in use, with its header ready.
pub(super) struct Bearer {
    pub(super) secret: Secret,
    header: HeaderValue,
}

impl Bearer {
    fn new(secret: Secret) -> Result<Arc<Bearer>, Undelivered> {
        let mut header =
            HeaderValue::try_from(format!("Bearer {}", secret.expose())).map_err(|_| {
                Undelivered::Upstream(
                    "the access token contains characters that cannot go in an HTTP header".into(),
                )
            })?;
        header.set_sensitive(true);
        Ok(Arc::new(Bearer { secret, header }))
    }
}

#[derive(Default)]
pub(super) struct Stats {
    pub(super) messages: AtomicU64,
    pub(super) requests: AtomicU64,
    pub(super) failed: AtomicU64,
}

/// The shared half of every transport.
pub(super) struct Core {
    pub(super) cfg: TransportConfig,
    pub(super) client: reqwest::Client,
    auth: Arc<dyn Authorizer>,
    pub(super) out: Output,
    bearer: Mutex<Option<Arc<Bearer>>>,
    /// Set once the authorizer's initial bearer is known.
    auth_ready: OnceCell<Result<(), String>>,
    /// True while a refresh or login runs: new requests wait for its bearer
    /// instead of spending a round trip on a 401.
    renewing: watch::Sender<bool>,
    pub(super) stats: Stats,
    succeeded: AtomicBool,
    /// The bridge's own requests (a probe, an `initialize` on the client's
    /// behalf): their answers go to these waiters instead of the client.
    internal: Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>,
    internal_count: AtomicUsize,
    /// Set when the client's era cannot answer requests from the server:
    /// they go here (id, method) to be refused instead of forwarded.
    refusals: Mutex<Option<mpsc::UnboundedSender<(String, String)>>>,
    refusing: AtomicBool,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
        .redirect(same_origin_redirects());
    if url.scheme() == "http" {
        builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
    }
    builder
        .build()
        .map_err(|e| Error::Other(format!("cannot set up the HTTP client: {e}")))
}

/// Redirects are followed only within the server's origin (scheme, host,
/// port), at most 5 times. A redirect carries the request's headers and
/// body: the `--header` values (stored secrets, `${VAR}` values), the
/// session id and the message itself, which reqwest would send on to any
/// host (it drops only `Authorization`). Anything else fails the request
/// with the target named, and nothing is sent there.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.follow();
        };
        if attempt.previous().len() > 5 {
            return attempt.error(Redirect("more than 5 redirects".into()));
        }
        if attempt.url().origin() == first.origin() {
            return attempt.follow();
        }
        let target = printable(&attempt.url().origin().ascii_serialization(), 200);
        attempt.error(Redirect(format!(
            "the MCP server redirected to {target}, another origin; nothing is sent there \
             (use that URL with the bridge if it is the server you mean)"
        )))
    })
}

/// Why a redirect was not followed.
#[derive(Debug)]
struct Redirect(String);

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Redirect {}

/// What one authorized attempt carried, for the 401/403 that may follow.
pub(super) type Sent = Option<Arc<Bearer>>;

/// The authorization retries one request has had.
#[derive(Default)]
pub(super) struct Rounds {
    /// 401 renewals and 403 step-ups.
    auth: usize,
    /// A retry with a fresh proof for a server nonce.
    nonce_retried: bool,
}

impl Core {
    pub(super) fn new(
        cfg: TransportConfig,
        auth: Arc<dyn Authorizer>,
        out: Output,
    ) -> Result<Core, Error> {
        let client = http_client(&cfg.url, cfg.connect_timeout)?;
        Ok(Core {
            cfg,
            client,
            auth,
            out,
            bearer: Mutex::new(None),
            auth_ready: OnceCell::new(),
            renewing: watch::channel(false).0,
            stats: Stats::default(),
            succeeded: AtomicBool::new(false),
            internal: Mutex::new(HashMap::new()),
            internal_count: AtomicUsize::new(0),
            refusals: Mutex::new(None),
            refusing: AtomicBool::new(false),
        })
    }

    /// Asks the authorizer for the first bearer; later calls wait for the
    /// first one's answer.
    pub(super) async fn prepare_auth(&self) -> Result<(), Undelivered> {
        let ready = self
            .auth_ready
            .get_or_init(|| async {
                match self.auth.initial().await {
                    Ok(Some(secret)) => match Bearer::new(secret) {
                        Ok(b) => {
                            *lock(&self.bearer) = Some(b);
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
            .map_err(|m| Undelivered::Auth(Error::Other(m.clone())))
    }

    /// The credential to send now: waits while a renewal runs, and asks
    /// the authorizer for a fresh one when it knows the current one has
    /// expired (or is about to): a token known to be dead is never sent.
    pub(super) async fn current(&self) -> Result<Sent, Undelivered> {
        if *self.renewing.borrow() {
            let mut rx = self.renewing.subscribe();
            let _ = rx.wait_for(|busy| !*busy).await;
        }
        let bearer = lock(&self.bearer).clone();
        if let Some(b) = &bearer
            && self.auth.expiring(&b.secret)
        {
            self.renewing.send_replace(true);
            let renewed = self.auth.renew_expiring(&b.secret).await;
            let result = match renewed {
                Ok(secret) => self.set_bearer(secret).map(|()| lock(&self.bearer).clone()),
                Err(e) => Err(Undelivered::Auth(e)),
            };
            self.renewing.send_replace(false);
            return result;
        }
        Ok(bearer)
    }

    /// The credential as it is, without waiting or renewing.
    pub(super) fn bearer_now(&self) -> Sent {
        lock(&self.bearer).clone()
    }

    fn set_bearer(&self, secret: Secret) -> Result<(), Undelivered> {
        let bearer = Bearer::new(secret)?;
        *lock(&self.bearer) = Some(bearer);
        Ok(())
    }

    /// THE place a request gets its authorization. Today a bearer header;
    /// a sender-constrained scheme (DPoP, RFC 9449 §7) needs the method
    /// and URL of the request for its proof, so both are passed here.
    pub(super) fn authorize(
        &self,
        headers: &mut HeaderMap,
        sent: &Sent,
        method: &Method,
        url: &Url,
    ) {
        let Some(b) = sent else { return };
        match self.auth.authorization(&b.secret, method.as_str(), url) {
            // The authorizer's own scheme (DPoP: `Authorization: DPoP …`
            // and a `DPoP` proof for exactly this method and URL).
            Some(own) => {
                for (k, v) in own {
                    headers.insert(k, v);
                }
            }
            None => {
                headers.insert(header::AUTHORIZATION, b.header.clone());
            }
        }
    }

    /// A request to `url` with the configured headers and the authorization
    /// of `sent`; the era adds its own headers.
    pub(super) fn request(
        &self,
        method: Method,
        url: &Url,
        sent: &Sent,
        capacity: usize,
    ) -> (reqwest::RequestBuilder, HeaderMap) {
        let mut h = HeaderMap::with_capacity(capacity + self.cfg.headers.len());
        for (k, v) in &self.cfg.headers {
            h.append(k.clone(), v.clone());
        }
        self.authorize(&mut h, sent, &method, url);
        (self.client.request(method, url.clone()), h)
    }

    /// What to do with a refused attempt: `Ok(None)` retries (with the new
    /// credential, or a fresh proof), `Ok(Some)` is not an authorization
    /// answer (the caller goes on with it), `Err` ends the request.
    /// `rounds` counts this request's authorization rounds.
    pub(super) async fn on_refusal(
        &self,
        resp: reqwest::Response,
        sent: &Sent,
        method: Option<&str>,
        rounds: &mut Rounds,
    ) -> Result<Option<reqwest::Response>, Undelivered> {
        // A server (or its authorization server) that wants a fresh proof
        // with its nonce gets one more attempt (RFC 9449 §8 and §9).
        if !rounds.nonce_retried
            && self
                .auth
                .nonce_challenge(resp.status().as_u16(), resp.headers())
        {
            rounds.nonce_retried = true;
            return Ok(None);
        }
        match resp.status() {
            StatusCode::UNAUTHORIZED if rounds.auth == 0 => {
                rounds.auth += 1;
                self.reauthorize(sent, resp.headers(), method).await?;
                Ok(None)
            }
            StatusCode::FORBIDDEN if rounds.auth < MAX_AUTH_ROUNDS => {
                rounds.auth += 1;
                let refusal = refusal(403, sent, resp.headers(), method);
                match self.auth.forbidden(&refusal).await? {
                    Some(secret) => {
                        self.set_bearer(secret)?;
                        Ok(None)
                    }
                    None => Err(forbidden(resp).await),
                }
            }
            StatusCode::FORBIDDEN => Err(forbidden(resp).await),
            _ => Ok(Some(resp)),
        }
    }

    /// The server answered 401: one renewal (single flight in the
    /// authorizer), whose bearer the caller retries with.
    pub(super) async fn reauthorize(
        &self,
        sent: &Sent,
        headers: &HeaderMap,
        method: Option<&str>,
    ) -> Result<(), Undelivered> {
        let refusal = refusal(401, sent, headers, method);
        tracing::info!("the server answered 401; asking for a new bearer");
        self.renewing.send_replace(true);
        let result = self.auth.unauthorized(&refusal).await;
        let result = result
            .map_err(Undelivered::from)
            .and_then(|s| self.set_bearer(s));
        self.renewing.send_replace(false);
        result
    }

    /// The first success with a bearer is recorded (last used), off the
    /// request's path.
    pub(super) fn note_success(&self, sent: &Sent) {
        if sent.is_some() && !self.succeeded.swap(true, Ordering::Relaxed) {
            let auth = self.auth.clone();
            tokio::spawn(async move { auth.first_success().await });
        }
    }

    /// Writes one message from the server to the client and crosses off
    /// the responses in it; returns the ids it crossed off.
    pub(super) fn forward(
        &self,
        data: Vec<u8>,
        pending: &mut Vec<String>,
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
                if self.internal_count.load(Ordering::Acquire) > 0
                    && p.method.is_none()
                    && let Some(id) = p.id_text()
                    && let Some(tx) = self.take_waiter(id)
                {
                    if let Some(i) = pending.iter().position(|x| x == id) {
                        pending.swap_remove(i);
                    }
                    drop(peeked);
                    let _ = tx.send(data);
                    return Ok(());
                }
                if self.refusing.load(Ordering::Relaxed)
                    && p.kind() == jsonrpc::Kind::Request
                    && let (Some(id), Some(method)) = (p.id_text(), p.method.as_deref())
                    && let Some(tx) = lock(&self.refusals).as_ref()
                {
                    let _ = tx.send((id.to_string(), method.to_string()));
                    return Ok(());
                }
                if p.method.is_none()
                    && let Some(id) = p.id_text()
                    && let Some(i) = pending.iter().position(|x| x == id)
                {
                    pending.swap_remove(i);
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

    /// Routes the answer to the bridge's own request `id` (raw JSON text)
    /// to the returned waiter instead of the client, until the waiter is
    /// dropped.
    pub(super) fn wait_for(&self, id: &str) -> Waiter<'_> {
        let (tx, rx) = oneshot::channel();
        lock(&self.internal).insert(id.to_string(), tx);
        self.internal_count.fetch_add(1, Ordering::AcqRel);
        Waiter {
            core: self,
            id: id.to_string(),
            rx,
        }
    }

    fn take_waiter(&self, id: &str) -> Option<oneshot::Sender<Vec<u8>>> {
        let tx = lock(&self.internal).remove(id)?;
        self.internal_count.fetch_sub(1, Ordering::AcqRel);
        Some(tx)
    }

    /// From now on requests from the server are refused, not forwarded;
    /// the receiver gets (id, method) of each.
    pub(super) fn refuse_server_requests(&self) -> mpsc::UnboundedReceiver<(String, String)> {
        let (tx, rx) = mpsc::unbounded_channel();
        *lock(&self.refusals) = Some(tx);
        self.refusing.store(true, Ordering::Relaxed);
        rx
    }

    /// Answers the requests still pending with `failure` (logged once).
    pub(super) fn fail(&self, method: Option<&str>, pending: &[String], failure: &Undelivered) {
        // A 2026-07-28 client probes with `server/discover` and falls back
        // to `initialize` when an older server refuses it
        // (https://modelcontextprotocol.io/specification/2026-07-28/server/discover):
        // an expected refusal, not a failed request of the session.
        let probe = method == Some("server/discover");
        if probe {
            tracing::debug!(error = %failure, "the server does not answer server/discover (an older revision)");
        } else if pending.is_empty() {
            tracing::warn!(method = method.unwrap_or("(response)"), error = %failure, "could not deliver a message");
        } else {
            tracing::warn!(method = method.unwrap_or("(batch)"), error = %failure, "request failed");
        }
        for id in pending {
            if !probe {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(r) = failure.response(id) {
                self.out.send(r);
            }
        }
    }

    pub(super) fn stats(&self) -> SessionStats {
        SessionStats {
            messages: self.stats.messages.load(Ordering::Relaxed),
            requests: self.stats.requests.load(Ordering::Relaxed),
            failed: self.stats.failed.load(Ordering::Relaxed),
        }
    }

    /// Tells the authorizer the session ended (audit).
    pub(super) async fn finish(&self) {
        self.auth.session_ended(self.stats()).await;
    }
}

/// The bridge's own request waiting for its answer. Dropping it, whether
/// the answer came, the request failed, or the whole client request timed
/// out and its future was dropped mid-wait, stops the routing, so no waiter
/// outlives its request.
pub(super) struct Waiter<'a> {
    core: &'a Core,
    id: String,
    rx: oneshot::Receiver<Vec<u8>>,
}

impl Waiter<'_> {
    /// The answer, or None when the server's answer can no longer come
    /// (the transport closed).
    pub(super) async fn answer(mut self) -> Option<Vec<u8>> {
        (&mut self.rx).await.ok()
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let _ = self.core.take_waiter(&self.id);
    }
}

pub(super) fn refusal(
    status: u16,
    sent: &Sent,
    headers: &HeaderMap,
    method: Option<&str>,
) -> Refusal {
    Refusal {
        status,
        www_authenticate: headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        rejected: sent.as_ref().map(|b| b.secret.clone()),
        method: method.map(str::to_string),
    }
}

pub(super) fn is_sse(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        })
}

/// Reads a whole (non-SSE) body, at most `max` bytes.
pub(super) async fn read_body(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Bytes, Undelivered> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big(max));
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| Undelivered::network(&e))? {
        if body.len() + chunk.len() > max {
            return Err(too_big(max));
        }
        if body.is_empty() && chunk.len() == resp.content_length().unwrap_or(0) as usize {
            return Ok(chunk);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_big(max: usize) -> Undelivered {
    Undelivered::Upstream(format!(
        "the MCP server's answer is larger than {} (max_reply)",
        crate::fs_space::human_bytes(max as u64)
    ))
}

async fn read_error_body(mut resp: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY);
    body
}

/// The `Content-Type` of an answer, if readable.
pub(super) fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A short description of an error body: a JSON-RPC error's message, an
/// OAuth error, an HTML page's title, or the start of the text
/// ([`body_text::summary`]).
pub(super) fn describe_body(content_type: Option<&str>, body: &[u8]) -> String {
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
            return format!(": {}", printable(&t, 300));
        }
    }
    body_text::summary(content_type, body)
        .map(|t| format!(": {t}"))
        .unwrap_or_default()
}

/// An HTTP error answer, read (bounded) but not yet judged.
pub(super) struct ErrorAnswer {
    status: u16,
    reason: &'static str,
    retry_after: Option<u64>,
    content_type: Option<String>,
    pub(super) body: Vec<u8>,
}

impl ErrorAnswer {
    pub(super) async fn read(resp: reqwest::Response) -> ErrorAnswer {
        let status = resp.status();
        let retry_after = crate::oauth::http::retry_after(resp.headers());
        let content_type = content_type(resp.headers());
        ErrorAnswer {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            retry_after,
            content_type,
            body: read_error_body(resp).await,
        }
    }

    /// The JSON-RPC error code of the body, when it is an error response.
    pub(super) fn rpc_code(&self) -> Option<i64> {
        #[derive(Deserialize)]
        struct R {
            error: Option<E>,
        }
        #[derive(Deserialize)]
        struct E {
            code: i64,
        }
        serde_json::from_slice::<R>(&self.body)
            .ok()?
            .error
            .map(|e| e.code)
    }

    /// The failure. When the body is the JSON-RPC error response to one
    /// of `pending` (a 2026-07-28 server answers -32022, -32020 or -32602
    /// with HTTP 400: https://modelcontextprotocol.io/specification/2026-07-28/basic/transports),
    /// that answer goes to the client as it is: [`Undelivered::Answered`].
    pub(super) fn failure(self, core: &Core, pending: &mut Vec<String>) -> Undelivered {
        let json = self
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.contains("json"));
        if json && !pending.is_empty() && is_error_answer(&self.body, pending) {
            let _ = core.forward(self.body, pending);
            if pending.is_empty() {
                return Undelivered::Answered;
            }
            return Undelivered::Upstream("the MCP server answered only part of a batch".into());
        }
        let detail = describe_body(self.content_type.as_deref(), &self.body);
        let detail = if detail.is_empty() && !self.reason.is_empty() {
            format!(" ({})", self.reason)
        } else {
            detail
        };
        Undelivered::Http {
            status: self.status,
            detail,
            retry_after: self.retry_after,
        }
    }
}

/// [`ErrorAnswer::failure`] of a response.
pub(super) async fn http_failure_for(
    core: &Core,
    resp: reqwest::Response,
    pending: &mut Vec<String>,
) -> Undelivered {
    ErrorAnswer::read(resp).await.failure(core, pending)
}

/// True when `body` is a JSON-RPC error response to one of `pending`.
fn is_error_answer(body: &[u8], pending: &[String]) -> bool {
    #[derive(Deserialize)]
    struct R<'a> {
        #[serde(borrow)]
        id: Option<&'a serde_json::value::RawValue>,
        error: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<R>(body).is_ok_and(|r| {
        r.error.is_some() && r.id.is_some_and(|id| pending.iter().any(|p| p == id.get()))
    })
}

pub(super) async fn http_failure(resp: reqwest::Response) -> Undelivered {
    let status = resp.status().as_u16();
    let reason = resp.status().canonical_reason().unwrap_or("");
    let retry_after = crate::oauth::http::retry_after(resp.headers());
    let ct = content_type(resp.headers());
    let detail = describe_body(ct.as_deref(), &read_error_body(resp).await);
    let detail = if detail.is_empty() && !reason.is_empty() {
        format!(" ({reason})")
    } else {
        detail
    };
    Undelivered::Http {
        status,
        detail,
        retry_after,
    }
}

pub(super) async fn forbidden(resp: reqwest::Response) -> Undelivered {
    let www = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let ct = content_type(resp.headers());
    let mut detail = describe_body(ct.as_deref(), &read_error_body(resp).await);
    if let Some(w) = www {
        detail.push_str(&format!(" [WWW-Authenticate: {}]", printable(&w, 300)));
    }
    Undelivered::Forbidden { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_described_briefly() {
        assert_eq!(
            describe_body(None, br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#),
            ": Bad Request: No valid session ID provided"
        );
        assert_eq!(
            describe_body(
                None,
                br#"{"error":"insufficient_scope","error_description":"needs files:read"}"#
            ),
            ": insufficient_scope: needs files:read"
        );
        // HTML is its title, or nothing (the caller names the status line).
        assert_eq!(describe_body(None, b"<html>\n  Bad gateway\n</html>"), "");
        assert_eq!(
            describe_body(
                Some("text/html"),
                b"<head><style>p{}</style><title>Bad gateway</title></head>"
            ),
            ": an HTML page titled \"Bad gateway\""
        );
        assert_eq!(
            describe_body(Some("text/plain"), b"upstream\nfailed"),
            ": upstream failed"
        );
        assert_eq!(describe_body(None, b""), "");
        assert!(describe_body(None, &[b'x'; 1000]).chars().count() < 210);
    }

    #[test]
    fn json_rpc_error_bodies_are_recognised_by_id() {
        let body = br#"{"jsonrpc":"2.0","id":7,"error":{"code":-32022,"message":"Unsupported protocol version"}}"#;
        assert!(is_error_answer(body, &["7".into()]));
        assert!(!is_error_answer(body, &["8".into()]));
        assert!(!is_error_answer(
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"x"}}"#,
            &["7".into()]
        ));
    }

    #[test]
    fn failures_become_json_rpc_errors_without_secrets() {
        let f = Undelivered::Http {
            status: 500,
            detail: ": boom".into(),
            retry_after: None,
        };
        let v: serde_json::Value = serde_json::from_slice(&f.response("7").unwrap()).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["error"]["code"], jsonrpc::UPSTREAM_ERROR);
        assert_eq!(v["error"]["data"]["httpStatus"], 500);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("HTTP 500: boom")
        );
        let f = Undelivered::Auth(Error::NeedsLogin {
            name: "x".into(),
            reason: "r".into(),
            login_hint: "https://a.example/mcp".into(),
        });
        let v: serde_json::Value = serde_json::from_slice(&f.response("\"a\"").unwrap()).unwrap();
        assert_eq!(v["error"]["code"], jsonrpc::AUTH_REQUIRED);
        assert_eq!(
            v["error"]["data"]["hint"],
            "mcp-auth login https://a.example/mcp"
        );
        assert!(Undelivered::Answered.response("1").is_none());
    }

    #[tokio::test]
    async fn a_waiter_dropped_mid_wait_routes_nothing_more() {
        let cfg = TransportConfig {
            url: Url::parse("http://127.0.0.1:9/mcp").unwrap(),
            mode: Mode::Auto,
            headers: HeaderMap::new(),
            connect_timeout: Duration::from_secs(1),
            request_timeout: None,
            max_reply: 1 << 20,
        };
        let (out, _closed) = Output::spawn(std::io::sink());
        let core = Core::new(
            cfg,
            Arc::new(crate::mcp::authorizer::NoAuth {
                reason: String::new(),
            }),
            out,
        )
        .unwrap();
        // A request abandoned while waiting (its client request timed out
        // and the future was dropped) takes its routing with it.
        let waiting = core.wait_for("\"probe-1\"");
        let abandoned = tokio::time::timeout(Duration::from_millis(10), waiting.answer()).await;
        assert!(abandoned.is_err());
        assert_eq!(core.internal_count.load(Ordering::Acquire), 0);
        assert!(lock(&core.internal).is_empty());
        // One answered normally leaves nothing behind either.
        let waiting = core.wait_for("\"probe-2\"");
        let mut none = Vec::new();
        core.forward(
            br#"{"jsonrpc":"2.0","id":"probe-2","result":{}}"#.to_vec(),
            &mut none,
        )
        .unwrap();
        assert!(waiting.answer().await.is_some());
        assert!(lock(&core.internal).is_empty());
    }

    #[test]
    fn config_debug_hides_header_values_and_url_queries() {
        let mut headers = HeaderMap::new();
        let mut v = HeaderValue::from_static("k-SECRET");
        v.set_sensitive(true);
        headers.insert("x-api-key", v);
        let cfg = TransportConfig {
            url: Url::parse("https://mcp.example.com/mcp?key=q-SECRET").unwrap(),
            mode: Mode::Auto,
            headers,
            connect_timeout: Duration::from_secs(1),
            request_timeout: None,
            max_reply: 1 << 20,
        };
        let text = format!("{cfg:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(
            text.contains("x-api-key") && text.contains("https://mcp.example.com/mcp"),
            "{text}"
        );
    }
}
