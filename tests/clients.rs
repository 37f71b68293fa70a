//! `mcp-auth clients add | list | remove` with the real binary:
//!
//! - Claude Code through the real `claude` CLI (pinned in tests/peers, run
//!   with its own HOME and no account): the server it was given is the
//!   bridge with this binary's absolute path, and `claude mcp list`, which
//!   starts it, reports it connected to a fake MCP server that requires
//!   the saved credential;
//! - Claude Desktop, Cursor and VS Code by their files: merged into files
//!   that hold other servers and unknown keys (kept, in their order), a
//!   backup of the previous version, adding again changes nothing,
//!   `--project` files, per-OS paths under HOME / XDG_CONFIG_HOME;
//! - `clients list` reads the files only (a server that would hang if
//!   started is listed at once) and shows each credential's health.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_server;
    pub mod home;
    pub mod peers;
    pub mod seed;
    pub mod token_ledger; // fake_server needs it
    pub use seed::*;
}

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fake_server::{Behavior, FakeServer};
use support::home::{BIN, Home, Run};

/// A person's machine: HOME and XDG_CONFIG_HOME in a temp dir, a project
/// directory to run in, the mcp-auth home of [`Home`], and the pinned
/// Claude Code on PATH.
struct Machine {
    home: Home,
    user: tempfile::TempDir,
    project: PathBuf,
}

impl Machine {
    fn new() -> Machine {
        let user = tempfile::tempdir().unwrap();
        let project = user.path().join("work").join("app");
        std::fs::create_dir_all(&project).unwrap();
        Machine {
            home: Home::new(),
            user,
            project,
        }
    }

    fn user_home(&self) -> &Path {
        self.user.path()
    }

    fn config_dir(&self) -> PathBuf {
        self.user.path().join(".config")
    }

    fn env(&self, c: &mut Command) {
        let bin = support::peers::peers_dir()
            .join("node_modules")
            .join(".bin");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("HOME", self.user_home())
            .env("XDG_CONFIG_HOME", self.config_dir())
            .env_remove("CLAUDE_CONFIG_DIR")
            .env("PATH", path)
            .env("DISABLE_AUTOUPDATER", "1")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .current_dir(&self.project);
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut c = self.home.cmd();
        self.env(&mut c);
        Run(c.args(args).output().unwrap())
    }

    /// The real Claude Code CLI, with this machine's HOME and the mcp-auth
    /// home in its environment (it passes it on to the servers it starts).
    fn claude(&self, args: &[&str]) -> Run {
        let mut c = Command::new("claude");
        self.env(&mut c);
        c.env("MCP_AUTH_HOME", self.home.path())
            .env("MCP_AUTH_SECRET_STORE", "file");
        Run(c.args(args).output().unwrap())
    }
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn exe() -> String {
    std::fs::canonicalize(BIN)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn claude_code_gets_the_bridge_through_its_cli_and_connects() {
    support::peers::ensure_installed();
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&["at-claude"]);
    let m = Machine::new();
    support::seed_credential(
        m.home.path(),
        "fake",
        &server.url,
        &format!("{}/token", server.base),
        "at-claude",
        None,
    );
    let run = m.run(&["clients", "add", "claude-code", "remote", &server.url]);
    assert!(
        run.ok()
            .stderr()
            .contains("Added 'remote' in Claude Code (user scope"),
        "{}",
        run.stderr()
    );
    // Claude Code keeps it as the bridge with the binary's absolute path.
    let got = m.claude(&["mcp", "get", "remote"]);
    let text = got.ok().stdout();
    assert!(text.contains(&exe()), "{text}");
    assert!(text.contains(&format!("bridge {}", server.url)), "{text}");
    let cfg = read_json(&m.user_home().join(".claude.json"));
    assert_eq!(cfg["mcpServers"]["remote"]["command"], exe());
    assert_eq!(
        cfg["mcpServers"]["remote"]["args"],
        json!(["bridge", server.url])
    );
    // Adding again changes nothing (Claude Code itself would refuse).
    let again = m.run(&["clients", "add", "claude-code", "remote", &server.url]);
    assert!(
        again.ok().stderr().contains("Already configured"),
        "{}",
        again.stderr()
    );
    // `claude mcp list` starts the bridge: it reaches the server with the
    // saved credential.
    let listed = m.claude(&["mcp", "list"]);
    let out = listed.stdout();
    let line = out
        .lines()
        .find(|l| l.starts_with("remote:"))
        .unwrap_or_else(|| panic!("no 'remote' in:\n{out}\n{}", listed.stderr()));
    assert!(line.contains("Connected"), "{line}");
    assert!(
        server
            .seen()
            .bearers
            .iter()
            .any(|b| b.as_deref() == Some("at-claude"))
    );

    // `clients list` reads it, with the credential's health.
    let rows = m.run(&["clients", "list", "--json"]).ok().json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "remote")
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(row["host"], "claude-code");
    assert_eq!(row["scope"], "user");
    assert_eq!(row["credential"], "fake");
    assert_eq!(row["health"], "valid");

    // --scope is passed on: a project server goes to .mcp.json.
    m.run(&[
        "clients",
        "add",
        "claude-code",
        "shared",
        &server.url,
        "--scope",
        "project",
        "--",
        "--no-login",
    ])
    .ok();
    let project = read_json(&m.project.join(".mcp.json"));
    assert_eq!(
        project["mcpServers"]["shared"]["args"],
        json!(["bridge", server.url, "--no-login"])
    );

    m.run(&["clients", "remove", "claude-code", "remote"]).ok();
    let gone = m.claude(&["mcp", "get", "remote"]);
    assert_ne!(gone.code(), 0, "{}", gone.stdout());
    assert!(m.user_home().join(".claude.json.bak").exists());
    m.run(&["clients", "remove", "claude-code", "remote"])
        .fails_with(2, "has no server named 'remote'");
}

#[test]
fn file_hosts_are_merged_with_a_backup_and_adding_twice_changes_nothing() {
    let m = Machine::new();
    let url = "https://mcp.example.com/mcp";
    let desktop = m.config_dir().join("Claude/claude_desktop_config.json");
    let cursor = m.user_home().join(".cursor/mcp.json");
    let vscode = m.config_dir().join("Code/User/mcp.json");
    // Files that exist already, with other servers and keys we do not know.
    let original = json!({
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {"files": {"command": "npx", "args": ["-y", "server-files"]}},
        "zExperimental": {"b": 1, "a": [1, 2]}
    });
    for f in [&desktop, &cursor] {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, serde_json::to_string_pretty(&original).unwrap()).unwrap();
    }
    std::fs::create_dir_all(vscode.parent().unwrap()).unwrap();
    std::fs::write(
        &vscode,
        r#"{"inputs": [{"id": "k", "type": "promptString"}], "servers": {"gh": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"}}}"#,
    )
    .unwrap();

    for (host, file, key) in [
        ("claude-desktop", &desktop, "mcpServers"),
        ("cursor", &cursor, "mcpServers"),
        ("vscode", &vscode, "servers"),
    ] {
        let before = std::fs::read_to_string(file).unwrap();
        m.run(&[
            "clients", "add", host, "linear", url, "--", "--name", "work",
        ])
        .ok();
        let v = read_json(file);
        let entry = &v[key]["linear"];
        assert_eq!(entry["command"], exe(), "{host}: {v}");
        assert_eq!(
            entry["args"],
            json!(["bridge", url, "--name", "work"]),
            "{host}"
        );
        assert_eq!(
            entry.get("type").is_some(),
            host == "vscode",
            "{host}: {entry}"
        );
        // What was there stays.
        let old: Value = serde_json::from_str(&before).unwrap();
        for (k, val) in old.as_object().unwrap() {
            if k == key {
                for (name, server) in val.as_object().unwrap() {
                    assert_eq!(&v[key][name], server, "{host}: {name}");
                }
            } else {
                assert_eq!(&v[k], val, "{host}: {k}");
            }
        }
        // The previous version is kept.
        let backup = PathBuf::from(format!("{}.bak", file.display()));
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), before, "{host}");
        // Again: nothing changes, not even the backup.
        let after = std::fs::read_to_string(file).unwrap();
        std::fs::remove_file(&backup).unwrap();
        let again = m.run(&[
            "clients", "add", host, "linear", url, "--", "--name", "work",
        ]);
        assert!(
            again.ok().stderr().contains("Already configured"),
            "{}",
            again.stderr()
        );
        assert_eq!(std::fs::read_to_string(file).unwrap(), after, "{host}");
        assert!(!backup.exists(), "{host}: no change, no backup");
    }
    // Top-level keys keep their order.
    let text = std::fs::read_to_string(&cursor).unwrap();
    let pos = |k: &str| text.find(k).unwrap();
    assert!(
        pos("globalShortcut") < pos("mcpServers") && pos("mcpServers") < pos("zExperimental"),
        "{text}"
    );
    // A server of that name that is not a bridge is never replaced.
    m.run(&["clients", "add", "cursor", "files", url])
        .fails_with(2, "not an mcp-auth bridge");
    assert_eq!(read_json(&cursor)["mcpServers"]["files"]["command"], "npx");

    // Project files.
    m.run(&["clients", "add", "cursor", "team", url, "--project"])
        .ok();
    m.run(&["clients", "add", "vscode", "team", url, "--project"])
        .ok();
    assert_eq!(
        read_json(&m.project.join(".cursor/mcp.json"))["mcpServers"]["team"]["command"],
        exe()
    );
    let vs = read_json(&m.project.join(".vscode/mcp.json"));
    assert_eq!(vs["servers"]["team"]["type"], "stdio");
    m.run(&["clients", "add", "claude-desktop", "x", url, "--project"])
        .fails_with(2, "Claude Desktop has no project configuration");

    // A literal header value would sit in the file: said so; a secret
    // reference is not.
    let literal = m.run(&[
        "clients",
        "add",
        "cursor",
        "keyed",
        url,
        "--",
        "--header",
        "X-Api-Key: abc123",
    ]);
    assert!(
        literal.ok().stderr().contains("in plain text"),
        "{}",
        literal.stderr()
    );
    let kept = m.run(&[
        "clients",
        "add",
        "cursor",
        "keyed2",
        url,
        "--",
        "--header",
        "X-Api-Key: {secret:k}",
    ]);
    assert!(
        !kept.ok().stderr().contains("plain text"),
        "{}",
        kept.stderr()
    );
    // Bad bridge flags are refused before anything is written.
    let before = std::fs::read_to_string(&cursor).unwrap();
    m.run(&[
        "clients",
        "add",
        "cursor",
        "bad",
        url,
        "--",
        "--no-such-flag",
    ])
    .fails_with(2, "the bridge flags after `--` are not valid");
    assert_eq!(std::fs::read_to_string(&cursor).unwrap(), before);

    // Remove: the bridge goes, the rest stays.
    m.run(&["clients", "remove", "cursor", "linear"]).ok();
    let v = read_json(&cursor);
    assert!(v["mcpServers"].get("linear").is_none(), "{v}");
    assert_eq!(v["mcpServers"]["files"]["command"], "npx");
    m.run(&["clients", "remove", "cursor", "files"])
        .fails_with(2, "is not an mcp-auth bridge");
}

#[test]
fn list_reads_the_files_only_and_shows_each_credentials_health() {
    let m = Machine::new();
    let url = "https://mcp.example.com/mcp";
    support::seed_credential(
        m.home.path(),
        "example",
        url,
        "https://auth.example.com/token",
        "at-x",
        None,
    );
    support::expire_access(m.home.path(), "example");
    // A bridge entry whose command would hang if started.
    let desktop = m.config_dir().join("Claude/claude_desktop_config.json");
    std::fs::create_dir_all(desktop.parent().unwrap()).unwrap();
    std::fs::write(
        &desktop,
        serde_json::to_string(&json!({"mcpServers": {
            "hang": {"command": "/bin/sleep-forever/mcp-auth", "args": ["bridge", url]},
            "other": {"command": "npx", "args": ["-y", "something"]}
        }}))
        .unwrap(),
    )
    .unwrap();
    m.run(&[
        "clients",
        "add",
        "vscode",
        "nobody",
        "https://none.example.com/mcp",
    ])
    .ok();
    let started = Instant::now();
    let rows = m.run(&["clients", "list", "--json"]).ok().json();
    assert!(started.elapsed() < Duration::from_secs(5));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "only the bridges: {rows:?}");
    let hang = rows.iter().find(|r| r["name"] == "hang").unwrap();
    assert_eq!(hang["host"], "claude-desktop");
    assert_eq!(hang["credential"], "example");
    assert_eq!(hang["health"], "expired");
    let nobody = rows.iter().find(|r| r["name"] == "nobody").unwrap();
    assert_eq!(nobody["health"], "not logged in");
    assert!(nobody["credential"].is_null());
    let table = m.run(&["clients", "list"]).ok().stdout();
    assert!(
        table.contains("claude-desktop")
            && table.contains("expired")
            && table.contains("not logged in"),
        "{table}"
    );
}
