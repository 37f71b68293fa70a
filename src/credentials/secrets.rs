//! User secrets (`mcp-auth secrets`): values the bridge puts into headers,
//! kept in the secret store beside the tokens, with their metadata and
//! allowed origins in the database.

pub use crate::store::SecretMeta;

use super::Credentials;
use crate::error::Result;
use crate::model::{Secret, Timestamp};
use crate::store::db::Holder;

/// A user secret to save, besides its value.
pub struct NewSecret {
    pub name: String,
    pub note: Option<String>,
    pub expires_at: Option<Timestamp>,
    /// Origins to add to those it may be sent to ([`crate::origins`]).
    pub origins: Vec<String>,
}

impl Credentials {
    /// The metadata of every user secret, by name.
    pub fn secret_metas(&self) -> Result<Vec<SecretMeta>> {
        self.store()?.db().secret_metas()
    }

    /// Saves a user secret; returns whether one of that name was replaced
    /// and the origins it is now allowed. A replaced secret keeps its
    /// creation time and the origins allowed before; `origins` are added.
    pub fn save_user_secret(
        &self,
        new: NewSecret,
        value: &Secret,
        at: Timestamp,
    ) -> Result<(bool, Vec<String>)> {
        let NewSecret {
            name,
            note,
            expires_at,
            origins,
        } = new;
        let name = name.as_str();
        let store = self.store()?;
        let previous = store.db().secret_meta(name)?;
        let meta = SecretMeta {
            name: name.to_string(),
            created_at: previous.as_ref().map(|p| p.created_at).unwrap_or(at),
            updated_at: at,
            last_used_at: previous.as_ref().and_then(|p| p.last_used_at),
            expires_at,
            note,
        };
        store.save_user_secret(&meta, value)?;
        let kept = store
            .db()
            .allowed_origins(Holder::Secret, name)?
            .unwrap_or_default();
        let allowed = crate::origins::union(kept, origins);
        store
            .db()
            .set_allowed_origins(Holder::Secret, name, &allowed)?;
        Ok((previous.is_some(), allowed))
    }

    /// The value of a user secret (recording its use).
    pub fn user_secret(&self, name: &str) -> Result<Secret> {
        self.store()?.user_secret(name)
    }

    /// Deletes a user secret; false when there was none.
    pub fn delete_user_secret(&self, name: &str) -> Result<bool> {
        self.store()?.delete_user_secret(name)
    }
}
