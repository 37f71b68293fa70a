//! One login per credential at a time, across processes.
//!
//! MCP hosts start their servers in parallel, so several bridges (and
//! `mcp-auth token`, and a person's `mcp-auth login` in a terminal) can need
//! the same credential's login at the same moment. The first process takes
//! an exclusive lock, `<runtime dir>/login-<name>.lock`, and holds it for the
//! whole login; it runs the login itself (it has the terminal or the
//! display). Every other process that needs the same credential waits for
//! the lock, saying once which process it waits for, and then looks at what
//! the login left: the credential saved in the store, or the error it wrote
//! to `login-<name>.result`, which each waiter reports once instead of
//! starting a login of its own.
//!
//! Beside the lock, the holder writes `login-<name>.holder` (pid, program,
//! start time, server) so waiters can say whom they wait for. The lock is
//! an `flock`: the kernel drops it when its holder exits or is killed, so a
//! crashed login leaves no stale lock; it leaves no result either, and the
//! first waiter to get the lock then runs the login itself.
//!
//! The lock works whether or not the daemon runs: the daemon holds no
//! browser and no terminal, so it has nothing to add to a login.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::paths::Paths;

/// How often a waiter tries the lock again. Short against a login that
/// takes seconds to minutes, long enough to cost nothing.
const POLL: Duration = Duration::from_millis(50);

/// A waiter gives up this long after the login timeout: the holder's login
/// also spends time on discovery, registration and saving around the part
/// the login timeout bounds.
const WAIT_GRACE: Duration = Duration::from_secs(30);

/// Who holds a login lock, as the holder wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// The holder's program and command (`mcp-auth bridge`, `mcp-auth login`).
    pub command: String,
    /// Milliseconds since the epoch.
    pub started_ms: u64,
}

/// What a finished login left for the processes that waited for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FlightResult {
    pub pid: u32,
    /// The server the login was for, when it was an MCP server's: a
    /// process waiting for another server's login that took the same name
    /// does not take its failure for its own.
    #[serde(default)]
    pub server: Option<String>,
    /// Milliseconds since the epoch.
    pub finished_ms: u64,
    /// The credential saved, or `None` when the login failed.
    pub saved: Option<String>,
    /// Why it failed (a message without secrets, as shown to its user).
    pub error: Option<String>,
    /// The exit code the failure had in its own process.
    pub exit_code: u8,
}

impl FlightResult {
    /// The failure, as this process reports it; `None` for a success.
    pub fn error(&self, credential: &str) -> Option<Error> {
        let message = self.error.clone()?;
        Some(Error::LoginFailedElsewhere {
            credential: credential.to_string(),
            pid: self.pid,
            message,
            code: self.exit_code,
        })
    }
}

/// The exclusive right to run the login of one credential, held until
/// dropped (or [`finish`](LoginFlight::finish)ed).
pub struct LoginFlight {
    _file: File,
    name: String,
    holder_path: PathBuf,
    result_path: PathBuf,
    /// The login another process finished while this one waited, if any.
    waited: Option<FlightResult>,
    /// Who was waited for, if this process waited and the holder said.
    waited_for: Option<Holder>,
    /// Whether this process found the lock taken and waited.
    did_wait: bool,
}

/// How a process that finds the lock taken is told about it, once.
pub type Notice<'a> = &'a mut (dyn FnMut(&str, Option<&Holder>) + Send);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn files(runtime: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    (
        runtime.join(format!("login-{name}.lock")),
        runtime.join(format!("login-{name}.holder")),
        runtime.join(format!("login-{name}.result")),
    )
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

impl LoginFlight {
    /// Takes the login lock of `name`, waiting up to `login_timeout` (plus a
    /// grace for discovery and saving) while another process holds it;
    /// `notice` hears, once, that this process waits and for whom. `who`
    /// says what this process is to the processes that will wait for it
    /// (`mcp-auth bridge`): never its arguments, which may name secrets.
    pub async fn acquire(
        paths: &Paths,
        name: &str,
        who: &str,
        login_timeout: Duration,
        notice: Notice<'_>,
    ) -> Result<LoginFlight> {
        let (file, lock_path) = open(paths, name)?;
        let (_, holder_path, result_path) = files(&paths.runtime_dir, name);
        let mut flight = LoginFlight {
            _file: file,
            name: name.to_string(),
            holder_path,
            result_path,
            waited: None,
            waited_for: None,
            did_wait: false,
        };
        // Before the first try: a login that ends between a refused try and
        // this moment still counts as the one waited for.
        let since = now_ms();
        if flight.try_lock(&lock_path)? {
            flight.take_over(who)?;
            return Ok(flight);
        }
        flight.did_wait = true;
        let holder = flight.read_holder().await;
        notice(name, holder.as_ref());
        flight.waited_for = holder;
        let deadline = tokio::time::Instant::now() + login_timeout + WAIT_GRACE;
        loop {
            tokio::time::sleep(POLL).await;
            if flight.try_lock(&lock_path)? {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                let who = match &flight.waited_for {
                    Some(h) => format!("process {} ({})", h.pid, h.command),
                    None => "another process".to_string(),
                };
                return Err(Error::Timeout(format!(
                    "the login of '{name}' in {who} did not finish within {}s; finish or cancel \
                     it, then try again",
                    (login_timeout + WAIT_GRACE).as_secs()
                )));
            }
        }
        // A result written after this process began to wait is the outcome
        // of the login it waited for; none (the holder was killed) or an
        // older one means this process runs the login itself.
        flight.waited =
            read_json::<FlightResult>(&flight.result_path).filter(|o| o.finished_ms >= since);
        if flight.waited.is_none() {
            tracing::debug!(lock = %name, "the login waited for left no outcome (killed, or not a login of its own)");
        }
        flight.take_over(who)?;
        Ok(flight)
    }

    /// Waits for a login of `name` running in another process, if one runs,
    /// without starting one. `None` when none ran; else the outcome it left
    /// (`None` inside when it left none: killed). The caller reads the
    /// store again either way. For processes that cannot log in themselves
    /// (`mcp-auth token`).
    pub async fn wait_for_running(
        paths: &Paths,
        name: &str,
        who: &str,
        login_timeout: Duration,
        notice: Notice<'_>,
    ) -> Result<Option<Option<FlightResult>>> {
        crate::credentials::validate_name(name)?;
        let (lock_path, _, _) = files(&paths.runtime_dir, name);
        if !lock_path.exists() {
            return Ok(None);
        }
        let flight = LoginFlight::acquire(paths, name, who, login_timeout, notice).await?;
        Ok(flight.did_wait.then(|| flight.waited.clone()))
    }

    /// The login another process finished while this one waited.
    pub fn waited(&self) -> Option<&FlightResult> {
        self.waited.as_ref()
    }

    /// The process this one waited for, if it waited.
    pub fn waited_for(&self) -> Option<&Holder> {
        self.waited_for.as_ref()
    }

    /// Records how this process's login ended, for the processes waiting,
    /// and releases the lock.
    pub fn finish<T>(
        self,
        server: Option<&str>,
        result: &Result<T>,
        saved: impl FnOnce(&T) -> String,
    ) {
        let outcome = FlightResult {
            pid: std::process::id(),
            server: server.map(str::to_string),
            finished_ms: now_ms(),
            saved: result.as_ref().ok().map(saved),
            error: result.as_ref().err().map(|e| e.to_string()),
            exit_code: result
                .as_ref()
                .err()
                .map(Error::exit_code)
                .unwrap_or(crate::error::exit::OK),
        };
        match serde_json::to_vec(&outcome) {
            Ok(bytes) => {
                if let Err(e) = crate::paths::write_private_file(&self.result_path, &bytes) {
                    tracing::warn!(credential = %self.name, error = %e, "cannot record the login's outcome for waiting processes");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot encode the login's outcome"),
        }
    }

    fn try_lock(&self, lock_path: &Path) -> Result<bool> {
        match self._file.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::io(format!("cannot lock {}", lock_path.display()), e))
            }
        }
    }

    /// Now the holder: says who holds the lock.
    fn take_over(&self, who: &str) -> Result<()> {
        let holder = Holder {
            pid: std::process::id(),
            command: who.to_string(),
            started_ms: now_ms(),
        };
        let bytes = serde_json::to_vec(&holder)
            .map_err(|e| Error::Other(format!("cannot encode the login lock's holder: {e}")))?;
        crate::paths::write_private_file(&self.holder_path, &bytes)
    }

    /// The holder's record; it is written just after the lock is taken, so
    /// a waiter that comes in between gives it a moment.
    async fn read_holder(&self) -> Option<Holder> {
        for _ in 0..10 {
            if let Some(h) = read_json::<Holder>(&self.holder_path) {
                return Some(h);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for LoginFlight {
    /// The holder's record goes before the lock (the file, dropped after
    /// this): a waiter never reads a record of a holder that is gone, and
    /// one that comes before the next holder wrote its own waits for it.
    fn drop(&mut self) {
        if read_json::<Holder>(&self.holder_path).is_some_and(|h| h.pid == std::process::id()) {
            let _ = std::fs::remove_file(&self.holder_path);
        }
    }
}

fn open(paths: &Paths, name: &str) -> Result<(File, PathBuf)> {
    // The name becomes part of file names.
    crate::credentials::validate_name(name)?;
    crate::paths::ensure_private_dir(&paths.runtime_dir)?;
    let (lock_path, _, _) = files(&paths.runtime_dir, name);
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(&lock_path)
        .map_err(|e| Error::io(format!("cannot open lock file {}", lock_path.display()), e))?;
    Ok((file, lock_path))
}

/// The line a waiting process prints: which credential, which process.
pub fn waiting_line(name: &str, holder: Option<&Holder>) -> String {
    match holder {
        Some(h) => format!(
            "mcp-auth: a login for '{name}' is in progress in another process (pid {}, {}); \
             waiting for it",
            h.pid, h.command
        ),
        None => format!(
            "mcp-auth: a login for '{name}' is in progress in another process; waiting for it"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &Path) -> Paths {
        Paths::under(dir)
    }

    #[tokio::test]
    async fn a_waiter_gets_the_holders_outcome_and_who_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let mut quiet = |_: &str, _: Option<&Holder>| {};
        let first = LoginFlight::acquire(&p, "c", "test", Duration::from_secs(5), &mut quiet)
            .await
            .unwrap();
        assert!(first.waited().is_none());
        let p2 = p.clone();
        let waiter = tokio::spawn(async move {
            let mut heard = Vec::new();
            let mut notice = |n: &str, h: Option<&Holder>| heard.push((n.to_string(), h.cloned()));
            let f = LoginFlight::acquire(&p2, "c", "test", Duration::from_secs(5), &mut notice)
                .await
                .unwrap();
            (f.waited().cloned(), heard)
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiter.is_finished());
        first.finish(None, &Ok::<_, Error>("c".to_string()), |n| n.clone());
        let (outcome, heard) = waiter.await.unwrap();
        assert_eq!(outcome.unwrap().saved.as_deref(), Some("c"));
        assert_eq!(heard.len(), 1, "told once");
        assert_eq!(heard[0].1.as_ref().unwrap().pid, std::process::id());
    }

    #[tokio::test]
    async fn a_failure_reaches_the_waiter_and_a_dropped_holder_leaves_no_result() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let mut quiet = |_: &str, _: Option<&Holder>| {};
        let first = LoginFlight::acquire(&p, "c", "test", Duration::from_secs(5), &mut quiet)
            .await
            .unwrap();
        let p2 = p.clone();
        let waiter = tokio::spawn(async move {
            let mut quiet = |_: &str, _: Option<&Holder>| {};
            LoginFlight::wait_for_running(&p2, "c", "test", Duration::from_secs(5), &mut quiet)
                .await
                .unwrap()
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        first.finish(
            None,
            &Err::<String, _>(Error::Usage("the user said no".into())),
            |n| n.clone(),
        );
        let outcome = waiter.await.unwrap().unwrap().unwrap();
        let e = outcome.error("c").unwrap();
        assert!(e.to_string().contains("the user said no"), "{e}");
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);

        // A holder that goes away without finishing (a crash drops the
        // lock the same way): the next one runs the login itself.
        let gone = LoginFlight::acquire(&p, "c", "test", Duration::from_secs(5), &mut quiet)
            .await
            .unwrap();
        let p3 = p.clone();
        let next = tokio::spawn(async move {
            let mut quiet = |_: &str, _: Option<&Holder>| {};
            LoginFlight::acquire(&p3, "c", "test", Duration::from_secs(5), &mut quiet)
                .await
                .unwrap()
                .waited()
                .cloned()
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(gone);
        assert!(next.await.unwrap().is_none(), "no outcome: log in here");
        // Nobody holds it: nothing to wait for.
        assert!(
            LoginFlight::wait_for_running(&p, "c", "test", Duration::from_secs(5), &mut quiet)
                .await
                .unwrap()
                .is_none()
        );
    }
}
