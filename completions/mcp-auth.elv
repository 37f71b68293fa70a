
use builtin;
use str;

set edit:completion:arg-completer[mcp-auth] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mcp-auth'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mcp-auth'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Log in to a provider or an MCP server and save the credential'
            cand token 'Print a valid access token, refreshing it first when needed'
            cand tokens 'List, inspect, refresh, revoke and prune saved credentials'
            cand audit 'Show the audit log: every event, deleted credentials'' included, newest first'
            cand ui 'Open a local dashboard of every credential, secret and the daemon'
            cand providers 'Show the provider templates and the custom providers of the config'
            cand bridge 'Run a stdio MCP server that forwards everything to a remote MCP server'
            cand logout 'Log out: revoke a credential at its provider and delete it here'
            cand clients 'Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to remote servers through the bridge'
            cand secrets 'Keep API keys and other static secrets in the keyring'
            cand doctor 'Check the installation and every credential, with a fix for each problem'
            cand daemon 'Run, start, stop, inspect or install the background daemon'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;login'= {
            cand --name 'Save the credential under this name [default: the provider name or the server''s host]'
            cand --scope 'Scope to request; repeat for several (replaces the provider''s default scopes)'
            cand --client-id 'OAuth client id (overrides the config)'
            cand --client-secret-env 'Read the client secret from this environment variable (secrets never go on the command line)'
            cand --client-metadata-url 'MCP servers: the URL of this client''s Client ID Metadata Document, used as the client id when the authorization server supports them [config: client_metadata_url]'
            cand --grant 'How to log in: authorization-code (a person, in a browser), client-credentials (a machine: client id plus secret or private key, no browser), cross-app (an ID token from your organisation''s identity provider, no browser) or jwt-bearer (a workload''s platform identity token, no browser, no secret)'
            cand --private-key-file 'private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the secret store for renewals'
            cand --signing-alg 'Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256 [default: ES256/ES384 for EC keys, RS256 for RSA keys]'
            cand --idp-token-url 'Cross-app access: the enterprise identity provider''s token endpoint, where the person''s ID token is exchanged for an ID-JAG (RFC 8693)'
            cand --idp-client-id 'Cross-app access: this client''s id at the identity provider'
            cand --id-token-env 'Cross-app access: read the person''s ID token from this environment variable'
            cand --assertion-file 'Workload identity (--grant jwt-bearer): the file holding the platform''s identity token (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read again at every renewal, by the daemon too, so the platform may rotate it'
            cand --assertion-env 'Workload identity: read the identity token from this environment variable instead. For one-shot processes only: nothing else (not the daemon, not a later command) can read this process''s environment, so the token is not renewed; use --assertion-file for that'
            cand --domain 'The provider''s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)'
            cand --tenant 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]'
            cand --auth-server 'Okta authorization server: default, org (the org authorization server) or a custom server''s id [default: default]'
            cand --audience 'Auth0 API identifier to get an access token for (the `audience` parameter)'
            cand --port 'Port for the 127.0.0.1 redirect listener [default: any free port]'
            cand --timeout 'How long to wait for the browser to come back [default: 5m]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --device 'Log in with a code typed on any device (RFC 8628): for SSH sessions and machines without a browser; with --no-browser the code and URL are only printed'
            cand --paste 'Open the login URL on any machine, then paste back the address the browser ended on'
            cand --no-browser 'Do not open a browser; only print the URL to open'
            cand --json 'Print the saved credential as JSON on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;token'= {
            cand --min-valid 'Refresh first when the token expires within this time'
            cand --dpop-proof 'For a DPoP-bound credential: print the two headers (`Authorization: DPoP <token>` and `DPoP: <proof>`) for one METHOD request to URL; a proof is good for that request only'
            cand --dpop-nonce 'With --dpop-proof: the nonce the server asked for in its DPoP-Nonce header'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --header 'Print `Authorization: Bearer <token>` instead of the bare token (refused for a DPoP-bound credential, whose token needs a proof per request: use --dpop-proof)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List saved credentials with their user, scopes and health'
            cand allow 'Let a credential''s token be sent by the bridge to another origin'
            cand disallow 'Stop the bridge sending a credential''s token to an origin'
            cand show 'Show everything known about one credential (never a token value)'
            cand revoke 'Revoke credentials at their provider and delete them here'
            cand refresh 'Refresh credentials now, whatever their expiry, or ask for more scopes'
            cand import 'Save a token obtained elsewhere, read from stdin (never an argument)'
            cand prune 'Delete credentials that have been dead longer than the retention period'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;tokens;list'= {
            cand --provider 'Only credentials of this provider (or MCP server URL)'
            cand --status 'Only credentials with this health'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;allow'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;disallow'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;show'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;revoke'= {
            cand --provider 'Revoke every credential of this provider'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --all 'Revoke every credential'
            cand --expired 'Revoke every credential that is expired or needs a login'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --local-only 'Only delete here; do not call the provider''s revocation endpoint'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;refresh'= {
            cand --scope 'Log in again for the credential''s scopes plus this one; repeat for several (one NAME)'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --all 'Refresh every renewable credential'
            cand --no-browser 'With --scope: do not open a browser; only print the URL to open'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;import'= {
            cand --provider 'The provider the token is from (a template or a provider of config.toml)'
            cand --url 'The MCP server the token is for'
            cand --domain 'The provider''s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)'
            cand --tenant 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]'
            cand --auth-server 'Okta authorization server: default, org (the org authorization server) or a custom server''s id [default: default]'
            cand --audience 'Auth0 API identifier to get an access token for (the `audience` parameter)'
            cand --client-id 'OAuth client id, for refreshing (overrides the config)'
            cand --expires 'When the token stops working: a duration from now (90d) or a date (2027-01-31); overrides an expiry in the input'
            cand --scope 'The token''s scopes; repeat for several'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the saved credential as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;prune'= {
            cand --retention-days 'Keep credentials dead for fewer days than this [default: retention_days, 90]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --dry-run 'Show what would be deleted without deleting it'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;tokens;help'= {
            cand list 'List saved credentials with their user, scopes and health'
            cand allow 'Let a credential''s token be sent by the bridge to another origin'
            cand disallow 'Stop the bridge sending a credential''s token to an origin'
            cand show 'Show everything known about one credential (never a token value)'
            cand revoke 'Revoke credentials at their provider and delete them here'
            cand refresh 'Refresh credentials now, whatever their expiry, or ask for more scopes'
            cand import 'Save a token obtained elsewhere, read from stdin (never an argument)'
            cand prune 'Delete credentials that have been dead longer than the retention period'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;tokens;help;list'= {
        }
        &'mcp-auth;tokens;help;allow'= {
        }
        &'mcp-auth;tokens;help;disallow'= {
        }
        &'mcp-auth;tokens;help;show'= {
        }
        &'mcp-auth;tokens;help;revoke'= {
        }
        &'mcp-auth;tokens;help;refresh'= {
        }
        &'mcp-auth;tokens;help;import'= {
        }
        &'mcp-auth;tokens;help;prune'= {
        }
        &'mcp-auth;tokens;help;help'= {
        }
        &'mcp-auth;audit'= {
            cand --name 'Only the events of this credential (also one revoked or pruned)'
            cand --kind 'Only events of this kind; repeat or separate with commas for several'
            cand --since 'Only events since then: a duration back from now (7d, 12h, 30m) or an RFC 3339 date or time (2026-11-01, 2026-11-01T09:30:00Z, 2026-11-01T10:30:00+01:00)'
            cand --limit 'At most this many events, the newest [default: all]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print a JSON array (written as the events are read)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;ui'= {
            cand --port 'Port to listen on, on 127.0.0.1 [default: any free port]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --no-browser 'Do not open a browser; only print the address'
            cand --json 'Print the address as a JSON object (url, port) when ready'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;providers'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List the built-in templates and custom providers'
            cand show 'Show a provider''s endpoints, the redirect URI to register and what to tick'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;providers;list'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;providers;show'= {
            cand --domain 'The provider''s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)'
            cand --tenant 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]'
            cand --auth-server 'Okta authorization server: default, org (the org authorization server) or a custom server''s id [default: default]'
            cand --audience 'Auth0 API identifier to get an access token for (the `audience` parameter)'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;providers;help'= {
            cand list 'List the built-in templates and custom providers'
            cand show 'Show a provider''s endpoints, the redirect URI to register and what to tick'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;providers;help;list'= {
        }
        &'mcp-auth;providers;help;show'= {
        }
        &'mcp-auth;providers;help;help'= {
        }
        &'mcp-auth;bridge'= {
            cand --name 'Use this saved credential [default: the one saved for URL, if any]'
            cand -H 'Add an HTTP header to every request, e.g. ''X-Api-Key: {secret:NAME}''; repeat for several. {secret:NAME} is a secret stored with `mcp-auth secrets set NAME`, ${VAR} the environment variable VAR, so keys stay out of config files and process listings. Values are never logged. An Authorization header here replaces the bearer'
            cand --header 'Add an HTTP header to every request, e.g. ''X-Api-Key: {secret:NAME}''; repeat for several. {secret:NAME} is a secret stored with `mcp-auth secrets set NAME`, ${VAR} the environment variable VAR, so keys stay out of config files and process listings. Values are never logged. An Authorization header here replaces the bearer'
            cand --scope 'Scope to request; repeat for several (replaces the provider''s default scopes)'
            cand --client-id 'OAuth client id (overrides the config)'
            cand --client-secret-env 'Read the client secret from this environment variable (secrets never go on the command line)'
            cand --client-metadata-url 'MCP servers: the URL of this client''s Client ID Metadata Document, used as the client id when the authorization server supports them [config: client_metadata_url]'
            cand --grant 'How to log in: authorization-code (a person, in a browser), client-credentials (a machine: client id plus secret or private key, no browser), cross-app (an ID token from your organisation''s identity provider, no browser) or jwt-bearer (a workload''s platform identity token, no browser, no secret)'
            cand --private-key-file 'private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the secret store for renewals'
            cand --signing-alg 'Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256 [default: ES256/ES384 for EC keys, RS256 for RSA keys]'
            cand --idp-token-url 'Cross-app access: the enterprise identity provider''s token endpoint, where the person''s ID token is exchanged for an ID-JAG (RFC 8693)'
            cand --idp-client-id 'Cross-app access: this client''s id at the identity provider'
            cand --id-token-env 'Cross-app access: read the person''s ID token from this environment variable'
            cand --assertion-file 'Workload identity (--grant jwt-bearer): the file holding the platform''s identity token (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read again at every renewal, by the daemon too, so the platform may rotate it'
            cand --assertion-env 'Workload identity: read the identity token from this environment variable instead. For one-shot processes only: nothing else (not the daemon, not a later command) can read this process''s environment, so the token is not renewed; use --assertion-file for that'
            cand --transport 'Which HTTP transport to speak: auto tries Streamable HTTP and falls back to HTTP+SSE when the server refuses `initialize` with 400, 404 or 405'
            cand --connect-timeout 'Give up connecting to the server after this long'
            cand --request-timeout 'Answer a request with an error (and cancel it upstream) when the server has not answered it for this long; a progress notification for the request starts the wait again; 0 turns it off [default: request_timeout in config.toml, else 10m]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --no-login 'Never start a login: answer requests the server refuses with a JSON-RPC error that says which `mcp-auth login` to run'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;logout'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --local-only 'Only delete here; do not call the provider''s revocation endpoint'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;clients'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Add a remote MCP server to a host, through `mcp-auth bridge`'
            cand list 'List the MCP servers of every host that run the bridge, with the health of their credentials'
            cand remove 'Remove a server that runs the bridge from a host'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;clients;add'= {
            cand --scope 'claude-code: where `claude mcp add` keeps it [default: user]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --project 'cursor, vscode: the project''s file (.cursor/mcp.json, .vscode/mcp.json in the current directory) instead of the user''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;clients;list'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;clients;remove'= {
            cand --scope 'claude-code: the scope to remove it from [default: user]'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --project 'cursor, vscode: the project''s file instead of the user''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;clients;help'= {
            cand add 'Add a remote MCP server to a host, through `mcp-auth bridge`'
            cand list 'List the MCP servers of every host that run the bridge, with the health of their credentials'
            cand remove 'Remove a server that runs the bridge from a host'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;clients;help;add'= {
        }
        &'mcp-auth;clients;help;list'= {
        }
        &'mcp-auth;clients;help;remove'= {
        }
        &'mcp-auth;clients;help;help'= {
        }
        &'mcp-auth;secrets'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand set 'Store a secret, read from stdin or a hidden prompt (never an argument)'
            cand allow 'Let the bridge send a stored secret to an origin (scheme, host, port)'
            cand disallow 'Stop the bridge sending a stored secret to an origin'
            cand list 'List the stored secrets (names, expiry and last use; never values)'
            cand delete 'Delete stored secrets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;secrets;set'= {
            cand --expires 'When it stops being usable: a duration from now (90d) or a date (2027-01-31)'
            cand --note 'A note for `secrets list` (where the key came from, what it is for)'
            cand --origin 'An origin the bridge may send it to (https://api.example.com); repeat for several'
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;secrets;allow'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;secrets;disallow'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;secrets;list'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;secrets;delete'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;secrets;help'= {
            cand set 'Store a secret, read from stdin or a hidden prompt (never an argument)'
            cand allow 'Let the bridge send a stored secret to an origin (scheme, host, port)'
            cand disallow 'Stop the bridge sending a stored secret to an origin'
            cand list 'List the stored secrets (names, expiry and last use; never values)'
            cand delete 'Delete stored secrets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;secrets;help;set'= {
        }
        &'mcp-auth;secrets;help;allow'= {
        }
        &'mcp-auth;secrets;help;disallow'= {
        }
        &'mcp-auth;secrets;help;list'= {
        }
        &'mcp-auth;secrets;help;delete'= {
        }
        &'mcp-auth;secrets;help;help'= {
        }
        &'mcp-auth;doctor'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --online 'Also refresh every renewable credential to prove its refresh works'
            cand --json 'Print JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand run 'Run the daemon in the foreground (for service managers and debugging)'
            cand start 'Start the daemon in the background and wait until it answers'
            cand stop 'Stop the running daemon'
            cand status 'Show whether the daemon runs, what it watches, its next refresh and last prune'
            cand install 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS'
            cand uninstall 'Stop the user service and remove it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;daemon;run'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon;start'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon;stop'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon;status'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon;install'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon;uninstall'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand --json 'Print the outcome as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;daemon;help'= {
            cand run 'Run the daemon in the foreground (for service managers and debugging)'
            cand start 'Start the daemon in the background and wait until it answers'
            cand stop 'Stop the running daemon'
            cand status 'Show whether the daemon runs, what it watches, its next refresh and last prune'
            cand install 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS'
            cand uninstall 'Stop the user service and remove it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;daemon;help;run'= {
        }
        &'mcp-auth;daemon;help;start'= {
        }
        &'mcp-auth;daemon;help;stop'= {
        }
        &'mcp-auth;daemon;help;status'= {
        }
        &'mcp-auth;daemon;help;install'= {
        }
        &'mcp-auth;daemon;help;uninstall'= {
        }
        &'mcp-auth;daemon;help;help'= {
        }
        &'mcp-auth;completions'= {
            cand --log-level 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]'
            cand --log-file 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcp-auth;help'= {
            cand login 'Log in to a provider or an MCP server and save the credential'
            cand token 'Print a valid access token, refreshing it first when needed'
            cand tokens 'List, inspect, refresh, revoke and prune saved credentials'
            cand audit 'Show the audit log: every event, deleted credentials'' included, newest first'
            cand ui 'Open a local dashboard of every credential, secret and the daemon'
            cand providers 'Show the provider templates and the custom providers of the config'
            cand bridge 'Run a stdio MCP server that forwards everything to a remote MCP server'
            cand logout 'Log out: revoke a credential at its provider and delete it here'
            cand clients 'Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to remote servers through the bridge'
            cand secrets 'Keep API keys and other static secrets in the keyring'
            cand doctor 'Check the installation and every credential, with a fix for each problem'
            cand daemon 'Run, start, stop, inspect or install the background daemon'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-auth;help;login'= {
        }
        &'mcp-auth;help;token'= {
        }
        &'mcp-auth;help;tokens'= {
            cand list 'List saved credentials with their user, scopes and health'
            cand allow 'Let a credential''s token be sent by the bridge to another origin'
            cand disallow 'Stop the bridge sending a credential''s token to an origin'
            cand show 'Show everything known about one credential (never a token value)'
            cand revoke 'Revoke credentials at their provider and delete them here'
            cand refresh 'Refresh credentials now, whatever their expiry, or ask for more scopes'
            cand import 'Save a token obtained elsewhere, read from stdin (never an argument)'
            cand prune 'Delete credentials that have been dead longer than the retention period'
        }
        &'mcp-auth;help;tokens;list'= {
        }
        &'mcp-auth;help;tokens;allow'= {
        }
        &'mcp-auth;help;tokens;disallow'= {
        }
        &'mcp-auth;help;tokens;show'= {
        }
        &'mcp-auth;help;tokens;revoke'= {
        }
        &'mcp-auth;help;tokens;refresh'= {
        }
        &'mcp-auth;help;tokens;import'= {
        }
        &'mcp-auth;help;tokens;prune'= {
        }
        &'mcp-auth;help;audit'= {
        }
        &'mcp-auth;help;ui'= {
        }
        &'mcp-auth;help;providers'= {
            cand list 'List the built-in templates and custom providers'
            cand show 'Show a provider''s endpoints, the redirect URI to register and what to tick'
        }
        &'mcp-auth;help;providers;list'= {
        }
        &'mcp-auth;help;providers;show'= {
        }
        &'mcp-auth;help;bridge'= {
        }
        &'mcp-auth;help;logout'= {
        }
        &'mcp-auth;help;clients'= {
            cand add 'Add a remote MCP server to a host, through `mcp-auth bridge`'
            cand list 'List the MCP servers of every host that run the bridge, with the health of their credentials'
            cand remove 'Remove a server that runs the bridge from a host'
        }
        &'mcp-auth;help;clients;add'= {
        }
        &'mcp-auth;help;clients;list'= {
        }
        &'mcp-auth;help;clients;remove'= {
        }
        &'mcp-auth;help;secrets'= {
            cand set 'Store a secret, read from stdin or a hidden prompt (never an argument)'
            cand allow 'Let the bridge send a stored secret to an origin (scheme, host, port)'
            cand disallow 'Stop the bridge sending a stored secret to an origin'
            cand list 'List the stored secrets (names, expiry and last use; never values)'
            cand delete 'Delete stored secrets'
        }
        &'mcp-auth;help;secrets;set'= {
        }
        &'mcp-auth;help;secrets;allow'= {
        }
        &'mcp-auth;help;secrets;disallow'= {
        }
        &'mcp-auth;help;secrets;list'= {
        }
        &'mcp-auth;help;secrets;delete'= {
        }
        &'mcp-auth;help;doctor'= {
        }
        &'mcp-auth;help;daemon'= {
            cand run 'Run the daemon in the foreground (for service managers and debugging)'
            cand start 'Start the daemon in the background and wait until it answers'
            cand stop 'Stop the running daemon'
            cand status 'Show whether the daemon runs, what it watches, its next refresh and last prune'
            cand install 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS'
            cand uninstall 'Stop the user service and remove it'
        }
        &'mcp-auth;help;daemon;run'= {
        }
        &'mcp-auth;help;daemon;start'= {
        }
        &'mcp-auth;help;daemon;stop'= {
        }
        &'mcp-auth;help;daemon;status'= {
        }
        &'mcp-auth;help;daemon;install'= {
        }
        &'mcp-auth;help;daemon;uninstall'= {
        }
        &'mcp-auth;help;completions'= {
        }
        &'mcp-auth;help;help'= {
        }
    ]
    $completions[$command]
}
