//! Shared support for the integration tests and the benchmarks: a
//! temporary mcp-auth home that runs the real binary ([`home`]), an
//! in-process fake authorization server (with a protected MCP resource)
//! that asserts the protocol it receives ([`fake_as`]), driving the real
//! `mcp-auth bridge` over its stdio ([`bridge`]), running the daemon
//! ([`daemon`]), an in-process fake MCP server ([`fake_server`]), a
//! scripted rotating token endpoint for the property tests
//! ([`fake_token`]), and real peers installed from npm ([`peers`]).
//!
//! Each test crate uses a different part of this, hence `dead_code`. Its
//! helpers may unwrap like the tests they serve: a failed set-up is a failed
//! test, and its panic message says where (the benches use them too, which
//! are not test code to clippy).
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod bridge;
pub mod crash;
pub mod daemon;
pub mod fake_as;
pub mod fake_dpop;
pub mod fake_provider;
pub mod fake_server;
pub mod fake_token;
pub mod fs_faults;
pub mod home;
pub mod peers;

use std::path::Path;
use std::sync::OnceLock;

use mcp_auth::config::{Config, SecretStoreKind};
use mcp_auth::model::{AuthMethod, Credential, GrantKind, Origin, Secret, Status, TokenSet, now};
use mcp_auth::paths::Paths;
use mcp_auth::store::Store;

/// An axum app served on its own thread and runtime, so a fake keeps
/// answering while a test blocks on the binary; stopped gracefully, and
/// its thread joined, when dropped.
pub struct Served {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    pub fn start(listener: std::net::TcpListener, app: axum::Router) -> Served {
        listener.set_nonblocking(true).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Served {
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One runtime for every case of a property test: the OAuth HTTP client is
/// process-wide, and its pooled connections belong to the runtime that made
/// them.
pub fn shared_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

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
