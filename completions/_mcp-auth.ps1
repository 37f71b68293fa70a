
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mcp-auth' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mcp-auth'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mcp-auth' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a provider or an MCP server and save the credential')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid access token, refreshing it first when needed')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'List, inspect, refresh, revoke and prune saved credentials')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log: every event, deleted credentials'' included, newest first')
            [CompletionResult]::new('ui', 'ui', [CompletionResultType]::ParameterValue, 'Open a local dashboard of every credential, secret and the daemon')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'Show the provider templates and the custom providers of the config')
            [CompletionResult]::new('bridge', 'bridge', [CompletionResultType]::ParameterValue, 'Run a stdio MCP server that forwards everything to a remote MCP server')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out: revoke a credential at its provider and delete it here')
            [CompletionResult]::new('clients', 'clients', [CompletionResultType]::ParameterValue, 'Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to remote servers through the bridge')
            [CompletionResult]::new('secrets', 'secrets', [CompletionResultType]::ParameterValue, 'Keep API keys and other static secrets in the keyring')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the installation and every credential, with a fix for each problem')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Run, start, stop, inspect or install the background daemon')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;login' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Save the credential under this name [default: the provider name or the server''s host]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope to request; repeat for several (replaces the provider''s default scopes)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id (overrides the config)')
            [CompletionResult]::new('--client-secret-env', '--client-secret-env', [CompletionResultType]::ParameterName, 'Read the client secret from this environment variable (secrets never go on the command line)')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'MCP servers: the URL of this client''s Client ID Metadata Document, used as the client id when the authorization server supports them [config: client_metadata_url]')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'How to log in: authorization-code (a person, in a browser), client-credentials (a machine: client id plus secret or private key, no browser), cross-app (an ID token from your organisation''s identity provider, no browser) or jwt-bearer (a workload''s platform identity token, no browser, no secret)')
            [CompletionResult]::new('--private-key-file', '--private-key-file', [CompletionResultType]::ParameterName, 'private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the secret store for renewals')
            [CompletionResult]::new('--signing-alg', '--signing-alg', [CompletionResultType]::ParameterName, 'Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256 [default: ES256/ES384 for EC keys, RS256 for RSA keys]')
            [CompletionResult]::new('--idp-token-url', '--idp-token-url', [CompletionResultType]::ParameterName, 'Cross-app access: the enterprise identity provider''s token endpoint, where the person''s ID token is exchanged for an ID-JAG (RFC 8693)')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'Cross-app access: this client''s id at the identity provider')
            [CompletionResult]::new('--id-token-env', '--id-token-env', [CompletionResultType]::ParameterName, 'Cross-app access: read the person''s ID token from this environment variable')
            [CompletionResult]::new('--assertion-file', '--assertion-file', [CompletionResultType]::ParameterName, 'Workload identity (--grant jwt-bearer): the file holding the platform''s identity token (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read again at every renewal, by the daemon too, so the platform may rotate it')
            [CompletionResult]::new('--assertion-env', '--assertion-env', [CompletionResultType]::ParameterName, 'Workload identity: read the identity token from this environment variable instead. For one-shot processes only: nothing else (not the daemon, not a later command) can read this process''s environment, so the token is not renewed; use --assertion-file for that')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'The provider''s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]')
            [CompletionResult]::new('--auth-server', '--auth-server', [CompletionResultType]::ParameterName, 'Okta authorization server: default, org (the org authorization server) or a custom server''s id [default: default]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Auth0 API identifier to get an access token for (the `audience` parameter)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port for the 127.0.0.1 redirect listener [default: any free port]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the browser to come back [default: 5m]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Log in with a code typed on any device (RFC 8628): for SSH sessions and machines without a browser; with --no-browser the code and URL are only printed')
            [CompletionResult]::new('--paste', '--paste', [CompletionResultType]::ParameterName, 'Open the login URL on any machine, then paste back the address the browser ended on')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; only print the URL to open')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the saved credential as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;token' {
            [CompletionResult]::new('--min-valid', '--min-valid', [CompletionResultType]::ParameterName, 'Refresh first when the token expires within this time')
            [CompletionResult]::new('--dpop-proof', '--dpop-proof', [CompletionResultType]::ParameterName, 'For a DPoP-bound credential: print the two headers (`Authorization: DPoP <token>` and `DPoP: <proof>`) for one METHOD request to URL; a proof is good for that request only')
            [CompletionResult]::new('--dpop-nonce', '--dpop-nonce', [CompletionResultType]::ParameterName, 'With --dpop-proof: the nonce the server asked for in its DPoP-Nonce header')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Print `Authorization: Bearer <token>` instead of the bare token (refused for a DPoP-bound credential, whose token needs a proof per request: use --dpop-proof)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List saved credentials with their user, scopes and health')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Let a credential''s token be sent by the bridge to another origin')
            [CompletionResult]::new('disallow', 'disallow', [CompletionResultType]::ParameterValue, 'Stop the bridge sending a credential''s token to an origin')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show everything known about one credential (never a token value)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials at their provider and delete them here')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh credentials now, whatever their expiry, or ask for more scopes')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Save a token obtained elsewhere, read from stdin (never an argument)')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete credentials that have been dead longer than the retention period')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;tokens;list' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only credentials of this provider (or MCP server URL)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only credentials with this health')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;allow' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;disallow' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;show' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;revoke' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Revoke every credential of this provider')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Revoke every credential')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Revoke every credential that is expired or needs a login')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--local-only', '--local-only', [CompletionResultType]::ParameterName, 'Only delete here; do not call the provider''s revocation endpoint')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;refresh' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Log in again for the credential''s scopes plus this one; repeat for several (one NAME)')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Refresh every renewable credential')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'With --scope: do not open a browser; only print the URL to open')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;import' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'The provider the token is from (a template or a provider of config.toml)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The MCP server the token is for')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'The provider''s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]')
            [CompletionResult]::new('--auth-server', '--auth-server', [CompletionResultType]::ParameterName, 'Okta authorization server: default, org (the org authorization server) or a custom server''s id [default: default]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Auth0 API identifier to get an access token for (the `audience` parameter)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id, for refreshing (overrides the config)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'When the token stops working: a duration from now (90d) or a date (2027-01-31); overrides an expiry in the input')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'The token''s scopes; repeat for several')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the saved credential as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;prune' {
            [CompletionResult]::new('--retention-days', '--retention-days', [CompletionResultType]::ParameterName, 'Keep credentials dead for fewer days than this [default: retention_days, 90]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted without deleting it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;tokens;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List saved credentials with their user, scopes and health')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Let a credential''s token be sent by the bridge to another origin')
            [CompletionResult]::new('disallow', 'disallow', [CompletionResultType]::ParameterValue, 'Stop the bridge sending a credential''s token to an origin')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show everything known about one credential (never a token value)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials at their provider and delete them here')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh credentials now, whatever their expiry, or ask for more scopes')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Save a token obtained elsewhere, read from stdin (never an argument)')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete credentials that have been dead longer than the retention period')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;tokens;help;list' {
            break
        }
        'mcp-auth;tokens;help;allow' {
            break
        }
        'mcp-auth;tokens;help;disallow' {
            break
        }
        'mcp-auth;tokens;help;show' {
            break
        }
        'mcp-auth;tokens;help;revoke' {
            break
        }
        'mcp-auth;tokens;help;refresh' {
            break
        }
        'mcp-auth;tokens;help;import' {
            break
        }
        'mcp-auth;tokens;help;prune' {
            break
        }
        'mcp-auth;tokens;help;help' {
            break
        }
        'mcp-auth;audit' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Only the events of this credential (also one revoked or pruned)')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Only events of this kind; repeat or separate with commas for several')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events since then: a duration back from now (7d, 12h, 30m) or an RFC 3339 date or time (2026-11-01, 2026-11-01T09:30:00Z, 2026-11-01T10:30:00+01:00)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many events, the newest [default: all]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array (written as the events are read)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;ui' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on, on 127.0.0.1 [default: any free port]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; only print the address')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the address as a JSON object (url, port) when ready')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;providers' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the built-in templates and custom providers')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a provider''s endpoints, the redirect URI to register and what to tick')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;providers;list' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;providers;show' {
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'The provider''s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]')
            [CompletionResult]::new('--auth-server', '--auth-server', [CompletionResultType]::ParameterName, 'Okta authorization server: default, org (the org authorization server) or a custom server''s id [default: default]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Auth0 API identifier to get an access token for (the `audience` parameter)')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;providers;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the built-in templates and custom providers')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a provider''s endpoints, the redirect URI to register and what to tick')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;providers;help;list' {
            break
        }
        'mcp-auth;providers;help;show' {
            break
        }
        'mcp-auth;providers;help;help' {
            break
        }
        'mcp-auth;bridge' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Use this saved credential [default: the one saved for URL, if any]')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, e.g. ''X-Api-Key: {secret:NAME}''; repeat for several. {secret:NAME} is a secret stored with `mcp-auth secrets set NAME`, ${VAR} the environment variable VAR, so keys stay out of config files and process listings. Values are never logged. An Authorization header here replaces the bearer')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, e.g. ''X-Api-Key: {secret:NAME}''; repeat for several. {secret:NAME} is a secret stored with `mcp-auth secrets set NAME`, ${VAR} the environment variable VAR, so keys stay out of config files and process listings. Values are never logged. An Authorization header here replaces the bearer')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope to request; repeat for several (replaces the provider''s default scopes)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id (overrides the config)')
            [CompletionResult]::new('--client-secret-env', '--client-secret-env', [CompletionResultType]::ParameterName, 'Read the client secret from this environment variable (secrets never go on the command line)')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'MCP servers: the URL of this client''s Client ID Metadata Document, used as the client id when the authorization server supports them [config: client_metadata_url]')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'How to log in: authorization-code (a person, in a browser), client-credentials (a machine: client id plus secret or private key, no browser), cross-app (an ID token from your organisation''s identity provider, no browser) or jwt-bearer (a workload''s platform identity token, no browser, no secret)')
            [CompletionResult]::new('--private-key-file', '--private-key-file', [CompletionResultType]::ParameterName, 'private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the secret store for renewals')
            [CompletionResult]::new('--signing-alg', '--signing-alg', [CompletionResultType]::ParameterName, 'Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256 [default: ES256/ES384 for EC keys, RS256 for RSA keys]')
            [CompletionResult]::new('--idp-token-url', '--idp-token-url', [CompletionResultType]::ParameterName, 'Cross-app access: the enterprise identity provider''s token endpoint, where the person''s ID token is exchanged for an ID-JAG (RFC 8693)')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'Cross-app access: this client''s id at the identity provider')
            [CompletionResult]::new('--id-token-env', '--id-token-env', [CompletionResultType]::ParameterName, 'Cross-app access: read the person''s ID token from this environment variable')
            [CompletionResult]::new('--assertion-file', '--assertion-file', [CompletionResultType]::ParameterName, 'Workload identity (--grant jwt-bearer): the file holding the platform''s identity token (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read again at every renewal, by the daemon too, so the platform may rotate it')
            [CompletionResult]::new('--assertion-env', '--assertion-env', [CompletionResultType]::ParameterName, 'Workload identity: read the identity token from this environment variable instead. For one-shot processes only: nothing else (not the daemon, not a later command) can read this process''s environment, so the token is not renewed; use --assertion-file for that')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which HTTP transport to speak: auto tries Streamable HTTP and falls back to HTTP+SSE when the server refuses `initialize` with 400, 404 or 405')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting to the server after this long')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Answer a request with an error (and cancel it upstream) when the server has not answered it for this long; a progress notification for the request starts the wait again; 0 turns it off [default: request_timeout in config.toml, else 10m]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--no-login', '--no-login', [CompletionResultType]::ParameterName, 'Never start a login: answer requests the server refuses with a JSON-RPC error that says which `mcp-auth login` to run')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;logout' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--local-only', '--local-only', [CompletionResultType]::ParameterName, 'Only delete here; do not call the provider''s revocation endpoint')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;clients' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a remote MCP server to a host, through `mcp-auth bridge`')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the MCP servers of every host that run the bridge, with the health of their credentials')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a server that runs the bridge from a host')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;clients;add' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'claude-code: where `claude mcp add` keeps it [default: user]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'cursor, vscode: the project''s file (.cursor/mcp.json, .vscode/mcp.json in the current directory) instead of the user''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;clients;list' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;clients;remove' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'claude-code: the scope to remove it from [default: user]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'cursor, vscode: the project''s file instead of the user''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;clients;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a remote MCP server to a host, through `mcp-auth bridge`')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the MCP servers of every host that run the bridge, with the health of their credentials')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a server that runs the bridge from a host')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;clients;help;add' {
            break
        }
        'mcp-auth;clients;help;list' {
            break
        }
        'mcp-auth;clients;help;remove' {
            break
        }
        'mcp-auth;clients;help;help' {
            break
        }
        'mcp-auth;secrets' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a secret, read from stdin or a hidden prompt (never an argument)')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Let the bridge send a stored secret to an origin (scheme, host, port)')
            [CompletionResult]::new('disallow', 'disallow', [CompletionResultType]::ParameterValue, 'Stop the bridge sending a stored secret to an origin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the stored secrets (names, expiry and last use; never values)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete stored secrets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;secrets;set' {
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'When it stops being usable: a duration from now (90d) or a date (2027-01-31)')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'A note for `secrets list` (where the key came from, what it is for)')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'An origin the bridge may send it to (https://api.example.com); repeat for several')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;secrets;allow' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;secrets;disallow' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;secrets;list' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;secrets;delete' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;secrets;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a secret, read from stdin or a hidden prompt (never an argument)')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Let the bridge send a stored secret to an origin (scheme, host, port)')
            [CompletionResult]::new('disallow', 'disallow', [CompletionResultType]::ParameterValue, 'Stop the bridge sending a stored secret to an origin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the stored secrets (names, expiry and last use; never values)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete stored secrets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;secrets;help;set' {
            break
        }
        'mcp-auth;secrets;help;allow' {
            break
        }
        'mcp-auth;secrets;help;disallow' {
            break
        }
        'mcp-auth;secrets;help;list' {
            break
        }
        'mcp-auth;secrets;help;delete' {
            break
        }
        'mcp-auth;secrets;help;help' {
            break
        }
        'mcp-auth;doctor' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Also refresh every renewable credential to prove its refresh works')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the daemon in the foreground (for service managers and debugging)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the daemon in the background and wait until it answers')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the running daemon')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether the daemon runs, what it watches, its next refresh and last prune')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Stop the user service and remove it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;daemon;run' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon;start' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon;stop' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon;status' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon;install' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon;uninstall' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;daemon;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the daemon in the foreground (for service managers and debugging)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the daemon in the background and wait until it answers')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the running daemon')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether the daemon runs, what it watches, its next refresh and last prune')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Stop the user service and remove it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;daemon;help;run' {
            break
        }
        'mcp-auth;daemon;help;start' {
            break
        }
        'mcp-auth;daemon;help;stop' {
            break
        }
        'mcp-auth;daemon;help;status' {
            break
        }
        'mcp-auth;daemon;help;install' {
            break
        }
        'mcp-auth;daemon;help;uninstall' {
            break
        }
        'mcp-auth;daemon;help;help' {
            break
        }
        'mcp-auth;completions' {
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcp-auth;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a provider or an MCP server and save the credential')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid access token, refreshing it first when needed')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'List, inspect, refresh, revoke and prune saved credentials')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log: every event, deleted credentials'' included, newest first')
            [CompletionResult]::new('ui', 'ui', [CompletionResultType]::ParameterValue, 'Open a local dashboard of every credential, secret and the daemon')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'Show the provider templates and the custom providers of the config')
            [CompletionResult]::new('bridge', 'bridge', [CompletionResultType]::ParameterValue, 'Run a stdio MCP server that forwards everything to a remote MCP server')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out: revoke a credential at its provider and delete it here')
            [CompletionResult]::new('clients', 'clients', [CompletionResultType]::ParameterValue, 'Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to remote servers through the bridge')
            [CompletionResult]::new('secrets', 'secrets', [CompletionResultType]::ParameterValue, 'Keep API keys and other static secrets in the keyring')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the installation and every credential, with a fix for each problem')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Run, start, stop, inspect or install the background daemon')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-auth;help;login' {
            break
        }
        'mcp-auth;help;token' {
            break
        }
        'mcp-auth;help;tokens' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List saved credentials with their user, scopes and health')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Let a credential''s token be sent by the bridge to another origin')
            [CompletionResult]::new('disallow', 'disallow', [CompletionResultType]::ParameterValue, 'Stop the bridge sending a credential''s token to an origin')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show everything known about one credential (never a token value)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials at their provider and delete them here')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh credentials now, whatever their expiry, or ask for more scopes')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Save a token obtained elsewhere, read from stdin (never an argument)')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete credentials that have been dead longer than the retention period')
            break
        }
        'mcp-auth;help;tokens;list' {
            break
        }
        'mcp-auth;help;tokens;allow' {
            break
        }
        'mcp-auth;help;tokens;disallow' {
            break
        }
        'mcp-auth;help;tokens;show' {
            break
        }
        'mcp-auth;help;tokens;revoke' {
            break
        }
        'mcp-auth;help;tokens;refresh' {
            break
        }
        'mcp-auth;help;tokens;import' {
            break
        }
        'mcp-auth;help;tokens;prune' {
            break
        }
        'mcp-auth;help;audit' {
            break
        }
        'mcp-auth;help;ui' {
            break
        }
        'mcp-auth;help;providers' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the built-in templates and custom providers')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a provider''s endpoints, the redirect URI to register and what to tick')
            break
        }
        'mcp-auth;help;providers;list' {
            break
        }
        'mcp-auth;help;providers;show' {
            break
        }
        'mcp-auth;help;bridge' {
            break
        }
        'mcp-auth;help;logout' {
            break
        }
        'mcp-auth;help;clients' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a remote MCP server to a host, through `mcp-auth bridge`')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the MCP servers of every host that run the bridge, with the health of their credentials')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a server that runs the bridge from a host')
            break
        }
        'mcp-auth;help;clients;add' {
            break
        }
        'mcp-auth;help;clients;list' {
            break
        }
        'mcp-auth;help;clients;remove' {
            break
        }
        'mcp-auth;help;secrets' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a secret, read from stdin or a hidden prompt (never an argument)')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Let the bridge send a stored secret to an origin (scheme, host, port)')
            [CompletionResult]::new('disallow', 'disallow', [CompletionResultType]::ParameterValue, 'Stop the bridge sending a stored secret to an origin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the stored secrets (names, expiry and last use; never values)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete stored secrets')
            break
        }
        'mcp-auth;help;secrets;set' {
            break
        }
        'mcp-auth;help;secrets;allow' {
            break
        }
        'mcp-auth;help;secrets;disallow' {
            break
        }
        'mcp-auth;help;secrets;list' {
            break
        }
        'mcp-auth;help;secrets;delete' {
            break
        }
        'mcp-auth;help;doctor' {
            break
        }
        'mcp-auth;help;daemon' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the daemon in the foreground (for service managers and debugging)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the daemon in the background and wait until it answers')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the running daemon')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether the daemon runs, what it watches, its next refresh and last prune')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Stop the user service and remove it')
            break
        }
        'mcp-auth;help;daemon;run' {
            break
        }
        'mcp-auth;help;daemon;start' {
            break
        }
        'mcp-auth;help;daemon;stop' {
            break
        }
        'mcp-auth;help;daemon;status' {
            break
        }
        'mcp-auth;help;daemon;install' {
            break
        }
        'mcp-auth;help;daemon;uninstall' {
            break
        }
        'mcp-auth;help;completions' {
            break
        }
        'mcp-auth;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
