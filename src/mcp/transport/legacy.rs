//! The HTTP+SSE transport of 2024-11-05, the fallback of a 2025-era
//! session whose server refuses Streamable HTTP: a GET opens the event
//! stream, its `endpoint` event names where to POST, and every answer comes
//! back on the stream.
//! https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse

use std::time::Duration;

use reqwest::Method;
use reqwest::header;

use super::Outgoing;
use super::core::{ACCEPT_SSE, Rounds, Undelivered, http_failure, is_sse, lock};
use super::http2025::{Legacy, Session};
use crate::mcp::jsonrpc;
use crate::mcp::sse::{Events, Item};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// How long a replayed `initialize` may take over the legacy transport.
const LEGACY_INIT_TIMEOUT: Duration = Duration::from_secs(30);

impl Session {
    /// Opens the legacy event stream and learns the POST endpoint from its
    /// `endpoint` event. The endpoint must be on the server's origin: the
    /// bearer goes there.
    pub(super) async fn legacy_connect(self: &Arc<Self>) -> Result<(), Undelivered> {
        let _guard = self.legacy_connect.lock().await;
        if lock(&self.state).legacy.as_ref().is_some_and(|l| l.alive) {
            return Ok(());
        }
        // The same authorization rounds as any other request (401 renewal,
        // 403 step-up, DPoP nonce), shared with the other transports.
        let mut rounds = Rounds::default();
        let resp = loop {
            let mut snap = self.snapshot_any().await;
            snap.session = None;
            snap.version = None;
            let resp = self
                .request(Method::GET, &self.core.cfg.url, &snap)
                .header(header::ACCEPT, ACCEPT_SSE)
                .send()
                .await
                .map_err(|e| Undelivered::network(&e))?;
            if !resp.status().is_success() {
                match self
                    .core
                    .on_refusal(resp, &snap.sent, None, &mut rounds)
                    .await?
                {
                    None => continue,
                    Some(resp) => return Err(http_failure(resp).await),
                }
            }
            if !is_sse(resp.headers()) {
                return Err(Undelivered::Upstream(
                    "the server's GET answer is not an event stream (no HTTP+SSE transport)".into(),
                ));
            }
            break resp;
        };
        let mut events = Events::new(resp).limit(self.core.cfg.max_reply);
        let endpoint = tokio::time::timeout(Duration::from_secs(10), events.endpoint())
            .await
            .map_err(|_| {
                Undelivered::Upstream("the server sent no endpoint event within 10 s".into())
            })?
            .map_err(Undelivered::Upstream)?;
        let endpoint = self.core.cfg.url.join(&endpoint).map_err(|e| {
            Undelivered::Upstream(format!("the server's endpoint event is not a URL: {e}"))
        })?;
        if endpoint.origin() != self.core.cfg.url.origin() {
            return Err(Undelivered::Upstream(format!(
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
    pub(super) async fn legacy_reader(self: Arc<Self>, mut events: Events, generation: u64) {
        let init_id = lock(&self.legacy_init_id).clone();
        while let Item::Message(data) = events.next().await {
            // The bridge's own requests (a replayed initialize) are not
            // pending here; `forward` hands their answers to their waiters.
            let ids = jsonrpc::response_ids(data.as_bytes());
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
            Undelivered::Upstream("the MCP server closed its event stream before answering".into());
        for id in lost {
            self.core.stats.failed.fetch_add(1, Ordering::Relaxed);
            if let Some(r) = failure.response(&id) {
                self.core.out.send(r);
            }
        }
    }

    pub(super) async fn legacy_deliver(
        self: &Arc<Self>,
        msg: &Outgoing,
        pending: &mut Vec<String>,
    ) -> Result<(), Undelivered> {
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
        let mut rounds = Rounds::default();
        loop {
            let snap = self.snapshot_any().await;
            let Some(legacy) = &snap.legacy else {
                return Err(Undelivered::Upstream(
                    "the HTTP+SSE stream is not open".into(),
                ));
            };
            let result = self.post(&legacy.endpoint, &snap, msg).await;
            let failure = match result {
                Ok(r) if r.status().is_success() => {
                    // The answers come on the stream; the reader owns them now.
                    pending.clear();
                    self.core.note_success(&snap.sent);
                    return Ok(());
                }
                Ok(r) => match self
                    .core
                    .on_refusal(r, &snap.sent, msg.method.as_deref(), &mut rounds)
                    .await
                {
                    Ok(None) => continue,
                    Ok(Some(r)) => http_failure(r).await,
                    Err(f) => f,
                },
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
    pub(super) async fn legacy_replay_initialize(self: &Arc<Self>) -> Result<(), Undelivered> {
        if lock(&self.state).init_params.is_none() {
            return Ok(());
        }
        self.legacy_initialize_privately().await.map(drop)
    }

    /// Sends the remembered `initialize` over the legacy stream under a
    /// private id, then `notifications/initialized`; returns the answer.
    pub(super) async fn legacy_initialize_privately(
        self: &Arc<Self>,
    ) -> Result<Vec<u8>, Undelivered> {
        let Some((id, msg)) = self.private_initialize(false) else {
            return Err(Undelivered::Upstream(
                "the client never sent initialize to start a session".into(),
            ));
        };
        let waiter = self.core.wait_for(&id);
        let snap = self.snapshot_any().await;
        let Some(legacy) = &snap.legacy else {
            return Err(Undelivered::Upstream(
                "the HTTP+SSE stream is not open".into(),
            ));
        };
        let resp = self.post(&legacy.endpoint, &snap, &msg).await?;
        if !resp.status().is_success() {
            return Err(http_failure(resp).await);
        }
        let Ok(Some(answer)) = tokio::time::timeout(LEGACY_INIT_TIMEOUT, waiter.answer()).await
        else {
            return Err(Undelivered::Upstream(
                "the MCP server did not answer the new initialize".into(),
            ));
        };
        lock(&self.state).epoch += 1;
        self.notify_initialized().await;
        Ok(answer)
    }
}
