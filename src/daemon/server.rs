//! The socket server: answers [`crate::ipc`] requests from processes of the
//! same user, one task per connection, any number of requests per
//! connection.
//!
//! A token handed out is recorded as used (last used, audit event) here,
//! once the answer has been written, so a caller that gave up waiting and
//! did the work itself is not counted twice.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::state::DaemonState;
use super::{GRACE, stopping};
use crate::credentials::{Credentials, validate_name};
use crate::error::{Error, Result};
use crate::ipc::{self, Op, Response, WireError, WireRefresh, WireToken};

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 256;

/// A connection with no request for this long is closed.
const IDLE: Duration = Duration::from_secs(60);

/// Longest socket path the platform's `sockaddr_un` holds, with margin.
const MAX_SOCKET_PATH: usize = 100;

/// Binds the socket, replacing a stale one. The caller holds the daemon's
/// instance lock, so a socket that exists belongs to a daemon that died.
pub(super) fn bind(path: &Path) -> Result<UnixListener> {
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(Error::Config(format!(
            "the socket path {} is {len} bytes long, more than Unix sockets allow ({MAX_SOCKET_PATH}); \
             use a shorter MCP_AUTH_HOME or XDG_RUNTIME_DIR",
            path.display()
        )));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::info!(socket = %path.display(), "replaced the stale socket of a daemon that did not stop cleanly")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("cannot remove {}", path.display()), e)),
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| Error::io(format!("cannot listen on {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("cannot restrict {}", path.display()), e))?;
    }
    Ok(listener)
}

pub(super) async fn serve(listener: UnixListener, creds: Credentials, state: Arc<DaemonState>) {
    let mut shutdown = state.shutdown.subscribe();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (creds, state) = (creds.clone(), state.clone());
                    connections.spawn(async move {
                        let _permit = permit;
                        connection(stream, creds, state).await;
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = stopping(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, drain).await.is_err() {
        connections.abort_all();
    }
}

async fn connection(stream: UnixStream, creds: Credentials, state: Arc<DaemonState>) {
    let peer = stream.peer_cred().ok();
    let uid = peer.map(|c| c.uid());
    if !ipc::peer_allowed(uid, crate::paths::current_uid()) {
        tracing::warn!(peer_uid = ?uid, "refused a connection from another user");
        return;
    }
    // Who asks, for the audit log of every token handed out.
    let by = requester(peer.and_then(|c| c.pid()));
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut shutdown = state.shutdown.subscribe();
    loop {
        let line = tokio::select! {
            r = tokio::time::timeout(IDLE, ipc::read_line(&mut reader)) => r,
            _ = stopping(&mut shutdown) => return,
        };
        let line = match line {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) | Err(_) => return,
            Ok(Err(e)) => {
                let _ = ipc::write_line(
                    &mut write,
                    &Response::failed(WireError::usage(e.to_string())),
                )
                .await;
                return;
            }
        };
        state.requests.fetch_add(1, Ordering::Relaxed);
        let request = match ipc::parse_request(&line) {
            Ok(r) => r,
            Err(e) => {
                if ipc::write_line(&mut write, &Response::failed(*e))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
        };
        let stop = request.op == Op::Stop;
        let (response, used) = answer(&creds, &state, request.op).await;
        if ipc::write_line(&mut write, &response).await.is_err() {
            return;
        }
        if let Some((name, expires_at)) = used
            && let Err(e) = creds
                .record_use(
                    &name,
                    &crate::credentials::use_detail(&by, expires_at, crate::model::now()),
                )
                .await
        {
            tracing::warn!(credential = %name, error = %e, "cannot record the use of a token");
        }
        if stop {
            tracing::info!("stop requested over the socket");
            state.stop();
            return;
        }
    }
}

/// "the daemon to pid N (EXECUTABLE)": the process on the other end of the
/// socket, from the kernel's peer credentials (not from anything the peer
/// says). The executable is read from /proc where there is one, and made
/// printable: a program's path is chosen by whoever installed it.
fn requester(pid: Option<i32>) -> String {
    let Some(pid) = pid else {
        return "the daemon to an unknown process".to_string();
    };
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| crate::text::printable(&p.to_string_lossy(), 300))
        .unwrap_or_else(|_| "executable unknown".to_string());
    format!("the daemon to pid {pid} ({exe})")
}

/// The answer to one request, and the credential whose token it hands out.
async fn answer(
    creds: &Credentials,
    state: &DaemonState,
    op: Op,
) -> (Response, Option<(String, Option<crate::model::Timestamp>)>) {
    if *state.shutdown.borrow() {
        return (
            Response::failed(WireError::unavailable("the daemon is stopping")),
            None,
        );
    }
    match op {
        Op::Token {
            name,
            min_valid,
            record_use,
        } => {
            let result = match validate_name(&name) {
                Ok(()) => {
                    creds
                        .local_token(&name, Duration::from_secs(min_valid))
                        .await
                }
                Err(e) => Err(e),
            };
            state.mark_rows_changed();
            match result {
                Ok(t) => (
                    Response {
                        token: Some(WireToken {
                            token: t.token,
                            expires_at: t.expires_at,
                            dpop_key: t.dpop_key,
                        }),
                        ..Response::ok()
                    },
                    record_use.then_some((name, t.expires_at)),
                ),
                Err(e) => (Response::failed(WireError::of(&e)), None),
            }
        }
        Op::Refresh {
            name,
            force,
            rejected,
        } => {
            let result = match (validate_name(&name), rejected) {
                (Err(e), _) => Err(e),
                (Ok(()), Some(r)) => creds.replace_rejected(&name, &r).await,
                (Ok(()), None) => creds.refresh(&name, force).await,
            };
            state.mark_rows_changed();
            match result {
                Ok(r) => (
                    Response {
                        token: Some(WireToken {
                            token: r.token.token,
                            expires_at: r.token.expires_at,
                            dpop_key: r.token.dpop_key,
                        }),
                        refresh: Some(WireRefresh {
                            credential: r.credential,
                            performed: r.performed,
                            failure: r.failure,
                        }),
                        ..Response::ok()
                    },
                    None,
                ),
                Err(e) => (Response::failed(WireError::of(&e)), None),
            }
        }
        Op::Status => (
            Response {
                status: Some(Box::new(state.status())),
                ..Response::ok()
            },
            None,
        ),
        Op::Stop => (Response::ok(), None),
    }
}
