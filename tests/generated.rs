//! `completions/` and `man/` are generated from the clap definitions and
//! committed. This test regenerates them and fails when the committed files
//! differ; `MCP_AUTH_UPDATE_GENERATED=1 cargo test --test generated`
//! rewrites them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use mcp_auth::cli::Cli;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn completions() -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = Cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "mcp-auth", &mut buf);
        let name = match shell {
            Shell::Bash => "mcp-auth.bash",
            Shell::Zsh => "_mcp-auth",
            Shell::Fish => "mcp-auth.fish",
            Shell::Elvish => "mcp-auth.elv",
            Shell::PowerShell => "_mcp-auth.ps1",
            _ => unreachable!(),
        };
        out.insert(name.to_string(), buf);
    }
    out
}

/// One page per command and subcommand: mcp-auth.1, mcp-auth-login.1, ...
fn man_pages() -> BTreeMap<String, Vec<u8>> {
    fn walk(cmd: clap::Command, prefix: &str, words: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        let (name, words) = if prefix.is_empty() {
            (cmd.get_name().to_string(), cmd.get_name().to_string())
        } else {
            (
                format!("{prefix}-{}", cmd.get_name()),
                format!("{words} {}", cmd.get_name()),
            )
        };
        let cmd = cmd.name(name.clone()).bin_name(words.clone());
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut buf).unwrap();
        out.insert(format!("{name}.1"), buf);
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            walk(sub.clone(), &name, &words, out);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = BTreeMap::new();
    walk(cmd, "", "", &mut out);
    out
}

fn check(dir: &Path, expected: BTreeMap<String, Vec<u8>>) {
    let update = std::env::var_os("MCP_AUTH_UPDATE_GENERATED").is_some();
    if update {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        for (name, bytes) in &expected {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }
    let mut actual = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            actual.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            );
        }
    }
    let stale: Vec<&String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|k| expected.get(*k) != actual.get(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "{} is stale ({stale:?}); regenerate with: MCP_AUTH_UPDATE_GENERATED=1 cargo test --test generated",
        dir.display()
    );
}

#[test]
fn completions_are_current() {
    check(&root().join("completions"), completions());
}

#[test]
fn man_pages_are_current() {
    let pages = man_pages();
    assert!(
        pages.contains_key("mcp-auth-tokens-revoke.1"),
        "{:?}",
        pages.keys()
    );
    check(&root().join("man"), pages);
}

#[test]
fn every_command_has_help_text() {
    fn walk(cmd: &clap::Command, path: &str) {
        for sub in cmd.get_subcommands() {
            let p = format!("{path} {}", sub.get_name());
            assert!(sub.get_about().is_some(), "`{p}` has no help text");
            for arg in sub.get_arguments() {
                if arg.get_id() == "help" || arg.get_id() == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "`{p}` argument {} has no help",
                    arg.get_id()
                );
            }
            walk(sub, &p);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    walk(&cmd, "mcp-auth");
}
