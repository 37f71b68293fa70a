//! When to refresh a credential, and how long to wait after a failure: pure
//! functions of the stored row, the settings and the clock, so they are
//! tested with any clock.
//!
//! Times are wall-clock milliseconds since the epoch, computed from the
//! absolute expiry stored in the database, never from a timer's start: a
//! laptop that slept through a due time finds it past on waking and
//! refreshes at once.

use std::time::Duration;

use crate::model::{Credential, Health, Status, Timestamp};

/// Expiry times are whole seconds and a refresh needs a round trip and a
/// write: never plan less than this ahead (or a third of the lifetime of a
/// token that lives less than three times this).
pub const MIN_LEAD_MS: i64 = 2_000;

/// A misbehaving provider (`expires_in: 0`) must not turn the scheduler
/// into a busy loop: at most one scheduled refresh per credential in this
/// time.
pub const MIN_GAP_MS: i64 = 1_000;

/// Backoff after transient failures: doubling from the first step to the
/// cap, with jitter so that many credentials of one provider spread out.
pub const BACKOFF_FIRST_MS: i64 = 2_000;
pub const BACKOFF_CAP_MS: i64 = 5 * 60 * 1_000;

/// True when the daemon keeps this credential valid: it can be renewed
/// without a person, does not need a login, and has an expiry to refresh
/// ahead of.
pub fn watched(c: &Credential, now_secs: Timestamp) -> bool {
    c.renewable()
        && c.status == Status::Active
        && c.access_expires_at.is_some()
        && c.health(now_secs) != Health::Expired
}

/// How long before expiry to refresh a token that lives `lifetime_ms`:
/// the lesser of `refresh_ahead` and 10 % of the lifetime, but at least
/// [`MIN_LEAD_MS`] (a third of very short lifetimes).
pub fn lead_ms(lifetime_ms: i64, refresh_ahead: Duration) -> i64 {
    let lifetime = lifetime_ms.max(0);
    let ahead = i64::try_from(refresh_ahead.as_millis()).unwrap_or(i64::MAX);
    let lead = ahead.min(lifetime / 10);
    lead.max(MIN_LEAD_MS.min(lifetime / 3))
}

/// When to refresh `c`: `lead_ms` before its access token expires, moved
/// earlier by up to a fifth of the lead by `jitter` (0..1, stable per
/// credential generation) so that credentials created together do not
/// refresh together. `None` when it is not watched.
pub fn due_ms(
    c: &Credential,
    refresh_ahead: Duration,
    jitter: f64,
    now_secs: Timestamp,
) -> Option<i64> {
    if !watched(c, now_secs) {
        return None;
    }
    let expires_ms = c.access_expires_at? * 1000;
    let lifetime_ms = expires_ms - c.access_issued_at() * 1000;
    let lead = lead_ms(lifetime_ms, refresh_ahead);
    let spread = (lead as f64 / 5.0 * jitter.clamp(0.0, 1.0)) as i64;
    Some(expires_ms - lead - spread)
}

/// The wait before retry number `attempt` (1 for the first retry), with
/// `jitter` (0..1) spreading it by ±20 %.
pub fn backoff_ms(attempt: u32, jitter: f64) -> i64 {
    let step = BACKOFF_FIRST_MS.saturating_mul(1_i64 << attempt.saturating_sub(1).min(20));
    let base = step.min(BACKOFF_CAP_MS);
    let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    (base as f64 * spread) as i64
}

/// The wait before retry number `attempt` when the server said how long to
/// wait (`Retry-After`, in seconds): never sooner than it asked, since an
/// earlier attempt would only be refused again and adds to its load; and
/// never sooner than the usual backoff. The server's wait is capped by
/// [`crate::oauth::http::MAX_RETRY_AFTER`] where it is read.
pub fn retry_wait_ms(attempt: u32, jitter: f64, retry_after_secs: Option<u64>) -> i64 {
    let backoff = backoff_ms(attempt, jitter);
    let asked = retry_after_secs
        .map(|s| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX))
        .unwrap_or(0);
    backoff.max(asked)
}

/// A number in 0..1 that stays the same for the same inputs in this
/// process, and differs between credentials.
pub fn jitter(hasher: &std::hash::RandomState, name: &str, generation: i64) -> f64 {
    use std::hash::BuildHasher;
    let h = hasher.hash_one((name, generation));
    (h % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GrantKind;

    fn cred(issued: Timestamp, expires: Timestamp) -> Credential {
        Credential {
            created_at: 0,
            status_changed_at: 0,
            last_refreshed_at: Some(issued),
            access_expires_at: Some(expires),
            ..crate::store::db::tests::sample("c")
        }
    }

    const FIVE_MIN: Duration = Duration::from_secs(300);

    #[test]
    fn lead_is_the_lesser_of_five_minutes_and_a_tenth_of_the_lifetime() {
        // One hour: 10 % is 6 min, so 5 min.
        assert_eq!(lead_ms(3_600_000, FIVE_MIN), 300_000);
        // Ten minutes: 10 % is 1 min.
        assert_eq!(lead_ms(600_000, FIVE_MIN), 60_000);
        // A day with refresh_ahead = 30 min.
        assert_eq!(lead_ms(86_400_000, Duration::from_secs(1800)), 1_800_000);
        // Very short lifetimes keep a workable margin.
        assert_eq!(lead_ms(6_000, FIVE_MIN), 2_000);
        assert_eq!(lead_ms(3_000, FIVE_MIN), 1_000);
        assert_eq!(lead_ms(0, FIVE_MIN), 0);
    }

    #[test]
    fn due_time_comes_from_the_stored_expiry_with_bounded_jitter() {
        let c = cred(1_000, 4_600); // issued at 1000 s, lives one hour
        let due = due_ms(&c, FIVE_MIN, 0.0, 1_000).unwrap();
        assert_eq!(due, 4_600_000 - 300_000);
        let earliest = due_ms(&c, FIVE_MIN, 1.0, 1_000).unwrap();
        assert_eq!(earliest, 4_600_000 - 300_000 - 60_000);
        // Long past (a laptop that slept): due at once, from the same row.
        assert!(due_ms(&c, FIVE_MIN, 0.5, 10_000).unwrap() < 10_000 * 1000);
    }

    #[test]
    fn only_renewable_active_expiring_credentials_are_watched() {
        let mut c = cred(0, 100);
        assert!(watched(&c, 50));
        c.status = Status::NeedsLogin;
        assert!(!watched(&c, 50));
        c.status = Status::Active;
        c.has_refresh_token = false;
        assert!(!watched(&c, 50), "nothing to renew it with");
        c.grant = GrantKind::ClientCredentials;
        assert!(watched(&c, 50), "client credentials are re-minted");
        c.access_expires_at = None;
        assert!(!watched(&c, 50), "no expiry, nothing to do ahead of");
        let mut c = cred(0, 100);
        c.refresh_expires_at = Some(150);
        assert!(!watched(&c, 200), "its refresh token ran out too");
        assert!(due_ms(&c, FIVE_MIN, 0.0, 200).is_none());
    }

    #[test]
    fn a_relogin_counts_its_lifetime_from_the_login() {
        // Re-login: created long ago, never refreshed since the login,
        // which set status_changed_at.
        let mut c = cred(0, 0);
        c.created_at = 10;
        c.last_refreshed_at = None;
        c.status_changed_at = 50_000;
        c.access_expires_at = Some(50_060); // a one-minute token
        let due = due_ms(&c, FIVE_MIN, 0.0, 50_000).unwrap();
        assert_eq!(due, 50_060_000 - 6_000, "10 % of one minute, not 5 min");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        assert_eq!(backoff_ms(1, 0.5), 2_000);
        assert_eq!(backoff_ms(2, 0.5), 4_000);
        assert_eq!(backoff_ms(3, 0.5), 8_000);
        assert_eq!(backoff_ms(30, 0.5), BACKOFF_CAP_MS);
        assert_eq!(backoff_ms(1, 0.0), 1_600);
        assert_eq!(backoff_ms(1, 1.0), 2_400);
    }

    #[test]
    fn retry_after_lengthens_the_backoff_and_never_shortens_it() {
        assert_eq!(retry_wait_ms(1, 0.5, None), 2_000);
        assert_eq!(retry_wait_ms(1, 0.5, Some(30)), 30_000);
        // A server asking for less than the backoff does not speed it up.
        assert_eq!(retry_wait_ms(4, 0.5, Some(1)), 16_000);
        assert_eq!(retry_wait_ms(1, 0.5, Some(0)), 2_000);
    }

    #[test]
    fn jitter_is_stable_per_generation_and_in_range() {
        let h = std::hash::RandomState::new();
        let a = jitter(&h, "a", 1);
        assert_eq!(a, jitter(&h, "a", 1));
        for i in 0..100 {
            let j = jitter(&h, &format!("c{i}"), i);
            assert!((0.0..1.0).contains(&j));
        }
    }
}
