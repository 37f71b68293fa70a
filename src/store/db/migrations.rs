//! The schema: numbered migrations, each a file under `store/migrations/`,
//! applied in order; `PRAGMA user_version` records how many ran.

use rusqlite::TransactionBehavior;

use super::Db;
use crate::error::{Error, Result};

/// Migrations in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_init.sql"),
    include_str!("../migrations/002_secrets.sql"),
    include_str!("../migrations/003_registration_worked.sql"),
    include_str!("../migrations/004_allowed_origins.sql"),
    include_str!("../migrations/005_credential_servers.sql"),
    include_str!("../migrations/006_credentials_by_name.sql"),
    include_str!("../migrations/007_credential_servers_without_trigger.sql"),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl Db {
    pub(super) fn migrate(&self) -> Result<()> {
        let current = self.schema_version()?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        if current > SCHEMA_VERSION {
            return Err(Error::Database(format!(
                "{} was written by a newer mcp-auth (schema {current}, this one knows {SCHEMA_VERSION}); upgrade mcp-auth",
                self.path.display()
            )));
        }
        self.transaction(TransactionBehavior::Immediate, |tx| {
            // Re-read inside the write lock: another process may have migrated.
            let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            }
            Ok(())
        })
    }
}
