//! The `registrations` table: client registrations cached per
//! authorization server and redirect URI.

use rusqlite::{OptionalExtension, Row, params};

use super::journal::journal_in;
use super::{Db, collect, parse_col};
use crate::error::Result;
use crate::model::{AuthMethod, Timestamp};

/// A client registration cached per authorization server.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub issuer: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub has_secret: bool,
    pub client_secret_expires_at: Option<Timestamp>,
    pub registered_at: Timestamp,
    /// When a token request with this client last succeeded; `None` until
    /// one has (see [`Db::mark_registration_worked`]).
    pub worked_at: Option<Timestamp>,
}

const REGISTRATION_COLUMNS: &str = "issuer, redirect_uri, client_id, auth_method, has_secret, \
    client_secret_expires_at, registered_at, worked_at";

impl Db {
    pub fn registration(&self, issuer: &str, redirect_uri: &str) -> Result<Option<Registration>> {
        self.autocommit(|conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {REGISTRATION_COLUMNS} FROM registrations \
                         WHERE issuer = ?1 AND redirect_uri = ?2"
                    ),
                    [issuer, redirect_uri],
                    row_to_registration,
                )
                .optional()?)
        })
    }

    /// Every registration cached for an issuer, newest first.
    pub fn registrations(&self, issuer: &str) -> Result<Vec<Registration>> {
        self.autocommit(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {REGISTRATION_COLUMNS} FROM registrations \
                 WHERE issuer = ?1 ORDER BY registered_at DESC"
            ))?;
            collect(stmt.query_map([issuer], row_to_registration)?)
        })
    }

    /// Caches a registration and drops its secret's journal entry in the
    /// same transaction (see [`crate::store::Store::save_registration`]).
    pub fn put_registration_journaled(&self, r: &Registration, journal_key: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT OR REPLACE INTO registrations ({REGISTRATION_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    r.issuer,
                    r.redirect_uri,
                    r.client_id,
                    r.auth_method.as_str(),
                    r.has_secret,
                    r.client_secret_expires_at,
                    r.registered_at,
                    r.worked_at
                ],
            )?;
            tx.execute("DELETE FROM secret_journal WHERE key = ?1", [journal_key])?;
            Ok(())
        })
    }

    /// Deletes a cached registration and journals its secret's deletion in
    /// one transaction.
    pub fn delete_registration_journaled(
        &self,
        issuer: &str,
        redirect_uri: &str,
        journal_key: &str,
        owner: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM registrations WHERE issuer = ?1 AND redirect_uri = ?2",
                [issuer, redirect_uri],
            )?;
            journal_in(tx, journal_key, owner, at)?;
            Ok(())
        })
    }

    /// Records that the registration of `client_id` at `issuer` just got
    /// tokens: from now on an `invalid_client` for it means the server
    /// forgot it.
    pub fn mark_registration_worked(
        &self,
        issuer: &str,
        client_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.autocommit(|conn| {
            conn.execute(
                "UPDATE registrations SET worked_at = ?3 WHERE issuer = ?1 AND client_id = ?2",
                params![issuer, client_id, at],
            )?;
            Ok(())
        })
    }

    pub fn delete_registration(&self, issuer: &str, redirect_uri: &str) -> Result<()> {
        self.autocommit(|conn| {
            conn.execute(
                "DELETE FROM registrations WHERE issuer = ?1 AND redirect_uri = ?2",
                [issuer, redirect_uri],
            )?;
            Ok(())
        })
    }
}

fn row_to_registration(r: &Row) -> rusqlite::Result<Registration> {
    Ok(Registration {
        issuer: r.get(0)?,
        redirect_uri: r.get(1)?,
        client_id: r.get(2)?,
        auth_method: parse_col(r, 3, AuthMethod::parse)?,
        has_secret: r.get(4)?,
        client_secret_expires_at: r.get(5)?,
        registered_at: r.get(6)?,
        worked_at: r.get(7)?,
    })
}
