//! The `secrets` table: static secrets' metadata (their values are in the
//! secret store).

use rusqlite::{OptionalExtension, Row, params};

use super::journal::journal_in;
use super::{Db, collect};
use crate::error::Result;
use crate::model::Timestamp;

/// A static secret's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretMeta {
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub note: Option<String>,
}

const SECRET_COLUMNS: &str = "name, created_at, updated_at, expires_at, last_used_at, note";

impl Db {
    /// Saves a static secret's metadata (its value is in the secret store)
    /// and drops its journal entry in the same transaction.
    pub fn upsert_secret_meta(&self, m: &SecretMeta, journal_key: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO secrets ({SECRET_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO UPDATE SET \
                     updated_at = excluded.updated_at, expires_at = excluded.expires_at, \
                     note = excluded.note"
                ),
                params![
                    m.name,
                    m.created_at,
                    m.updated_at,
                    m.expires_at,
                    m.last_used_at,
                    m.note
                ],
            )?;
            tx.execute("DELETE FROM secret_journal WHERE key = ?1", [journal_key])?;
            Ok(())
        })
    }

    pub fn secret_meta(&self, name: &str) -> Result<Option<SecretMeta>> {
        self.autocommit(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE name = ?1"),
                    [name],
                    row_to_secret_meta,
                )
                .optional()?)
        })
    }

    pub fn secret_metas(&self) -> Result<Vec<SecretMeta>> {
        self.autocommit(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {SECRET_COLUMNS} FROM secrets ORDER BY name"
            ))?;
            collect(stmt.query_map([], row_to_secret_meta)?)
        })
    }

    /// Deletes a static secret's row and journals its value's deletion.
    pub fn delete_secret_meta(&self, name: &str, journal_key: &str, at: Timestamp) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute("DELETE FROM secrets WHERE name = ?1", [name])?;
            journal_in(tx, journal_key, name, at)?;
            Ok(n == 1)
        })
    }

    pub fn touch_secret(&self, name: &str, at: Timestamp) -> Result<()> {
        self.autocommit(|conn| {
            conn.execute(
                "UPDATE secrets SET last_used_at = ?2 WHERE name = ?1",
                params![name, at],
            )?;
            Ok(())
        })
    }
}

fn row_to_secret_meta(r: &Row) -> rusqlite::Result<SecretMeta> {
    Ok(SecretMeta {
        name: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        expires_at: r.get(3)?,
        last_used_at: r.get(4)?,
        note: r.get(5)?,
    })
}
