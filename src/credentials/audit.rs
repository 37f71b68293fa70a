//! The audit log as `mcp-auth audit` reads it: filtered, streamed.

pub use crate::store::db::{EventFilter, EventLog};

use super::Credentials;
use crate::error::Result;

impl Credentials {
    /// Runs `read` over the audit log in one read transaction, so a long
    /// listing sees one consistent log.
    pub fn read_events<T>(&self, read: impl FnOnce(&EventLog<'_>) -> Result<T>) -> Result<T> {
        self.store()?.db().read_events(read)
    }
}
