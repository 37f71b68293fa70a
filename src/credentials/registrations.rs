//! The cache of client registrations per authorization server (RFC 7591
//! dynamic registrations, and the device flow's), reused across logins.

pub use crate::store::Registration;

use super::Credentials;
use crate::error::Result;
use crate::model::{Secret, Timestamp};
use crate::store::keys;

impl Credentials {
    /// The registration at `issuer` for `redirect_uri`, if cached.
    pub fn registration(&self, issuer: &str, redirect_uri: &str) -> Result<Option<Registration>> {
        self.store()?.db().registration(issuer, redirect_uri)
    }

    /// Every registration cached at `issuer`.
    pub fn registrations(&self, issuer: &str) -> Result<Vec<Registration>> {
        self.store()?.db().registrations(issuer)
    }

    /// Caches a registration and its client secret, if it has one.
    pub fn save_registration(&self, reg: &Registration, secret: Option<&Secret>) -> Result<()> {
        self.store()?.save_registration(reg, secret)
    }

    /// Drops a registration the server no longer knows, and its secret.
    pub fn forget_registration(&self, reg: &Registration) -> Result<()> {
        self.store()?.forget_registration(reg)
    }

    /// Records that the registration of `client_id` at `issuer` just got
    /// tokens.
    pub fn mark_registration_worked(
        &self,
        issuer: &str,
        client_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.store()?
            .db()
            .mark_registration_worked(issuer, client_id, at)
    }

    /// The client secret stored for the registration of `client_id` at
    /// `issuer`, if any.
    pub fn registration_secret(&self, issuer: &str, client_id: &str) -> Result<Option<Secret>> {
        self.store()?
            .secret(&keys::client_secret(issuer, client_id))
    }
}
