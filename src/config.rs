//! `config.toml` plus `MCP_AUTH_*` environment overrides, resolved into
//! [`Config`] with defaults applied.
//!
//! Every top-level setting `some_key` can also be given as
//! `MCP_AUTH_SOME_KEY`; provider fields as
//! `MCP_AUTH_PROVIDERS__<NAME>__<FIELD>` (name lower-cased). The environment
//! wins over the file.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const ENV_PREFIX: &str = "MCP_AUTH_";

/// Where secrets live. The keyring is the default; the file store exists for
/// machines without one and is only ever used when chosen explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretStoreKind {
    Keyring,
    File,
}

/// A provider entry: a custom provider, or overrides for a built-in template
/// (`template = "okta"` bases a new name on a template).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub template: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub revocation_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub device_authorization_url: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Plaintext in the config file: prefer `client_secret_env` or the keyring.
    pub client_secret: Option<String>,
    pub client_secret_env: Option<String>,
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub extra_params: BTreeMap<String, String>,
    /// Template parameters: Okta/Auth0 domain, GitHub Enterprise or GitLab
    /// host, Microsoft tenant, Okta authorization server, Auth0 audience.
    pub domain: Option<String>,
    pub tenant: Option<String>,
    pub auth_server: Option<String>,
    pub audience: Option<String>,
    pub redirect_port: Option<u16>,
    /// Origins (`https://api.example.com`) the provider's tokens may be
    /// sent to by the bridge; replaces the template's list.
    pub api_origins: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    secret_store: Option<SecretStoreKind>,
    browser: Option<String>,
    keyring_timeout: Option<String>,
    http_timeout: Option<String>,
    login_timeout: Option<String>,
    request_timeout: Option<String>,
    max_reply: Option<String>,
    retention_days: Option<u32>,
    prune_interval: Option<String>,
    refresh_ahead: Option<String>,
    log: Option<String>,
    log_file: Option<String>,
    client_metadata_url: Option<String>,
    #[serde(default)]
    providers: BTreeMap<String, ProviderConfig>,
}

/// The kind of value a top-level key holds, to parse its environment form.
#[derive(Clone, Copy)]
enum ValueKind {
    Str,
    Int,
}

/// Top-level keys and the environment variables that can set them.
const KEYS: &[(&str, ValueKind, &[&str])] = &[
    ("secret_store", ValueKind::Str, &["MCP_AUTH_SECRET_STORE"]),
    ("browser", ValueKind::Str, &["MCP_AUTH_BROWSER"]),
    (
        "keyring_timeout",
        ValueKind::Str,
        &["MCP_AUTH_KEYRING_TIMEOUT"],
    ),
    ("http_timeout", ValueKind::Str, &["MCP_AUTH_HTTP_TIMEOUT"]),
    ("login_timeout", ValueKind::Str, &["MCP_AUTH_LOGIN_TIMEOUT"]),
    (
        "request_timeout",
        ValueKind::Str,
        &["MCP_AUTH_REQUEST_TIMEOUT"],
    ),
    ("max_reply", ValueKind::Str, &["MCP_AUTH_MAX_REPLY"]),
    (
        "retention_days",
        ValueKind::Int,
        &["MCP_AUTH_RETENTION_DAYS", "MCP_AUTH_TOKEN_RETENTION_DAYS"],
    ),
    (
        "prune_interval",
        ValueKind::Str,
        &["MCP_AUTH_PRUNE_INTERVAL"],
    ),
    ("refresh_ahead", ValueKind::Str, &["MCP_AUTH_REFRESH_AHEAD"]),
    ("log", ValueKind::Str, &["MCP_AUTH_LOG"]),
    ("log_file", ValueKind::Str, &["MCP_AUTH_LOG_FILE"]),
    (
        "client_metadata_url",
        ValueKind::Str,
        &["MCP_AUTH_CLIENT_METADATA_URL"],
    ),
];

/// Resolved settings, defaults applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// `None` means "not chosen": the keyring is used, and when it is
    /// unreachable the user is told how to choose.
    pub secret_store: Option<SecretStoreKind>,
    pub browser: Option<String>,
    /// How long one keyring call may take before the keyring counts as
    /// unreachable (a locked keyring can wait on an unlock prompt forever).
    pub keyring_timeout: Duration,
    /// The deadline of one request to an authorization server (token,
    /// refresh, revocation, registration, metadata): connecting, sending and
    /// reading the whole answer. A server that is slower fails as a timeout
    /// (exit code 10) and, for a refresh, keeps the stored tokens.
    pub http_timeout: Duration,
    pub login_timeout: Duration,
    /// How long the bridge waits for the server's answer to a request
    /// (a progress notification for it starts the wait again) before it
    /// answers the client with an error and cancels the request upstream.
    /// None (`0` in the file): no limit.
    pub request_timeout: Option<Duration>,
    /// The largest reply (a JSON body, or one event of a stream) the bridge
    /// reads from an MCP server; beyond it the request gets a JSON-RPC
    /// error. OAuth answers have their own fixed 1 MiB cap.
    pub max_reply: usize,
    pub retention_days: u32,
    pub prune_interval: Duration,
    /// Upper bound on how early the daemon refreshes (the actual lead is the
    /// smaller of this and 10 % of the token's lifetime).
    pub refresh_ahead: Duration,
    pub log: Option<String>,
    pub log_file: Option<String>,
    pub client_metadata_url: Option<String>,
    pub providers: BTreeMap<String, ProviderConfig>,
    /// What loading had to fix (permissions), to be said once.
    pub notice: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secret_store: None,
            browser: None,
            keyring_timeout: Duration::from_secs(10),
            http_timeout: crate::oauth::http::DEFAULT_TIMEOUT,
            login_timeout: Duration::from_secs(300),
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            max_reply: DEFAULT_MAX_REPLY,
            retention_days: 90,
            prune_interval: Duration::from_secs(24 * 3600),
            refresh_ahead: Duration::from_secs(300),
            log: None,
            log_file: None,
            client_metadata_url: None,
            providers: BTreeMap::new(),
            notice: None,
        }
    }
}

impl Config {
    /// Reads the file (a missing file is an empty config) and the process
    /// environment.
    pub fn load(path: &Path) -> Result<Config> {
        let (text, notice) = crate::paths::read_config_file(path)?.unwrap_or_default();
        let mut config =
            Config::from_sources(&text, &path.display().to_string(), std::env::vars())?;
        config.notice = notice;
        Ok(config)
    }

    /// Builds the config from file text and an environment; pure, for tests.
    pub fn from_sources(
        text: &str,
        origin: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| Error::Config(format!("{origin} is not valid TOML: {e}")))?;
        let env: BTreeMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        overlay_env(&mut table, &env)?;
        let raw: RawConfig = table
            .try_into()
            .map_err(|e: toml::de::Error| Error::Config(format!("{origin}: {e}")))?;
        Config::resolve(raw, origin)
    }

    fn resolve(raw: RawConfig, origin: &str) -> Result<Config> {
        let d = Config::default();
        // A zero deadline would fail every request at once.
        let positive = |key: &str, d: Duration| -> Result<Duration> {
            if d.is_zero() {
                Err(Error::Config(format!(
                    "{origin}: {key} must be longer than 0s"
                )))
            } else {
                Ok(d)
            }
        };
        let dur = |key: &str, v: Option<String>, default: Duration| -> Result<Duration> {
            match v {
                None => Ok(default),
                Some(s) => parse_duration(&s)
                    .map_err(|e| Error::Config(format!("{origin}: {key} = {s:?}: {e}"))),
            }
        };
        for (name, p) in &raw.providers {
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(Error::Config(format!(
                    "{origin}: provider name {name:?} must be a single word"
                )));
            }
            if p.client_secret.is_some() && p.client_secret_env.is_some() {
                return Err(Error::Config(format!(
                    "{origin}: [providers.{name}] sets both client_secret and client_secret_env; keep one"
                )));
            }
        }
        Ok(Config {
            secret_store: raw.secret_store,
            browser: raw.browser.filter(|b| !b.trim().is_empty()),
            keyring_timeout: dur("keyring_timeout", raw.keyring_timeout, d.keyring_timeout)?,
            http_timeout: positive(
                "http_timeout",
                dur("http_timeout", raw.http_timeout, d.http_timeout)?,
            )?,
            login_timeout: dur("login_timeout", raw.login_timeout, d.login_timeout)?,
            request_timeout: match raw.request_timeout {
                None => d.request_timeout,
                Some(s) => optional_duration(&s).map_err(|e| {
                    Error::Config(format!("{origin}: request_timeout = {s:?}: {e}"))
                })?,
            },
            max_reply: match raw.max_reply {
                None => d.max_reply,
                Some(s) => parse_size(&s)
                    .map_err(|e| Error::Config(format!("{origin}: max_reply = {s:?}: {e}")))?,
            },
            retention_days: raw.retention_days.unwrap_or(d.retention_days),
            prune_interval: dur("prune_interval", raw.prune_interval, d.prune_interval)?,
            refresh_ahead: dur("refresh_ahead", raw.refresh_ahead, d.refresh_ahead)?,
            log: raw.log,
            log_file: raw.log_file,
            client_metadata_url: raw.client_metadata_url,
            providers: raw.providers,
            notice: None,
        })
    }
}

fn overlay_env(table: &mut toml::Table, env: &BTreeMap<String, String>) -> Result<()> {
    for (key, kind, vars) in KEYS {
        // Later names in the list are aliases; the first one set wins.
        let Some((var, value)) = vars.iter().find_map(|v| env.get(*v).map(|x| (*v, x))) else {
            continue;
        };
        let value =
            match kind {
                ValueKind::Str => toml::Value::String(value.clone()),
                ValueKind::Int => toml::Value::Integer(value.trim().parse().map_err(|_| {
                    Error::Config(format!("{var}={value:?} is not a whole number"))
                })?),
            };
        table.insert((*key).to_string(), value);
    }
    for (var, value) in env {
        let Some(rest) = var.strip_prefix("MCP_AUTH_PROVIDERS__") else {
            continue;
        };
        let Some((name, field)) = rest.split_once("__") else {
            return Err(Error::Config(format!(
                "{var}: expected MCP_AUTH_PROVIDERS__<NAME>__<FIELD>"
            )));
        };
        let (name, field) = (name.to_lowercase(), field.to_lowercase());
        let value = match field.as_str() {
            "scopes" => toml::Value::Array(
                value
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_string()))
                    .collect(),
            ),
            "redirect_port" => toml::Value::Integer(
                value
                    .parse()
                    .map_err(|_| Error::Config(format!("{var}={value:?} is not a port")))?,
            ),
            _ => toml::Value::String(value.clone()),
        };
        let providers = table
            .entry("providers")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(providers) = providers else {
            return Err(Error::Config("`providers` must be a table".into()));
        };
        let entry = providers
            .entry(name)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(entry) = entry else {
            return Err(Error::Config(format!(
                "{var}: provider entry must be a table"
            )));
        };
        entry.insert(field, value);
    }
    Ok(())
}

/// Parses durations like `90s`, `5m`, `1h 30m`, or a bare number of seconds.
/// The bridge's default `request_timeout`: long enough for slow tools,
/// short enough that a lost answer does not hang the client for good.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// The bridge's default `max_reply`: far above any real MCP answer, and a
/// bound on what one hostile server can make the bridge hold.
pub const DEFAULT_MAX_REPLY: usize = 64 * 1024 * 1024;

/// The smallest `max_reply` accepted: below it ordinary tool lists fail.
const MIN_MAX_REPLY: u64 = 64 * 1024;

/// Parses sizes like `64MiB`, `512 KiB`, `1GiB` or a bare number of bytes
/// (KB/MB/GB are read as their binary namesakes).
pub fn parse_size(s: &str) -> std::result::Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| "not a size; try 64MiB, 512KiB or 1GiB".to_string())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown unit {other:?}; try 64MiB, 512KiB or 1GiB")),
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .filter(|b| *b <= 1u64 << 40)
        .ok_or_else(|| "too large; at most 1TiB".to_string())?;
    if bytes < MIN_MAX_REPLY {
        return Err("too small; at least 64KiB".into());
    }
    usize::try_from(bytes).map_err(|_| "too large for this machine".to_string())
}

/// A duration where 0 means "no limit" (None).
pub fn optional_duration(s: &str) -> std::result::Result<Option<Duration>, String> {
    let d = parse_duration(s)?;
    Ok((!d.is_zero()).then_some(d))
}

pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("not a duration ({e}); try 30s, 5m or 1h"))
}

/// Records a setting in the config file, keeping the rest of the file (and
/// its comments) as it was.
pub fn persist_setting(path: &Path, key: &str, value: &str) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::Config(format!("{} is not valid TOML: {e}", path.display())))?;
    doc[key] = toml_edit::value(value);
    if let Some(dir) = path.parent() {
        crate::paths::ensure_private_dir(dir)?;
    }
    crate::paths::write_private_file(path, doc.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sizes_parse_with_binary_units_and_bounds() {
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size(" 512 KiB ").unwrap(), 512 << 10);
        assert_eq!(parse_size("1gb").unwrap(), 1 << 30);
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert!(parse_size("1KiB").unwrap_err().contains("at least"));
        assert!(parse_size("2TiB").unwrap_err().contains("unknown unit"));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(
            parse_size("99999999999GiB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn request_timeout_defaults_to_ten_minutes_and_zero_turns_it_off() {
        let c = Config::from_sources("", "t", env(&[])).unwrap();
        assert_eq!(c.request_timeout, Some(Duration::from_secs(600)));
        let c = Config::from_sources("request_timeout = \"0\"", "t", env(&[])).unwrap();
        assert_eq!(c.request_timeout, None);
        let c = Config::from_sources("", "t", env(&[("MCP_AUTH_REQUEST_TIMEOUT", "90s")])).unwrap();
        assert_eq!(c.request_timeout, Some(Duration::from_secs(90)));
        let e = Config::from_sources("request_timeout = \"soon\"", "cfg", env(&[])).unwrap_err();
        assert!(e.to_string().contains("request_timeout"), "{e}");
    }

    #[test]
    fn defaults_apply_to_an_empty_file() {
        let c = Config::from_sources("", "t", env(&[])).unwrap();
        assert_eq!(c.retention_days, 90);
        assert_eq!(c.login_timeout, Duration::from_secs(300));
        assert_eq!(c.http_timeout, Duration::from_secs(30));
        assert_eq!(c.secret_store, None);
    }

    #[test]
    fn http_timeout_comes_from_the_file_or_the_environment_and_is_not_zero() {
        let c = Config::from_sources("http_timeout = \"5s\"", "t", env(&[])).unwrap();
        assert_eq!(c.http_timeout, Duration::from_secs(5));
        let c = Config::from_sources("", "t", env(&[("MCP_AUTH_HTTP_TIMEOUT", "2")])).unwrap();
        assert_eq!(c.http_timeout, Duration::from_secs(2));
        let e = Config::from_sources("http_timeout = \"0s\"", "cfg", env(&[])).unwrap_err();
        assert!(e.to_string().contains("http_timeout"), "{e}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let c = Config::from_sources(
            "secret_store = \"keyring\"\nretention_days = 10\n",
            "t",
            env(&[
                ("MCP_AUTH_SECRET_STORE", "file"),
                ("MCP_AUTH_TOKEN_RETENTION_DAYS", "30"),
                ("MCP_AUTH_LOGIN_TIMEOUT", "2m"),
            ]),
        )
        .unwrap();
        assert_eq!(c.secret_store, Some(SecretStoreKind::File));
        assert_eq!(c.retention_days, 30);
        assert_eq!(c.login_timeout, Duration::from_secs(120));
    }

    #[test]
    fn provider_fields_come_from_nested_env_names() {
        let c = Config::from_sources(
            "[providers.acme]\nauthorize_url = \"https://a/auth\"\n",
            "t",
            env(&[
                ("MCP_AUTH_PROVIDERS__ACME__CLIENT_ID", "cid"),
                ("MCP_AUTH_PROVIDERS__ACME__SCOPES", "a b,c"),
            ]),
        )
        .unwrap();
        let p = &c.providers["acme"];
        assert_eq!(p.client_id.as_deref(), Some("cid"));
        assert_eq!(p.authorize_url.as_deref(), Some("https://a/auth"));
        assert_eq!(p.scopes.as_ref().unwrap(), &["a", "b", "c"]);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = Config::from_sources("login_timeout = \"soon\"", "cfg", env(&[])).unwrap_err();
        assert!(e.to_string().contains("login_timeout"), "{e}");
        let e =
            Config::from_sources("", "cfg", env(&[("MCP_AUTH_RETENTION_DAYS", "x")])).unwrap_err();
        assert!(e.to_string().contains("MCP_AUTH_RETENTION_DAYS"), "{e}");
        let e = Config::from_sources("nonsense = 1", "cfg", env(&[])).unwrap_err();
        assert!(e.to_string().contains("nonsense"), "{e}");
        let e = Config::from_sources("[[", "cfg", env(&[])).unwrap_err();
        assert!(e.to_string().contains("not valid TOML"), "{e}");
    }

    #[test]
    fn persisting_keeps_comments_and_other_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\nbrowser = \"firefox\"\n\n[providers.x]\nclient_id = \"1\"\n",
        )
        .unwrap();
        persist_setting(&path, "secret_store", "file").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# mine"));
        let c = Config::from_sources(&text, "t", env(&[])).unwrap();
        assert_eq!(c.secret_store, Some(SecretStoreKind::File));
        assert_eq!(c.browser.as_deref(), Some("firefox"));
        assert_eq!(c.providers["x"].client_id.as_deref(), Some("1"));
    }
}
