//! The one error type of the crate, its user-facing messages and exit codes.
//!
//! Every message says what happened and, where the user can act, the command
//! that fixes it. No variant ever carries a token value: server bodies are
//! reduced to their OAuth `error` code and description before they get here.

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Documented exit codes (README "Exit codes"). Scripts rely on these numbers.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CONFIG: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    pub const NEEDS_LOGIN: u8 = 5;
    pub const AUTH_FAILED: u8 = 6;
    pub const NETWORK: u8 = 7;
    pub const SECRET_STORE: u8 = 8;
    pub const STORAGE: u8 = 9;
    pub const TIMEOUT: u8 = 10;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments or input the user typed.
    #[error("{0}")]
    Usage(String),

    /// The configuration file or an `MCP_AUTH_*` variable is invalid.
    #[error("{0}")]
    Config(String),

    #[error(
        "no credential named '{0}'\n  hint: `mcp-auth tokens list` shows the saved credentials"
    )]
    CredentialNotFound(String),

    #[error(
        "no secret named '{0}'\n  hint: `mcp-auth secrets list` shows the stored secrets; `mcp-auth secrets set NAME` stores one"
    )]
    SecretNotFound(String),

    #[error(
        "unknown provider '{0}'\n  hint: `mcp-auth providers list` shows the templates; add your own under [providers.{0}] in config.toml"
    )]
    UnknownProvider(String),

    /// Nothing was ever saved for this server: a first login, not a new one.
    #[error("no credential for {server}: run `mcp-auth login {server}`{}", note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default())]
    NotLoggedIn {
        server: String,
        /// Why this process does not log in by itself (`--no-login`).
        note: Option<String>,
    },

    /// The credential exists but cannot produce a token without a new login.
    #[error(
        "credential '{name}' needs a new login: {reason}\n  hint: run `mcp-auth login {login_hint}`"
    )]
    NeedsLogin {
        name: String,
        reason: String,
        login_hint: String,
    },

    /// The authorization server (or the user at it) refused.
    #[error("{context}: {error}{}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), retry_note(*retry_after))]
    OAuth {
        context: String,
        error: String,
        description: Option<String>,
        /// Seconds the server asked the client to wait (`Retry-After` on a
        /// 429 or 5xx), if it said.
        retry_after: Option<u64>,
    },

    /// A server answered, but not with anything usable.
    #[error("{context}: {message}")]
    Protocol { context: String, message: String },

    /// The network failed: DNS, connection refused, TLS, reset.
    #[error("{context}: {message}")]
    Network { context: String, message: String },

    #[error("{0}")]
    Timeout(String),

    /// The login of this credential that another process ran, and this one
    /// waited for, failed or was cancelled: reported once, not retried.
    #[error("the login of '{credential}' in another process (pid {pid}) failed: {message}")]
    LoginFailedElsewhere {
        credential: String,
        pid: u32,
        message: String,
        /// The failure's exit code in its own process.
        code: u8,
    },

    /// The keyring (or the explicit file store) cannot be used.
    #[error("{0}")]
    SecretStore(String),

    /// The metadata database cannot be used.
    #[error("metadata database: {0}")]
    Database(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// stdout was closed by the reader (`mcp-auth tokens list | head`): not a failure.
    #[error("broken pipe")]
    BrokenPipe,

    #[error("interrupted")]
    Interrupted,

    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Config(_) => exit::CONFIG,
            Error::CredentialNotFound(_) | Error::SecretNotFound(_) | Error::UnknownProvider(_) => {
                exit::NOT_FOUND
            }
            Error::NeedsLogin { .. } | Error::NotLoggedIn { .. } => exit::NEEDS_LOGIN,
            Error::OAuth { .. } | Error::Protocol { .. } => exit::AUTH_FAILED,
            Error::Network { .. } => exit::NETWORK,
            Error::Timeout(_) => exit::TIMEOUT,
            Error::LoginFailedElsewhere { code, .. } => *code,
            Error::SecretStore(_) => exit::SECRET_STORE,
            Error::Database(_) => exit::STORAGE,
            Error::Io { .. } | Error::Other(_) => exit::FAILURE,
            Error::BrokenPipe => exit::OK,
            Error::Interrupted => exit::INTERRUPTED,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn protocol(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Protocol {
            context: context.into(),
            message: message.into(),
        }
    }

    /// A network failure, described without the URL's query (which can hold a
    /// code or state) and without any body.
    pub fn network(context: impl Into<String>, err: &reqwest::Error) -> Self {
        let context = context.into();
        if err.is_timeout() {
            return Error::Timeout(format!("{context}: the server did not answer in time"));
        }
        let mut message = if err.is_connect() {
            "could not connect".to_string()
        } else if err.is_decode() || err.is_body() {
            "the response was cut off or unreadable".to_string()
        } else {
            "request failed".to_string()
        };
        // The innermost cause names the real problem (refused, DNS, TLS).
        let mut source = std::error::Error::source(err);
        let mut last = None;
        while let Some(s) = source {
            last = Some(s.to_string());
            source = s.source();
        }
        if let Some(cause) = last {
            message.push_str(": ");
            message.push_str(&cause);
        }
        Error::Network { context, message }
    }

    /// True for failures that may go away by themselves (network, timeouts,
    /// 5xx, 429, `temporarily_unavailable`): a refresh that fails this way
    /// keeps the old refresh token and is retried later.
    pub fn is_transient(&self) -> bool {
        matches!(self.failure(), Failure::Transient(_))
    }

    /// What kind of failure this is for a credential's lifecycle: the one
    /// place an error is sorted into transient, permanent or neither (see
    /// [`crate::model::lifecycle::Transition::after_failure`]).
    pub fn failure(&self) -> Failure {
        match self {
            Error::Network { .. } => Failure::Transient(Transient::Network),
            Error::Timeout(_) => Failure::Transient(Transient::Timeout),
            Error::OAuth { error, .. } => Failure::of_oauth_code(error),
            _ => Failure::Unclassified,
        }
    }
}

/// An error sorted by what it means for the credential it happened to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// May go away by itself: keep everything, retry later.
    Transient(Transient),
    /// The authorization server refused the grant for good: only a new
    /// login helps.
    Permanent(Permanent),
    /// Neither (a local problem, an unusable answer, an OAuth error that
    /// says nothing about the grant): reported, the credential kept as is.
    Unclassified,
}

/// Why a failure is expected to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// DNS, connection refused, TLS, reset.
    Network,
    /// The server did not answer in time.
    Timeout,
    /// `server_error`, or an HTTP 5xx without an OAuth error body.
    ServerError,
    /// HTTP 429.
    RateLimited,
    /// `temporarily_unavailable`.
    TemporarilyUnavailable,
}

/// Why the authorization server will never accept the grant again.
/// RFC 6749 §5.2: https://www.rfc-editor.org/rfc/rfc6749#section-5.2
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permanent {
    /// The refresh token (or other grant) is invalid, expired or revoked.
    InvalidGrant,
    /// The client is unknown or its authentication failed.
    InvalidClient,
    /// The client may not use this grant type.
    UnauthorizedClient,
}

impl Failure {
    /// Sorts an OAuth `error` code: the codes of RFC 6749 §5.2 and §4.1.2.1
    /// (`server_error`, `temporarily_unavailable`), and the `http_<status>`
    /// that [`crate::oauth::http`] gives an error answer without an OAuth
    /// body. The only place these strings are compared.
    pub fn of_oauth_code(code: &str) -> Failure {
        match code {
            "invalid_grant" => Failure::Permanent(Permanent::InvalidGrant),
            "invalid_client" => Failure::Permanent(Permanent::InvalidClient),
            "unauthorized_client" => Failure::Permanent(Permanent::UnauthorizedClient),
            "temporarily_unavailable" => Failure::Transient(Transient::TemporarilyUnavailable),
            "server_error" => Failure::Transient(Transient::ServerError),
            _ => match code.strip_prefix("http_") {
                Some("429") => Failure::Transient(Transient::RateLimited),
                Some(status) if status.starts_with('5') => {
                    Failure::Transient(Transient::ServerError)
                }
                _ => Failure::Unclassified,
            },
        }
    }

    pub fn is_permanent(self) -> bool {
        matches!(self, Failure::Permanent(_))
    }
}

impl Error {
    /// The command that fixes this error, when a login does.
    pub fn login_command(&self) -> Option<String> {
        match self {
            Error::NeedsLogin { login_hint, .. } => Some(format!("mcp-auth login {login_hint}")),
            Error::NotLoggedIn { server, .. } => Some(format!("mcp-auth login {server}")),
            _ => None,
        }
    }

    /// How long the server asked the client to wait before trying again.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::OAuth { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Adds the server's `Retry-After` to an OAuth error (other errors have
    /// no server answer to carry it).
    pub fn with_retry_after(mut self, secs: Option<u64>) -> Self {
        if let Error::OAuth { retry_after, .. } = &mut self
            && secs.is_some()
        {
            *retry_after = secs;
        }
        self
    }
}

fn retry_note(retry_after: Option<u64>) -> String {
    retry_after
        .map(|s| format!("; the server asked to retry in {s}s"))
        .unwrap_or_default()
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Error::Database(describe_sqlite(&err))
    }
}

/// What kind of JSON problem `err` is, without the text around it (which
/// could quote a token).
pub fn json_problem(err: &serde_json::Error) -> &'static str {
    match err.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "unexpected content",
        serde_json::error::Category::Eof => "truncated",
    }
}

/// Turns SQLite's terse codes into sentences a user can act on.
pub fn describe_sqlite(err: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::SqliteFailure(e, msg) = err {
        let detail = msg.clone().unwrap_or_default();
        return match e.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                "the database is locked by another process (waited 5 s); try again".into()
            }
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => format!(
                "the file is not a valid database or is corrupt ({detail}); move it aside and log in again"
            ),
            ErrorCode::ReadOnly => {
                "the database is read-only; check the permissions of the file and its directory \
                 (and that neither is immutable)"
                    .into()
            }
            ErrorCode::DiskFull => "the disk is full".into(),
            ErrorCode::CannotOpen => "the database file cannot be opened".into(),
            _ => format!("{err}"),
        };
    }
    err.to_string()
}
