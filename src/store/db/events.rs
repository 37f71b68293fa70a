//! The `events` table: the audit log.

use rusqlite::{Connection, TransactionBehavior, params};

use super::{Db, Sql};
use crate::error::Result;
use crate::model::{Event, EventKind, Timestamp, Transition};

impl Db {
    /// Writes the audit event a lifecycle transition names (see
    /// `model::lifecycle`), if it names one: the one way the credential
    /// layer records what happened to a credential.
    pub fn record_transition(
        &self,
        credential: Option<&str>,
        transition: Transition,
        detail: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        match transition.event() {
            Some(kind) => self.add_event(credential, kind, detail, at),
            None => Ok(()),
        }
    }

    pub fn add_event(
        &self,
        credential: Option<&str>,
        kind: EventKind,
        detail: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        self.autocommit(|conn| {
            conn.execute(
                "INSERT INTO events (at, credential, kind, detail) VALUES (?1, ?2, ?3, ?4)",
                params![at, credential, kind.as_str(), detail],
            )?;
            Ok(())
        })
    }

    /// The most recent events of one credential (or of all, with `None`).
    pub fn events(&self, credential: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let mut all = Vec::new();
        let filter = EventFilter {
            credential,
            limit: Some(limit),
            ..EventFilter::default()
        };
        self.read_events(|log| {
            log.each(&filter, |e| {
                all.push(e);
                Ok(())
            })
        })?;
        Ok(all)
    }

    /// Runs `read` on the audit log as it is at one moment: every pass it
    /// makes over the events (`mcp-auth audit` measures its columns, then
    /// prints) sees the same ones, whatever other processes add meanwhile.
    /// `read` must not use this database otherwise (its connection is busy).
    pub fn read_events<T>(&self, read: impl FnOnce(&EventLog<'_>) -> Result<T>) -> Result<T> {
        // A read transaction in WAL mode reads one snapshot throughout.
        // https://www.sqlite.org/wal.html#concurrency
        self.transaction(TransactionBehavior::Deferred, |tx| {
            Ok(read(&EventLog { conn: tx, db: self })?)
        })
    }

    /// Deletes audit events from `cutoff` or before; returns how many.
    pub fn prune_events(&self, cutoff: Timestamp) -> Result<usize> {
        self.autocommit(|conn| Ok(conn.execute("DELETE FROM events WHERE at <= ?1", [cutoff])?))
    }
}

/// Which audit events to read (see [`EventLog::each`]); the default is all
/// of them.
#[derive(Debug, Clone, Default)]
pub struct EventFilter<'a> {
    /// Only this credential's (deleted ones' too: events outlive their
    /// credential, see `migrations/001_init.sql`).
    pub credential: Option<&'a str>,
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<EventKind>,
    /// Only events at or after this moment.
    pub since: Option<Timestamp>,
    /// At most this many, the newest.
    pub limit: Option<usize>,
}

/// The audit log inside one read transaction ([`Db::read_events`]).
pub struct EventLog<'a> {
    conn: &'a Connection,
    db: &'a Db,
}

impl EventLog<'_> {
    /// Hands each event `filter` picks to `each`, newest first (events of
    /// the same second in the reverse order of their writing), one row at a
    /// time: the log can hold millions and memory stays flat.
    pub fn each(
        &self,
        filter: &EventFilter<'_>,
        mut each: impl FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let (sql, args) = event_query(filter);
        let rows = || -> Sql<()> {
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
            while let Some(r) = rows.next()? {
                each(Event {
                    at: r.get(0)?,
                    credential: r.get(1)?,
                    kind: r.get(2)?,
                    detail: r.get(3)?,
                })?;
            }
            Ok(())
        };
        self.db.lift(rows())
    }
}

/// The statement [`EventLog::each`] runs for `filter`, and its arguments.
pub(super) fn event_query(filter: &EventFilter<'_>) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from("SELECT at, credential, kind, detail FROM events WHERE 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(name) = filter.credential {
        arg(&mut sql, " AND credential = ?", name.to_string().into());
    }
    if let Some(since) = filter.since {
        arg(&mut sql, " AND at >= ?", since.into());
    }
    if !filter.kinds.is_empty() {
        sql.push_str(" AND kind IN (");
        for (i, k) in filter.kinds.iter().enumerate() {
            let sep = if i == 0 { "?" } else { ", ?" };
            arg(&mut sql, sep, k.as_str().to_string().into());
        }
        sql.push(')');
    }
    // `id` is the rowid, which both indexes end with, so either one
    // (`events_at`, `events_credential_at`) gives this order without a
    // sort (a unit test checks the plans).
    sql.push_str(" ORDER BY at DESC, id DESC");
    if let Some(limit) = filter.limit {
        arg(
            &mut sql,
            " LIMIT ?",
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        );
    }
    (sql, args)
}
