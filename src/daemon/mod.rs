//! The daemon: one long-running process per user that keeps every
//! credential usable and is the only one that refreshes while it runs.
//!
//! Three tasks share one [`Credentials`] (in-process, with tokens kept in
//! memory) and one [`DaemonState`]
//! ([`state`]):
//!
//! - the scheduler ([`scheduler`]) refreshes each watched credential ahead of
//!   its stored expiry, retries transient failures with backoff and leaves
//!   credentials that need a login alone;
//! - the pruner ([`pruner`]) deletes long-dead credentials and old audit
//!   events at start and every `prune_interval`;
//! - the server ([`server`]) answers the [`crate::ipc`] protocol on the
//!   socket.
//!
//! Changes made by other processes (a login, a revoke, a config edit) are
//! noticed on the next wake, at most [`TICK`] later, without a restart.
//! SIGTERM, SIGINT or a `stop` request end it: no new work starts, work in
//! flight gets [`GRACE`] to finish, and whatever is abandoned loses nothing
//! because `credentials` stores a new token set before it drops the old one.

pub mod instance;
pub mod plan;
mod pruner;
mod scheduler;
mod server;
pub mod service;
pub mod spawn;
mod state;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::Result;
use crate::paths::{self, Paths};
use crate::signals::Signals;

use instance::Instance;
use state::DaemonState;

/// The longest the daemon sleeps between looks at the clock, the database
/// and the config. Timers stop while a laptop sleeps; this bounds how late
/// after waking a due refresh can be, and how soon a login or revoke by the
/// CLI is seen.
pub const TICK: Duration = Duration::from_secs(5);

/// How long work in flight may take to finish at shutdown.
pub const GRACE: Duration = Duration::from_secs(20);

/// What the daemon needs from the command that starts it.
pub struct Options {
    pub paths: Paths,
    pub config: Config,
    /// The process's credentials; the daemon's own instance is built from
    /// them ([`Credentials::in_process`], with memory).
    pub credentials: Credentials,
    /// Where logs go, for `status`; `None` is stderr.
    pub log_file: Option<PathBuf>,
}

/// The settings the daemon re-reads when config.toml changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub refresh_ahead: Duration,
    pub retention_days: u32,
    pub prune_interval: Duration,
}

impl Settings {
    pub fn of(c: &Config) -> Settings {
        Settings {
            refresh_ahead: c.refresh_ahead,
            retention_days: c.retention_days,
            // Zero would prune in a busy loop.
            prune_interval: c.prune_interval.max(Duration::from_secs(1)),
        }
    }
}

/// Runs the daemon until it is told to stop. Refuses to start while another
/// daemon runs or when the runtime directory is not private.
pub async fn run(opts: Options) -> Result<()> {
    let Options {
        paths,
        config,
        credentials,
        log_file,
    } = opts;
    // Storage opens before anything starts: a daemon that cannot reach it
    // says so at once.
    let secret_store = credentials.describe_secret_store()?;
    paths::check_private_dir(&paths.runtime_dir)?;
    let instance = Instance::acquire(&paths)?;
    let listener = server::bind(&paths.socket())?;
    let state = std::sync::Arc::new(DaemonState::new(
        paths.socket(),
        log_file,
        Settings::of(&config),
    ));
    let creds = credentials.in_process().with_memory();
    tracing::info!(
        pid = std::process::id(),
        socket = %paths.socket().display(),
        pid_file = %instance.path().display(),
        secret_store = %secret_store,
        "daemon started"
    );

    let mut signals = Signals::new()?;
    let server = tokio::spawn(server::serve(listener, creds.clone(), state.clone()));
    let scheduler = tokio::spawn(scheduler::run(
        creds.clone(),
        state.clone(),
        paths.config_file(),
    ));
    let pruner = tokio::spawn(pruner::run(creds.clone(), state.clone()));
    supervise(
        &paths,
        &state,
        &mut signals,
        [
            ("server", server),
            ("scheduler", scheduler),
            ("pruner", pruner),
        ],
    )
    .await;
    drop(instance);
    tracing::info!("daemon stopped");
    Ok(())
}

/// Waits for a reason to stop, then stops the tasks and waits for them.
async fn supervise(
    paths: &Paths,
    state: &DaemonState,
    signals: &mut Signals,
    tasks: [(&str, tokio::task::JoinHandle<()>); 3],
) {
    let mut stopped = state.shutdown.subscribe();
    let why = tokio::select! {
        s = signals.next() => s,
        _ = stopping(&mut stopped) => "a stop request",
    };
    tracing::info!(reason = why, "daemon stopping");
    state.stop();
    // The socket goes first so that callers fall back at once.
    let _ = std::fs::remove_file(paths.socket());
    for (name, task) in tasks {
        if let Err(e) = task.await {
            tracing::error!(task = name, error = %e, "daemon task failed");
        }
    }
}

/// Resolves once the daemon is asked to stop. (The guard `wait_for` returns
/// is dropped here, so the futures that wait stay `Send`.)
async fn stopping(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await.map(|_| ());
}

/// Wall-clock milliseconds since the epoch: due times are absolute.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Sleeps until `at_ms` on the wall clock, but never longer than [`TICK`],
/// so a clock change or a suspend is noticed soon.
async fn sleep_until_ms(at_ms: i64) {
    let wait = (at_ms - now_ms()).clamp(0, TICK.as_millis() as i64);
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
}

/// Locks a std mutex; the values behind these locks stay consistent even if
/// a holder panicked.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
