//! Server-sent events over a reqwest response, with the reconnection state
//! (last event id, `retry`) that resumption needs.
//!
//! Parsing (chunk-split events, CRLF, multi-line data) is `sse-stream`'s;
//! this module only remembers what a reconnect must send back.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sse_stream::{Sse, SseByteStream};

/// Wait before reconnecting when the server never sent `retry:`.
pub const DEFAULT_RETRY: Duration = Duration::from_millis(1000);

/// Bounds on a server's `retry:` so a hostile or buggy value neither spins
/// the bridge nor stalls a request for hours.
pub const MIN_RETRY: Duration = Duration::from_millis(10);
pub const MAX_RETRY: Duration = Duration::from_secs(60);

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The largest event (the bytes between two events) when none is set: a
/// server cannot make the bridge buffer one endless `data:` line.
pub const DEFAULT_MAX_EVENT: usize = 64 * 1024 * 1024;

/// Bytes received since the last event, shared by the byte stream (which
/// stops when they pass the limit) and the parser (which resets them).
#[derive(Debug)]
struct Budget {
    since_event: AtomicUsize,
    limit: AtomicUsize,
    exceeded: AtomicBool,
}

/// One SSE stream and what it has taught about resuming.
pub struct Events {
    inner: SseByteStream<ByteStream>,
    budget: Arc<Budget>,
    /// The id of the last event that carried one (`Last-Event-ID` on reconnect).
    pub last_event_id: Option<String>,
    /// The server's latest `retry:`.
    pub retry: Duration,
}

/// What [`Events::next`] yields.
pub enum Item {
    /// The data of an event that carries a JSON-RPC message.
    Message(String),
    /// The stream ended (cleanly or not); `error` says why if it broke.
    End { error: Option<String> },
}

impl Events {
    pub fn new(resp: reqwest::Response) -> Events {
        Events::with_state(resp, None, DEFAULT_RETRY)
    }

    /// A reconnected stream that keeps the earlier stream's resumption state.
    pub fn with_state(resp: reqwest::Response, last: Option<String>, retry: Duration) -> Events {
        Events::from_bytes(resp.bytes_stream(), last, retry)
    }

    /// The same parsing over any byte stream: what [`Events::with_state`]
    /// does with a response's body. Public so the SSE fuzz target feeds the
    /// bridge's real event handling with arbitrary, arbitrarily split bytes.
    pub fn from_bytes(
        bytes: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
        last: Option<String>,
        retry: Duration,
    ) -> Events {
        let budget = Arc::new(Budget {
            since_event: AtomicUsize::new(0),
            limit: AtomicUsize::new(DEFAULT_MAX_EVENT),
            exceeded: AtomicBool::new(false),
        });
        let counting = budget.clone();
        let bytes = bytes.take_while(move |chunk| {
            let within = match chunk {
                Ok(b) => {
                    let seen = counting.since_event.fetch_add(b.len(), Ordering::Relaxed) + b.len();
                    seen <= counting.limit.load(Ordering::Relaxed)
                }
                Err(_) => true,
            };
            if !within {
                counting.exceeded.store(true, Ordering::Relaxed);
            }
            std::future::ready(within)
        });
        let bytes: ByteStream = Box::pin(bytes);
        Events {
            inner: SseByteStream::new(bytes),
            budget,
            last_event_id: last,
            retry,
        }
    }

    /// Sets the largest event (in bytes) read before the stream is ended
    /// with an error.
    pub fn limit(self, max: usize) -> Events {
        self.budget.limit.store(max, Ordering::Relaxed);
        self
    }

    /// Was the stream cut for an event larger than the limit?
    pub fn too_large(&self) -> bool {
        self.budget.exceeded.load(Ordering::Relaxed)
    }

    /// The end of the stream, saying so when it was cut for a too-large event.
    fn end(&self, error: Option<String>) -> Item {
        if self.too_large() {
            return Item::End {
                error: Some(format!(
                    "the MCP server sent an event larger than {} (max_reply)",
                    crate::fs_space::human_bytes(self.budget.limit.load(Ordering::Relaxed) as u64)
                )),
            };
        }
        Item::End { error }
    }

    /// The next message, skipping metadata-only blocks (priming events,
    /// `retry`-only blocks, comments) and events of other types.
    pub async fn next(&mut self) -> Item {
        loop {
            match self.inner.next().await {
                None => return self.end(None),
                Some(Err(e)) => return self.end(Some(e.to_string())),
                Some(Ok(ev)) => {
                    self.budget.since_event.store(0, Ordering::Relaxed);
                    if let Some(data) = self.absorb(ev) {
                        return Item::Message(data);
                    }
                }
            }
        }
    }

    /// The first `endpoint` event's data (the legacy HTTP+SSE transport's
    /// POST address), or the stream's end.
    pub async fn endpoint(&mut self) -> Result<String, String> {
        loop {
            match self.inner.next().await {
                None | Some(Err(_)) if self.budget.exceeded.load(Ordering::Relaxed) => {
                    return Err("the server sent an event larger than max_reply".into());
                }
                None => return Err("the stream ended before the endpoint event".into()),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(ev)) => {
                    self.budget.since_event.store(0, Ordering::Relaxed);
                    if ev.event.as_deref() == Some("endpoint") {
                        if let Some(data) = ev.data.filter(|d| !d.trim().is_empty()) {
                            return Ok(data.trim().to_string());
                        }
                    } else {
                        let _ = self.absorb(ev);
                    }
                }
            }
        }
    }

    fn absorb(&mut self, ev: Sse) -> Option<String> {
        if let Some(ms) = ev.retry {
            self.retry = Duration::from_millis(ms).clamp(MIN_RETRY, MAX_RETRY);
        }
        if let Some(id) = ev.id {
            self.last_event_id = Some(id);
        }
        match ev.event.as_deref() {
            None | Some("message") | Some("") => {}
            Some(other) => {
                tracing::debug!(event = other, "ignoring an SSE event of another type");
                return None;
            }
        }
        ev.data.filter(|d| !d.trim().is_empty())
    }
}
