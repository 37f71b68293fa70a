//! The plain types everything else speaks: a credential's metadata, the
//! secret token set kept apart from it, and (in [`lifecycle`]) its states,
//! transitions, renewal kind and health.
//!
//! Secrets are wrapped in [`Secret`], whose `Debug` never shows the value;
//! nothing in this module implements `Display` for a secret.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub mod lifecycle;

pub use lifecycle::{EXPIRING_SOON_SECS, Health, Lifecycle, Renewal, Status, Transition};

/// Seconds since the Unix epoch. Stored times are absolute so that expiry
/// survives sleep, restarts and clock changes.
pub type Timestamp = i64;

pub fn now() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A secret string: serialised as-is (it goes only to the secret store),
/// never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The raw value, for the few places that must send or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How a credential was obtained, which decides how it is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    AuthorizationCode,
    DeviceCode,
    ClientCredentials,
    /// Enterprise-managed cross-app access: an ID token from the
    /// organisation's IdP exchanged for an ID-JAG, then a JWT bearer grant.
    CrossApp,
    /// A token obtained elsewhere (`tokens import`): a personal access
    /// token, or one moved from another tool.
    Imported,
    /// Workload identity: a platform-issued identity token (a CI runner's
    /// OIDC token, a pod's service-account token) as the assertion of a
    /// JWT bearer grant (RFC 7523 §2.1).
    JwtBearer,
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::AuthorizationCode => "authorization_code",
            GrantKind::DeviceCode => "device_code",
            GrantKind::ClientCredentials => "client_credentials",
            GrantKind::CrossApp => "cross_app",
            GrantKind::Imported => "imported",
            GrantKind::JwtBearer => "jwt_bearer",
        }
    }

    pub fn parse(s: &str) -> Option<GrantKind> {
        Some(match s {
            "authorization_code" => GrantKind::AuthorizationCode,
            "device_code" => GrantKind::DeviceCode,
            "client_credentials" => GrantKind::ClientCredentials,
            "cross_app" => GrantKind::CrossApp,
            "imported" => GrantKind::Imported,
            "jwt_bearer" => GrantKind::JwtBearer,
            _ => return None,
        })
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        Some(match s {
            "none" => AuthMethod::None,
            "client_secret_basic" => AuthMethod::ClientSecretBasic,
            "client_secret_post" => AuthMethod::ClientSecretPost,
            "private_key_jwt" => AuthMethod::PrivateKeyJwt,
            _ => return None,
        })
    }
}

/// What identifies a credential's origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A provider template or custom provider, by name.
    Provider { provider: String },
    /// An MCP server, by its canonical URL (also the RFC 8707 resource).
    McpServer { server_url: String },
}

impl Origin {
    pub fn label(&self) -> &str {
        match self {
            Origin::Provider { provider } => provider,
            Origin::McpServer { server_url } => server_url,
        }
    }
}

/// A credential's metadata: everything but the secrets. Lives in SQLite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub name: String,
    #[serde(flatten)]
    pub origin: Origin,
    pub issuer: Option<String>,
    pub resource: Option<String>,
    pub token_url: String,
    pub revocation_url: Option<String>,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub grant: GrantKind,
    pub subject: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub scopes: Vec<String>,
    pub has_refresh_token: bool,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub last_refreshed_at: Option<Timestamp>,
    pub access_expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
    pub status: Status,
    pub status_changed_at: Timestamp,
    pub last_error: Option<String>,
    /// Bumped on every change of the token set, so a slow writer can tell
    /// that someone else stored newer tokens meanwhile.
    pub generation: i64,
}

impl Credential {
    /// How the credential renews ([`Renewal::of`], the one place this is
    /// decided).
    pub fn renewal(&self) -> Renewal {
        Renewal::of(self.grant, self.has_refresh_token)
    }

    /// True when the credential can get a new access token without a person:
    /// a refresh token, or a grant that is minted again.
    pub fn renewable(&self) -> bool {
        self.renewal().renews()
    }

    /// The part of the row that decides health and retention.
    pub fn lifecycle(&self) -> Lifecycle {
        Lifecycle {
            status: self.status,
            status_changed_at: self.status_changed_at,
            access_expires_at: self.access_expires_at,
            refresh_expires_at: self.refresh_expires_at,
            renewal: self.renewal(),
        }
    }

    pub fn health(&self, now: Timestamp) -> Health {
        self.lifecycle().health(now)
    }

    /// Since when the credential has been unusable without a login, if it is.
    /// Retention pruning counts from this moment.
    pub fn dead_since(&self, now: Timestamp) -> Option<Timestamp> {
        self.lifecycle().dead_since(now)
    }

    /// When the current access token was issued, as far as the row can
    /// tell: its last refresh, else its login. A login sets
    /// `status_changed_at` (a re-login keeps the first `created_at`, so that
    /// one would not do), and a refresh sets `last_refreshed_at`.
    pub fn access_issued_at(&self) -> Timestamp {
        self.last_refreshed_at
            .map_or(self.status_changed_at, |r| r.max(self.status_changed_at))
    }

    /// The argument to give `mcp-auth login` to renew this credential.
    pub fn login_hint(&self) -> String {
        let target = self.origin.label();
        let default = match &self.origin {
            Origin::Provider { provider } => provider == &self.name,
            // A second server on a host is named with its path by default.
            Origin::McpServer { server_url } => {
                default_server_name(server_url) == self.name
                    || server_name_with_path(server_url) == self.name
            }
        };
        if default {
            target.to_string()
        } else {
            format!("{target} --name {}", self.name)
        }
    }
}

/// The default credential name for an MCP server: its host, with the port
/// when one is given (`mcp.linear.app`, `localhost-3000`), reduced to the
/// characters credential names allow.
pub fn default_server_name(server_url: &str) -> String {
    let Ok(url) = url::Url::parse(server_url) else {
        return "mcp-server".into();
    };
    let host = url
        .host_str()
        .unwrap_or("mcp-server")
        .trim_matches(['[', ']']);
    let name = match url.port() {
        Some(p) => format!("{host}-{p}"),
        None => host.to_string(),
    };
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_start_matches(['.', '-'])
        .to_string()
}

/// The default name with the server's path added (`localhost-3000-b-mcp`):
/// the name of a server whose host already has a credential of another
/// server under [`default_server_name`], so two servers on one host never
/// overwrite each other's credential. At most 100 characters, as
/// credential names allow.
pub fn server_name_with_path(server_url: &str) -> String {
    let base = default_server_name(server_url);
    let path = url::Url::parse(server_url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let slug: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        return base;
    }
    let mut name = format!("{base}-{slug}");
    name.truncate(100);
    name.trim_end_matches(['.', '-']).to_string()
}

/// The secrets of one credential, stored as one keyring entry so that a
/// new set replaces the old one in a single write.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    /// The credential generation these tokens belong to.
    pub generation: i64,
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// The client secret this credential authenticates with, if any, so a
    /// refresh never depends on config that may have changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<Timestamp>,
    /// With `private_key_jwt`, the algorithm the key (in `client_secret`)
    /// signs assertions with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_assertion_alg: Option<String>,
    /// Provider-specific parameters every token request of this credential
    /// carries (Auth0's `audience` for a machine client, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_params: Vec<(String, String)>,
    /// Cross-app access: how to get a new ID-JAG from the IdP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<IdpExchange>,
    /// The private DPoP key the tokens are bound to (RFC 9449), PKCS#8 in
    /// base64url; `None` for bearer tokens. Kept beside the tokens so a
    /// stolen access token is useless without this secret too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<Secret>,
    /// Workload identity (RFC 7523 jwt-bearer): the file holding the
    /// platform's identity token, read again at each renewal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_file: Option<std::path::PathBuf>,
}

/// What cross-app access needs to renew: the IdP's token endpoint, this
/// client's id there, and the person's ID token (redacted in `Debug`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdpExchange {
    pub token_url: String,
    pub client_id: String,
    pub id_token: Secret,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("generation", &self.generation)
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("access_expires_at", &self.access_expires_at)
            .field("client_assertion_alg", &self.client_assertion_alg)
            .field("idp", &self.idp.as_ref().map(|i| &i.token_url))
            .field("dpop_key", &self.dpop_key.as_ref().map(|_| "[redacted]"))
            .field("assertion_file", &self.assertion_file)
            .finish()
    }
}

/// What the audit log records. The doc comments are what `mcp-auth audit
/// --help` says of each kind (`--kind` takes these names, the ones stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum EventKind {
    /// A login saved the credential (or replaced it)
    Login,
    /// The access token was renewed: refreshed, or minted again
    Refresh,
    /// A renewal failed: refused by the server (needs login) or not reached
    RefreshFailed,
    /// An access token was handed out (by whom, to which process), or a bridge session ended
    Use,
    /// The credential was revoked and deleted
    Revoke,
    /// A prune run deleted dead credentials and old events (counts only)
    Prune,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Login => "login",
            EventKind::Refresh => "refresh",
            EventKind::RefreshFailed => "refresh_failed",
            EventKind::Use => "use",
            EventKind::Revoke => "revoke",
            EventKind::Prune => "prune",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub credential: Option<String>,
    pub kind: String,
    pub detail: Option<String>,
}

/// Formats a moment relative to `now`: "in 5m", "3d ago", "now".
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    let delta = at - now;
    let span = delta.unsigned_abs();
    let text = if span < 60 {
        return if span < 5 {
            "now".into()
        } else if delta > 0 {
            format!("in {span}s")
        } else {
            format!("{span}s ago")
        };
    } else if span < 3600 {
        format!("{}m", span / 60)
    } else if span < 48 * 3600 {
        let (h, m) = (span / 3600, (span % 3600) / 60);
        if m == 0 || h >= 10 {
            format!("{h}h")
        } else {
            format!("{h}h {m}m")
        }
    } else {
        format!("{}d", span / 86400)
    };
    if delta > 0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// A moment given as an RFC 3339 date-time with its offset
/// (`2026-11-01T09:30:00Z`, `2026-11-01T10:30:00+01:00`, fractions of a
/// second ignored) or a full-date (`2026-11-01`, its first second in UTC).
/// A time without an offset is refused: RFC 3339 has none, and guessing
/// the local zone would shift it by hours.
/// https://www.rfc-editor.org/rfc/rfc3339#section-5.6
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    // §5.6 note: "T" and "Z" may be written in lower case.
    let s = s.trim().to_ascii_uppercase();
    let seconds = |utc: &str| -> Option<Timestamp> {
        let t = humantime::parse_rfc3339(utc).ok()?;
        Some(match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as Timestamp,
            Err(before) => -(before.duration().as_secs() as Timestamp),
        })
    };
    if s.len() == 10 {
        return seconds(&format!("{s}T00:00:00Z"));
    }
    if s.ends_with('Z') {
        return seconds(&s);
    }
    // time-numoffset = ("+" / "-") time-hour ":" time-minute
    let (base, offset) = s.split_at_checked(s.len().checked_sub(6)?)?;
    let (sign, hh, mm) = match offset.as_bytes() {
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
        {
            let num = |a: &u8, b: &u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
            (if *sign == b'+' { 1 } else { -1 }, num(h1, h2), num(m1, m2))
        }
        _ => return None,
    };
    if hh > 23 || mm > 59 {
        return None;
    }
    // Local time minus its offset is UTC.
    Some(seconds(&format!("{base}Z"))? - sign * (hh * 3600 + mm * 60))
}

/// RFC 3339 in UTC, for JSON output and `tokens show`.
pub fn rfc3339(at: Timestamp) -> String {
    let t = UNIX_EPOCH + std::time::Duration::from_secs(at.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred() -> Credential {
        Credential {
            has_refresh_token: false,
            created_at: 0,
            status_changed_at: 0,
            ..crate::store::db::tests::sample("gh")
        }
    }

    #[test]
    fn health_follows_expiry_and_renewability() {
        let mut c = cred();
        assert_eq!(c.health(0), Health::Valid);
        assert_eq!(c.health(800), Health::ExpiringSoon);
        assert_eq!(c.health(1000), Health::Expired);
        c.has_refresh_token = true;
        assert_eq!(c.health(1000), Health::Refreshable);
        c.refresh_expires_at = Some(1500);
        assert_eq!(c.health(2000), Health::Expired);
        c.status = Status::NeedsLogin;
        assert_eq!(c.health(0), Health::NeedsLogin);
    }

    #[test]
    fn dead_since_counts_from_the_last_renewal_option() {
        let mut c = cred();
        assert_eq!(c.dead_since(500), None);
        assert_eq!(c.dead_since(5000), Some(1000));
        c.has_refresh_token = true;
        c.refresh_expires_at = Some(3000);
        assert_eq!(c.dead_since(2000), None);
        assert_eq!(c.dead_since(5000), Some(3000));
        c.status = Status::NeedsLogin;
        c.status_changed_at = 4000;
        assert_eq!(c.dead_since(5000), Some(4000));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let t = TokenSet {
            generation: 1,
            access_token: Secret::new("at-SECRET"),
            refresh_token: Some(Secret::new("rt-SECRET")),
            id_token: None,
            client_secret: Some(Secret::new("cs-SECRET")),
            access_expires_at: None,
            client_assertion_alg: None,
            token_params: Vec::new(),
            idp: None,
            dpop_key: None,
            assertion_file: None,
        };
        let s = format!("{t:?} {:?}", Secret::new("x-SECRET"));
        assert!(!s.contains("SECRET"), "{s}");
    }

    #[test]
    fn event_kinds_have_one_spelling_on_the_command_line_and_in_the_database() {
        use clap::ValueEnum;
        for kind in EventKind::value_variants() {
            let value = kind.to_possible_value().unwrap();
            assert_eq!(value.get_name(), kind.as_str());
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
    }

    #[test]
    fn rfc3339_times_and_dates_parse_with_their_offsets() {
        let t = 1_764_585_000; // 2025-12-01T10:30:00Z
        assert_eq!(parse_rfc3339("2025-12-01T10:30:00Z"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01t10:30:00z"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01T10:30:00.250Z"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01T12:30:00+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01T05:00:00-05:30"), Some(t));
        assert_eq!(parse_rfc3339("2025-12-01"), Some(t - 10 * 3600 - 1800));
        assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        for bad in [
            "",
            "yesterday",
            "2025-12-01T10:30:00",
            "2025-13-01",
            "2025-12-01T10:30:00+2:00",
            "2025-12-01T10:30:00+24:00",
            "12/01/2025",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(100, 100), "now");
        assert_eq!(relative(130, 100), "in 30s");
        assert_eq!(relative(100 + 300, 100), "in 5m");
        assert_eq!(relative(100, 100 + 3 * 86400), "3d ago");
        assert_eq!(relative(100 + 3600 + 1800, 100), "in 1h 30m");
    }
}
