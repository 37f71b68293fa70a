//! Server-sent events over a reqwest response, with the reconnection state
//! (last event id, `retry`) that resumption needs.
//!
//! Parsing (chunk-split events, CRLF, multi-line data) is `sse-stream`'s;
//! this module only remembers what a reconnect must send back.

use std::pin::Pin;
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

/// One SSE stream and what it has taught about resuming.
pub struct Events {
    inner: SseByteStream<ByteStream>,
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
        let bytes: ByteStream = Box::pin(bytes);
        Events {
            inner: SseByteStream::new(bytes),
            last_event_id: last,
            retry,
        }
    }

    /// The next message, skipping metadata-only blocks (priming events,
    /// `retry`-only blocks, comments) and events of other types.
    pub async fn next(&mut self) -> Item {
        loop {
            match self.inner.next().await {
                None => return Item::End { error: None },
                Some(Err(e)) => {
                    return Item::End {
                        error: Some(e.to_string()),
                    };
                }
                Some(Ok(ev)) => {
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
                None => return Err("the stream ended before the endpoint event".into()),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(ev)) => {
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
