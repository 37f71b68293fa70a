//! The daemon as a user service: a systemd user unit on Linux, a launchd
//! agent on macOS. The unit texts are pure functions (tested on every
//! platform); installing runs the service manager's own commands and
//! reports what happened, for `commands::daemon` to print.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The systemd unit's name.
pub const SYSTEMD_UNIT: &str = "mcp-auth.service";

/// The launchd agent's label (and plist file name).
pub const LAUNCHD_LABEL: &str = "dev.mcp-auth.daemon";

/// Environment variables a service must inherit to see the same
/// installation as the shell that installed it. Only these: others (like
/// `MCP_AUTH_PROVIDERS__X__CLIENT_SECRET`) can hold secrets and do not
/// belong in a unit file.
pub const INHERITED_ENV: &[&str] = &["MCP_AUTH_HOME", "MCP_AUTH_SECRET_STORE"];

/// What a service runs.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Absolute path of the mcp-auth executable.
    pub exe: PathBuf,
    pub env: Vec<(String, String)>,
    /// launchd has no journal: its agent logs to this file.
    pub log_file: PathBuf,
}

/// The systemd user unit.
pub fn systemd_unit(spec: &ServiceSpec) -> String {
    let mut env = String::new();
    for (k, v) in &spec.env {
        env.push_str(&format!(
            "Environment={}\n",
            systemd_quote(&format!("{k}={v}"))
        ));
    }
    format!(
        "# Written by `mcp-auth daemon install`; `mcp-auth daemon uninstall` removes it.\n\
         [Unit]\n\
         Description=mcp-auth daemon: refreshes OAuth tokens ahead of expiry and prunes dead ones\n\
         Documentation=man:mcp-auth-daemon(1)\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={} daemon run\n\
         {env}\
         Restart=on-failure\n\
         RestartSec=5\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        systemd_quote(&spec.exe.display().to_string()),
    )
}

/// Quotes a word for a systemd unit: specifiers (`%`) and variable
/// expansion (`$`) are escaped, and the word is double-quoted when it holds
/// anything but plain characters.
fn systemd_quote(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c));
    if plain {
        escaped
    } else {
        format!("\"{escaped}\"")
    }
}

/// The launchd agent's property list.
pub fn launchd_plist(spec: &ServiceSpec) -> String {
    let mut env = String::new();
    if !spec.env.is_empty() {
        env.push_str("    <key>EnvironmentVariables</key>\n    <dict>\n");
        for (k, v) in &spec.env {
            env.push_str(&format!(
                "      <key>{}</key>\n      <string>{}</string>\n",
                xml_escape(k),
                xml_escape(v)
            ));
        }
        env.push_str("    </dict>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- Written by `mcp-auth daemon install`; `mcp-auth daemon uninstall` removes it. -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \x20   <key>Label</key>\n\
         \x20   <string>{LAUNCHD_LABEL}</string>\n\
         \x20   <key>ProgramArguments</key>\n\
         \x20   <array>\n\
         \x20     <string>{}</string>\n\
         \x20     <string>daemon</string>\n\
         \x20     <string>run</string>\n\
         \x20   </array>\n\
         {env}\
         \x20   <key>RunAtLoad</key>\n\
         \x20   <true/>\n\
         \x20   <key>KeepAlive</key>\n\
         \x20   <dict>\n\
         \x20     <key>SuccessfulExit</key>\n\
         \x20     <false/>\n\
         \x20   </dict>\n\
         \x20   <key>ProcessType</key>\n\
         \x20   <string>Background</string>\n\
         \x20   <key>StandardErrorPath</key>\n\
         \x20   <string>{}</string>\n\
         </dict>\n\
         </plist>\n",
        xml_escape(&spec.exe.display().to_string()),
        xml_escape(&spec.log_file.display().to_string()),
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Where the systemd user unit goes: `$XDG_CONFIG_HOME/systemd/user`.
pub fn systemd_unit_path() -> Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .ok_or_else(|| Error::Config("cannot find your home directory".into()))?;
    Ok(base
        .config_dir()
        .join("systemd")
        .join("user")
        .join(SYSTEMD_UNIT))
}

/// Where the launchd agent goes: `~/Library/LaunchAgents`.
pub fn launchd_plist_path() -> Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .ok_or_else(|| Error::Config("cannot find your home directory".into()))?;
    Ok(base
        .home_dir()
        .join("Library/LaunchAgents")
        .join(format!("{LAUNCHD_LABEL}.plist")))
}

/// What an install or uninstall did.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceChange {
    /// The service file was written (or removed) and the service manager
    /// did what was asked.
    Done { path: PathBuf },
    /// The file was written (or removed), but the service manager failed.
    ManagerFailed { path: PathBuf, reason: String },
    /// There is no service manager to install into.
    NoManager { reason: String },
}

/// Writes the service file and enables and starts it.
pub fn install(spec: &ServiceSpec) -> Result<ServiceChange> {
    if cfg!(target_os = "macos") {
        let path = launchd_plist_path()?;
        write(&path, &launchd_plist(spec))?;
        // An agent loaded before (an older install) is reloaded.
        let _ = run("launchctl", &["unload", &path.display().to_string()]);
        return Ok(
            match run("launchctl", &["load", "-w", &path.display().to_string()]) {
                Ok(()) => ServiceChange::Done { path },
                Err(reason) => ServiceChange::ManagerFailed { path, reason },
            },
        );
    }
    if let Some(reason) = no_systemctl() {
        return Ok(ServiceChange::NoManager { reason });
    }
    let path = systemd_unit_path()?;
    write(&path, &systemd_unit(spec))?;
    let steps: [&[&str]; 2] = [
        &["--user", "daemon-reload"],
        &["--user", "enable", "--now", SYSTEMD_UNIT],
    ];
    for args in steps {
        if let Err(reason) = run("systemctl", args) {
            return Ok(ServiceChange::ManagerFailed { path, reason });
        }
    }
    Ok(ServiceChange::Done { path })
}

/// Stops and disables the service and removes its file.
pub fn uninstall() -> Result<ServiceChange> {
    if cfg!(target_os = "macos") {
        let path = launchd_plist_path()?;
        if !path.exists() {
            return Ok(ServiceChange::NoManager {
                reason: format!("{} does not exist", path.display()),
            });
        }
        let unloaded = run("launchctl", &["unload", "-w", &path.display().to_string()]);
        remove(&path)?;
        return Ok(match unloaded {
            Ok(()) => ServiceChange::Done { path },
            Err(reason) => ServiceChange::ManagerFailed { path, reason },
        });
    }
    let path = systemd_unit_path()?;
    if !path.exists() {
        return Ok(ServiceChange::NoManager {
            reason: format!("{} does not exist", path.display()),
        });
    }
    let stopped = match no_systemctl() {
        Some(reason) => Err(reason),
        None => run("systemctl", &["--user", "disable", "--now", SYSTEMD_UNIT]),
    };
    remove(&path)?;
    if stopped.is_ok() {
        let _ = run("systemctl", &["--user", "daemon-reload"]);
    }
    Ok(match stopped {
        Ok(()) => ServiceChange::Done { path },
        Err(reason) => ServiceChange::ManagerFailed { path, reason },
    })
}

/// Why no service can be installed here, if none can: checked before an
/// install changes anything. On Linux that includes a user manager that
/// cannot be reached (no user bus: containers, SSH sessions without
/// lingering), which `systemctl --user show-environment` reveals without
/// side effects.
pub fn unavailable() -> Option<String> {
    if cfg!(target_os = "macos") {
        return None;
    }
    if let Some(reason) = no_systemctl() {
        return Some(reason);
    }
    run("systemctl", &["--user", "show-environment"])
        .err()
        .map(|reason| format!("the systemd user manager cannot be reached ({reason})"))
}

/// Why systemd's user manager cannot be used, if it cannot.
fn no_systemctl() -> Option<String> {
    match Command::new("systemctl").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        Ok(_) => Some("`systemctl --version` failed".into()),
        Err(_) => Some("systemd is not available here (no `systemctl` on PATH)".into()),
    }
}

/// Runs a service manager command; the error is what it said.
fn run(program: &str, args: &[&str]) -> std::result::Result<(), String> {
    let shown = format!("{program} {}", args.join(" "));
    match Command::new(program).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
            Err(if err.is_empty() {
                format!("`{shown}` failed ({})", o.status)
            } else {
                format!("`{shown}` failed: {err}")
            })
        }
        Err(e) => Err(format!("cannot run `{shown}`: {e}")),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    crate::paths::write_private_file(path, text.as_bytes())
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("cannot remove {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ServiceSpec {
        ServiceSpec {
            exe: PathBuf::from("/opt/my tools/mcp-auth"),
            env: vec![
                ("MCP_AUTH_HOME".into(), "/home/ada/100% mcp".into()),
                ("MCP_AUTH_SECRET_STORE".into(), "file".into()),
            ],
            log_file: PathBuf::from("/tmp/d<1>.log"),
        }
    }

    #[test]
    fn systemd_unit_runs_the_daemon_with_the_installation_environment() {
        let unit = systemd_unit(&spec());
        assert!(
            unit.contains("ExecStart=\"/opt/my tools/mcp-auth\" daemon run\n"),
            "{unit}"
        );
        assert!(
            unit.contains("Environment=\"MCP_AUTH_HOME=/home/ada/100%% mcp\"\n"),
            "{unit}"
        );
        assert!(
            unit.contains("Environment=MCP_AUTH_SECRET_STORE=file\n"),
            "{unit}"
        );
        assert!(unit.contains("Restart=on-failure\n"));
        assert!(unit.contains("WantedBy=default.target\n"));
        let plain = systemd_unit(&ServiceSpec {
            exe: PathBuf::from("/usr/bin/mcp-auth"),
            env: vec![],
            log_file: PathBuf::from("/x"),
        });
        assert!(plain.contains("ExecStart=/usr/bin/mcp-auth daemon run\n"));
        assert!(!plain.contains("Environment="));
    }

    #[test]
    fn systemd_quoting_escapes_specifiers_and_variables() {
        assert_eq!(systemd_quote("/a/b"), "/a/b");
        assert_eq!(systemd_quote("a b"), "\"a b\"");
        assert_eq!(systemd_quote("$HOME%h\"x\\"), "\"$$HOME%%h\\\"x\\\\\"");
    }

    #[test]
    fn launchd_plist_is_escaped_xml() {
        let p = launchd_plist(&spec());
        assert!(p.contains(&format!("<string>{LAUNCHD_LABEL}</string>")));
        assert!(p.contains("<string>/opt/my tools/mcp-auth</string>\n      <string>daemon</string>\n      <string>run</string>"), "{p}");
        assert!(
            p.contains("<key>MCP_AUTH_HOME</key>\n      <string>/home/ada/100% mcp</string>"),
            "{p}"
        );
        assert!(p.contains("<string>/tmp/d&lt;1&gt;.log</string>"), "{p}");
        assert!(p.contains("<key>RunAtLoad</key>\n    <true/>"), "{p}");
    }
}
