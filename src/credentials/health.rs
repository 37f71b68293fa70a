//! What `doctor`, the daemon and commands that must not lose an answer ask
//! about storage itself: can it be written, what it is, is it sound; and
//! pruning what died.

pub use crate::store::PruneReport;

use std::path::PathBuf;

use super::Credentials;
use crate::config::SecretStoreKind;
use crate::error::Result;
use crate::model::Timestamp;

/// The schema version this build expects of the database.
pub const SCHEMA_VERSION: i64 = crate::store::db::SCHEMA_VERSION;

/// The database as `doctor` reports it.
pub struct DatabaseCheck {
    pub path: PathBuf,
    /// `"ok"`, or what SQLite's integrity check found.
    pub integrity: Result<String>,
    pub schema_version: Result<i64>,
}

impl Credentials {
    /// Fails when the database or the secret store cannot be written.
    pub fn check_writable(&self) -> Result<()> {
        self.store()?.check_writable()
    }

    /// Fails when an answer that must be kept (a rotated refresh token, a
    /// revoke) could not be stored: to be asked before asking the server.
    pub fn check_can_store(&self) -> Result<()> {
        self.store()?.check_can_store()
    }

    /// The secret store in words, for logs and `doctor`.
    pub fn describe_secret_store(&self) -> Result<String> {
        Ok(self.store()?.describe_secret_store())
    }

    pub fn secret_store_kind(&self) -> Result<SecretStoreKind> {
        Ok(self.store()?.secret_store_kind())
    }

    /// SQLite's integrity check and the schema version.
    pub fn check_database(&self) -> Result<DatabaseCheck> {
        let db = self.store()?.db();
        Ok(DatabaseCheck {
            path: db.path().to_path_buf(),
            integrity: db.integrity_check(),
            schema_version: db.schema_version(),
        })
    }

    /// Deletes credentials dead for `retention_days` and their secrets
    /// (listing them only, `dry_run`), calling `each_deleted` for each.
    pub fn prune(
        &self,
        at: Timestamp,
        retention_days: u32,
        dry_run: bool,
        each_deleted: impl FnMut(&str) -> Result<()>,
    ) -> Result<PruneReport> {
        self.store()?
            .prune(at, retention_days, dry_run, each_deleted)
    }
}
