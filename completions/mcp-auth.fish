# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mcp_auth_global_optspecs
    string join \n log-level= log-file= h/help V/version
end

function __fish_mcp_auth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mcp_auth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mcp_auth_using_subcommand
    set -l cmd (__fish_mcp_auth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "login" -d 'Log in to a provider or an MCP server and save the credential'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "token" -d 'Print a valid access token, refreshing it first when needed'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "tokens" -d 'List, inspect, refresh, revoke and prune saved credentials'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "audit" -d 'Show the audit log: every event, deleted credentials\' included, newest first'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "ui" -d 'Open a local dashboard of every credential, secret and the daemon'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "providers" -d 'Show the provider templates and the custom providers of the config'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "bridge" -d 'Run a stdio MCP server that forwards everything to a remote MCP server'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "logout" -d 'Log out: revoke a credential at its provider and delete it here'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "clients" -d 'Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to remote servers through the bridge'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "secrets" -d 'Keep API keys and other static secrets in the keyring'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "doctor" -d 'Check the installation and every credential, with a fix for each problem'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "daemon" -d 'Run, start, stop, inspect or install the background daemon'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mcp-auth -n "__fish_mcp_auth_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l name -d 'Save the credential under this name [default: the provider name or the server\'s host]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l scope -d 'Scope to request; repeat for several (replaces the provider\'s default scopes)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l client-id -d 'OAuth client id (overrides the config)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l client-secret-env -d 'Read the client secret from this environment variable (secrets never go on the command line)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l client-metadata-url -d 'MCP servers: the URL of this client\'s Client ID Metadata Document, used as the client id when the authorization server supports them [config: client_metadata_url]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l grant -d 'How to log in: authorization-code (a person, in a browser), client-credentials (a machine: client id plus secret or private key, no browser), cross-app (an ID token from your organisation\'s identity provider, no browser) or jwt-bearer (a workload\'s platform identity token, no browser, no secret)' -r -f -a "authorization-code\t''
client-credentials\t''
cross-app\t'Enterprise-managed cross-app access (SEP-990): an ID token from the organisation\'s IdP, exchanged for an ID-JAG, then the JWT bearer grant'
jwt-bearer\t'Workload identity (RFC 7523): a platform-issued identity token (--assertion-file or --assertion-env) is the assertion of a JWT bearer grant; no browser, no stored secret'"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l private-key-file -d 'private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the secret store for renewals' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l signing-alg -d 'Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256 [default: ES256/ES384 for EC keys, RS256 for RSA keys]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l idp-token-url -d 'Cross-app access: the enterprise identity provider\'s token endpoint, where the person\'s ID token is exchanged for an ID-JAG (RFC 8693)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l idp-client-id -d 'Cross-app access: this client\'s id at the identity provider' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l id-token-env -d 'Cross-app access: read the person\'s ID token from this environment variable' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l assertion-file -d 'Workload identity (--grant jwt-bearer): the file holding the platform\'s identity token (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read again at every renewal, by the daemon too, so the platform may rotate it' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l assertion-env -d 'Workload identity: read the identity token from this environment variable instead. For one-shot processes only: nothing else (not the daemon, not a later command) can read this process\'s environment, so the token is not renewed; use --assertion-file for that' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l domain -d 'The provider\'s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l tenant -d 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l auth-server -d 'Okta authorization server: default, org (the org authorization server) or a custom server\'s id [default: default]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l audience -d 'Auth0 API identifier to get an access token for (the `audience` parameter)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l port -d 'Port for the 127.0.0.1 redirect listener [default: any free port]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l timeout -d 'How long to wait for the browser to come back [default: 5m]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l device -d 'Log in with a code typed on any device (RFC 8628): for SSH sessions and machines without a browser; with --no-browser the code and URL are only printed'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l paste -d 'Open the login URL on any machine, then paste back the address the browser ended on'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l no-browser -d 'Do not open a browser; only print the URL to open'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -l json -d 'Print the saved credential as JSON on stdout'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand login" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -l min-valid -d 'Refresh first when the token expires within this time' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -l dpop-proof -d 'For a DPoP-bound credential: print the two headers (`Authorization: DPoP <token>` and `DPoP: <proof>`) for one METHOD request to URL; a proof is good for that request only' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -l dpop-nonce -d 'With --dpop-proof: the nonce the server asked for in its DPoP-Nonce header' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -l header -d 'Print `Authorization: Bearer <token>` instead of the bare token (refused for a DPoP-bound credential, whose token needs a proof per request: use --dpop-proof)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand token" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "list" -d 'List saved credentials with their user, scopes and health'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "allow" -d 'Let a credential\'s token be sent by the bridge to another origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "disallow" -d 'Stop the bridge sending a credential\'s token to an origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "show" -d 'Show everything known about one credential (never a token value)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "revoke" -d 'Revoke credentials at their provider and delete them here'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "refresh" -d 'Refresh credentials now, whatever their expiry, or ask for more scopes'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "import" -d 'Save a token obtained elsewhere, read from stdin (never an argument)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "prune" -d 'Delete credentials that have been dead longer than the retention period'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and not __fish_seen_subcommand_from list allow disallow show revoke refresh import prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -l provider -d 'Only credentials of this provider (or MCP server URL)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -l status -d 'Only credentials with this health' -r -f -a "valid\t''
expiring-soon\t''
refreshable\t''
expired\t''
needs-login\t''"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from allow" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from allow" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from allow" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from allow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from allow" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from disallow" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from disallow" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from disallow" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from disallow" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from disallow" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from show" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from show" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l provider -d 'Revoke every credential of this provider' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l all -d 'Revoke every credential'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l expired -d 'Revoke every credential that is expired or needs a login'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Do not ask for confirmation'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l local-only -d 'Only delete here; do not call the provider\'s revocation endpoint'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -l scope -d 'Log in again for the credential\'s scopes plus this one; repeat for several (one NAME)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -l all -d 'Refresh every renewable credential'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -l no-browser -d 'With --scope: do not open a browser; only print the URL to open'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from refresh" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l provider -d 'The provider the token is from (a template or a provider of config.toml)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l url -d 'The MCP server the token is for' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l domain -d 'The provider\'s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l tenant -d 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l auth-server -d 'Okta authorization server: default, org (the org authorization server) or a custom server\'s id [default: default]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l audience -d 'Auth0 API identifier to get an access token for (the `audience` parameter)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l client-id -d 'OAuth client id, for refreshing (overrides the config)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l expires -d 'When the token stops working: a duration from now (90d) or a date (2027-01-31); overrides an expiry in the input' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l scope -d 'The token\'s scopes; repeat for several' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -l json -d 'Print the saved credential as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -l retention-days -d 'Keep credentials dead for fewer days than this [default: retention_days, 90]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -l dry-run -d 'Show what would be deleted without deleting it'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "list" -d 'List saved credentials with their user, scopes and health'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "allow" -d 'Let a credential\'s token be sent by the bridge to another origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "disallow" -d 'Stop the bridge sending a credential\'s token to an origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show everything known about one credential (never a token value)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke credentials at their provider and delete them here'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "refresh" -d 'Refresh credentials now, whatever their expiry, or ask for more scopes'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "import" -d 'Save a token obtained elsewhere, read from stdin (never an argument)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete credentials that have been dead longer than the retention period'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l name -d 'Only the events of this credential (also one revoked or pruned)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l kind -d 'Only events of this kind; repeat or separate with commas for several' -r -f -a "login\t'A login saved the credential (or replaced it)'
refresh\t'The access token was renewed: refreshed, or minted again'
refresh_failed\t'A renewal failed: refused by the server (needs login) or not reached'
use\t'An access token was handed out (by whom, to which process), or a bridge session ended'
revoke\t'The credential was revoked and deleted'
prune\t'A prune run deleted dead credentials and old events (counts only)'"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l since -d 'Only events since then: a duration back from now (7d, 12h, 30m) or an RFC 3339 date or time (2026-11-01, 2026-11-01T09:30:00Z, 2026-11-01T10:30:00+01:00)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l limit -d 'At most this many events, the newest [default: all]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -l json -d 'Print a JSON array (written as the events are read)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand audit" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -l port -d 'Port to listen on, on 127.0.0.1 [default: any free port]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -l no-browser -d 'Do not open a browser; only print the address'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -l json -d 'Print the address as a JSON object (url, port) when ready'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand ui" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'List the built-in templates and custom providers'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'Show a provider\'s endpoints, the redirect URI to register and what to tick'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from list" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from list" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l domain -d 'The provider\'s host: Okta or Auth0 domain (dev-123.okta.com), GitHub Enterprise Server host (ghe.example.com), GitLab host or URL (https://example.com/gitlab), Microsoft national cloud authority (login.microsoftonline.us)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l tenant -d 'Microsoft tenant: common, organizations, consumers, or the tenant id or domain of a single-tenant app [default: common]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l auth-server -d 'Okta authorization server: default, org (the org authorization server) or a custom server\'s id [default: default]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l audience -d 'Auth0 API identifier to get an access token for (the `audience` parameter)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the built-in templates and custom providers'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a provider\'s endpoints, the redirect URI to register and what to tick'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand providers; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l name -d 'Use this saved credential [default: the one saved for URL, if any]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -s H -l header -d 'Add an HTTP header to every request, e.g. \'X-Api-Key: {secret:NAME}\'; repeat for several. {secret:NAME} is a secret stored with `mcp-auth secrets set NAME`, ${VAR} the environment variable VAR, so keys stay out of config files and process listings. Values are never logged. An Authorization header here replaces the bearer' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l scope -d 'Scope to request; repeat for several (replaces the provider\'s default scopes)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l client-id -d 'OAuth client id (overrides the config)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l client-secret-env -d 'Read the client secret from this environment variable (secrets never go on the command line)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l client-metadata-url -d 'MCP servers: the URL of this client\'s Client ID Metadata Document, used as the client id when the authorization server supports them [config: client_metadata_url]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l grant -d 'How to log in: authorization-code (a person, in a browser), client-credentials (a machine: client id plus secret or private key, no browser), cross-app (an ID token from your organisation\'s identity provider, no browser) or jwt-bearer (a workload\'s platform identity token, no browser, no secret)' -r -f -a "authorization-code\t''
client-credentials\t''
cross-app\t'Enterprise-managed cross-app access (SEP-990): an ID token from the organisation\'s IdP, exchanged for an ID-JAG, then the JWT bearer grant'
jwt-bearer\t'Workload identity (RFC 7523): a platform-issued identity token (--assertion-file or --assertion-env) is the assertion of a JWT bearer grant; no browser, no stored secret'"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l private-key-file -d 'private_key_jwt: sign client assertions with this PKCS#8 PEM key; it is kept in the secret store for renewals' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l signing-alg -d 'Signing algorithm for --private-key-file: ES256, ES384, RS256, RS384, RS512 or PS256 [default: ES256/ES384 for EC keys, RS256 for RSA keys]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l idp-token-url -d 'Cross-app access: the enterprise identity provider\'s token endpoint, where the person\'s ID token is exchanged for an ID-JAG (RFC 8693)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l idp-client-id -d 'Cross-app access: this client\'s id at the identity provider' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l id-token-env -d 'Cross-app access: read the person\'s ID token from this environment variable' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l assertion-file -d 'Workload identity (--grant jwt-bearer): the file holding the platform\'s identity token (a GitHub Actions OIDC token, a Kubernetes projected service-account token); it is read again at every renewal, by the daemon too, so the platform may rotate it' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l assertion-env -d 'Workload identity: read the identity token from this environment variable instead. For one-shot processes only: nothing else (not the daemon, not a later command) can read this process\'s environment, so the token is not renewed; use --assertion-file for that' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l transport -d 'Which HTTP transport to speak: auto tries Streamable HTTP and falls back to HTTP+SSE when the server refuses `initialize` with 400, 404 or 405' -r -f -a "auto\t''
streamable-http\t''
sse\t''"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l connect-timeout -d 'Give up connecting to the server after this long' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l request-timeout -d 'Answer a request with an error (and cancel it upstream) when the server has not answered it for this long; a progress notification for the request starts the wait again; 0 turns it off [default: request_timeout in config.toml, else 10m]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -l no-login -d 'Never start a login: answer requests the server refuses with a JSON-RPC error that says which `mcp-auth login` to run'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand bridge" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand logout" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand logout" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand logout" -l local-only -d 'Only delete here; do not call the provider\'s revocation endpoint'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand logout" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand logout" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Add a remote MCP server to a host, through `mcp-auth bridge`'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List the MCP servers of every host that run the bridge, with the health of their credentials'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove a server that runs the bridge from a host'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from add" -l scope -d 'claude-code: where `claude mcp add` keeps it [default: user]' -r -f -a "local\t''
project\t''
user\t''"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from add" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from add" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from add" -l project -d 'cursor, vscode: the project\'s file (.cursor/mcp.json, .vscode/mcp.json in the current directory) instead of the user\'s'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from list" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from list" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from remove" -l scope -d 'claude-code: the scope to remove it from [default: user]' -r -f -a "local\t''
project\t''
user\t''"
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from remove" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from remove" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from remove" -l project -d 'cursor, vscode: the project\'s file instead of the user\'s'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a remote MCP server to a host, through `mcp-auth bridge`'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the MCP servers of every host that run the bridge, with the health of their credentials'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a server that runs the bridge from a host'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand clients; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -f -a "set" -d 'Store a secret, read from stdin or a hidden prompt (never an argument)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -f -a "allow" -d 'Let the bridge send a stored secret to an origin (scheme, host, port)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -f -a "disallow" -d 'Stop the bridge sending a stored secret to an origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -f -a "list" -d 'List the stored secrets (names, expiry and last use; never values)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -f -a "delete" -d 'Delete stored secrets'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and not __fish_seen_subcommand_from set allow disallow list delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -l expires -d 'When it stops being usable: a duration from now (90d) or a date (2027-01-31)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -l note -d 'A note for `secrets list` (where the key came from, what it is for)' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -l origin -d 'An origin the bridge may send it to (https://api.example.com); repeat for several' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from allow" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from allow" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from allow" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from allow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from allow" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from disallow" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from disallow" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from disallow" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from disallow" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from disallow" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from list" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from list" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from delete" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from delete" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from delete" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "set" -d 'Store a secret, read from stdin or a hidden prompt (never an argument)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "allow" -d 'Let the bridge send a stored secret to an origin (scheme, host, port)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "disallow" -d 'Stop the bridge sending a stored secret to an origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the stored secrets (names, expiry and last use; never values)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete stored secrets'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand doctor" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand doctor" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand doctor" -l online -d 'Also refresh every renewable credential to prove its refresh works'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand doctor" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "run" -d 'Run the daemon in the foreground (for service managers and debugging)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "start" -d 'Start the daemon in the background and wait until it answers'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "stop" -d 'Stop the running daemon'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "status" -d 'Show whether the daemon runs, what it watches, its next refresh and last prune'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "install" -d 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "uninstall" -d 'Stop the user service and remove it'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop status install uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from run" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from run" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from start" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from start" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from start" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from start" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from status" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from status" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from status" -l json -d 'Print JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from install" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from install" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from install" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from uninstall" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from uninstall" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from uninstall" -l json -d 'Print the outcome as JSON'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the daemon in the foreground (for service managers and debugging)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start the daemon in the background and wait until it answers'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the running daemon'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show whether the daemon runs, what it watches, its next refresh and last prune'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Stop the user service and remove it'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand completions" -l log-level -d 'Log verbosity on stderr: error, warn, info, debug or trace [env: MCP_AUTH_LOG]' -r
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand completions" -l log-file -d 'Write logs to this file instead of stderr [env: MCP_AUTH_LOG_FILE]' -r -F
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "login" -d 'Log in to a provider or an MCP server and save the credential'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "token" -d 'Print a valid access token, refreshing it first when needed'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "tokens" -d 'List, inspect, refresh, revoke and prune saved credentials'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "audit" -d 'Show the audit log: every event, deleted credentials\' included, newest first'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "ui" -d 'Open a local dashboard of every credential, secret and the daemon'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "providers" -d 'Show the provider templates and the custom providers of the config'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "bridge" -d 'Run a stdio MCP server that forwards everything to a remote MCP server'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "logout" -d 'Log out: revoke a credential at its provider and delete it here'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "clients" -d 'Connect MCP hosts (Claude Code, Claude Desktop, Cursor, VS Code) to remote servers through the bridge'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "secrets" -d 'Keep API keys and other static secrets in the keyring'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "doctor" -d 'Check the installation and every credential, with a fix for each problem'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "daemon" -d 'Run, start, stop, inspect or install the background daemon'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and not __fish_seen_subcommand_from login token tokens audit ui providers bridge logout clients secrets doctor daemon completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "list" -d 'List saved credentials with their user, scopes and health'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "allow" -d 'Let a credential\'s token be sent by the bridge to another origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "disallow" -d 'Stop the bridge sending a credential\'s token to an origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "show" -d 'Show everything known about one credential (never a token value)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "revoke" -d 'Revoke credentials at their provider and delete them here'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "refresh" -d 'Refresh credentials now, whatever their expiry, or ask for more scopes'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "import" -d 'Save a token obtained elsewhere, read from stdin (never an argument)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "prune" -d 'Delete credentials that have been dead longer than the retention period'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from providers" -f -a "list" -d 'List the built-in templates and custom providers'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from providers" -f -a "show" -d 'Show a provider\'s endpoints, the redirect URI to register and what to tick'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from clients" -f -a "add" -d 'Add a remote MCP server to a host, through `mcp-auth bridge`'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from clients" -f -a "list" -d 'List the MCP servers of every host that run the bridge, with the health of their credentials'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from clients" -f -a "remove" -d 'Remove a server that runs the bridge from a host'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "set" -d 'Store a secret, read from stdin or a hidden prompt (never an argument)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "allow" -d 'Let the bridge send a stored secret to an origin (scheme, host, port)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "disallow" -d 'Stop the bridge sending a stored secret to an origin'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "list" -d 'List the stored secrets (names, expiry and last use; never values)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "delete" -d 'Delete stored secrets'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "run" -d 'Run the daemon in the foreground (for service managers and debugging)'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "start" -d 'Start the daemon in the background and wait until it answers'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "stop" -d 'Stop the running daemon'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "status" -d 'Show whether the daemon runs, what it watches, its next refresh and last prune'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "install" -d 'Install the daemon as a user service and start it: a systemd user unit on Linux, a launchd agent on macOS'
complete -c mcp-auth -n "__fish_mcp_auth_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "uninstall" -d 'Stop the user service and remove it'
