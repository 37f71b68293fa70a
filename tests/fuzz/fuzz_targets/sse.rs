//! Server-sent events as the bridge reads them: `sse::Events` over a byte
//! stream (the `sse-stream` parser plus the bridge's `retry:`, `id:` and
//! event-type handling), fed whole and in arbitrary chunks.
//!
//! Input: one byte that seeds the chunking, then the stream's bytes.
#![no_main]

use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use libfuzzer_sys::fuzz_target;
use mcp_auth::mcp::sse::{DEFAULT_RETRY, Events, Item, MAX_RETRY, MIN_RETRY};

#[derive(Debug, PartialEq)]
struct Seen {
    messages: Vec<String>,
    error: Option<String>,
    last_event_id: Option<String>,
    retry: Duration,
}

/// Runs the stream to its end. The chunks are all ready at once, so every
/// poll completes immediately; `now_or_never` turning up `None` would mean
/// the parser waits for input that is already there.
fn read(chunks: Vec<Bytes>) -> Seen {
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, reqwest::Error>));
    let mut events = Events::from_bytes(stream, None, DEFAULT_RETRY);
    let mut messages = Vec::new();
    let error = loop {
        match events
            .next()
            .now_or_never()
            .expect("ready input never pends")
        {
            Item::Message(m) => {
                assert!(!m.trim().is_empty(), "blank data is not a message");
                messages.push(m);
            }
            Item::End { error } => break error,
        }
    };
    Seen {
        messages,
        error,
        last_event_id: events.last_event_id.clone(),
        retry: events.retry,
    }
}

fn endpoint(chunks: Vec<Bytes>) -> Result<String, String> {
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, reqwest::Error>));
    let mut events = Events::from_bytes(stream, None, DEFAULT_RETRY);
    events
        .endpoint()
        .now_or_never()
        .expect("ready input never pends")
}

/// Cuts `data` into chunks of 1..=8 bytes chosen by a tiny LCG.
fn split(data: &[u8], seed: u8) -> Vec<Bytes> {
    let mut state = u32::from(seed) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((state >> 16) as usize % 8 + 1).min(rest.len());
        out.push(Bytes::copy_from_slice(&rest[..n]));
        rest = &rest[n..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = read(vec![Bytes::copy_from_slice(body)]);
    assert!(
        whole.retry == DEFAULT_RETRY || (MIN_RETRY..=MAX_RETRY).contains(&whole.retry),
        "retry is clamped: {:?}",
        whole.retry
    );
    // Where the network cuts the stream must not change what it means.
    let chunked = read(split(body, seed));
    assert_eq!(whole, chunked, "chunking changed the events");

    if let Ok(e) = endpoint(split(body, seed)) {
        assert!(!e.is_empty() && e.trim() == e);
    }
});
