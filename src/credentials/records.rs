//! Reading saved credentials and their audit trail, and the few row changes
//! callers above make that are not part of a login, renewal or revoke
//! (sharing a credential with another server URL, recording a use). Plain
//! blocking calls: async callers run them with [`crate::task::blocking`].

use super::Credentials;
use crate::error::Result;
use crate::model::{Credential, Event, Timestamp, Transition};

impl Credentials {
    /// Every saved credential, by name.
    pub fn list(&self) -> Result<Vec<Credential>> {
        self.store()?.db().list()
    }

    /// Hands every credential to `each`, by name, one row at a time, in
    /// constant memory. `each` must not ask the credentials again (the
    /// connection is busy with the listing).
    pub fn each_credential(&self, each: impl FnMut(Credential) -> Result<()>) -> Result<()> {
        self.store()?.db().each_credential(each)
    }

    /// [`Credentials::each_credential`] with the origins in force for each
    /// ([`crate::origins::of_credential`]), read in the same pass.
    pub fn each_credential_with_origins(
        &self,
        mut each: impl FnMut(Credential, Vec<String>) -> Result<()>,
    ) -> Result<()> {
        self.store()?
            .db()
            .each_credential_with_origins(|c, stored| {
                let allowed = crate::origins::of_credential(&c, stored);
                each(c, allowed)
            })
    }

    /// The row of `name`, if saved. Reads no secret.
    pub fn get(&self, name: &str) -> Result<Option<Credential>> {
        self.store()?.db().get(name)
    }

    /// The credentials saved for an MCP server URL, newest first.
    pub fn find_by_server(&self, server_url: &str) -> Result<Vec<Credential>> {
        self.store()?.db().find_by_server(server_url)
    }

    /// The credentials of one authorization server and resource, which any
    /// server of that pair may share.
    pub fn find_shared(&self, issuer: &str, resource: &str) -> Result<Vec<Credential>> {
        self.store()?.db().find_shared(issuer, resource)
    }

    /// Records that `server_url` uses the credential `c` too.
    pub fn share_server(&self, server_url: &str, c: &Credential, at: Timestamp) -> Result<()> {
        self.store()?.db().share_server(server_url, c, at)
    }

    /// A number that moves whenever another connection changed the
    /// database: the daemon re-reads its plan only then.
    pub fn data_version(&self) -> Result<i64> {
        self.store()?.db().data_version()
    }

    /// The newest `limit` audit events, of one credential or all.
    pub fn events(&self, credential: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        self.store()?.db().events(credential, limit)
    }

    /// Records that `name` was last used at `at`, without an audit event
    /// (the bridge writes one per session, at its end).
    pub fn touch_used(&self, name: &str, at: Timestamp) -> Result<()> {
        self.store()?.db().touch_used(name, at)
    }

    /// Records a use and its audit event with `detail`, like
    /// [`Credentials::record_use`] but blocking.
    pub fn record_use_now(&self, name: &str, detail: &str, at: Timestamp) -> Result<()> {
        let store = self.store()?;
        store.db().touch_used(name, at)?;
        store
            .db()
            .record_transition(Some(name), Transition::Used, Some(detail), at)
    }
}
