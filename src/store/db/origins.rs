//! The `allowed_origins` column of `credentials` and `secrets`: where a
//! token or a secret may be sent (see [`crate::origins`]).

use rusqlite::{OptionalExtension, params};

use super::Db;
use crate::error::Result;

/// What holds allowed origins: a credential (its tokens) or a static secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Token,
    Secret,
}

impl Holder {
    fn table(self) -> &'static str {
        match self {
            Holder::Token => "credentials",
            Holder::Secret => "secrets",
        }
    }
}

impl Db {
    /// The origins `name` may be sent to (see [`crate::origins`]); `None`
    /// when there is no such credential or secret.
    pub fn allowed_origins(&self, holder: Holder, name: &str) -> Result<Option<Vec<String>>> {
        let sql = format!(
            "SELECT allowed_origins FROM {} WHERE name = ?1",
            holder.table()
        );
        let raw: Option<String> = self.autocommit(|conn| {
            Ok(conn
                .query_row(&sql, params![name], |r| r.get(0))
                .optional()?)
        })?;
        Ok(raw.map(|r| r.split_whitespace().map(str::to_string).collect()))
    }

    /// Replaces the origins `name` may be sent to; false when there is no
    /// such credential or secret.
    pub fn set_allowed_origins(
        &self,
        holder: Holder,
        name: &str,
        origins: &[String],
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE {} SET allowed_origins = ?2 WHERE name = ?1",
            holder.table()
        );
        let n =
            self.autocommit(|conn| Ok(conn.execute(&sql, params![name, origins.join(" ")])?))?;
        Ok(n > 0)
    }
}
