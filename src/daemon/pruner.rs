//! Retention pruning in the daemon: at start, then every `prune_interval`
//! (wall clock, so a suspended laptop prunes on waking when it is due).
//! Each run is [`Store::prune`], which deletes credentials dead for longer
//! than `retention_days` (keyring entries and rows together) and older audit
//! events, writes its own audit event, and is logged here with its metrics.

use std::sync::Arc;
use std::time::Duration;

use super::state::DaemonState;
use super::{lock, now_ms, sleep_until_ms};
use crate::credentials::Credentials;
use crate::ipc::PruneSummary;
use crate::model::now;
use crate::task::blocking;

/// After a failed run, try again sooner than a whole interval.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(15 * 60);

pub(super) async fn run(store: Credentials, state: Arc<DaemonState>) {
    let mut shutdown = state.shutdown.subscribe();
    let mut settings = state.settings.subscribe();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let retention_days = settings.borrow_and_update().retention_days;
        let s = store.clone();
        let at = now();
        let wait = match blocking(move || s.prune(at, retention_days, false, |_| Ok(()))).await {
            Ok(report) => {
                tracing::info!(
                    examined = report.examined,
                    deleted = report.deleted,
                    events_deleted = report.events_deleted,
                    orphans_cleaned = report.orphans_cleaned,
                    retention_days,
                    duration_ms = report.duration_ms,
                    "prune"
                );
                if report.deleted > 0 {
                    state.mark_rows_changed();
                }
                *lock(&state.last_prune) = Some(PruneSummary {
                    at,
                    examined: report.examined,
                    deleted: report.deleted,
                    events_deleted: report.events_deleted,
                    duration_ms: report.duration_ms,
                });
                state.settings().prune_interval
            }
            Err(e) => {
                tracing::warn!(error = %e, "prune failed; trying again later");
                RETRY_AFTER_FAILURE.min(state.settings().prune_interval)
            }
        };
        let mut next_ms = now_ms() + wait.as_millis() as i64;
        *lock(&state.next_prune_at) = Some(next_ms / 1000);
        loop {
            tokio::select! {
                _ = sleep_until_ms(next_ms) => {}
                _ = shutdown.changed() => return,
                Ok(()) = settings.changed() => {
                    // A new interval counts from the last run.
                    let interval = settings.borrow_and_update().prune_interval;
                    next_ms = at * 1000 + interval.as_millis() as i64;
                    *lock(&state.next_prune_at) = Some(next_ms / 1000);
                }
            }
            if now_ms() >= next_ms {
                break;
            }
        }
    }
}
