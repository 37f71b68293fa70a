//! The daemon's socket protocol and its client.
//!
//! One JSON object per line each way, over a Unix socket in the private
//! runtime directory (mode 700, checked; the socket itself 600; the daemon
//! refuses peers of another uid). Every request carries the protocol version
//! `v`. A daemon that cannot serve a request (another protocol version, or
//! shutting down) answers with the error kind `unavailable`, and the client
//! then does the work in its own process, exactly as when no daemon runs, so
//! an upgrade or a restart never breaks a caller.
//!
//! Requests: `{"v":1,"op":"token","name":"x","min_valid":60}`,
//! `{"v":1,"op":"refresh","name":"x","force":true}`, `{"v":1,"op":"status"}`,
//! `{"v":1,"op":"stop"}`. Answers: `{"v":1,"ok":true,...}` or
//! `{"v":1,"ok":false,"error":{"kind":"needs_login","message":...}}`, from
//! which the client rebuilds the same [`Error`] (and so the same exit code)
//! the daemon saw.
//!
//! Tokens cross the socket, which is its purpose, always inside [`Secret`]
//! (redacted `Debug`); nothing here logs a value.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::error::{Error, Result};
use crate::model::{Credential, Secret, Timestamp};

/// The protocol version this build speaks.
pub const VERSION: u32 = 1;

/// Longest line either side accepts: requests are tiny, and an answer holds
/// at most one credential's metadata and one token.
pub const MAX_LINE: usize = 256 * 1024;

/// A connect to a live daemon's socket is immediate; anything slower means
/// it is wedged, and the caller is better off doing the work itself.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// An access token valid for at least `min_valid` seconds. The daemon
    /// records the use (last used, audit event) unless `record_use` is
    /// false (the bridge audits a whole session once instead).
    Token {
        name: String,
        #[serde(default)]
        min_valid: u64,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        record_use: bool,
    },
    /// Refresh now (`force`), or only when the token is about to expire.
    Refresh {
        name: String,
        #[serde(default)]
        force: bool,
        /// The token a server refused: refresh only if it is still the
        /// stored one (see `Credentials::replace_rejected`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rejected: Option<crate::model::Secret>,
    },
    Status,
    Stop,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Op {
    /// How long the client waits for the answer before doing the work
    /// itself. A token or refresh may wait for the provider; giving up early
    /// is safe because the fallback takes the same per-credential lock and
    /// finds the daemon's result.
    pub fn reply_timeout(&self) -> Duration {
        match self {
            Op::Token { .. } | Op::Refresh { .. } => Duration::from_secs(15),
            Op::Status | Op::Stop => Duration::from_secs(3),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub op: Op,
}

/// An access token as it crosses the socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireToken {
    pub token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The DPoP key a bound token needs beside it (RFC 9449): the socket
    /// is the user's own (0700 runtime dir), like the token itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<Secret>,
}

/// What a refresh did, beside the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireRefresh {
    pub credential: Credential,
    pub performed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// The daemon's own account of itself (`daemon status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DaemonStatus {
    pub pid: u32,
    pub version: String,
    pub protocol: u32,
    pub started_at: Timestamp,
    pub uptime_secs: u64,
    pub socket: String,
    pub log_file: Option<String>,
    /// Every credential in the database.
    pub credentials: usize,
    /// Credentials the daemon keeps valid (renewable, not needing a login,
    /// with an expiry to refresh ahead of).
    pub watched: usize,
    pub needs_login: usize,
    /// Watched credentials whose last refresh failed transiently and that
    /// wait for a retry.
    pub backing_off: usize,
    pub next_refresh: Option<NextRefresh>,
    /// The next planned refreshes, soonest first (a few). Absent from a
    /// daemon older than this field: the dashboard then shows
    /// `next_refresh` alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upcoming: Vec<NextRefresh>,
    pub last_prune: Option<PruneSummary>,
    pub next_prune_at: Option<Timestamp>,
    /// Refreshes the scheduler performed, and the ones that failed.
    pub refreshes: u64,
    pub refresh_failures: u64,
    /// Requests answered on the socket.
    pub requests: u64,
    pub retention_days: u32,
    pub refresh_ahead_secs: u64,
    pub prune_interval_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextRefresh {
    pub name: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PruneSummary {
    pub at: Timestamp,
    pub examined: usize,
    pub deleted: usize,
    pub events_deleted: usize,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub v: u32,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<WireToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<WireRefresh>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Box<DaemonStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

impl Response {
    pub fn ok() -> Response {
        Response {
            v: VERSION,
            ok: true,
            ..Response::default()
        }
    }

    pub fn failed(error: WireError) -> Response {
        Response {
            v: VERSION,
            ok: false,
            error: Some(error),
            ..Response::default()
        }
    }

    /// The answer as a result: the daemon's error becomes the same error
    /// here.
    pub fn into_result(self) -> Result<Response> {
        if self.ok {
            return Ok(self);
        }
        Err(self
            .error
            .map(WireError::into_error)
            .unwrap_or_else(|| Error::Other("the daemon failed without saying why".into())))
    }
}

/// The kind of answer that makes the client do the work itself.
pub const UNAVAILABLE: &str = "unavailable";

/// An [`Error`] as it crosses the socket: its kind with the fields needed to
/// rebuild it, and its message. The JSON is derived from [`WireKind`]
/// (`{"kind":"needs_login","name":...,"reason":...,"login_hint":...,
/// "message":...}`); [`WireError::of`] and [`WireError::into_error`] match
/// every variant without a catch-all, so a new [`Error`] variant does not
/// compile until it has a wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireError {
    #[serde(flatten)]
    pub kind: WireKind,
    pub message: String,
}

/// The kinds of [`WireError`], each with the fields its [`Error`] variant
/// needs beside the message. Fields are optional on the way in, so a daemon
/// that leaves one out still gives an error with its message. A kind this
/// build does not know (a newer daemon) becomes [`WireKind::Other`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireKind {
    Usage,
    Config,
    #[serde(rename = "not_found")]
    CredentialNotFound {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    UnknownProvider {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    SecretNotFound {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    NeedsLogin {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login_hint: Option<String>,
    },
    NotLoggedIn {
        /// The server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Why this process does not log in by itself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    #[serde(rename = "oauth")]
    OAuth {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Seconds the authorization server asked to wait (`Retry-After`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    Protocol {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Network {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Timeout,
    SecretStore,
    Database,
    Interrupted,
    /// The daemon cannot serve the request: the client does the work.
    Unavailable,
    #[serde(other)]
    Other,
}

impl WireKind {
    /// The kind's name on the wire, as serde writes it.
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

/// Compares with a kind's name on the wire (`"usage"`, [`UNAVAILABLE`]).
impl PartialEq<&str> for WireKind {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl WireError {
    pub fn unavailable(message: impl Into<String>) -> WireError {
        WireError {
            kind: WireKind::Unavailable,
            message: message.into(),
        }
    }

    /// A malformed request.
    pub fn usage(message: impl Into<String>) -> WireError {
        WireError {
            kind: WireKind::Usage,
            message: message.into(),
        }
    }

    pub fn of(e: &Error) -> WireError {
        let kind = match e {
            Error::Usage(_) => WireKind::Usage,
            Error::Config(_) => WireKind::Config,
            Error::CredentialNotFound(name) => WireKind::CredentialNotFound {
                name: Some(name.clone()),
            },
            Error::UnknownProvider(name) => WireKind::UnknownProvider {
                name: Some(name.clone()),
            },
            Error::SecretNotFound(name) => WireKind::SecretNotFound {
                name: Some(name.clone()),
            },
            Error::NeedsLogin {
                name,
                reason,
                login_hint,
            } => WireKind::NeedsLogin {
                name: Some(name.clone()),
                reason: Some(reason.clone()),
                login_hint: Some(login_hint.clone()),
            },
            Error::NotLoggedIn { server, note } => WireKind::NotLoggedIn {
                name: Some(server.clone()),
                reason: note.clone(),
            },
            Error::OAuth {
                context,
                error,
                description,
                retry_after,
            } => WireKind::OAuth {
                context: Some(context.clone()),
                error: Some(error.clone()),
                description: description.clone(),
                retry_after: *retry_after,
            },
            Error::Protocol { context, message } => WireKind::Protocol {
                context: Some(context.clone()),
                reason: Some(message.clone()),
            },
            Error::Network { context, message } => WireKind::Network {
                context: Some(context.clone()),
                reason: Some(message.clone()),
            },
            Error::Timeout(_) => WireKind::Timeout,
            Error::SecretStore(_) => WireKind::SecretStore,
            Error::Database(_) => WireKind::Database,
            Error::Interrupted => WireKind::Interrupted,
            // Their message says it all; the exit code is the generic one.
            Error::Io { .. }
            | Error::BrokenPipe
            | Error::Other(_)
            | Error::LoginFailedElsewhere { .. } => WireKind::Other,
        };
        WireError {
            kind,
            message: e.to_string(),
        }
    }

    /// The error the daemon had, rebuilt; unknown kinds (a newer daemon)
    /// keep their message.
    pub fn into_error(self) -> Error {
        let WireError { kind, message } = self;
        let or_msg = |v: Option<String>| v.unwrap_or_else(|| message.clone());
        match kind {
            WireKind::Usage => Error::Usage(message),
            WireKind::Config => Error::Config(message),
            WireKind::CredentialNotFound { name } => Error::CredentialNotFound(or_msg(name)),
            WireKind::UnknownProvider { name } => Error::UnknownProvider(or_msg(name)),
            WireKind::SecretNotFound { name } => Error::SecretNotFound(or_msg(name)),
            WireKind::NeedsLogin {
                name,
                reason,
                login_hint,
            } => Error::NeedsLogin {
                name: or_msg(name),
                reason: or_msg(reason),
                login_hint: login_hint.unwrap_or_default(),
            },
            WireKind::NotLoggedIn { name, reason } => Error::NotLoggedIn {
                server: or_msg(name),
                note: reason,
            },
            WireKind::OAuth {
                context,
                error,
                description,
                retry_after,
            } => Error::OAuth {
                context: context.unwrap_or_default(),
                error: error.unwrap_or_else(|| "unknown_error".into()),
                description,
                retry_after,
            },
            WireKind::Protocol { context, reason } => Error::Protocol {
                context: context.unwrap_or_default(),
                message: or_msg(reason),
            },
            WireKind::Network { context, reason } => Error::Network {
                context: context.unwrap_or_default(),
                message: or_msg(reason),
            },
            WireKind::Timeout => Error::Timeout(message),
            WireKind::SecretStore => Error::SecretStore(message),
            WireKind::Database => Error::Database(
                message
                    .strip_prefix("metadata database: ")
                    .map(str::to_string)
                    .unwrap_or(message),
            ),
            WireKind::Interrupted => Error::Interrupted,
            // `unavailable` is handled before an answer is turned into a
            // result ([`usable`]); here it is one more failure.
            WireKind::Unavailable | WireKind::Other => Error::Other(message),
        }
    }
}

/// Reads one line of at most [`MAX_LINE`] bytes; `None` at end of stream.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let n = reader
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        let why = if buf.len() > MAX_LINE {
            "line too long"
        } else {
            "connection closed in the middle of a line"
        };
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
    }
    buf.pop();
    Ok(Some(buf))
}

/// Writes `value` as one JSON line.
pub async fn write_line<W: AsyncWrite + Unpin, T: Serialize>(
    writer: &mut W,
    value: &T,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

/// True when a peer with this uid may talk to a daemon run by `me`: only
/// the same user. A peer whose uid cannot be learnt is refused.
pub fn peer_allowed(peer_uid: Option<u32>, me: u32) -> bool {
    peer_uid == Some(me)
}

/// Asks the daemon listening on `socket`.
///
/// `Ok(None)` means no daemon could answer (none runs, a stale socket, a
/// wedged or older daemon, one shutting down): the caller does the work
/// itself. `Err` is for what must not be papered over: a socket or socket
/// directory that is not private to this user. An answered request comes
/// back as is, `ok` or not.
pub async fn call(socket: &Path, op: Op) -> Result<Option<Response>> {
    // The common case without a daemon: no socket, no further cost.
    let meta = match std::fs::symlink_metadata(socket) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    check_socket(socket, &meta)?;
    let timeout = op.reply_timeout();
    let request = Request { v: VERSION, op };
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(socket)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            // Refused: the daemon that made the socket is gone.
            tracing::debug!(socket = %socket.display(), error = %e, "no daemon answers; working in this process");
            return Ok(None);
        }
        Err(_) => {
            tracing::warn!(socket = %socket.display(), "the daemon did not accept within 1s; working in this process");
            return Ok(None);
        }
    };
    #[cfg(unix)]
    if let Ok(cred) = stream.peer_cred()
        && !peer_allowed(Some(cred.uid()), crate::paths::current_uid())
    {
        return Err(Error::Config(format!(
            "the process listening on {} runs as uid {}, not as you; refusing to use it",
            socket.display(),
            cred.uid()
        )));
    }
    match tokio::time::timeout(timeout, exchange(stream, &request)).await {
        Ok(answer) => Ok(usable(answer)),
        Err(_) => Ok(timed_out(timeout)),
    }
}

/// [`call`] without an async runtime, for a process that needs nothing
/// else from one (`mcp-auth token` answered by the daemon: one socket
/// round trip, and no runtime to build). Same checks, same answers.
pub fn call_blocking(socket: &Path, op: Op) -> Result<Option<Response>> {
    use std::io::{BufRead, Write};
    let meta = match std::fs::symlink_metadata(socket) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    check_socket(socket, &meta)?;
    let timeout = op.reply_timeout();
    let request = Request { v: VERSION, op };
    let stream = match connect_now(socket) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            tracing::warn!(socket = %socket.display(), "the daemon is not accepting connections; working in this process");
            return Ok(None);
        }
        Err(e) => {
            tracing::debug!(socket = %socket.display(), error = %e, "no daemon answers; working in this process");
            return Ok(None);
        }
    };
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let peer = peer_uid(stream.as_fd());
        if !peer_allowed(peer, crate::paths::current_uid()) {
            return Err(Error::Config(format!(
                "the process listening on {} runs as uid {}, not as you; refusing to use it",
                socket.display(),
                peer.map_or_else(|| "unknown".to_string(), |u| u.to_string())
            )));
        }
    }
    let exchange = || -> std::io::Result<Response> {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let mut line = serde_json::to_vec(&request)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        line.push(b'\n');
        (&stream).write_all(&line)?;
        let mut answer = Vec::new();
        std::io::BufReader::new(std::io::Read::take(&stream, MAX_LINE as u64 + 1))
            .read_until(b'\n', &mut answer)?;
        parse_answer(answer)
    };
    match exchange() {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Ok(timed_out(timeout))
        }
        answer => Ok(usable(answer)),
    }
}

/// Connects without waiting: a live daemon's socket accepts at once (into
/// its backlog), a dead one refuses at once, and a wedged one with a full
/// backlog fails with `WouldBlock` instead of leaving the caller blocked
/// (the async [`call`] gives it [`CONNECT_TIMEOUT`]). The stream returned
/// blocks again, for reads and writes with timeouts.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn connect_now(socket: &Path) -> std::io::Result<std::os::unix::net::UnixStream> {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: sockaddr_un is plain data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let path = socket.as_os_str().as_bytes();
    if path.len() >= addr.sun_path.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "socket path too long",
        ));
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(path) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: a new socket; its descriptor is owned from here on.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a valid descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let stream = std::os::unix::net::UnixStream::from(fd);
    let len = (std::mem::size_of::<libc::sa_family_t>() + path.len() + 1) as libc::socklen_t;
    // SAFETY: addr is a sockaddr_un of at least `len` bytes.
    let rc = unsafe {
        use std::os::fd::AsRawFd;
        libc::connect(
            stream.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// Elsewhere a plain connect (a wedged daemon's full backlog is rare, and
/// the read timeout still bounds the answer).
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn connect_now(socket: &Path) -> std::io::Result<std::os::unix::net::UnixStream> {
    std::os::unix::net::UnixStream::connect(socket)
}

/// The uid of the process at the other end of a Unix socket (what tokio's
/// `peer_cred` asks; std's is not stable yet).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn peer_uid(fd: std::os::fd::BorrowedFd<'_>) -> Option<u32> {
    use std::os::fd::AsRawFd;
    // SAFETY: ucred is plain integers; all zeroes is a valid value.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: SO_PEERCRED fills a ucred of the size given.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(cred.uid)
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn peer_uid(fd: std::os::fd::BorrowedFd<'_>) -> Option<u32> {
    use std::os::fd::AsRawFd;
    let (mut uid, mut gid) = (0, 0);
    // SAFETY: getpeereid fills the two ids it is given.
    let rc = unsafe { libc::getpeereid(fd.as_raw_fd(), &mut uid, &mut gid) };
    (rc == 0).then_some(uid)
}

/// An answer the caller can use, or `None` (then it works in its own
/// process): another protocol version, `unavailable`, an unusable answer.
fn usable(answer: std::io::Result<Response>) -> Option<Response> {
    match answer {
        Ok(resp) if resp.v != VERSION => {
            tracing::debug!(
                theirs = resp.v,
                ours = VERSION,
                "the daemon speaks another protocol version; working in this process"
            );
            None
        }
        Ok(resp) => match &resp.error {
            Some(e) if e.kind == WireKind::Unavailable => {
                tracing::debug!(reason = %e.message, "the daemon cannot serve this; working in this process");
                None
            }
            _ => Some(resp),
        },
        Err(e) => {
            tracing::warn!(error = %e, "the daemon's answer was unusable; working in this process");
            None
        }
    }
}

fn timed_out(timeout: Duration) -> Option<Response> {
    tracing::warn!(
        "the daemon did not answer within {}s; working in this process",
        timeout.as_secs()
    );
    None
}

/// One answer line (with its newline) as a [`Response`].
fn parse_answer(mut line: Vec<u8>) -> std::io::Result<Response> {
    if line.last() != Some(&b'\n') {
        let why = if line.is_empty() {
            "the daemon closed the connection without answering"
        } else if line.len() > MAX_LINE {
            "line too long"
        } else {
            "connection closed in the middle of a line"
        };
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
    }
    line.pop();
    serde_json::from_slice(&line).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a protocol answer ({})", crate::error::json_problem(&e)),
        )
    })
}

async fn exchange(stream: UnixStream, request: &Request) -> std::io::Result<Response> {
    let (read, mut write) = stream.into_split();
    write_line(&mut write, request).await?;
    let mut reader = BufReader::new(read);
    let line = read_line(&mut reader).await?.ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the daemon closed the connection without answering",
        )
    })?;
    serde_json::from_slice(&line).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a protocol answer ({})", crate::error::json_problem(&e)),
        )
    })
}

/// The socket must be this user's, in a directory only this user can use:
/// otherwise someone else could stand in for the daemon.
fn check_socket(socket: &Path, meta: &std::fs::Metadata) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = crate::paths::current_uid();
        if meta.uid() != me {
            return Err(Error::Config(format!(
                "{} belongs to another user (uid {}, expected {me}); refusing to use it",
                socket.display(),
                meta.uid()
            )));
        }
        if let Some(dir) = socket.parent() {
            crate::paths::check_private_dir(dir)?;
        }
    }
    #[cfg(not(unix))]
    let _ = (socket, meta);
    Ok(())
}

/// Parses a request line; the error is what to answer.
pub fn parse_request(line: &[u8]) -> std::result::Result<Request, Box<WireError>> {
    #[derive(Deserialize)]
    struct Versioned {
        v: Option<u32>,
    }
    match serde_json::from_slice::<Versioned>(line) {
        Ok(Versioned { v: Some(VERSION) }) => {}
        Ok(Versioned { v: Some(other) }) => {
            return Err(Box::new(WireError::unavailable(format!(
                "this daemon speaks protocol {VERSION}, not {other}"
            ))));
        }
        Ok(Versioned { v: None }) => {
            return Err(Box::new(WireError::usage(
                "request without a protocol version \"v\"",
            )));
        }
        Err(e) => {
            return Err(Box::new(WireError::usage(format!(
                "not a JSON request ({})",
                crate::error::json_problem(&e)
            ))));
        }
    }
    serde_json::from_slice(line).map_err(|e| {
        Box::new(WireError::usage(format!(
            "unknown or malformed request ({})",
            crate::error::json_problem(&e)
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_the_documented_lines() {
        let r = Request {
            v: 1,
            op: Op::Token {
                name: "x".into(),
                min_valid: 60,
                record_use: true,
            },
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"v":1,"op":"token","name":"x","min_valid":60}"#
        );
        assert_eq!(
            parse_request(br#"{"v":1,"op":"token","name":"x","min_valid":60}"#).unwrap(),
            r
        );
        let quiet = parse_request(br#"{"v":1,"op":"token","name":"x","record_use":false}"#);
        assert!(matches!(
            quiet.unwrap().op,
            Op::Token {
                record_use: false,
                min_valid: 0,
                ..
            }
        ));
        assert_eq!(
            parse_request(br#"{"v":1,"op":"refresh","name":"x"}"#).unwrap(),
            Request {
                v: 1,
                op: Op::Refresh {
                    name: "x".into(),
                    force: false,
                    rejected: None,
                }
            }
        );
        assert_eq!(
            parse_request(br#"{"v":1,"op":"stop"}"#).unwrap().op,
            Op::Stop
        );
    }

    #[test]
    fn bad_requests_get_a_reason_and_other_versions_are_unavailable() {
        assert_eq!(
            parse_request(br#"{"v":2,"op":"token"}"#).unwrap_err().kind,
            UNAVAILABLE
        );
        assert_eq!(
            parse_request(br#"{"op":"status"}"#).unwrap_err().kind,
            "usage"
        );
        assert_eq!(parse_request(b"nonsense").unwrap_err().kind, "usage");
        let e = parse_request(br#"{"v":1,"op":"fly","name":"tok-SECRET"}"#).unwrap_err();
        assert_eq!(e.kind, "usage");
        assert!(!e.message.contains("SECRET"), "{}", e.message);
    }

    #[test]
    fn errors_cross_the_socket_with_their_exit_codes() {
        let cases = [
            Error::CredentialNotFound("gh".into()),
            Error::NeedsLogin {
                name: "gh".into(),
                reason: "invalid_grant".into(),
                login_hint: "github --name gh".into(),
            },
            Error::OAuth {
                context: "the refresh failed".into(),
                error: "temporarily_unavailable".into(),
                description: Some("later".into()),
                retry_after: Some(30),
            },
            Error::Network {
                context: "c".into(),
                message: "could not connect".into(),
            },
            Error::Protocol {
                context: "c".into(),
                message: "m".into(),
            },
            Error::Timeout("slow".into()),
            Error::SecretStore("locked".into()),
            Error::Database("busy".into()),
            Error::Usage("bad".into()),
            Error::Config("cfg".into()),
            Error::Other("x".into()),
        ];
        for e in cases {
            let wire: WireError =
                serde_json::from_str(&serde_json::to_string(&WireError::of(&e)).unwrap()).unwrap();
            let back = wire.into_error();
            assert_eq!(back.to_string(), e.to_string());
            assert_eq!(back.exit_code(), e.exit_code(), "{e}");
            assert_eq!(back.is_transient(), e.is_transient(), "{e}");
        }
    }

    #[test]
    fn error_lines_keep_their_wire_form() {
        let e = Error::NeedsLogin {
            name: "github".into(),
            reason: "invalid_grant".into(),
            login_hint: "github".into(),
        };
        let line: serde_json::Value = serde_json::to_value(WireError::of(&e)).unwrap();
        assert_eq!(
            line,
            serde_json::json!({
                "kind": "needs_login",
                "message": e.to_string(),
                "name": "github",
                "reason": "invalid_grant",
                "login_hint": "github",
            })
        );
        // What older and newer daemons send.
        let oauth: WireError = serde_json::from_str(
            r#"{"kind":"oauth","message":"m","context":"the refresh failed","error":"server_error","description":"try later"}"#,
        )
        .unwrap();
        assert!(oauth.into_error().is_transient());
        let future: WireError =
            serde_json::from_str(r#"{"kind":"from_the_future","message":"?"}"#).unwrap();
        assert_eq!(future.kind, WireKind::Other);
        assert_eq!(future.into_error().to_string(), "?");
        let bare: WireError =
            serde_json::from_str(r#"{"kind":"not_found","message":"gh"}"#).unwrap();
        assert_eq!(
            bare.into_error().to_string(),
            Error::CredentialNotFound("gh".into()).to_string()
        );
        assert_eq!(WireError::unavailable("x").kind, UNAVAILABLE);
    }

    #[test]
    fn answers_never_show_tokens_in_debug() {
        let r = Response {
            token: Some(WireToken {
                token: Secret::new("at-SECRET"),
                expires_at: Some(5),
                dpop_key: Some(Secret::new("key-SECRET")),
            }),
            ..Response::ok()
        };
        assert!(!format!("{r:?}").contains("SECRET"));
        let line = serde_json::to_string(&r).unwrap();
        assert!(line.contains("at-SECRET"), "the socket carries the value");
    }

    #[test]
    fn only_the_same_user_may_connect() {
        assert!(peer_allowed(Some(1000), 1000));
        assert!(!peer_allowed(Some(0), 1000));
        assert!(!peer_allowed(Some(1001), 1000));
        assert!(!peer_allowed(None, 1000));
    }

    #[tokio::test]
    async fn lines_are_bounded() {
        let long = vec![b'x'; MAX_LINE + 10];
        let mut r = BufReader::new(&long[..]);
        assert!(read_line(&mut r).await.is_err());
        let mut r = BufReader::new(&b"{\"a\":1}\nrest"[..]);
        assert_eq!(read_line(&mut r).await.unwrap().unwrap(), b"{\"a\":1}");
        assert!(read_line(&mut r).await.is_err(), "half a line");
        let mut r = BufReader::new(&b""[..]);
        assert!(read_line(&mut r).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_missing_or_stale_socket_means_no_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        crate::paths::ensure_private_dir(&run).unwrap();
        let sock = run.join("daemon.sock");
        assert!(call(&sock, Op::Status).await.unwrap().is_none());
        // A socket file nobody listens on, as a killed daemon leaves it.
        drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
        assert!(sock.exists());
        assert!(call(&sock, Op::Status).await.unwrap().is_none());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_socket_in_a_loose_directory_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        crate::paths::ensure_private_dir(&run).unwrap();
        let sock = run.join("daemon.sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = call(&sock, Op::Status).await.unwrap_err();
        assert!(
            e.to_string()
                .contains("has incorrect permissions (expected 700, got 755)"),
            "{e}"
        );
    }
}
