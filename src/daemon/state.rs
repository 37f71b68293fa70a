//! The daemon's shared state: what its three tasks (scheduler, pruner,
//! server) share, and what `status` reports. The tasks are started by
//! [`super::run`]; this file only holds what they share.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::watch;

use crate::ipc::{DaemonStatus, NextRefresh, PruneSummary};
use crate::model::{Timestamp, now};

use super::{Settings, lock};

/// What the tasks share, and what `status` reports.
pub struct DaemonState {
    pub(super) started_at: Timestamp,
    pub(super) socket: PathBuf,
    pub(super) log_file: Option<PathBuf>,
    pub(super) settings: watch::Sender<Settings>,
    pub(super) shutdown: watch::Sender<bool>,
    /// Set when this process changed rows itself (its own writes do not
    /// move the database's data version): the scheduler re-reads them.
    pub(super) rows_changed: AtomicBool,
    pub(super) view: Mutex<ScheduleView>,
    pub(super) last_prune: Mutex<Option<PruneSummary>>,
    pub(super) next_prune_at: Mutex<Option<Timestamp>>,
    pub(super) refreshes: AtomicU64,
    pub(super) refresh_failures: AtomicU64,
    pub(super) requests: AtomicU64,
}

/// The scheduler's latest picture, published for `status`.
#[derive(Debug, Clone, Default)]
pub(super) struct ScheduleView {
    pub(super) credentials: usize,
    pub(super) watched: usize,
    pub(super) needs_login: usize,
    pub(super) backing_off: usize,
    pub(super) next_refresh: Option<NextRefresh>,
    pub(super) upcoming: Vec<NextRefresh>,
}

impl DaemonState {
    pub(super) fn new(
        socket: PathBuf,
        log_file: Option<PathBuf>,
        settings: Settings,
    ) -> DaemonState {
        DaemonState {
            started_at: now(),
            socket,
            log_file,
            settings: watch::Sender::new(settings),
            shutdown: watch::Sender::new(false),
            rows_changed: AtomicBool::new(true),
            view: Mutex::new(ScheduleView::default()),
            last_prune: Mutex::new(None),
            next_prune_at: Mutex::new(None),
            refreshes: AtomicU64::new(0),
            refresh_failures: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    pub(super) fn settings(&self) -> Settings {
        self.settings.borrow().clone()
    }

    /// Asks every task to finish.
    pub(super) fn stop(&self) {
        self.shutdown.send_replace(true);
    }

    pub(super) fn mark_rows_changed(&self) {
        self.rows_changed.store(true, Ordering::Release);
    }

    pub(super) fn take_rows_changed(&self) -> bool {
        self.rows_changed.swap(false, Ordering::AcqRel)
    }

    pub fn status(&self) -> DaemonStatus {
        let view = lock(&self.view).clone();
        let settings = self.settings();
        DaemonStatus {
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            protocol: crate::ipc::VERSION,
            started_at: self.started_at,
            uptime_secs: (now() - self.started_at).max(0) as u64,
            socket: self.socket.display().to_string(),
            log_file: self.log_file.as_ref().map(|p| p.display().to_string()),
            credentials: view.credentials,
            watched: view.watched,
            needs_login: view.needs_login,
            backing_off: view.backing_off,
            next_refresh: view.next_refresh,
            upcoming: view.upcoming,
            last_prune: lock(&self.last_prune).clone(),
            next_prune_at: *lock(&self.next_prune_at),
            refreshes: self.refreshes.load(Ordering::Relaxed),
            refresh_failures: self.refresh_failures.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            retention_days: settings.retention_days,
            refresh_ahead_secs: settings.refresh_ahead.as_secs(),
            prune_interval_secs: settings.prune_interval.as_secs(),
        }
    }
}
