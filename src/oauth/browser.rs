//! Opening the login page: the configured command (`MCP_AUTH_BROWSER` or
//! `browser` in config) when set, display or not, else the `open` crate.
//! The caller prints the URL as well, always.

use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// How the browser was started.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    Command(String),
    System,
}

/// Starts the browser on `url` without waiting for it. The URL holds no
/// secret (only the PKCE challenge and the state), so it may be an argument.
///
/// Only https URLs, and http on loopback, are opened: the URL may come from
/// a server (a device grant's `verification_uri_complete`, an authorization
/// endpoint in metadata), and handing the system's opener `smb://`,
/// `file://` or a custom scheme would let that server start other programs
/// or leak credentials to a share.
pub fn open(url: &str, command: Option<&str>) -> Result<Opened> {
    let parsed = url::Url::parse(url).map_err(|e| {
        Error::protocol("the login page", format!("its address is not a URL ({e})"))
    })?;
    let openable = match parsed.scheme() {
        "https" => true,
        "http" => crate::providers::is_loopback(&parsed),
        _ => false,
    };
    if !openable {
        return Err(Error::protocol(
            "the login page",
            format!(
                "refusing to open a {}: address in the browser (only https, or http on this machine, is opened)",
                crate::text::printable(parsed.scheme(), 20)
            ),
        ));
    }
    launch(url, command)
}

/// Opens a page this process wrote itself (a `file://` URL: `open` takes
/// only web addresses, since those may come from a server).
pub fn open_own_file(path: &std::path::Path, command: Option<&str>) -> Result<Opened> {
    let url = url::Url::from_file_path(path)
        .map_err(|()| Error::Other(format!("{} is not an absolute path", path.display())))?;
    launch(url.as_str(), command)
}

/// Starts `command` (or the system's opener) on `url`, already checked.
fn launch(url: &str, command: Option<&str>) -> Result<Opened> {
    match command {
        Some(cmd) => {
            let mut words = shell_words::split(cmd).map_err(|e| {
                Error::Config(format!("the browser command {cmd:?} cannot be parsed: {e}"))
            })?;
            if words.is_empty() {
                return Err(Error::Config("the browser command is empty".into()));
            }
            let program = words.remove(0);
            let mut cmd = Command::new(&program);
            crate::secret_env::scrub(&mut cmd);
            let mut child = cmd
                .args(&words)
                .arg(url)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    Error::io(format!("cannot start the browser command {program:?}"), e)
                })?;
            // Reap it when it ends so no zombie is left; its exit status
            // only matters for the log.
            std::thread::spawn(move || match child.wait() {
                Ok(status) if !status.success() => {
                    tracing::warn!(%status, "the browser command failed")
                }
                _ => {}
            });
            Ok(Opened::Command(program))
        }
        None => {
            open_with_system(url)?;
            Ok(Opened::System)
        }
    }
}

/// The system's opener (xdg-open, gio, open, ...), tried in the order the
/// `open` crate gives, each without the secrets of our environment. One that
/// fails within a second gives way to the next; one still running or done
/// counts as opened.
fn open_with_system(url: &str) -> Result<()> {
    let mut last = None;
    for mut cmd in open::commands(url) {
        crate::secret_env::scrub(&mut cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    last = Some(std::io::Error::other(format!(
                        "the opener failed: {status}"
                    )));
                    break;
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Ok(None) => {
                    // Still running (a browser stays): reap it when it ends.
                    std::thread::spawn(move || child.wait());
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    break;
                }
            }
        }
    }
    Err(Error::io(
        "cannot open a browser (open the URL above yourself)",
        last.unwrap_or_else(|| std::io::Error::other("no URL opener is installed")),
    ))
}

/// True when a browser on this machine is unlikely to be seen: Linux or
/// BSD without a display, or a shell over SSH.
pub fn no_display() -> bool {
    let ssh = std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
    let headless_unix = cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none_or(|v| v.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|v| v.is_empty());
    ssh || headless_unix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_gets_the_url_as_last_argument() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("args");
        let cmd = format!(
            "sh -c 'printf \"%s\\n\" \"$@\" > {}' sh --flag",
            out.display()
        );
        let opened = open("https://x/?a=1&b=2", Some(&cmd)).unwrap();
        assert_eq!(opened, Opened::Command("sh".into()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !out.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text, "--flag\nhttps://x/?a=1&b=2\n");
    }

    #[test]
    fn only_web_addresses_are_opened() {
        for url in [
            "smb://evil.example/share",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://evil.example/",
            "x-custom-app://open",
        ] {
            let e = open(url, Some("/nonexistent/browser")).unwrap_err();
            assert!(e.to_string().contains("refusing to open"), "{url}: {e}");
        }
    }

    #[test]
    fn unusable_commands_are_clear_errors() {
        assert!(open("https://x", Some("'unterminated")).is_err());
        let e = open("https://x", Some("/nonexistent/browser")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/browser"), "{e}");
    }
}
