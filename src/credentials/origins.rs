//! Which origins a token or user secret may be sent to
//! ([`crate::origins`] holds the rules; this is where callers above ask).

pub use crate::store::db::Holder;

use super::Credentials;
use crate::error::Result;

impl Credentials {
    /// The origins `name` may be sent to; `None` when it is not saved.
    pub fn allowed_origins(&self, holder: Holder, name: &str) -> Result<Option<Vec<String>>> {
        crate::origins::allowed(self.store()?, holder, name)
    }

    /// Why `name` may not be sent to `target`, or `None` when it may.
    pub fn check_origin(&self, holder: Holder, name: &str, target: &str) -> Result<Option<String>> {
        crate::origins::check(self.store()?, holder, name, target)
    }

    /// Adds (`add`) or removes the origin of `url` for `name`; returns that
    /// origin and all those now allowed.
    pub fn change_origins(
        &self,
        holder: Holder,
        name: &str,
        url: &str,
        add: bool,
    ) -> Result<(String, Vec<String>)> {
        crate::origins::change(self.store()?, holder, name, url, add)
    }
}
