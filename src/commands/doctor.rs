//! `mcp-auth doctor`: checks the installation and every credential, one
//! line each with a fix, and exits non-zero when anything fails.

use serde::Serialize;

use crate::commands::Context;
use crate::credentials::{Credentials, DatabaseCheck, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::model::{Health, now};
use crate::task::blocking;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub check: String,
    pub status: CheckStatus,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(check: &str, status: CheckStatus, message: impl Into<String>) -> Check {
        Check {
            check: check.to_string(),
            status,
            message: message.into(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// What `mcp-auth doctor` checks beyond the installation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Doctor {
    /// Also refresh every renewable credential to prove its refresh works.
    pub online: bool,
}

pub async fn run(ctx: &Context, doctor: Doctor, json: bool) -> Result<()> {
    let checks = checks(ctx, doctor).await?;
    report(ctx, &checks, json)
}

/// Every check, in the order shown: the installation, then each
/// credential.
pub async fn checks(ctx: &Context, doctor: Doctor) -> Result<Vec<Check>> {
    let online = doctor.online;
    let mut checks = vec![Check::new(
        "config",
        CheckStatus::Pass,
        format!("{} (loaded)", ctx.paths.config_file().display()),
    )];
    checks.extend(permissions(ctx));
    // Opening the store (what `check_database` does first) is the first
    // check: nothing else about storage can be asked without it.
    let database = ctx.credentials()?.check_database();
    let store = match &database {
        Ok(_) => Some(ctx.credentials()?),
        Err(e) => {
            checks.push(
                Check::new("database", CheckStatus::Fail, e.to_string())
                    .fix("move the database aside and log in again, or restore it from a backup"),
            );
            None
        }
    };
    if let (Some(store), Ok(db)) = (&store, database) {
        checks.push(database_check(db));
        checks.push(secret_store(store).await);
    }
    checks.push(browser(ctx));
    checks.push(daemon(ctx).await);
    if let Some(store) = &store {
        checks.extend(credentials(ctx, store, online).await);
    }
    Ok(checks)
}

fn database_check(db: DatabaseCheck) -> Check {
    match (db.integrity, db.schema_version) {
        (Ok(ok), Ok(v)) if ok == "ok" && v == SCHEMA_VERSION => Check::new(
            "database",
            CheckStatus::Pass,
            format!("{} (integrity ok, schema {v})", db.path.display()),
        ),
        (Ok(ok), Ok(_)) if ok != "ok" => Check::new(
            "database",
            CheckStatus::Fail,
            format!("integrity check: {ok}"),
        )
        .fix("move the database aside and log in again"),
        (Ok(_), Ok(v)) => Check::new(
            "database",
            CheckStatus::Fail,
            format!("schema {v}, expected {SCHEMA_VERSION}"),
        ),
        (Err(e), _) | (_, Err(e)) => Check::new("database", CheckStatus::Fail, e.to_string()),
    }
}

async fn secret_store(store: &Credentials) -> Check {
    let what = match store.describe_secret_store() {
        Ok(w) => w,
        Err(e) => return Check::new("secret store", CheckStatus::Fail, e.to_string()),
    };
    let s = store.clone();
    match blocking(move || s.check_writable()).await {
        Ok(()) => {
            let plaintext = matches!(
                store.secret_store_kind(),
                Ok(crate::config::SecretStoreKind::File)
            );
            Check::new(
                "secret store",
                if plaintext { CheckStatus::Warn } else { CheckStatus::Pass },
                format!("{what}: reachable and writable"),
            )
            .fix_if(
                plaintext,
                "the file store keeps secrets in plaintext (0600); use the OS keyring where one is available",
            )
        }
        Err(e) => Check::new("secret store", CheckStatus::Fail, format!("{what}: {e}")),
    }
}

impl Check {
    fn fix_if(self, cond: bool, fix: &str) -> Check {
        if cond { self.fix(fix) } else { self }
    }
}

#[cfg(unix)]
fn permissions(ctx: &Context) -> Vec<Check> {
    use std::os::unix::fs::PermissionsExt;
    let secrets_in_config = ctx
        .config
        .providers
        .values()
        .any(|p| p.client_secret.is_some());
    // (path, wanted mode, how bad an open mode is)
    let mut candidates = vec![
        (ctx.paths.data_dir.clone(), 0o700, CheckStatus::Fail),
        (ctx.paths.runtime_dir.clone(), 0o700, CheckStatus::Fail),
        (ctx.paths.database(), 0o600, CheckStatus::Fail),
        (ctx.paths.secrets_file(), 0o600, CheckStatus::Fail),
        (
            ctx.paths.database().with_extension("db-wal"),
            0o600,
            CheckStatus::Fail,
        ),
        (
            ctx.paths.database().with_extension("db-shm"),
            0o600,
            CheckStatus::Fail,
        ),
    ];
    // The config holds no secret unless a client_secret was written in it.
    let config_severity = if secrets_in_config {
        CheckStatus::Fail
    } else {
        CheckStatus::Warn
    };
    candidates.push((ctx.paths.config_dir.clone(), 0o700, config_severity));
    candidates.push((ctx.paths.config_file(), 0o600, config_severity));
    let problems: Vec<Check> = candidates
        .into_iter()
        .filter_map(|(p, want, severity)| {
            let mode = std::fs::metadata(&p).ok()?.permissions().mode() & 0o777;
            (mode & 0o077 != 0).then(|| {
                Check::new(
                    "permissions",
                    severity,
                    format!("{} has mode {mode:o} (expected {want:o})", p.display()),
                )
                .fix(format!("chmod {want:o} {}", p.display()))
            })
        })
        .collect();
    if problems.is_empty() {
        vec![Check::new(
            "permissions",
            CheckStatus::Pass,
            "directories 0700, files 0600",
        )]
    } else {
        problems
    }
}

#[cfg(not(unix))]
fn permissions(_ctx: &Context) -> Vec<Check> {
    Vec::new()
}

fn on_path(program: &str) -> bool {
    if program.contains(std::path::MAIN_SEPARATOR) {
        return std::path::Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

fn browser(ctx: &Context) -> Check {
    if let Some(cmd) = &ctx.config.browser {
        let program = shell_words::split(cmd)
            .ok()
            .and_then(|w| w.into_iter().next())
            .unwrap_or_default();
        return if on_path(&program) {
            Check::new(
                "browser",
                CheckStatus::Pass,
                format!("configured command {program:?}"),
            )
        } else {
            Check::new(
                "browser",
                CheckStatus::Fail,
                format!("the configured browser command {program:?} is not found"),
            )
            .fix("fix `browser` in config.toml or MCP_AUTH_BROWSER")
        };
    }
    if crate::oauth::browser::no_display() {
        return Check::new(
            "browser",
            CheckStatus::Warn,
            "no display: a browser cannot be opened here",
        )
        .fix("log in with --device or --paste, or forward the redirect port with `ssh -L`");
    }
    let openers: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd"]
    } else {
        &["xdg-open", "gio", "gnome-open", "kde-open", "wslview"]
    };
    match openers.iter().find(|o| on_path(o)) {
        Some(o) => Check::new("browser", CheckStatus::Pass, format!("opens URLs with {o}")),
        None => Check::new("browser", CheckStatus::Warn, "no URL opener found")
            .fix("install xdg-utils, or set MCP_AUTH_BROWSER to your browser's command"),
    }
}

/// The daemon is optional; when it runs it must answer, and its socket
/// must be private.
async fn daemon(ctx: &Context) -> Check {
    let socket = ctx.paths.socket();
    match crate::ipc::call(&socket, crate::ipc::Op::Status).await {
        Ok(Some(resp)) => match resp.into_result().map(|r| r.status) {
            Ok(Some(s)) => Check::new(
                "daemon",
                if s.needs_login > 0 {
                    CheckStatus::Warn
                } else {
                    CheckStatus::Pass
                },
                format!(
                    "running (pid {}), keeping {} credential(s) valid, {} need a login",
                    s.pid, s.watched, s.needs_login
                ),
            ),
            Ok(None) => Check::new("daemon", CheckStatus::Fail, "answers, but without a status"),
            Err(e) => Check::new("daemon", CheckStatus::Fail, e.to_string()),
        },
        Ok(None) => match crate::daemon::instance::Instance::running(&ctx.paths) {
            Some(pid) => Check::new(
                "daemon",
                CheckStatus::Fail,
                format!("pid {pid} holds the daemon lock but does not answer"),
            )
            .fix("mcp-auth daemon stop, then mcp-auth daemon start"),
            None => Check::new(
                "daemon",
                CheckStatus::Pass,
                "not running (each command refreshes by itself, under a lock)",
            )
            .fix(
                "optional: mcp-auth daemon install keeps every credential fresh in the background",
            ),
        },
        Err(e) => Check::new("daemon", CheckStatus::Fail, e.to_string())
            .fix(format!("chmod 700 {}", ctx.paths.runtime_dir.display())),
    }
}

async fn credentials(ctx: &Context, store: &Credentials, online: bool) -> Vec<Check> {
    let creds = match store.list() {
        Ok(c) => c,
        Err(e) => return vec![Check::new("credentials", CheckStatus::Fail, e.to_string())],
    };
    if creds.is_empty() {
        return vec![Check::new(
            "credentials",
            CheckStatus::Pass,
            "none saved yet",
        )];
    }
    let at = now();
    let mut out = Vec::new();
    for c in creds {
        let label = format!("credential {}", c.name);
        let health = c.health(at);
        let mut check = match health {
            Health::Valid | Health::ExpiringSoon | Health::Refreshable => {
                Check::new(&label, CheckStatus::Pass, health.as_str())
            }
            Health::Expired => Check::new(&label, CheckStatus::Warn, "expired, cannot be renewed")
                .fix(format!("mcp-auth login {}", c.login_hint())),
            Health::NeedsLogin => Check::new(
                &label,
                CheckStatus::Fail,
                format!(
                    "needs a new login ({})",
                    c.last_error.as_deref().unwrap_or("refused")
                ),
            )
            .fix(format!("mcp-auth login {}", c.login_hint())),
        };
        if online && c.renewable() && health != Health::NeedsLogin {
            check = match ctx.credentials() {
                Ok(creds) => match creds.refresh(&c.name, true).await {
                    Ok(r) if r.performed => Check::new(
                        &label,
                        CheckStatus::Pass,
                        "refreshed just now (online check)",
                    ),
                    Ok(r) => Check::new(
                        &label,
                        CheckStatus::Warn,
                        r.failure.unwrap_or_else(|| "not refreshed".into()),
                    ),
                    Err(e) => Check::new(&label, CheckStatus::Fail, e.to_string())
                        .fix(format!("mcp-auth login {}", c.login_hint())),
                },
                Err(e) => Check::new(&label, CheckStatus::Fail, e.to_string()),
            };
        }
        out.push(check);
    }
    out
}

fn report(ctx: &Context, checks: &[Check], json: bool) -> Result<()> {
    if json {
        ctx.out.json(checks)?;
    } else {
        let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
        let mut lines = Vec::new();
        for c in checks {
            let mark = match c.status {
                CheckStatus::Pass => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
            };
            lines.push(format!("{mark}  {:<width$}  {}", c.check, c.message));
            if let Some(fix) = &c.fix {
                lines.push(format!("      {:<width$}  fix: {fix}", ""));
            }
        }
        ctx.out.line(&lines.join("\n"))?;
    }
    let failed = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .count();
    if failed > 0 {
        return Err(Error::Other(format!(
            "{failed} check(s) failed; see the fixes above"
        )));
    }
    Ok(())
}
