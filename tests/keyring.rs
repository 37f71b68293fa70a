//! The real OS keyring: GNOME Keyring's Secret Service, started headless in
//! a private D-Bus session with a throwaway login keyring (see PEERS.md).
//! Needs `dbus-run-session`, `gnome-keyring-daemon` and `secret-tool`
//! (`.ci/run` installs them); fails with a clear message when they are
//! missing rather than skipping.
//!
//! Faults: a keyring that never answers (the daemon stopped with SIGSTOP),
//! a session bus where nothing owns `org.freedesktop.secrets`, and a
//! keyring locked after the login. Each is exit code 8 with the way out,
//! before anything reaches the server, and the credential is there again
//! once the keyring is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use std::path::Path;
use std::process::Command;

use support::fake_as::{AsConfig, FakeAs};
use support::home::{BIN, FOLLOW_REDIRECT, Home};

fn require_tools() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            found,
            "{tool} is missing: install gnome-keyring, dbus-daemon, dbus-bin and libsecret-tools \
             (apt-get install -y gnome-keyring dbus-daemon dbus-bin libsecret-tools), as .ci/run does"
        );
    }
}

/// Runs `script` inside a fresh D-Bus session with GNOME Keyring's secrets
/// component; `unlock` creates and unlocks a login keyring first.
fn in_keyring_session(home: &Home, script: &str, unlock: bool) -> std::process::Output {
    require_tools();
    let xdg = home.path().join("xdg-data");
    std::fs::create_dir_all(&xdg).unwrap();
    let start = if unlock {
        "echo -n testpw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1"
    } else {
        "gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1"
    };
    let full = format!("set -u\n{start}\n{script}\n");
    let mut cmd = Command::new("dbus-run-session");
    for (k, _) in std::env::vars() {
        if k.starts_with("MCP_AUTH_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(["--", "sh", "-c", &full])
        .env("XDG_DATA_HOME", &xdg)
        .env("MCP_AUTH_HOME", home.path())
        .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT)
        .env("MCP_AUTH_KEYRING_TIMEOUT", "5s")
        .env("CI", "true")
        .env("BIN", BIN)
        .env_remove("DISPLAY")
        .output()
        .unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn tokens_live_in_the_secret_service_and_nowhere_else() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let service = format!("mcp-auth@{}", home.path().display());
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let script = format!(
        r#"
        O={out}
        "$BIN" login acme > $O/login.txt 2>&1; echo $? > $O/login.code
        "$BIN" token acme > $O/token.txt 2> $O/token.err; echo $? > $O/token.code
        "$BIN" token acme --min-valid 2h > $O/token2.txt 2> $O/token2.err
        secret-tool search --all service '{service}' > $O/search.txt 2>&1
        "$BIN" tokens revoke acme > $O/revoke.txt 2>&1; echo $? > $O/revoke.code
        secret-tool search --all service '{service}' > $O/after.txt 2>&1
        "#,
        out = out.display()
    );
    let run = in_keyring_session(&home, &script, true);
    let diag = format!(
        "session stderr: {}\nlogin: {}\ntoken err: {}",
        String::from_utf8_lossy(&run.stderr),
        read(&out.join("login.txt")),
        read(&out.join("token.err"))
    );
    assert_eq!(read(&out.join("login.code")).trim(), "0", "{diag}");
    assert_eq!(read(&out.join("token.code")).trim(), "0", "{diag}");
    let token = read(&out.join("token.txt")).trim().to_string();
    let refreshed = read(&out.join("token2.txt")).trim().to_string();
    assert!(token.starts_with("at-"), "{diag}");
    assert!(refreshed.starts_with("at-") && refreshed != token, "{diag}");
    assert_eq!(server.stats().reused_refresh_tokens, 0);

    // The keyring holds the current token set under this home's service...
    let search = read(&out.join("search.txt"));
    assert!(search.contains("credential/acme"), "{search}");
    assert!(search.contains(&refreshed), "{search}");
    // ...and the home holds no secret at all.
    assert!(!home.path().join("data/secrets.json").exists());
    for entry in walk(home.path()) {
        if entry.starts_with(home.path().join("xdg-data")) || entry.starts_with(&out) {
            continue;
        }
        let bytes = std::fs::read(&entry).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&refreshed),
            "token found in {}",
            entry.display()
        );
    }

    assert_eq!(read(&out.join("revoke.code")).trim(), "0");
    let after = read(&out.join("after.txt"));
    assert!(!after.contains("credential/acme"), "{after}");
}

#[test]
fn a_locked_keyring_is_reported_with_the_way_out() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let script = format!(
        r#""$BIN" login acme > {o}/login.txt 2>&1; echo $? > {o}/login.code"#,
        o = out.display()
    );
    let run = in_keyring_session(&home, &script, false);
    let login = read(&out.join("login.txt"));
    let diag = format!("{login}\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(read(&out.join("login.code")).trim(), "8", "{diag}");
    assert!(login.contains("keyring"), "{diag}");
    assert!(login.contains("secret_store = \"file\""), "{diag}");
    assert!(!login.contains("panicked"), "{diag}");
    assert!(!home.path().join("data/secrets.json").exists());
    // It fails before the browser: nobody logs in for nothing.
    assert_eq!(server.stats().authorize_requests, 0, "{diag}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The pid of whatever owns the Secret Service name on this session bus.
const SECRET_SERVICE_PID: &str = "dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    / org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets \
    | awk '/uint32/ {print $2}'";

#[test]
fn a_keyring_that_never_answers_is_exit_8_within_keyring_timeout_and_loses_nothing() {
    // gnome-keyring-daemon stopped (SIGSTOP): the bus takes the calls and
    // nobody answers them, as with a keyring stuck behind an unlock prompt.
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let script = format!(
        r#"
        O={out}
        export MCP_AUTH_KEYRING_TIMEOUT=2s
        r() {{ n=$1; shift; "$BIN" "$@" > $O/$n.out 2> $O/$n.err; echo $? > $O/$n.code; }}
        r login login acme
        r token token acme
        GKD=$({pid})
        kill -STOP "$GKD"
        date +%s%N > $O/stopped
        r hung token acme
        r hung-refresh token acme --min-valid 2h
        r hung-login login acme --name second
        date +%s%N > $O/resumed
        kill -CONT "$GKD"
        r after token acme
        "#,
        out = out.display(),
        pid = SECRET_SERVICE_PID,
    );
    let run = in_keyring_session(&home, &script, true);
    let get = |n: &str, ext: &str| read(&out.join(format!("{n}.{ext}")));
    let diag = format!(
        "session: {}\nlogin: {}",
        String::from_utf8_lossy(&run.stderr),
        get("login", "err")
    );
    assert_eq!(get("login", "code").trim(), "0", "{diag}");
    let token = get("token", "out").trim().to_string();
    assert!(server.access_token_valid(&token), "{diag}");
    let before = server.stats();
    for n in ["hung", "hung-refresh", "hung-login"] {
        let err = get(n, "err");
        eprintln!("{n}: {err}");
        assert_eq!(get(n, "code").trim(), "8", "{n}: {err}\n{diag}");
        assert!(
            err.contains("the keyring did not answer within 2s"),
            "{n}: {err}"
        );
        assert!(err.contains("MCP_AUTH_SECRET_STORE=file"), "{n}: {err}");
        assert!(!err.contains("panicked"), "{n}: {err}");
    }
    // Three commands, each giving up after one 2 s call.
    let stopped: u128 = read(&out.join("stopped")).trim().parse().unwrap();
    let resumed: u128 = read(&out.join("resumed")).trim().parse().unwrap();
    let secs = (resumed - stopped) / 1_000_000_000;
    assert!(
        (5..=12).contains(&secs),
        "{secs} s for three timed-out commands"
    );
    // Nothing reached the server while the keyring hung, and the same
    // token comes back once it answers again.
    let after = server.stats();
    assert_eq!(after.token_requests, before.token_requests);
    assert_eq!(after.authorize_requests, before.authorize_requests);
    assert_eq!(get("after", "code").trim(), "0", "{}", get("after", "err"));
    assert_eq!(get("after", "out").trim(), token);
}

#[test]
fn a_session_bus_without_a_secret_service_is_exit_8_before_the_browser() {
    require_tools();
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    // A session bus with no service directories: nothing owns
    // org.freedesktop.secrets and nothing can be started to own it.
    let conf = home.path().join("bus.conf");
    std::fs::write(
        &conf,
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
    )
    .unwrap();
    let mut cmd = Command::new("dbus-run-session");
    for (k, _) in std::env::vars() {
        if k.starts_with("MCP_AUTH_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("--config-file")
        .arg(&conf)
        .args(["--", BIN, "login", "acme"])
        .env("MCP_AUTH_HOME", home.path())
        .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT)
        .env("MCP_AUTH_KEYRING_TIMEOUT", "5s")
        .env("CI", "true")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(err.contains("keyring"), "{err}");
    assert!(err.contains("MCP_AUTH_SECRET_STORE=file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(server.stats().authorize_requests, 0);
    assert!(!home.path().join("data/secrets.json").exists());
}

#[test]
fn a_keyring_locked_after_login_is_exit_8_and_unlocking_it_brings_the_credential_back() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let script = format!(
        r#"
        O={out}
        r() {{ n=$1; shift; "$BIN" "$@" > $O/$n.out 2> $O/$n.err; echo $? > $O/$n.code; }}
        r login login acme
        r token token acme
        # A keyring daemon started afresh loads the login keyring locked
        # (a new desktop session before the password was typed).
        gnome-keyring-daemon --replace --components=secrets > $O/lock.txt 2>&1
        sleep 0.5
        r locked token acme
        r locked-refresh token acme --min-valid 2h
        echo -n testpw | gnome-keyring-daemon --replace --unlock --components=secrets > /dev/null 2>&1
        sleep 0.5
        r after token acme
        "#,
        out = out.display(),
    );
    let run = in_keyring_session(&home, &script, true);
    let get = |n: &str, ext: &str| read(&out.join(format!("{n}.{ext}")));
    let diag = format!(
        "session: {}\nlogin: {}\nrestart: {}",
        String::from_utf8_lossy(&run.stderr),
        get("login", "err"),
        read(&out.join("lock.txt"))
    );
    assert_eq!(get("login", "code").trim(), "0", "{diag}");
    let token = get("token", "out").trim().to_string();
    let before = server.stats();
    for n in ["locked", "locked-refresh"] {
        let err = get(n, "err");
        eprintln!("{n}: {err}");
        assert_eq!(get(n, "code").trim(), "8", "{n}: {err}\n{diag}");
        assert!(err.contains("keyring"), "{n}: {err}");
        assert!(!err.contains("panicked"), "{n}: {err}");
    }
    assert_eq!(server.stats().token_requests, before.token_requests);
    assert_eq!(
        get("after", "code").trim(),
        "0",
        "{}\n{diag}",
        get("after", "err")
    );
    assert_eq!(get("after", "out").trim(), token);
}
