//! State put straight into a test home's store, as a login or the passing
//! of time would leave it: opened the way the binary opens it.

use std::path::Path;

use mcp_auth::config::{Config, SecretStoreKind};
use mcp_auth::model::{AuthMethod, Credential, GrantKind, Origin, Secret, Status, TokenSet, now};
use mcp_auth::paths::Paths;
use mcp_auth::store::Store;

/// Opens the store of an `MCP_AUTH_HOME` the way the binary does under
/// `MCP_AUTH_SECRET_STORE=file`.
pub fn store(home: &Path) -> Store {
    let config = Config {
        secret_store: Some(SecretStoreKind::File),
        ..Config::default()
    };
    Store::open(&Paths::under(home), &config, None).expect("open the test store")
}

/// Saves a credential for an MCP server, as a login would.
pub fn seed_credential(
    home: &Path,
    name: &str,
    server_url: &str,
    token_url: &str,
    access: &str,
    refresh: Option<&str>,
) {
    seed_credential_expiring(home, name, server_url, token_url, access, refresh, 3600);
}

/// [`seed_credential`] with an access token that expires in `expires_in` seconds.
#[allow(dead_code)]
pub fn seed_credential_expiring(
    home: &Path,
    name: &str,
    server_url: &str,
    token_url: &str,
    access: &str,
    refresh: Option<&str>,
    expires_in: i64,
) {
    let at = now();
    let cred = Credential {
        name: name.into(),
        origin: Origin::McpServer {
            server_url: mcp_auth::mcp::canonical_server_url(server_url).expect("server url"),
        },
        issuer: None,
        resource: Some(server_url.into()),
        token_url: token_url.into(),
        revocation_url: None,
        client_id: "test-client".into(),
        auth_method: AuthMethod::None,
        grant: GrantKind::AuthorizationCode,
        subject: None,
        username: Some("tester".into()),
        email: None,
        scopes: vec!["mcp".into()],
        has_refresh_token: refresh.is_some(),
        created_at: at,
        last_used_at: None,
        last_refreshed_at: None,
        access_expires_at: Some(at + expires_in),
        refresh_expires_at: None,
        status: Status::Active,
        status_changed_at: at,
        last_error: None,
        generation: 1,
    };
    let tokens = TokenSet {
        generation: 1,
        access_token: Secret::new(access),
        refresh_token: refresh.map(Secret::new),
        id_token: None,
        client_secret: None,
        access_expires_at: Some(at + expires_in),
        client_assertion_alg: None,
        token_params: Vec::new(),
        idp: None,
        dpop_key: None,
        assertion_file: None,
    };
    store(home)
        .save_login(&cred, &tokens)
        .expect("save the test credential");
}

/// Makes a saved credential's access token expired, in its secrets and its
/// row, as if an hour had passed: the next `token` has to refresh.
pub fn expire_access(home: &Path, name: &str) {
    let store = store(home);
    let mut set = store
        .tokens(name)
        .unwrap()
        .expect("the credential's tokens");
    let past = now() - 10;
    set.access_expires_at = Some(past);
    store.put_tokens(name, &set).unwrap();
    let conn = rusqlite::Connection::open(home.join("data/mcp-auth.db")).unwrap();
    conn.execute(
        "UPDATE credentials SET access_expires_at = ?2 WHERE name = ?1",
        rusqlite::params![name, past],
    )
    .unwrap();
}
