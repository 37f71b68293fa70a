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
//! When the server turns out to speak only the other era, [`adapt`]
//! carries one into the other: a 2025 client reaches a 2026-only server
//! and a 2026 client a 2025-only server.
//!
//! It also owns the request timeout: a request the server has not answered
//! for `request_timeout` (a progress notification on its stream restarts
//! the time) is answered with an error, logged, and cancelled upstream with
//! `notifications/cancelled`
//! (https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation).

mod adapt;
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

use self::core::{Core, lock};
pub use self::core::{Mode, TransportConfig, Undelivered, http_client};
pub use self::http2025::GateHold;
use self::http2025::Session;
use self::http2026::{REVISION, Stateless};
use super::authorizer::Authorizer;
use super::headers;
use super::stdio::Output;
use crate::error::Error;

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
        cfg: TransportConfig,
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
    pub async fn prepare_auth(&self) -> Result<(), Undelivered> {
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
        let failure = Undelivered::Upstream(format!(
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
    ) -> Result<(), Undelivered> {
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
}
