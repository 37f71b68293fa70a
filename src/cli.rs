//! Command-line definitions only: the doc comments are the help text, man
//! pages and completions. No behaviour lives here.

use std::path::PathBuf;

use std::ffi::OsString;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "mcp-auth",
    version,
    about = "OAuth logins and tokens for MCP clients and OAuth-protected APIs",
    long_about = "mcp-auth logs in to OAuth providers and MCP servers, keeps the tokens in the OS \
keyring, refreshes them before they expire, and hands a valid access token to scripts and MCP \
clients.\n\nSecrets live in the OS keyring (or, when chosen explicitly, a 0600 file); metadata and \
an audit log live in SQLite. Set MCP_AUTH_HOME=DIR to keep everything under DIR.",
    after_help = "Examples:\n  mcp-auth login github\n  mcp-auth tokens list\n  mcp-auth token github\n  curl -H \"$(mcp-auth token github --header)\" https://api.github.com/user",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

/// The options every subcommand takes.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

impl Cli {
    /// Parses `args` (the process's, with the program name first).
    ///
    /// The commands that other programs start over and over, `token` (before
    /// every API call of a script) and `bridge` (every MCP host start-up),
    /// are parsed against their own subcommand alone: building the whole
    /// tree (every subcommand with its arguments and help text) is most of
    /// what a parse costs, and it maps code and text into memory that the
    /// bridge would then hold for its whole life. Anything else, or one of
    /// those with help, `--version` or a mistake in it, is parsed against
    /// the whole tree, so help and error messages read as they always do.
    /// The arguments are the same types either way.
    pub fn parse_from_args(args: Vec<OsString>) -> Result<Cli, clap::Error> {
        let alone = match args.get(1).and_then(|a| a.to_str()) {
            Some("token") => Cli::alone::<TokenArgs>(&args, "token", Command::Token),
            Some("bridge") => Cli::alone::<BridgeArgs>(&args, "bridge", Command::Bridge),
            _ => None,
        };
        match alone {
            Some(cli) => Ok(cli),
            None => Cli::try_parse_from(args),
        }
    }

    /// `args` parsed against subcommand `name` (arguments `T`) and the
    /// global options only; None when that parse does not succeed.
    fn alone<T: Args + FromArgMatches>(
        args: &[OsString],
        name: &'static str,
        command: fn(T) -> Command,
    ) -> Option<Cli> {
        let matches = GlobalArgs::augment_args(clap::Command::new("mcp-auth"))
            .subcommand(T::augment_args(clap::Command::new(name)))
            .try_get_matches_from(args)
            .ok()?;
        let global = GlobalArgs::from_arg_matches(&matches).ok()?;
        let sub = T::from_arg_matches(matches.subcommand_matches(name)?).ok()?;
        Some(Cli {
            command: command(sub),
            global,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a provider or an MCP server and save the credential
    ///
    /// TARGET is a provider (`mcp-auth providers list`) or the URL of an MCP
    /// server. For an MCP server, mcp-auth discovers its authorization server
    /// (RFC 9728 and RFC 8414 metadata) and registers itself as a client
    /// (or uses --client-id, or a Client ID Metadata Document); the
    /// registration is reused by later logins and bridges. The browser opens
    /// on the login page and the URL is printed too; the answer comes back to
    /// a one-shot listener on 127.0.0.1. Logging in again under the same name
    /// replaces the credential.
    #[command(
        after_help = "Examples:\n  mcp-auth login https://mcp.example.com/mcp\n  mcp-auth login github --client-id Iv1.0123456789abcdef --client-secret-env GITHUB_CLIENT_SECRET\n  mcp-auth login github --device --no-browser\n  mcp-auth login okta --domain dev-123.okta.com --auth-server org\n  mcp-auth login microsoft --tenant contoso.onmicrosoft.com\n  mcp-auth login auth0 --domain dev-abc.us.auth0.com --audience https://api.example.com\n  mcp-auth login gitlab --domain https://example.com/gitlab\n  mcp-auth login google --name work-google\n  MCP_AUTH_BROWSER=\"firefox --private-window\" mcp-auth login gitlab\n  mcp-auth login okta --domain dev-123.okta.com --grant client-credentials \\\n      --client-id 0oa1b2c3 --client-secret-env OKTA_CLIENT_SECRET\n  mcp-auth login https://mcp.example.com/mcp --grant client-credentials \\\n      --client-id svc --private-key-file key.pem"
    )]
    Login(LoginArgs),

    /// Print a valid access token, refreshing it first when needed
    ///
    /// For scripts: only the token (or with --header the whole header line)
    /// goes to stdout.
    #[command(
        after_help = "Examples:\n  mcp-auth token github\n  curl -H \"$(mcp-auth token github --header)\" https://api.github.com/user\n  mcp-auth token work --min-valid 10m\n  mcp-auth token mcp.example.com --dpop-proof POST https://mcp.example.com/mcp"
    )]
    Token(TokenArgs),

    /// List, inspect, refresh, revoke and prune saved credentials
    #[command(subcommand)]
    Tokens(TokensCommand),

    /// Show the audit log: every event, deleted credentials' included, newest first
    ///
    /// Logins, renewals and their failures, every token handed out (by
    /// whom: this process, or the daemon to which pid and executable) and
    /// every bridge session (with the origin it talked to), revocations
    /// and prune runs. Events stay when their credential is revoked or
    /// pruned; only `tokens prune` (and the daemon's prune) deletes them,
    /// those older than the retention period (`retention_days`, 90).
    #[command(
        after_help = "Examples:\n  mcp-auth audit\n  mcp-auth audit --name github --since 7d\n  mcp-auth audit --kind refresh_failed --kind revoke --since 2026-11-01\n  mcp-auth audit --since 2026-11-01T09:00:00+01:00 --json\n  mcp-auth audit --limit 20"
    )]
    Audit(AuditArgs),

    /// Open a local dashboard of every credential, secret and the daemon
    ///
    /// Serves a page on 127.0.0.1 (a random port unless --port) for as long
    /// as the command runs, and opens it in the browser. It shows every
    /// credential (health, expiry counting down, last use, where the bridge
    /// may send it) with its audit events, the secrets (never a value), the
    /// daemon's status and next refreshes, and what a prune would delete;
    /// it revokes, refreshes, starts a new login, deletes secrets and
    /// prunes. Changes made elsewhere (the daemon, other commands) appear
    /// while it is open.
    ///
    /// Only this user's browser gets in: the printed address carries a
    /// secret made for this run, exchanged on first use for a cookie the
    /// page cannot read; every change needs that cookie, a token only the
    /// page has, and a same-origin request. No token or secret value is
    /// ever sent to the page. Ctrl-C stops it.
    #[command(
        after_help = "Examples:\n  mcp-auth ui\n  mcp-auth ui --no-browser\n  mcp-auth ui --port 8765 --json"
    )]
    Ui(UiArgs),

    /// Show the provider templates and the custom providers of the config
    #[command(subcommand)]
    Providers(ProvidersCommand),

    /// Run a stdio MCP server that forwards everything to a remote MCP server
    ///
    /// This is the command to give an MCP client (Claude Code, Claude
    /// Desktop, Cursor, any MCP host) for a remote server: it reads
    /// newline-delimited JSON-RPC on stdin, sends each message to URL over
    /// Streamable HTTP (or the older HTTP+SSE transport) with the bearer
    /// token attached, and writes every reply and server-initiated message
    /// to stdout. Tools, resources, prompts, completion, sampling,
    /// elicitation, notifications and cancellation all pass through
    /// untouched, many requests at once.
    ///
    /// The bearer is the credential named by --name, else the one saved for
    /// URL by `mcp-auth login URL`, else none. On a 401 the token is
    /// refreshed once and the request retried; if it cannot be refreshed a
    /// login runs (unless --no-login). stdout carries only JSON-RPC; logs go
    /// to stderr or --log-file. The bridge exits 0 when stdin closes or on
    /// SIGTERM/SIGINT, ending the server session first.
    #[command(
        after_help = "Examples:\n  claude mcp add linear -- mcp-auth bridge https://mcp.linear.app/mcp\n  mcp-auth bridge https://mcp.example.com/mcp --name work-example\n  mcp-auth bridge https://api.example.com/mcp --header 'X-Api-Key: {secret:example-key}'\n  mcp-auth bridge https://api.example.com/mcp --header 'X-Api-Key: ${EXAMPLE_API_KEY}'\n  mcp-auth bridge https://mcp.example.com/mcp --no-login --log-file /tmp/bridge.log\n  mcp-auth bridge https://old.example.com/sse --transport sse\n\nClaude Desktop / Cursor (mcpServers in their JSON config):\n  \"linear\": { \"command\": \"mcp-auth\", \"args\": [\"bridge\", \"https://mcp.linear.app/mcp\"] }"
    )]
    Bridge(BridgeArgs),

    /// Log out: revoke a credential at its provider and delete it here
    ///
    /// The same as `mcp-auth tokens revoke NAME`.
    Logout {
        /// The credential's name
        name: String,
        /// Only delete here; do not call the provider's revocation endpoint
        #[arg(long)]
        local_only: bool,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to
    /// remote servers through the bridge
    ///
    /// `add` writes the host's configuration with the absolute path of this
    /// binary (Claude Desktop on macOS does not see the shell's PATH),
    /// merged into the file (other servers and keys stay, a backup is kept
    /// as NAME.bak; adding the same again changes nothing); for Claude
    /// Code it runs `claude mcp add`. `list` reads the hosts' files (it
    /// starts no server) and shows every server that runs the bridge with
    /// the health of its credential.
    #[command(subcommand)]
    Clients(ClientsCommand),

    /// Keep API keys and other static secrets in the keyring
    ///
    /// For servers that take a static key instead of OAuth: the bridge's
    /// `--header 'X-Api-Key: {secret:NAME}'` reads it from here, so no MCP
    /// client config file holds the key.
    #[command(subcommand)]
    Secrets(SecretsCommand),

    /// Check the installation and every credential, with a fix for each problem
    ///
    /// Checks the secret store (reachable, unlocked), the database
    /// (integrity, schema), file and directory permissions, the browser
    /// opener and each credential's health. Exits non-zero when a check
    /// fails.
    Doctor {
        /// Also refresh every renewable credential to prove its refresh works
        #[arg(long)]
        online: bool,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },

    /// Run, start, stop, inspect or install the background daemon
    ///
    /// The daemon keeps every credential usable without anyone running a
    /// command: it refreshes each access token ahead of its expiry (the
    /// lesser of refresh_ahead, default 5m, and 10% of the token's
    /// lifetime), re-mints client credentials tokens, and deletes
    /// credentials dead for longer than retention_days (checked at start and
    /// every prune_interval). While it runs it is the only process that
    /// refreshes: `mcp-auth token`, `tokens refresh` and every bridge ask it
    /// over a Unix socket in the private runtime directory, and do the work
    /// themselves when it does not run.
    #[command(
        subcommand,
        after_help = "Examples:\n  mcp-auth daemon install        # systemd user service (launchd agent on macOS)\n  mcp-auth daemon start          # or just run it in the background\n  mcp-auth daemon status --json\n  mcp-auth daemon run --log-level debug"
    )]
    Daemon(DaemonCommand),

    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  mcp-auth completions bash > ~/.local/share/bash-completion/completions/mcp-auth\n  mcp-auth completions zsh > \"${fpath[1]}/_mcp-auth\"\n  mcp-auth completions fish > ~/.config/fish/completions/mcp-auth.fish"
    )]
    Completions {
        /// The shell to generate for
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// A provider name (github, google, microsoft, okta, auth0, gitlab, or one
    /// from config.toml) or an MCP server URL
    pub target: String,

    /// Save the credential under this name [default: the provider name or the server's host]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub template: TemplateArgs,

    /// Log in with a code typed on any device (RFC 8628): for SSH sessions and machines
    /// without a browser; with --no-browser the code and URL are only printed
    #[arg(long, conflicts_with = "paste")]
    pub device: bool,

    /// Open the login URL on any machine, then paste back the address the browser ended on
    #[arg(long, conflicts_with = "no_browser")]
    pub paste: bool,

    /// Port for the 127.0.0.1 redirect listener [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Do not open a browser; only print the URL to open
    #[arg(long)]
    pub no_browser: bool,

    /// How long to wait for the browser to come back [default: 5m]
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Print the saved credential as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// The parameters of a provider template; each template takes some of them
/// (`mcp-auth providers show NAME` says which) and refuses the others.
#[derive(Debug, Clone, Default, Args)]
pub struct TemplateArgs {
    /// The provider's host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server
    /// host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft
    /// national cloud authority (login.microsoftonline.us)
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,

    /// Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a
    /// single-tenant app [default: common]
    #[arg(long, value_name = "TENANT")]
    pub tenant: Option<String>,

    /// Okta authorization server: default, org (the org authorization server) or a custom
    /// server's id [default: default]
    #[arg(long, value_name = "ID")]
    pub auth_server: Option<String>,

    /// Auth0 API identifier to get an access token for (the `audience` parameter)
    #[arg(long, value_name = "URI")]
    pub audience: Option<String>,
}

/// How mcp-auth identifies itself to an authorization server and what it
/// asks for; shared by `login` and by `bridge` (for its login on first use).
#[derive(Debug, Clone, Default, Args)]
pub struct ClientArgs {
    /// Scope to request; repeat for several (replaces the provider's default scopes)
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// OAuth client id (overrides the config)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from this environment variable (secrets never go on the command line)
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,

    /// MCP servers: the URL of this client's Client ID Metadata Document, used as the client id
    /// when the authorization server supports them [config: client_metadata_url]
    #[arg(long, value_name = "URL")]
    pub client_metadata_url: Option<String>,

    /// How to log in: authorization-code (a person, in a browser), client-credentials (a
    /// machine: client id plus secret or private key, no browser), cross-app (an ID token
    /// from your organisation's identity provider, no browser) or jwt-bearer (a workload's
    /// platform identity token, no browser, no secret)
    #[arg(long, value_enum, default_value_t = GrantArg::AuthorizationCode)]
    pub grant: GrantArg,

    /// private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the
    /// secret store for renewals
    #[arg(long, value_name = "PATH")]
    pub private_key_file: Option<PathBuf>,

    /// Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256
    /// [default: ES256/ES384 for EC keys, RS256 for RSA keys]
    #[arg(long, value_name = "ALG", requires = "private_key_file")]
    pub signing_alg: Option<String>,

    /// Cross-app access: the enterprise identity provider's token endpoint, where the
    /// person's ID token is exchanged for an ID-JAG (RFC 8693)
    #[arg(long, value_name = "URL")]
    pub idp_token_url: Option<String>,

    /// Cross-app access: this client's id at the identity provider
    #[arg(long, value_name = "ID")]
    pub idp_client_id: Option<String>,

    /// Cross-app access: read the person's ID token from this environment variable
    #[arg(long, value_name = "VAR")]
    pub id_token_env: Option<String>,

    /// Workload identity (--grant jwt-bearer): the file holding the platform's identity token
    /// (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read
    /// again at every renewal, by the daemon too, so the platform may rotate it
    #[arg(long, value_name = "PATH", conflicts_with = "assertion_env")]
    pub assertion_file: Option<PathBuf>,

    /// Workload identity: read the identity token from this environment variable instead. For
    /// one-shot processes only: nothing else (not the daemon, not a later command) can read this
    /// process's environment, so the token is not renewed; use --assertion-file for that
    #[arg(long, value_name = "VAR")]
    pub assertion_env: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum GrantArg {
    #[default]
    AuthorizationCode,
    ClientCredentials,
    /// Enterprise-managed cross-app access (SEP-990): an ID token from the organisation's
    /// IdP, exchanged for an ID-JAG, then the JWT bearer grant
    CrossApp,
    /// Workload identity (RFC 7523): a platform-issued identity token (--assertion-file or
    /// --assertion-env) is the assertion of a JWT bearer grant; no browser, no stored secret
    JwtBearer,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The credential's name, or an MCP server's URL (the credential saved
    /// for it)
    pub name: String,

    /// Refresh first when the token expires within this time
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub min_valid: String,

    /// Print `Authorization: Bearer <token>` instead of the bare token (refused for a
    /// DPoP-bound credential, whose token needs a proof per request: use --dpop-proof)
    #[arg(long)]
    pub header: bool,

    /// For a DPoP-bound credential: print the two headers (`Authorization: DPoP <token>` and
    /// `DPoP: <proof>`) for one METHOD request to URL; a proof is good for that request only
    #[arg(long, num_args = 2, value_names = ["METHOD", "URL"], conflicts_with = "header")]
    pub dpop_proof: Option<Vec<String>>,

    /// With --dpop-proof: the nonce the server asked for in its DPoP-Nonce header
    #[arg(long, value_name = "NONCE", requires = "dpop_proof")]
    pub dpop_nonce: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// List saved credentials with their user, scopes and health
    #[command(
        after_help = "Health is one of: valid, expiring soon, refreshable (expired, renewed on next use), expired, needs login.\n\nExamples:\n  mcp-auth tokens list\n  mcp-auth tokens list --status expired --json"
    )]
    List(ListArgs),

    /// Let a credential's token be sent by the bridge to another origin
    ///
    /// The bridge sends a token only to the origins (scheme, host, port)
    /// it may go to: an MCP server's own, a provider's API origins, and
    /// those allowed here.
    #[command(
        after_help = "Examples:\n  mcp-auth tokens allow github https://api.githubcopilot.com\n  mcp-auth tokens allow corp https://mcp.corp.example:8443"
    )]
    Allow {
        /// The credential's name
        name: String,
        /// A URL of the origin to allow (only scheme, host and port count)
        url: String,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Stop the bridge sending a credential's token to an origin
    Disallow {
        /// The credential's name
        name: String,
        /// A URL of the origin to remove
        url: String,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Show everything known about one credential (never a token value)
    Show {
        /// The credential's name
        name: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },

    /// Revoke credentials at their provider and delete them here
    #[command(
        after_help = "Examples:\n  mcp-auth tokens revoke github\n  mcp-auth tokens revoke --expired --yes\n  mcp-auth tokens revoke --all --local-only"
    )]
    Revoke(RevokeArgs),

    /// Refresh credentials now, whatever their expiry, or ask for more scopes
    ///
    /// A credential that neither expires nor can be refreshed (a GitHub
    /// OAuth app token, an imported personal access token) has nothing to
    /// refresh: that is said, and is not a failure. With --scope, a new
    /// login asks for the credential's scopes plus the ones given, like a
    /// server's step-up.
    #[command(
        after_help = "Examples:\n  mcp-auth tokens refresh github\n  mcp-auth tokens refresh --all --json\n  mcp-auth tokens refresh github --scope repo --scope gist"
    )]
    Refresh {
        /// Credentials to refresh
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<String>,
        /// Refresh every renewable credential
        #[arg(long)]
        all: bool,
        /// Log in again for the credential's scopes plus this one; repeat for several (one NAME)
        #[arg(long = "scope", value_name = "SCOPE", conflicts_with = "all")]
        scopes: Vec<String>,
        /// With --scope: do not open a browser; only print the URL to open
        #[arg(long, requires = "scopes")]
        no_browser: bool,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Save a token obtained elsewhere, read from stdin (never an argument)
    ///
    /// For personal access tokens (the GitHub MCP server accepts them) and
    /// for moving from another tool. stdin holds the bare token, or a JSON
    /// token response: {"access_token": ..., "refresh_token": ...,
    /// "expires_in": SECONDS} (or "expires_at": RFC 3339 or Unix time). A
    /// refresh token is used with the provider's token endpoint and client
    /// id (--provider only).
    #[command(
        after_help = "Examples:\n  mcp-auth tokens import gh-pat --provider github < pat.txt\n  printf %s \"$TOKEN\" | mcp-auth tokens import linear --url https://mcp.linear.app/mcp --expires 90d\n  other-tool export --json | mcp-auth tokens import work --provider okta --domain dev-123.okta.com"
    )]
    Import(ImportArgs),

    /// Delete credentials that have been dead longer than the retention period
    ///
    /// A credential is dead when it needs a new login, or when its access
    /// token has expired and nothing can renew it. Audit events older than
    /// the retention period go too.
    Prune {
        /// Keep credentials dead for fewer days than this [default: retention_days, 90]
        #[arg(long, value_name = "DAYS")]
        retention_days: Option<u32>,
        /// Show what would be deleted without deleting it
        #[arg(long)]
        dry_run: bool,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["provider", "url"])))]
pub struct ImportArgs {
    /// The name to save the credential under
    pub name: String,
    /// The provider the token is from (a template or a provider of config.toml)
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// The MCP server the token is for
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    /// OAuth client id, for refreshing (overrides the config)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// When the token stops working: a duration from now (90d) or a date (2027-01-31);
    /// overrides an expiry in the input
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// The token's scopes; repeat for several
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Print the saved credential as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Only credentials of this provider (or MCP server URL)
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// Only credentials with this health
    #[arg(long, value_enum, value_name = "HEALTH")]
    pub status: Option<HealthFilter>,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Only the events of this credential (also one revoked or pruned)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Only events of this kind; repeat or separate with commas for several
    #[arg(long = "kind", value_name = "KIND", value_enum, value_delimiter = ',')]
    pub kinds: Vec<crate::model::EventKind>,
    /// Only events since then: a duration back from now (7d, 12h, 30m) or an RFC 3339 date or
    /// time (2026-11-01, 2026-11-01T09:30:00Z, 2026-11-01T10:30:00+01:00)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// At most this many events, the newest [default: all]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print a JSON array (written as the events are read)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UiArgs {
    /// Port to listen on, on 127.0.0.1 [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Do not open a browser; only print the address
    #[arg(long)]
    pub no_browser: bool,
    /// Print the address as a JSON object (url, port) when ready
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthFilter {
    Valid,
    ExpiringSoon,
    Refreshable,
    Expired,
    NeedsLogin,
}

#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// Credentials to revoke
    #[arg(required_unless_present_any = ["all", "provider", "expired"])]
    pub names: Vec<String>,
    /// Revoke every credential
    #[arg(long, conflicts_with_all = ["names", "provider", "expired"])]
    pub all: bool,
    /// Revoke every credential of this provider
    #[arg(long, value_name = "PROVIDER", conflicts_with = "names")]
    pub provider: Option<String>,
    /// Revoke every credential that is expired or needs a login
    #[arg(long, conflicts_with = "names")]
    pub expired: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Only delete here; do not call the provider's revocation endpoint
    #[arg(long)]
    pub local_only: bool,
    /// Print the outcome as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a secret, read from stdin or a hidden prompt (never an argument)
    #[command(
        after_help = "Examples:\n  mcp-auth secrets set linear-key --origin https://mcp.linear.app   # asks for the value\n  printf %s \"$KEY\" | mcp-auth secrets set linear-key --expires 90d\n  mcp-auth secrets set ci-token --expires 2027-01-31 < token.txt"
    )]
    Set {
        /// The secret's name
        name: String,
        /// When it stops being usable: a duration from now (90d) or a date (2027-01-31)
        #[arg(long, value_name = "WHEN")]
        expires: Option<String>,
        /// A note for `secrets list` (where the key came from, what it is for)
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// An origin the bridge may send it to (https://api.example.com); repeat for several
        #[arg(long = "origin", value_name = "URL")]
        origins: Vec<String>,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },
    /// Let the bridge send a stored secret to an origin (scheme, host, port)
    ///
    /// `{secret:NAME}` in a bridge's `--header` is expanded only for a
    /// server at one of the secret's origins. Secrets stored before origins
    /// were recorded have none until one is allowed here.
    #[command(after_help = "Examples:\n  mcp-auth secrets allow linear-key https://mcp.linear.app")]
    Allow {
        /// The secret's name
        name: String,
        /// A URL of the origin to allow (only scheme, host and port count)
        url: String,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },
    /// Stop the bridge sending a stored secret to an origin
    Disallow {
        /// The secret's name
        name: String,
        /// A URL of the origin to remove
        url: String,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },
    /// List the stored secrets (names, expiry and last use; never values)
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Delete stored secrets
    Delete {
        /// The secrets' names
        #[arg(required = true)]
        names: Vec<String>,
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// List the built-in templates and custom providers
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show a provider's endpoints, the redirect URI to register and what to tick
    ///
    /// Takes the same template parameters as `login`, and shows exactly the
    /// redirect URI that login sends (`redirect_uri` in the JSON), whether
    /// the client secret is required (`client_secret_required`), where to
    /// register the client and which settings its flows need.
    #[command(
        after_help = "Examples:\n  mcp-auth providers show github\n  mcp-auth providers show okta --domain dev-123.okta.com --auth-server org\n  mcp-auth providers show microsoft --tenant contoso.onmicrosoft.com --json"
    )]
    Show {
        /// The provider's name
        name: String,
        #[command(flatten)]
        template: TemplateArgs,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Args)]
pub struct BridgeArgs {
    /// The remote MCP server's URL (its Streamable HTTP endpoint, or the SSE
    /// endpoint of an older server)
    pub url: String,

    /// Use this saved credential [default: the one saved for URL, if any]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Add an HTTP header to every request, e.g. 'X-Api-Key: {secret:NAME}';
    /// repeat for several. {secret:NAME} is a secret stored with
    /// `mcp-auth secrets set NAME`, ${VAR} the environment variable VAR, so
    /// keys stay out of config files and process listings. Values are never
    /// logged. An Authorization header here replaces the bearer.
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,

    /// How the bridge identifies itself when it logs in on first use
    #[command(flatten)]
    pub client: ClientArgs,

    /// Never start a login: answer requests the server refuses with a
    /// JSON-RPC error that says which `mcp-auth login` to run
    #[arg(long)]
    pub no_login: bool,

    /// Which HTTP transport to speak: auto tries Streamable HTTP and falls
    /// back to HTTP+SSE when the server refuses `initialize` with 400, 404
    /// or 405
    #[arg(long, value_enum, value_name = "TRANSPORT", default_value_t = BridgeTransport::Auto)]
    pub transport: BridgeTransport,

    /// Give up connecting to the server after this long
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub connect_timeout: String,

    /// Answer a request with an error (and cancel it upstream) when the
    /// server has not answered it for this long; a progress notification
    /// for the request starts the wait again; 0 turns it off [default:
    /// request_timeout in config.toml, else 10m]
    #[arg(long, value_name = "DURATION")]
    pub request_timeout: Option<String>,
}

/// `Debug` shows header names only: their values may be secrets.
impl std::fmt::Debug for BridgeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .headers
            .iter()
            .map(|h| h.split_once(':').map_or("?", |(n, _)| n.trim()))
            .collect();
        f.debug_struct("BridgeArgs")
            .field("url", &self.url)
            .field("name", &self.name)
            .field("headers", &names)
            .field("no_login", &self.no_login)
            .field("transport", &self.transport)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("client", &self.client)
            .finish()
    }
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Add a remote MCP server to a host, through `mcp-auth bridge`
    ///
    /// Flags after `--` are the bridge's own (`mcp-auth bridge --help`):
    /// they are checked now and written into the host's configuration.
    #[command(
        after_help = "Examples:\n  mcp-auth clients add claude-code linear https://mcp.linear.app/mcp\n  mcp-auth clients add claude-code linear https://mcp.linear.app/mcp --scope project\n  mcp-auth clients add claude-desktop linear https://mcp.linear.app/mcp\n  mcp-auth clients add cursor internal https://api.example.com/mcp --project \\\n      -- --header 'X-Api-Key: {secret:internal-key}'\n  mcp-auth clients add vscode work https://mcp.example.com/mcp -- --name work-example --no-login"
    )]
    Add(ClientsAddArgs),

    /// List the MCP servers of every host that run the bridge, with the
    /// health of their credentials
    ///
    /// Reads the hosts' user files and the project files of the current
    /// directory; never starts a server.
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },

    /// Remove a server that runs the bridge from a host
    ///
    /// Servers that are not `mcp-auth bridge` are never touched.
    Remove(ClientsRemoveArgs),
}

#[derive(Debug, Args)]
pub struct ClientsAddArgs {
    /// The MCP host
    #[arg(value_enum)]
    pub host: HostArg,

    /// The server's name in the host
    pub name: String,

    /// The remote MCP server's URL
    pub url: String,

    /// claude-code: where `claude mcp add` keeps it [default: user]
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub scope: Option<ClaudeScope>,

    /// cursor, vscode: the project's file (.cursor/mcp.json,
    /// .vscode/mcp.json in the current directory) instead of the user's
    #[arg(long)]
    pub project: bool,

    /// The bridge's flags (after `--`)
    #[arg(last = true, value_name = "BRIDGE FLAGS", allow_hyphen_values = true)]
    pub bridge_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ClientsRemoveArgs {
    /// The MCP host
    #[arg(value_enum)]
    pub host: HostArg,

    /// The server's name in the host
    pub name: String,

    /// claude-code: the scope to remove it from [default: user]
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub scope: Option<ClaudeScope>,

    /// cursor, vscode: the project's file instead of the user's
    #[arg(long)]
    pub project: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostArg {
    ClaudeCode,
    ClaudeDesktop,
    Cursor,
    Vscode,
}

/// Claude Code's configuration scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClaudeScope {
    Local,
    Project,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BridgeTransport {
    Auto,
    StreamableHttp,
    Sse,
}

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Run the daemon in the foreground (for service managers and debugging)
    ///
    /// Logs go to stderr (the journal, under systemd) or to --log-file,
    /// which is rotated at 5 MB keeping one old file. SIGTERM or SIGINT
    /// stops it cleanly. Refuses to start while another daemon runs.
    Run,

    /// Start the daemon in the background and wait until it answers
    ///
    /// Its logs go to --log-file, else log_file from the config, else
    /// daemon.log in the data directory.
    Start {
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Stop the running daemon
    Stop {
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Show whether the daemon runs, what it watches, its next refresh and
    /// last prune
    ///
    /// Exits 0 when the daemon runs and 1 when it does not.
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },

    /// Install the daemon as a user service and start it: a systemd user
    /// unit on Linux, a launchd agent on macOS
    ///
    /// Checks first that the service manager can be used (on Linux, that
    /// the systemd user manager answers); when it cannot, nothing changes:
    /// a daemon started by hand keeps running and no unit file is written.
    Install {
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },

    /// Stop the user service and remove it
    Uninstall {
        /// Print the outcome as JSON
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn alone(line: &str) -> Option<Cli> {
        let a = args(line);
        match line.split_whitespace().nth(1) {
            Some("token") => Cli::alone::<TokenArgs>(&a, "token", Command::Token),
            Some("bridge") => Cli::alone::<BridgeArgs>(&a, "bridge", Command::Bridge),
            _ => None,
        }
    }

    #[test]
    fn token_and_bridge_lines_parse_the_same_alone() {
        for line in [
            "mcp-auth token github",
            "mcp-auth token github --header",
            "mcp-auth token work --min-valid 10m",
            "mcp-auth token https://mcp.example.com/mcp",
            "mcp-auth token mcp.example.com --dpop-proof POST https://mcp.example.com/mcp",
            "mcp-auth token x --dpop-proof get https://a.example/ --dpop-nonce n1",
            "mcp-auth token github --log-level debug",
            "mcp-auth bridge https://mcp.example.com/mcp",
            "mcp-auth bridge https://mcp.example.com/mcp --name work --no-login",
            "mcp-auth bridge https://a.example/mcp -H X-Api-Key:{secret:k} --header X-B:${B}",
            "mcp-auth bridge https://a.example/mcp --log-file /tmp/b.log --transport sse",
            "mcp-auth bridge https://a.example/mcp --grant client-credentials --client-id svc",
            "mcp-auth bridge https://a.example/mcp --scope a --scope b --connect-timeout 5s",
        ] {
            let short = alone(line).unwrap_or_else(|| panic!("{line}"));
            let full = Cli::try_parse_from(args(line)).unwrap();
            assert_eq!(format!("{short:?}"), format!("{full:?}"), "{line}");
        }
    }

    #[test]
    fn anything_else_takes_the_whole_tree() {
        for line in [
            "mcp-auth token",
            "mcp-auth token --help",
            "mcp-auth token -h",
            "mcp-auth token github --version",
            "mcp-auth token github --no-such-flag",
            "mcp-auth token github --header --dpop-proof POST https://a.example/",
            "mcp-auth bridge",
            "mcp-auth bridge --help",
            "mcp-auth bridge https://a.example/mcp --transport carrier-pigeon",
        ] {
            assert!(alone(line).is_none(), "{line}");
        }
        // Global options before the subcommand: the whole tree, same result.
        for line in [
            "mcp-auth tokens list",
            "mcp-auth login github",
            "mcp-auth --version",
            "mcp-auth --log-level debug token github",
            "mcp-auth --log-file /tmp/b.log bridge https://a.example/mcp --request-timeout 0",
        ] {
            let full = Cli::try_parse_from(args(line));
            let parsed = Cli::parse_from_args(args(line));
            assert_eq!(format!("{full:?}"), format!("{parsed:?}"), "{line}");
        }
    }
}
