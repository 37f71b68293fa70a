//! A credential's lifecycle as one state machine: the states a row can be
//! in, every transition between them and the audit event each writes, how
//! the credential renews ([`Renewal`], decided here once), and what a
//! person is told about it ([`Health`], derived, never stored).
//!
//! ```text
//! transition      from               to            event
//! LoggedIn        (none) or any      Active        login
//! Renewed         Active             Active        refresh
//! RenewalFailed   Active             (unchanged)   refresh_failed
//! Refused         Active             NeedsLogin    refresh_failed
//! SecretsLost     any                NeedsLogin    (none)
//! Used            Active             (unchanged)   use
//! Revoked         any                deleted       revoke
//! Pruned          any, dead          deleted       prune (one per run)
//! ```
//!
//! Expiry is not a state: an `Active` row whose access token ran out is
//! still `Active`, and its [`Health`] says whether it is `Refreshable` or
//! `Expired`, from the stored times and its [`Renewal`].
//!
//! Who performs each transition: `credentials` (login, renewal and its
//! failures, secrets lost, use, revoke) and the store's prune (pruned).
//! Each writes its event through `Db::record_transition`, which writes the
//! event [`Transition::event`] names, and the status
//! [`Transition::status_after`] names.

use serde::{Deserialize, Serialize};

use super::{EventKind, GrantKind, Timestamp};
use crate::error::{Error, Failure};

/// The stored lifecycle state. Expiry is not a status: it is derived from
/// the stored times into [`Health`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// The authorization server refused the grant for good (`invalid_grant`,
    /// `invalid_client`, `unauthorized_client`), or the secrets are gone:
    /// only a new login helps. The record is kept.
    NeedsLogin,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::NeedsLogin => "needs_login",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "active" => Status::Active,
            "needs_login" => Status::NeedsLogin,
            _ => return None,
        })
    }
}

/// Every change a credential's row goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A login saved the credential, new or over an earlier one of the
    /// same name (whatever its status): `Active`, generation moved on.
    LoggedIn,
    /// A renewal stored a new token set: stays `Active`, generation moved on.
    Renewed,
    /// A renewal failed in a way that may pass (or says nothing about the
    /// grant): stays `Active`, `last_error` set, old tokens kept.
    RenewalFailed,
    /// The authorization server refused the grant for good: `NeedsLogin`,
    /// the record and its secrets kept.
    Refused,
    /// The row's secrets are missing from the secret store: `NeedsLogin`.
    /// Found on a read, so no event is written.
    SecretsLost,
    /// An access token was handed out: no change of status, last used set.
    Used,
    /// `tokens revoke` or `logout`: the row and its secrets deleted.
    Revoked,
    /// A prune run found the credential dead past the retention period:
    /// deleted. The run writes one event for all it deleted (counts only).
    Pruned,
}

/// Where a transition leaves the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Status(Status),
    /// The status it had.
    Unchanged,
    Deleted,
}

impl Transition {
    /// The status the row has after the transition.
    pub fn status_after(self) -> After {
        match self {
            Transition::LoggedIn | Transition::Renewed => After::Status(Status::Active),
            Transition::Refused | Transition::SecretsLost => After::Status(Status::NeedsLogin),
            Transition::RenewalFailed | Transition::Used => After::Unchanged,
            Transition::Revoked | Transition::Pruned => After::Deleted,
        }
    }

    /// The audit event the transition writes, if any.
    pub fn event(self) -> Option<EventKind> {
        match self {
            Transition::LoggedIn => Some(EventKind::Login),
            Transition::Renewed => Some(EventKind::Refresh),
            Transition::RenewalFailed | Transition::Refused => Some(EventKind::RefreshFailed),
            Transition::SecretsLost => None,
            Transition::Used => Some(EventKind::Use),
            Transition::Revoked => Some(EventKind::Revoke),
            Transition::Pruned => Some(EventKind::Prune),
        }
    }

    /// What a failed renewal does to the credential: a permanent refusal
    /// needs a login, anything else keeps it as it is.
    pub fn after_failure(err: &Error) -> Transition {
        match err.failure() {
            Failure::Permanent(_) => Transition::Refused,
            Failure::Transient(_) | Failure::Unclassified => Transition::RenewalFailed,
        }
    }
}

/// How a credential gets a new access token without a person. Decided from
/// the grant and whether a refresh token is held, here and nowhere else;
/// health, the daemon's schedule, prune and the renewal itself all ask it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// A refresh token (RFC 6749 §6), whatever grant first issued it.
    RefreshToken,
    /// A new client credentials grant (RFC 6749 §4.4).
    ClientCredentials,
    /// Cross-app access: a new ID-JAG from the IdP, then a JWT bearer grant.
    CrossApp,
    /// Workload identity: the platform's identity token, read again, as the
    /// assertion of a JWT bearer grant (RFC 7523 §2.1).
    JwtBearer,
    /// Nothing renews it: a new login does.
    None,
}

impl Renewal {
    /// A refresh token wins: it is what the server gave to renew with.
    pub fn of(grant: GrantKind, has_refresh_token: bool) -> Renewal {
        if has_refresh_token {
            return Renewal::RefreshToken;
        }
        match grant {
            GrantKind::ClientCredentials => Renewal::ClientCredentials,
            GrantKind::CrossApp => Renewal::CrossApp,
            GrantKind::JwtBearer => Renewal::JwtBearer,
            GrantKind::AuthorizationCode | GrantKind::DeviceCode | GrantKind::Imported => {
                Renewal::None
            }
        }
    }

    pub fn renews(self) -> bool {
        self != Renewal::None
    }
}

/// What a person wants to know about a credential, derived from its status
/// and expiry times at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Valid,
    ExpiringSoon,
    /// The access token has expired, but a refresh (or a new client
    /// credentials grant) will get another without a login.
    Refreshable,
    Expired,
    NeedsLogin,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Valid => "valid",
            Health::ExpiringSoon => "expiring soon",
            Health::Refreshable => "refreshable",
            Health::Expired => "expired",
            Health::NeedsLogin => "needs login",
        }
    }

    pub fn parse(s: &str) -> Option<Health> {
        Some(match s.replace(['-', '_'], " ").as_str() {
            "valid" => Health::Valid,
            "expiring soon" | "expiring" => Health::ExpiringSoon,
            "refreshable" => Health::Refreshable,
            "expired" => Health::Expired,
            "needs login" => Health::NeedsLogin,
            _ => return None,
        })
    }

    /// True when something has to be done by a person.
    pub fn is_problem(self) -> bool {
        matches!(self, Health::Expired | Health::NeedsLogin)
    }
}

/// An access token that expires within this many seconds is "expiring soon".
pub const EXPIRING_SOON_SECS: i64 = 300;

/// What health and retention are derived from: a few columns of a
/// credential's row, small enough to stream a million of them (prune).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: Status,
    pub status_changed_at: Timestamp,
    pub access_expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
    pub renewal: Renewal,
}

impl Lifecycle {
    pub fn health(&self, now: Timestamp) -> Health {
        if self.status == Status::NeedsLogin {
            return Health::NeedsLogin;
        }
        match self.access_expires_at {
            None => Health::Valid,
            Some(exp) if exp > now + EXPIRING_SOON_SECS => Health::Valid,
            Some(exp) if exp > now => Health::ExpiringSoon,
            Some(_) if self.renewal.renews() && self.refresh_usable(now) => Health::Refreshable,
            Some(_) => Health::Expired,
        }
    }

    fn refresh_usable(&self, now: Timestamp) -> bool {
        self.refresh_expires_at.is_none_or(|t| t > now)
    }

    /// Since when the credential has been unusable without a login, if it is.
    pub fn dead_since(&self, now: Timestamp) -> Option<Timestamp> {
        match self.health(now) {
            Health::NeedsLogin => Some(self.status_changed_at),
            Health::Expired => {
                let access = self.access_expires_at.unwrap_or(now);
                // Dead from the moment the last thing that could renew it ran out.
                let refresh = if self.renewal.renews() {
                    self.refresh_expires_at.unwrap_or(access)
                } else {
                    access
                };
                Some(access.max(refresh).min(now))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_wins_and_only_minting_grants_renew_without_one() {
        for grant in [
            GrantKind::AuthorizationCode,
            GrantKind::DeviceCode,
            GrantKind::Imported,
            GrantKind::ClientCredentials,
            GrantKind::CrossApp,
            GrantKind::JwtBearer,
        ] {
            assert_eq!(Renewal::of(grant, true), Renewal::RefreshToken);
        }
        assert_eq!(
            Renewal::of(GrantKind::ClientCredentials, false),
            Renewal::ClientCredentials
        );
        assert_eq!(Renewal::of(GrantKind::CrossApp, false), Renewal::CrossApp);
        assert_eq!(Renewal::of(GrantKind::JwtBearer, false), Renewal::JwtBearer);
        for grant in [
            GrantKind::AuthorizationCode,
            GrantKind::DeviceCode,
            GrantKind::Imported,
        ] {
            assert_eq!(Renewal::of(grant, false), Renewal::None);
            assert!(!Renewal::of(grant, false).renews());
        }
    }

    #[test]
    fn only_a_permanent_refusal_needs_a_login() {
        let oauth = |code: &str| Error::OAuth {
            context: "the refresh failed".into(),
            error: code.into(),
            description: None,
            retry_after: None,
        };
        for code in ["invalid_grant", "invalid_client", "unauthorized_client"] {
            assert_eq!(Transition::after_failure(&oauth(code)), Transition::Refused);
        }
        for code in [
            "temporarily_unavailable",
            "server_error",
            "http_503",
            "http_429",
            "invalid_scope",
            "http_404",
        ] {
            assert_eq!(
                Transition::after_failure(&oauth(code)),
                Transition::RenewalFailed
            );
        }
        assert_eq!(
            Transition::after_failure(&Error::Timeout("slow".into())),
            Transition::RenewalFailed
        );
        assert_eq!(
            Transition::Refused.status_after(),
            After::Status(Status::NeedsLogin)
        );
        assert_eq!(Transition::RenewalFailed.status_after(), After::Unchanged);
        assert_eq!(
            Transition::Refused.event(),
            Transition::RenewalFailed.event()
        );
    }
}
