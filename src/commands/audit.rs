//! `mcp-auth audit`: the audit log, newest first, deleted credentials'
//! events included (they outlive their credential; only a prune of events
//! past the retention period removes them, see `Store::prune`).
//!
//! The log can hold millions of events, so nothing holds them all: `--json`
//! writes each as it is read; the table is measured in a first pass over
//! the same snapshot of the log and written in a second, except at a
//! terminal with few enough rows to lay out (and wrap) as a whole.

use serde::Serialize;

use crate::cli::AuditArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::credentials::EventFilter;
use crate::error::{Error, Result};
use crate::model::{Event, EventKind, Timestamp, now, parse_rfc3339, rfc3339};
use crate::output::{Printer, cell_width};

/// At most this many rows are laid out as a whole at a terminal (cells
/// wrapped to its width); beyond, rows are written as they are read.
const TERMINAL_TABLE_ROWS: usize = 2_000;

/// How much of a detail is shown in the table: details hold what servers
/// said (error descriptions), and one row should stay readable.
const DETAIL_CHARS: usize = 300;

/// Credential names come from the user or from a server's URL.
const NAME_CHARS: usize = 80;

const HEADER: [&str; 4] = ["TIME", "CREDENTIAL", "KIND", "DETAIL"];

/// An event as scripts see it (`--json`), as in `tokens show --json`.
#[derive(Debug, Serialize)]
struct EventView<'a> {
    at: String,
    credential: Option<&'a str>,
    kind: &'a str,
    detail: Option<&'a str>,
}

/// Which events `mcp-auth audit` shows.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this credential's (a revoked or pruned one's too).
    pub credential: Option<String>,
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<EventKind>,
    /// Only events at or after this moment.
    pub since: Option<Timestamp>,
    /// At most this many, the newest.
    pub limit: Option<usize>,
}

impl AuditQuery {
    pub fn from_args(args: &AuditArgs) -> Result<AuditQuery> {
        Ok(AuditQuery {
            credential: args.name.clone(),
            kinds: args.kinds.clone(),
            since: args.since.as_deref().map(|s| since(s, now())).transpose()?,
            limit: args.limit,
        })
    }

    fn filter(&self) -> EventFilter<'_> {
        EventFilter {
            credential: self.credential.as_deref(),
            kinds: self.kinds.clone(),
            since: self.since,
            limit: self.limit,
        }
    }

    /// Whether anything narrows the log.
    fn narrowed(&self) -> bool {
        self.credential.is_some()
            || self.since.is_some()
            || !self.kinds.is_empty()
            || self.limit.is_some()
    }
}

/// The events the query takes, newest first, one at a time: the log can
/// hold millions.
pub fn each_event(
    ctx: &Context,
    query: &AuditQuery,
    mut each: impl FnMut(Event) -> Result<()>,
) -> Result<()> {
    let filter = query.filter();
    ctx.credentials()?
        .read_events(|log| log.each(&filter, &mut each))
}

/// The events the query takes, newest first, all at once (give it a limit).
pub fn events(ctx: &Context, query: &AuditQuery) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    each_event(ctx, query, |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

pub fn run(ctx: &Context, query: &AuditQuery, json: bool) -> Result<()> {
    if json {
        let mut out = ctx.out.json_array()?;
        each_event(ctx, query, |e| {
            out.push(&EventView {
                at: rfc3339(e.at),
                credential: e.credential.as_deref(),
                kind: &e.kind,
                detail: e.detail.as_deref(),
            })
        })?;
        return out.finish();
    }
    let filter = query.filter();
    ctx.credentials()?.read_events(|log| {
        let mut count = 0usize;
        let mut widths = HEADER.map(cell_width).to_vec();
        log.each(&filter, |e| {
            count += 1;
            for (w, cell) in widths.iter_mut().zip(row(&e)) {
                *w = (*w).max(cell_width(&cell));
            }
            Ok(())
        })?;
        if count == 0 {
            ctx.out.info(if query.narrowed() {
                "No audit event matches."
            } else {
                "The audit log is empty."
            });
            return Ok(());
        }
        if Printer::stdout_is_terminal() && count <= TERMINAL_TABLE_ROWS {
            let mut rows = Vec::with_capacity(count);
            log.each(&filter, |e| {
                rows.push(row(&e).to_vec());
                Ok(())
            })?;
            return ctx.out.table(&HEADER, rows);
        }
        let mut table = ctx.out.table_stream(&HEADER, widths)?;
        log.each(&filter, |e| table.row(&row(&e)))?;
        table.finish()
    })
}

/// One event's cells. The credential's name and the detail pass through
/// [`crate::text::printable`]: a detail quotes servers, and a name can come
/// from a server's URL.
fn row(e: &Event) -> [String; 4] {
    [
        rfc3339(e.at),
        e.credential
            .as_deref()
            .map(|n| crate::text::printable(n, NAME_CHARS))
            .unwrap_or_else(|| "-".into()),
        crate::text::printable(&e.kind, NAME_CHARS),
        e.detail
            .as_deref()
            .map(|d| crate::text::printable(d, DETAIL_CHARS))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "-".into()),
    ]
}

/// `--since`: a duration back from `at` (`7d`, `12h`, a number of
/// seconds) or an RFC 3339 date or date-time.
fn since(s: &str, at: Timestamp) -> Result<Timestamp> {
    if let Ok(d) = parse_duration(s) {
        let back = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        return Ok(at.saturating_sub(back));
    }
    parse_rfc3339(s).ok_or_else(|| {
        Error::Usage(format!(
            "--since {s:?} is neither a duration back from now (7d, 12h, 30m) nor an RFC 3339 \
             date or time (2026-11-01, 2026-11-01T09:30:00Z, 2026-11-01T10:30:00+01:00)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_back_from_now_and_rfc3339_moments() {
        let at = 1_764_585_000; // 2025-12-01T10:30:00Z
        assert_eq!(since("7d", at).unwrap(), at - 7 * 86_400);
        assert_eq!(since("90m", at).unwrap(), at - 5_400);
        assert_eq!(since("2025-12-01T10:30:00Z", at).unwrap(), at);
        assert_eq!(since("2025-12-01T11:30:00+01:00", at).unwrap(), at);
        assert_eq!(since("2025-12-01", at).unwrap(), at - 37_800);
        let e = since("last week", at).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        let text = e.to_string();
        assert!(
            text.contains("7d") && text.contains("2026-11-01T09:30:00Z"),
            "{text}"
        );
    }

    #[test]
    fn cells_shown_at_a_terminal_carry_no_control_characters() {
        let e = Event {
            at: 0,
            credential: Some("evil\u{1b}]0;title\u{7}".into()),
            kind: "refresh_failed".into(),
            detail: Some("server said \u{1b}[2Jinvalid_grant\n\u{202e}x".into()),
        };
        let cells = row(&e);
        for c in &cells {
            assert!(
                !c.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{c:?}"
            );
        }
        assert_eq!(cells[1], "evil ]0;title");
        assert_eq!(cells[3], "server said [2Jinvalid_grant x");
    }
}
