//! The bridge: newline-delimited JSON-RPC on stdio, Streamable HTTP (or
//! HTTP+SSE) to the server, the bearer attached.
//!
//! One loop reads lines from the stdin thread and starts one task per
//! message, so a slow `tools/call` never holds up a `ping` or a
//! cancellation, and replies go out in whatever order they come back. The
//! loop ends at stdin EOF, SIGTERM, SIGINT, or when stdout closes; then the
//! session is DELETEd and the process exits 0 within a second.
//!
//! Invariants: stdout carries only JSON-RPC (everything goes through
//! [`Output`]); a line that cannot be read is answered with a JSON-RPC
//! error and the bridge keeps going; nothing the client sends can panic it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use super::authorizer::Authorizer;
use super::jsonrpc::{self, INVALID_REQUEST, Kind, PARSE_ERROR, Peeked};
use super::stdio::{self, Input, Output};
use super::transport::{self, Outgoing, Upstream};
use crate::error::Result;
use crate::signals::Signals;

/// After stdin closes, requests still in flight get this long to finish
/// (a client that pipes a request and closes stdin still gets its answer);
/// the DELETE and the audit fit in the rest of the second.
const EOF_GRACE: Duration = Duration::from_millis(400);
const AUDIT_TIMEOUT: Duration = Duration::from_millis(200);
const FLUSH_TIMEOUT: Duration = Duration::from_millis(100);

/// Why the bridge ended: the client closed stdin or stdout, or a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Eof,
    Signal,
    StdoutClosed,
}

/// Runs the bridge on this process's stdin and stdout until the client
/// goes away.
pub async fn run(cfg: transport::TransportConfig, auth: Arc<dyn Authorizer>) -> Result<Ended> {
    let (out, closed) = Output::async_stdout().unwrap_or_else(|| Output::spawn(std::io::stdout()));
    let input = stdio::async_stdin().unwrap_or_else(|| stdio::spawn_reader(std::io::stdin()));
    serve(cfg, auth, input, out, closed).await
}

/// The bridge over any line source and [`Output`] (the reader and writer
/// threads of [`run`], or a test's own).
pub async fn serve(
    cfg: transport::TransportConfig,
    auth: Arc<dyn Authorizer>,
    mut input: tokio::sync::mpsc::Receiver<Input>,
    out: Output,
    mut closed: tokio::sync::oneshot::Receiver<()>,
) -> Result<Ended> {
    let upstream = Upstream::new(cfg, auth, out.clone())?;
    // Look the bearer up while the client is still writing its first line.
    {
        let up = upstream.clone();
        tokio::spawn(async move {
            let _ = up.prepare_auth().await;
        });
    }
    let inflight = Arc::new(InFlight::default());
    let mut signals = Signals::new()?;
    let ended = loop {
        tokio::select! {
            biased;
            _ = signals.next() => break Ended::Signal,
            _ = &mut closed => break Ended::StdoutClosed,
            next = input.recv() => match next {
                Some(Input::Lines(lines)) => {
                    for line in lines {
                        dispatch(&upstream, &out, &inflight, line);
                    }
                }
                Some(Input::TooLong) => out.send(jsonrpc::error_response(
                    None,
                    PARSE_ERROR,
                    &format!("Parse error: message longer than {} bytes", stdio::MAX_LINE),
                    None,
                )),
                Some(Input::Eof) | None => break Ended::Eof,
            },
        }
    };
    tracing::debug!(reason = ?ended, "bridge stopping");
    if ended == Ended::Eof {
        let _ = tokio::time::timeout(EOF_GRACE, inflight.idle()).await;
    }
    upstream.close().await;
    let _ = tokio::time::timeout(AUDIT_TIMEOUT, upstream.finish()).await;
    let _ = tokio::time::timeout(FLUSH_TIMEOUT, out.flush()).await;
    Ok(ended)
}

/// A bridge that sends nothing upstream: every request is answered with a
/// JSON-RPC error carrying `message` (a credential or secret that may not
/// go to the server's origin, [`crate::origins`]), so the MCP client shows
/// why and what to run instead of a server that never answers.
pub async fn refuse(message: String) -> Result<Ended> {
    let (out, mut closed) =
        Output::async_stdout().unwrap_or_else(|| Output::spawn(std::io::stdout()));
    let mut input = stdio::async_stdin().unwrap_or_else(|| stdio::spawn_reader(std::io::stdin()));
    let mut signals = Signals::new()?;
    let ended = loop {
        tokio::select! {
            biased;
            _ = signals.next() => break Ended::Signal,
            _ = &mut closed => break Ended::StdoutClosed,
            next = input.recv() => match next {
                Some(Input::Lines(lines)) => {
                    for line in lines {
                        match classify(&line) {
                            LineAction::Skip => {}
                            LineAction::Reply(error) => out.send(error),
                            LineAction::Forward(c) => {
                                for id in &c.expect {
                                    out.send(jsonrpc::error_response(
                                        Some(id),
                                        jsonrpc::FORBIDDEN,
                                        &message,
                                        None,
                                    ));
                                }
                            }
                        }
                    }
                }
                Some(Input::TooLong) => out.send(jsonrpc::error_response(
                    None,
                    PARSE_ERROR,
                    &format!("Parse error: message longer than {} bytes", stdio::MAX_LINE),
                    None,
                )),
                Some(Input::Eof) | None => break Ended::Eof,
            },
        }
    };
    let _ = tokio::time::timeout(FLUSH_TIMEOUT, out.flush()).await;
    Ok(ended)
}

/// What the bridge does with one line from stdin, decided from the line
/// alone (no I/O), so the stdin fuzz target can drive it.
#[derive(Debug)]
pub enum LineAction {
    /// Blank: nothing to do.
    Skip,
    /// Unreadable: answer the client with this JSON-RPC error, send nothing.
    Reply(Vec<u8>),
    /// Forward the line upstream.
    Forward(Classified),
}

/// What [`classify`] read of a line that is forwarded.
#[derive(Debug, Default)]
pub struct Classified {
    /// The method of a single request or notification.
    pub method: Option<String>,
    /// The 2026-07-28 `Mcp-Name` target.
    pub name: Option<String>,
    /// The protocol version and raw `_meta` of a message whose `_meta`
    /// names one (a 2026-era client).
    pub meta: Option<(String, String)>,
    /// Ids (raw JSON text) of the requests whose responses are awaited.
    pub expect: Vec<String>,
    /// An `initialize` request: its params (raw JSON) and id (raw JSON).
    pub initialize: Option<(Option<String>, Option<String>)>,
    /// A `notifications/initialized`.
    pub initialized: bool,
}

/// Reads what is needed of one line: the error to answer with, or what to
/// forward it as.
pub fn classify(line: &[u8]) -> LineAction {
    if line.iter().all(u8::is_ascii_whitespace) {
        return LineAction::Skip;
    }
    let peeked = match jsonrpc::peek(line) {
        Ok(p) => p,
        Err(e) => {
            // Valid JSON of the wrong shape (a numeric `method`, a bare
            // string) is an invalid request, not a parse error.
            let (code, what) = if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
                (INVALID_REQUEST, "Invalid Request")
            } else {
                (PARSE_ERROR, "Parse error")
            };
            return LineAction::Reply(jsonrpc::error_response(
                None,
                code,
                &format!("{what}: {e}"),
                None,
            ));
        }
    };
    let mut c = Classified::default();
    match &peeked {
        Peeked::One(p) => {
            let kind = p.kind();
            if kind == Kind::Invalid {
                return LineAction::Reply(jsonrpc::error_response(
                    p.id_text(),
                    INVALID_REQUEST,
                    "Invalid Request: a JSON-RPC message needs a method (request, notification) or an id (response)",
                    None,
                ));
            }
            if let Some(method) = p.method.as_deref() {
                c.name = jsonrpc::target_name(method, p.params);
                if p.params.is_some() {
                    c.meta = transport::meta_of(line);
                }
                c.method = Some(method.to_string());
                if kind == Kind::Request && method == "initialize" {
                    c.initialize = Some((
                        p.params.map(|r| r.get().to_string()),
                        p.id_text().map(str::to_string),
                    ));
                }
                c.initialized = method == "notifications/initialized";
            }
            if kind == Kind::Request
                && let Some(id) = p.id_text()
            {
                c.expect.push(id.to_string());
            }
        }
        Peeked::Batch(all) => {
            if all.is_empty() {
                return LineAction::Reply(jsonrpc::error_response(
                    None,
                    INVALID_REQUEST,
                    "Invalid Request: empty batch",
                    None,
                ));
            }
            c.expect = all
                .iter()
                .filter(|p| p.kind() == Kind::Request)
                .filter_map(|p| p.id_text().map(str::to_string))
                .collect();
        }
    }
    LineAction::Forward(c)
}

/// Reads what is needed of one line and starts its delivery.
fn dispatch(up: &Arc<Upstream>, out: &Output, inflight: &Arc<InFlight>, line: Vec<u8>) {
    let c = match classify(&line) {
        LineAction::Skip => return,
        LineAction::Reply(error) => {
            out.send(error);
            return;
        }
        LineAction::Forward(c) => c,
    };
    let is_initialize = c.initialize.is_some();
    if let Some((params, id)) = &c.initialize {
        up.remember_initialize(params.as_deref(), id.as_deref());
    }
    let initialized = c.initialized;
    let mut msg = Outgoing {
        body: Bytes::from(line),
        method: c.method,
        name: c.name,
        expect: c.expect,
        is_initialize,
        meta_version: c.meta.as_ref().map(|(v, _)| v.clone()),
        meta: c.meta.map(|(_, m)| m),
        hold: None,
        activity: None,
    };
    let hold = (msg.is_initialize || initialized).then(|| up.hold_gate(msg.is_initialize));
    msg.hold = hold.clone();
    let up = up.clone();
    let busy = inflight.enter();
    tokio::spawn(async move {
        let _busy = busy;
        up.clone().deliver(msg).await;
        if initialized {
            up.client_initialized();
        }
        if let Some(hold) = hold {
            hold.release();
        }
    });
}

/// Counts deliveries in flight, so stdin EOF can wait for them briefly.
#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

struct Busy(Arc<InFlight>);

impl InFlight {
    fn enter(self: &Arc<Self>) -> Busy {
        self.count.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
