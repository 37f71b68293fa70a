//! Revoking a credential (RFC 7009, or the provider's own way) and deleting
//! it here, under the credential's lock.

use super::{CredentialLock, Credentials, client_auth};
use crate::error::{Error, Result};
use crate::model::{Credential, Transition, now};
use crate::oauth::revoke::{self, Hint, Revoked};
use crate::providers::Revocation;
use crate::task::blocking;

impl Credentials {
    /// Revokes at the provider (unless local only), then deletes here. When the
    /// provider cannot be reached the credential is kept, so it can still be
    /// revoked later; `--local-only` deletes it anyway.
    pub async fn revoke(
        &self,
        c: &Credential,
        method: Revocation,
        local_only: bool,
    ) -> Result<String> {
        // A refresh in flight (another process, the daemon) holds this lock
        // until its answer is stored: waiting for it means the tokens read
        // below are the newest, so they are the ones revoked, and nothing is
        // stored after the deletion.
        let _lock = CredentialLock::acquire(self.inner.lock_dir.clone(), &c.name).await?;
        let store = self.store_owned()?;
        {
            // Revoked at the provider but kept here (the database read-only,
            // locked or full) would leave a credential that looks valid and
            // is dead: fail before anything is revoked.
            let store = store.clone();
            blocking(move || store.check_can_store()).await?;
        }
        let mut remote = "deleted here only".to_string();
        if !local_only && let Some(url) = &c.revocation_url {
            let name = c.name.clone();
            let tokens = {
                let store = store.clone();
                blocking(move || store.tokens(&name)).await?
            };
            if let Some(t) = tokens {
                let auth = client_auth(c, &t);
                let mut answers = Vec::new();
                match method {
                    // GitHub revokes only for the app's secret; a device-flow
                    // login never had one. Said plainly, like a provider
                    // without an endpoint.
                    Revocation::GitHubAppToken if auth.client_secret.is_none() => {
                        remote =
                            "deleted here (GitHub revokes a token only for a request with the \
                                  app's client secret, which this credential does not have; revoke \
                                  it in GitHub's Settings > Applications)"
                                .into();
                    }
                    Revocation::GitHubAppToken => answers.push(
                        revoke::revoke_github(url, &auth, &t.access_token)
                            .await
                            .map_err(|e| kept(c, e))?,
                    ),
                    _ => {
                        // Revoking the refresh token ends the grant; the access
                        // token is revoked too for servers that treat them
                        // apart (one that ended the whole grant with the first
                        // answers the second as already invalid).
                        if let Some(rt) = &t.refresh_token {
                            answers.push(
                                revoke::revoke(url, &auth, rt, Hint::RefreshToken)
                                    .await
                                    .map_err(|e| kept(c, e))?,
                            );
                        }
                        if method != Revocation::RefreshTokenOnly {
                            answers.push(
                                revoke::revoke(url, &auth, &t.access_token, Hint::AccessToken)
                                    .await
                                    .map_err(|e| kept(c, e))?,
                            );
                        }
                    }
                }
                remote = if answers.is_empty() && method == Revocation::GitHubAppToken {
                    remote
                } else if answers.is_empty() {
                    "deleted here (the provider revokes only refresh tokens and this credential has \
                     none; its access token lasts until it expires)"
                        .into()
                } else if answers.iter().all(|a| *a == Revoked::AlreadyInvalid) {
                    "the provider no longer knew it (already revoked or expired); deleted here"
                        .into()
                } else {
                    "revoked at the provider and deleted here".into()
                };
            }
        } else if !local_only {
            remote =
                "deleted here (the provider has no revocation endpoint; revoke the grant in its \
                      account settings)"
                    .into();
        }
        let name = c.name.clone();
        let detail = remote.to_string();
        blocking(move || {
            store.delete_credential(&name)?;
            store
                .db()
                .record_transition(Some(&name), Transition::Revoked, Some(&detail), now())
        })
        .await?;
        Ok(remote)
    }
}

fn kept(c: &Credential, e: Error) -> Error {
    Error::Other(format!(
        "{e}; '{}' is kept so it can be revoked later (use --local-only to delete it anyway)",
        c.name
    ))
}
