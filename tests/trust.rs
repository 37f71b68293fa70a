//! Trust boundaries: what a server, another local user or process, or a
//! file someone else wrote can make mcp-auth do. Each test is an attack as
//! it would be made, on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use support::fake_as::{AsConfig, FakeAs};
use support::home::Home;

fn setup() -> (FakeAs, Home) {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    (server, home)
}

/// A browser command that only records the URL it was given.
fn recording_browser(home: &Home) -> (String, std::path::PathBuf) {
    let log = home.path().join("opened.txt");
    (format!("sh -c 'echo \"$0\" >> {}'", log.display()), log)
}

#[test]
fn a_device_prompt_from_a_hostile_server_is_shown_inert_and_not_opened() {
    let (server, home) = setup();
    server.set_device_prompt(
        "\u{1b}]0;pwned\u{7}WDJB\u{1b}[2J-MJHT",
        "smb://evil.example/share",
    );
    let (browser, opened) = recording_browser(&home);
    let run = support::home::Run(
        home.cmd()
            .args(["login", "acme", "--device"])
            .env("MCP_AUTH_BROWSER", &browser)
            .output()
            .unwrap(),
    );
    run.ok();
    let err = run.stderr();
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("]0;pwned WDJB [2J-MJHT"), "{err}");
    assert!(err.contains("refusing to open a smb: address"), "{err}");
    assert!(!opened.exists(), "the browser was started");
}

#[test]
fn a_device_prompt_with_a_web_address_is_opened() {
    let (server, home) = setup();
    let page = format!("{}/activate?user_code=WDJB-MJHT", server.url);
    server.set_device_prompt("WDJB-MJHT", &page);
    let (browser, opened) = recording_browser(&home);
    let run = support::home::Run(
        home.cmd()
            .args(["login", "acme", "--device"])
            .env("MCP_AUTH_BROWSER", &browser)
            .output()
            .unwrap(),
    );
    run.ok();
    // The fake serves plain http on 127.0.0.1: loopback http is allowed.
    let opened = std::fs::read_to_string(opened).unwrap();
    assert_eq!(opened.trim(), page);
}

#[test]
fn an_error_description_with_escape_sequences_is_printed_without_them() {
    let (server, home) = setup();
    server.deny_with("no\u{1b}[31m red\u{9b}1m\nforged line");
    let run = home.run(&["login", "acme"]);
    run.fails_with(6, "declined");
    let err = run.stderr();
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{9b}'),
        "{err:?}"
    );
    assert!(err.contains("no [31m red 1m forged line"), "{err}");
}

#[test]
fn a_config_file_of_another_user_is_refused() {
    let (_server, home) = setup();
    let config = home.path().join("config.toml");
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    if me == 0 {
        // Root can give the file away, as another user's file would be.
        std::os::unix::fs::chown(&config, Some(65534), None).unwrap();
    } else {
        // A file root owns stands in for another user's.
        std::fs::remove_file(&config).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &config).unwrap();
    }
    home.run(&["tokens", "list"])
        .fails_with(3, "belongs to another user");
}

#[test]
fn a_config_file_writable_by_others_is_tightened_and_said_once() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, home) = setup();
    let config = home.path().join("config.toml");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o666)).unwrap();
    let run = home.run(&["tokens", "list"]);
    run.ok();
    assert!(
        run.stderr().contains("writable by other users"),
        "{}",
        run.stderr()
    );
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = home.run(&["tokens", "list"]);
    assert!(
        !again.ok().stderr().contains("writable"),
        "{}",
        again.stderr()
    );
}

#[test]
fn every_token_the_daemon_hands_out_names_the_process_that_asked() {
    let (_server, home) = setup();
    home.run(&["login", "acme"]).ok();
    let daemon = support::daemon::Daemon::start(&home, &[]);
    let child = home
        .cmd()
        .args(["token", "acme"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let exe = std::fs::canonicalize(support::home::BIN).unwrap();
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    let want = format!(
        "access token handed out by the daemon to pid {pid} ({}), expires in ",
        exe.display()
    );
    let events = shown["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "use" && e["detail"].as_str().unwrap().starts_with(&want)),
        "{want}\n{events:#?}"
    );
    daemon.terminate();
}

/// A raw HTTP server on `ip` that answers every request with `answer` and
/// keeps every request's bytes.
fn raw_server(
    ip: &str,
    answer: impl Fn() -> String + Send + 'static,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = vec![0u8; 64 * 1024];
            let n = stream.read(&mut buf).unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = stream.write_all(answer().as_bytes());
        }
    });
    (port, seen)
}

#[test]
fn the_bridge_refuses_plain_http_to_another_host() {
    let home = Home::new();
    let run = support::home::Run(
        home.cmd()
            .args(["bridge", "http://192.0.2.1/mcp", "--header", "X-Api-Key: k"])
            .output()
            .unwrap(),
    );
    run.fails_with(2, "plain http to a host other than this machine");
}

#[test]
fn a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there() {
    // 127.0.0.2 is another origin on this machine: the attacker's host.
    let (evil_port, evil_seen) = raw_server("127.0.0.2", || {
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
            .to_string()
    });
    let (port, seen) = raw_server("127.0.0.1", move || {
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.2:{evil_port}/mcp\r\n\
             content-length: 0\r\n\r\n"
        )
    });
    let home = Home::new();
    let mut bridge = support::bridge::Bridge::start_with(
        &format!("http://127.0.0.1:{port}/mcp"),
        support::bridge::Options::default()
            .home(home.path())
            .arg("--no-login")
            .arg("--header")
            .arg("X-Api-Key: s3cret-key"),
    );
    let answer = bridge.request(
        "initialize",
        serde_json::json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}
        }),
    );
    let message = answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains(&format!(
            "redirected to http://127.0.0.2:{evil_port}, another origin"
        )),
        "{answer}"
    );
    assert!(!seen.lock().unwrap().is_empty(), "the server was asked");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|r| r.contains("s3cret-key")),
        "the header went to its own server"
    );
    assert!(
        evil_seen.lock().unwrap().is_empty(),
        "something was sent to the other origin"
    );
}
