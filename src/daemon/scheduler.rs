//! The refresh scheduler: on each wake it re-reads what changed (rows, when
//! the database's data version moved or this process wrote; config.toml,
//! when its modification time moved), starts the refreshes that are due
//! and sleeps until the next due time or [`TICK`](super::TICK).
//!
//! A refresh is [`Credentials::refresh_unless_valid_for`]: under the
//! credential's lock, re-read, and skipped when someone else refreshed
//! meanwhile. Transient failures wait with backoff and keep the old refresh
//! token; when the server said how long to wait (`Retry-After` on a 429 or
//! 5xx), the next attempt waits at least that long. A refusal
//! (`invalid_grant`, ...) marks the credential as needing a login in
//! `credentials`, and the scheduler stops watching it.

use std::collections::{HashMap, HashSet};
use std::hash::RandomState;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use tokio::task::JoinSet;

use super::plan::{self, MIN_GAP_MS};
use super::state::{DaemonState, ScheduleView};
use super::{GRACE, Settings, lock, now_ms, sleep_until_ms};
use crate::config::Config;
use crate::credentials::{Credentials, Refreshed};
use crate::error::{Error, Result};
use crate::ipc::NextRefresh;
use crate::model::{Credential, Status, now};
use crate::task::blocking;

/// Refreshes in flight at once: enough that one slow provider does not hold
/// up the others, few enough to be gentle with each.
const MAX_IN_FLIGHT: usize = 4;

/// How many of the next planned refreshes `daemon status` (and the
/// dashboard) lists.
const UPCOMING: usize = 10;

struct Entry {
    cred: Credential,
    /// Failed attempts since the last success, and when to try again.
    failures: u32,
    retry_at_ms: Option<i64>,
    last_attempt_ms: Option<i64>,
}

struct Scheduler {
    creds: Credentials,
    state: Arc<DaemonState>,
    config_file: PathBuf,
    config_mtime: Option<SystemTime>,
    data_version: Option<i64>,
    entries: HashMap<String, Entry>,
    /// Credentials being refreshed, by the task doing it.
    in_flight: HashMap<tokio::task::Id, String>,
    hasher: RandomState,
}

type TaskResult = (String, Result<Refreshed>);

pub(super) async fn run(creds: Credentials, state: Arc<DaemonState>, config_file: PathBuf) {
    let config_mtime = mtime(&config_file);
    let mut s = Scheduler {
        creds,
        state,
        config_file,
        config_mtime,
        data_version: None,
        entries: HashMap::new(),
        in_flight: HashMap::new(),
        hasher: RandomState::new(),
    };
    let mut tasks: JoinSet<TaskResult> = JoinSet::new();
    let mut shutdown = s.state.shutdown.subscribe();
    loop {
        if *shutdown.borrow() {
            break;
        }
        s.reload_config();
        if let Err(e) = s.reload_rows().await {
            tracing::warn!(error = %e, "cannot read the credentials; trying again shortly");
        }
        let next = s.start_due(&mut tasks);
        tokio::select! {
            _ = sleep_until_ms(next) => {}
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => s.finished(done),
            _ = shutdown.changed() => {}
        }
    }
    // Let refreshes in flight store their result; the ordering in
    // `credentials` makes abandoning one after the deadline safe.
    let drain = async {
        while let Some(done) = tasks.join_next_with_id().await {
            s.finished(done);
        }
    };
    if tokio::time::timeout(GRACE, drain).await.is_err() {
        tracing::warn!(
            abandoned = tasks.len(),
            "refreshes still running at shutdown were abandoned; their stored tokens are kept"
        );
        tasks.abort_all();
    }
}

impl Scheduler {
    fn reload_config(&mut self) {
        let m = mtime(&self.config_file);
        if m == self.config_mtime {
            return;
        }
        self.config_mtime = m;
        match Config::load(&self.config_file) {
            Ok(c) => {
                let new = Settings::of(&c);
                if self.state.settings.send_if_modified(|cur| {
                    let changed = *cur != new;
                    *cur = new.clone();
                    changed
                }) {
                    tracing::info!(
                        refresh_ahead_secs = new.refresh_ahead.as_secs(),
                        retention_days = new.retention_days,
                        prune_interval_secs = new.prune_interval.as_secs(),
                        "configuration reloaded"
                    );
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "config.toml changed but cannot be used; keeping the previous settings")
            }
        }
    }

    /// Re-reads the rows when another process committed (data version) or
    /// this one did (`rows_changed`).
    async fn reload_rows(&mut self) -> Result<()> {
        let store = self.creds.clone();
        let version = {
            let store = store.clone();
            blocking(move || store.data_version()).await?
        };
        let own = self.state.take_rows_changed();
        if !own && self.data_version == Some(version) {
            return Ok(());
        }
        let rows = match blocking(move || store.list()).await {
            Ok(rows) => rows,
            Err(e) => {
                // Try again next wake.
                self.state.mark_rows_changed();
                return Err(e);
            }
        };
        self.data_version = Some(version);
        let mut seen = HashSet::with_capacity(rows.len());
        for cred in rows {
            seen.insert(cred.name.clone());
            match self.entries.get_mut(&cred.name) {
                Some(e) if e.cred.generation == cred.generation && e.cred.status == cred.status => {
                    e.cred = cred;
                }
                Some(e) => {
                    // A new login or someone else's refresh: start afresh.
                    e.cred = cred;
                    e.failures = 0;
                    e.retry_at_ms = None;
                }
                None => {
                    self.entries.insert(
                        cred.name.clone(),
                        Entry {
                            cred,
                            failures: 0,
                            retry_at_ms: None,
                            last_attempt_ms: None,
                        },
                    );
                }
            }
        }
        let gone: Vec<String> = self
            .entries
            .keys()
            .filter(|n| !seen.contains(*n))
            .cloned()
            .collect();
        for name in gone {
            self.entries.remove(&name);
            self.creds.forget(&name);
            tracing::info!(credential = %name, "credential removed; no longer watched");
        }
        Ok(())
    }

    /// When `e` should next be refreshed, in wall-clock milliseconds.
    fn due(&self, name: &str, e: &Entry, settings: &Settings, now_secs: i64) -> Option<i64> {
        let j = plan::jitter(&self.hasher, name, e.cred.generation);
        let mut due = plan::due_ms(&e.cred, settings.refresh_ahead, j, now_secs)?;
        if let Some(retry) = e.retry_at_ms {
            due = due.max(retry);
        }
        if let Some(last) = e.last_attempt_ms {
            due = due.max(last + MIN_GAP_MS);
        }
        Some(due)
    }

    /// Starts every due refresh there is room for; returns when to wake.
    ///
    /// One pass over the entries without allocating, except for the ones
    /// due now: with ten thousand credentials this runs on every wake
    /// (every refresh that finishes, and every tick), so it must not clone
    /// and sort them all each time.
    fn start_due(&mut self, tasks: &mut JoinSet<TaskResult>) -> i64 {
        let settings = self.state.settings();
        let now_ms = now_ms();
        let now_secs = now();
        let mut due_now: Vec<(i64, String)> = Vec::new();
        // The soonest ones due later, in order (at most UPCOMING): the
        // first sets the wake-up, all of them are what `status` shows.
        let mut soonest: Vec<(i64, &String)> = Vec::with_capacity(UPCOMING + 1);
        for (n, e) in &self.entries {
            let Some(at) = self.due(n, e, &settings, now_secs) else {
                continue;
            };
            if at <= now_ms {
                if !self.in_flight.values().any(|f| f == n) {
                    due_now.push((at, n.clone()));
                }
            } else if (soonest.len() < UPCOMING
                || soonest.last().is_some_and(|&(t, l)| (at, n) < (t, l)))
                && !self.in_flight.values().any(|f| f == n)
            {
                let at_index = soonest.partition_point(|&(t, l)| (t, l) < (at, n));
                soonest.insert(at_index, (at, n));
                soonest.truncate(UPCOMING);
            }
        }
        let upcoming: Vec<NextRefresh> = soonest
            .iter()
            .map(|&(at, n)| NextRefresh {
                name: n.clone(),
                at: at / 1000,
            })
            .collect();
        let later = soonest.first().map(|&(at, n)| (at, n.clone()));
        due_now.sort();
        let mut next = now_ms + super::TICK.as_millis() as i64;
        if let Some((at, _)) = &later {
            next = next.min(*at);
        }
        // The next one to start: the first due one left waiting for room,
        // else the first one due later.
        let mut next_refresh = None;
        for (at, name) in due_now {
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                if next_refresh.is_none() {
                    next_refresh = Some(NextRefresh {
                        name: name.clone(),
                        at: at / 1000,
                    });
                }
                continue;
            }
            let Some(entry) = self.entries.get_mut(&name) else {
                continue;
            };
            entry.last_attempt_ms = Some(now_ms);
            // Refresh unless the expiry moved past the one planned on
            // (someone refreshed meanwhile).
            let planned = entry.cred.access_expires_at.unwrap_or(now_secs);
            let within = Duration::from_secs((planned - now_secs + 1).max(0) as u64);
            let creds = self.creds.clone();
            let task_name = name.clone();
            let handle = tasks.spawn(async move {
                let r = creds.refresh_unless_valid_for(&task_name, within).await;
                (task_name, r)
            });
            self.in_flight.insert(handle.id(), name);
        }
        if next_refresh.is_none() {
            next_refresh = later.map(|(at, name)| NextRefresh {
                name,
                at: at / 1000,
            });
        }
        self.publish(next_refresh, upcoming, now_secs);
        next
    }

    fn finished(
        &mut self,
        done: std::result::Result<(tokio::task::Id, TaskResult), tokio::task::JoinError>,
    ) {
        let (name, result) = match done {
            Ok((id, outcome)) => {
                self.in_flight.remove(&id);
                outcome
            }
            Err(e) => {
                // A panic in a refresh is a bug, not a reason to stop
                // watching the credential: retry it with backoff.
                let Some(name) = self.in_flight.remove(&e.id()) else {
                    return;
                };
                tracing::error!(credential = %name, error = %e, "a refresh task failed");
                (name, Err(Error::Other(format!("refresh task failed: {e}"))))
            }
        };
        let Some(entry) = self.entries.get_mut(&name) else {
            return;
        };
        let counters = &self.state;
        match result {
            Ok(r) => {
                let failure = r.failure.clone();
                if r.performed {
                    counters.refreshes.fetch_add(1, Ordering::Relaxed);
                }
                entry.cred = r.credential;
                match failure {
                    None => {
                        entry.failures = 0;
                        entry.retry_at_ms = None;
                    }
                    Some(_) => {
                        // Logged by `credentials`; the old token still works.
                        counters.refresh_failures.fetch_add(1, Ordering::Relaxed);
                        let wait = Self::back_off(&self.hasher, &name, entry, r.retry_after);
                        tracing::info!(
                            credential = %name,
                            retry_in_secs = wait / 1000,
                            server_asked_secs = r.retry_after,
                            "refresh will be retried"
                        );
                    }
                }
            }
            Err(Error::NeedsLogin { reason, .. }) => {
                counters.refresh_failures.fetch_add(1, Ordering::Relaxed);
                entry.cred.status = Status::NeedsLogin;
                tracing::info!(credential = %name, reason = %reason, "no longer refreshing: it needs a new login");
            }
            Err(Error::CredentialNotFound(_)) => {
                self.entries.remove(&name);
                self.creds.forget(&name);
            }
            Err(e) => {
                counters.refresh_failures.fetch_add(1, Ordering::Relaxed);
                let wait = Self::back_off(&self.hasher, &name, entry, e.retry_after());
                tracing::warn!(
                    credential = %name,
                    error = %e,
                    retry_in_secs = wait / 1000,
                    "refresh failed; the stored refresh token is kept and the refresh retried"
                );
            }
        }
    }

    /// Records one more failure; returns the wait before the next attempt
    /// (at least what the server asked for with `Retry-After`).
    fn back_off(
        hasher: &RandomState,
        name: &str,
        entry: &mut Entry,
        retry_after: Option<u64>,
    ) -> i64 {
        entry.failures += 1;
        let j = plan::jitter(hasher, name, i64::from(entry.failures));
        let wait = plan::retry_wait_ms(entry.failures, j, retry_after);
        entry.retry_at_ms = Some(now_ms() + wait);
        wait
    }

    fn publish(
        &self,
        next_refresh: Option<NextRefresh>,
        upcoming: Vec<NextRefresh>,
        now_secs: i64,
    ) {
        let mut view = ScheduleView {
            credentials: self.entries.len(),
            next_refresh,
            upcoming,
            ..ScheduleView::default()
        };
        for e in self.entries.values() {
            if e.cred.status == Status::NeedsLogin {
                view.needs_login += 1;
            } else if plan::watched(&e.cred, now_secs) {
                view.watched += 1;
                if e.retry_at_ms.is_some() {
                    view.backing_off += 1;
                }
            }
        }
        *lock(&self.state.view) = view;
    }
}

fn mtime(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
