//! `mcp-auth daemon run | start | stop | status | install | uninstall`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::DaemonCommand;
use crate::commands::Context;
use crate::daemon::instance::Instance;
use crate::daemon::service::{self, ServiceChange, ServiceSpec};
use crate::daemon::{self, GRACE};
use crate::error::{Error, Result};
use crate::ipc::{self, DaemonStatus, Op};
use crate::model::{now, relative, rfc3339};

/// The global logging flags, which `start` passes on to the daemon.
pub struct LogFlags<'a> {
    pub file: Option<&'a Path>,
    pub level: Option<&'a str>,
}

pub async fn run(ctx: &Context, cmd: DaemonCommand, log: LogFlags<'_>) -> Result<()> {
    match cmd {
        DaemonCommand::Run => {
            daemon::run(daemon::Options {
                paths: ctx.paths.clone(),
                config: ctx.config.clone(),
                credentials: ctx.credentials()?,
                log_file: configured_log_file(ctx, &log),
            })
            .await
        }
        DaemonCommand::Start { json } => start(ctx, &log, json).await,
        DaemonCommand::Stop { json } => stop(ctx, if json { Say::Json } else { Say::Text })
            .await
            .map(|_| ()),
        DaemonCommand::Status { json } => status(ctx, json).await,
        DaemonCommand::Install { json } => install(ctx, &log, json).await,
        DaemonCommand::Uninstall { json } => uninstall(ctx, json),
    }
}

/// --log-file, else `log_file` from the config.
fn configured_log_file(ctx: &Context, log: &LogFlags<'_>) -> Option<PathBuf> {
    log.file
        .map(Path::to_path_buf)
        .or_else(|| ctx.config.log_file.clone().map(PathBuf::from))
}

/// Where a detached daemon logs: as configured, else daemon.log in the data
/// directory.
fn detached_log_file(ctx: &Context, log: &LogFlags<'_>) -> PathBuf {
    configured_log_file(ctx, log).unwrap_or_else(|| ctx.paths.daemon_log())
}

/// What a daemon command that changes something did, for `--json`.
#[derive(Serialize)]
struct Changed {
    action: &'static str,
    /// Whether this command changed anything (a start of a running daemon
    /// does not).
    changed: bool,
    running: bool,
    pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Changed {
    fn new(action: &'static str, changed: bool, running: bool) -> Changed {
        Changed {
            action,
            changed,
            running,
            pid: None,
            log_file: None,
            path: None,
            warning: None,
        }
    }
}

async fn start(ctx: &Context, log: &LogFlags<'_>, json: bool) -> Result<()> {
    if let Some(pid) = Instance::running(&ctx.paths) {
        if json {
            return ctx.out.json(&Changed {
                pid: Some(pid),
                ..Changed::new("start", false, true)
            });
        }
        ctx.out.line(&format!(
            "The mcp-auth daemon is already running (pid {pid})."
        ))?;
        return Ok(());
    }
    crate::paths::ensure_private_dir(&ctx.paths.data_dir)?;
    let log_file = detached_log_file(ctx, log);
    let pid = daemon::spawn::start_detached(&ctx.paths, &log_file, log.level).await?;
    if json {
        return ctx.out.json(&Changed {
            pid: Some(pid),
            log_file: Some(log_file),
            ..Changed::new("start", true, true)
        });
    }
    ctx.out
        .line(&format!("Started the mcp-auth daemon (pid {pid})."))?;
    ctx.out.info(&format!(
        "  logs: {}\n  check: mcp-auth daemon status\n  stop: mcp-auth daemon stop",
        log_file.display()
    ));
    Ok(())
}

/// How [`stop`] reports on stdout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Say {
    Text,
    Json,
    /// Nothing: the caller (install) has an answer of its own.
    Nothing,
}

/// Stops the running daemon: over the socket, else with SIGTERM to the PID
/// in its PID file. Returns whether one was running.
async fn stop(ctx: &Context, say: Say) -> Result<bool> {
    let pid = Instance::running(&ctx.paths);
    let asked = match ipc::call(&ctx.paths.socket(), Op::Stop).await? {
        Some(resp) => {
            resp.into_result()?;
            true
        }
        None => false,
    };
    if !asked {
        match pid {
            None => {
                match say {
                    Say::Json => ctx.out.json(&Changed::new("stop", false, false))?,
                    Say::Text => ctx.out.line("The mcp-auth daemon is not running.")?,
                    Say::Nothing => {}
                }
                return Ok(false);
            }
            Some(pid) => terminate(pid)?,
        }
    }
    let deadline = Instant::now() + GRACE + Duration::from_secs(5);
    while Instance::running(&ctx.paths).is_some() {
        if Instant::now() >= deadline {
            return Err(Error::Timeout(format!(
                "the daemon{} did not stop within {}s",
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                (GRACE + Duration::from_secs(5)).as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    match say {
        Say::Json => ctx.out.json(&Changed {
            pid,
            ..Changed::new("stop", true, false)
        })?,
        Say::Text => {
            let which = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
            ctx.out
                .line(&format!("Stopped the mcp-auth daemon{which}."))?;
        }
        Say::Nothing => {}
    }
    Ok(true)
}

/// SIGTERM to a daemon that holds its lock but does not answer.
fn terminate(pid: u32) -> Result<()> {
    // 0 (unreadable PID file) or 1 would signal far more than the daemon.
    let pid = i32::try_from(pid).ok().filter(|p| *p > 1).ok_or_else(|| {
        Error::Other(
            "the daemon does not answer and its PID file is unreadable; stop it by hand".into(),
        )
    })?;
    #[cfg(unix)]
    // SAFETY: kill only sends a signal; the PID comes from the daemon's
    // locked PID file, so it is the daemon's.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(Error::io(
            format!("cannot send SIGTERM to the daemon (pid {pid})"),
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// `daemon status --json` when no daemon answers.
#[derive(Serialize)]
struct NotRunning {
    running: bool,
    socket: String,
    /// Set when a daemon holds its lock but does not answer.
    pid: Option<u32>,
}

#[derive(Serialize)]
struct Running<'a> {
    running: bool,
    #[serde(flatten)]
    status: &'a DaemonStatus,
}

/// What answers on the daemon's socket.
pub enum DaemonAnswer {
    Running(Box<DaemonStatus>),
    /// Nothing answers; `pid` when a daemon holds its lock all the same.
    NotRunning {
        socket: PathBuf,
        pid: Option<u32>,
    },
}

/// Asks the daemon for its status.
pub async fn daemon_status(ctx: &Context) -> Result<DaemonAnswer> {
    let socket = ctx.paths.socket();
    let answer = match ipc::call(&socket, Op::Status).await? {
        Some(resp) => resp.into_result()?.status,
        None => None,
    };
    Ok(match answer {
        Some(s) => DaemonAnswer::Running(s),
        None => DaemonAnswer::NotRunning {
            pid: Instance::running(&ctx.paths),
            socket,
        },
    })
}

async fn status(ctx: &Context, json: bool) -> Result<()> {
    let s = match daemon_status(ctx).await? {
        DaemonAnswer::Running(s) => s,
        DaemonAnswer::NotRunning { socket, pid } => {
            if json {
                ctx.out.json(&NotRunning {
                    running: false,
                    socket: socket.display().to_string(),
                    pid,
                })?;
            }
            return Err(match pid {
                Some(pid) => Error::Other(format!(
                    "the mcp-auth daemon (pid {pid}) holds its lock but does not answer on {}\n  \
                     hint: `mcp-auth daemon stop` stops it (with SIGTERM)",
                    socket.display()
                )),
                None => Error::Other(
                    "the mcp-auth daemon is not running\n  hint: start it with `mcp-auth daemon \
                     start`, or install it as a user service with `mcp-auth daemon install`"
                        .into(),
                ),
            });
        }
    };
    if json {
        return ctx.out.json(&Running {
            running: true,
            status: &s,
        });
    }
    let at = now();
    let when = |t: i64| format!("{} ({})", relative(t, at), rfc3339(t));
    let uptime = humantime::format_duration(Duration::from_secs(s.uptime_secs));
    let mut fields = vec![
        ("status", format!("running (pid {}, up {uptime})", s.pid)),
        (
            "version",
            format!("{} (protocol {})", s.version, s.protocol),
        ),
        ("socket", s.socket.clone()),
        (
            "logs",
            s.log_file.clone().unwrap_or_else(|| "stderr".into()),
        ),
        (
            "credentials",
            format!(
                "{} ({} kept valid, {} need a login, {} retrying after a failure)",
                s.credentials, s.watched, s.needs_login, s.backing_off
            ),
        ),
        (
            "next refresh",
            match &s.next_refresh {
                Some(n) => format!("{} {}", n.name, when(n.at)),
                None => "-".into(),
            },
        ),
        (
            "refreshes",
            format!(
                "{} done, {} failed since start (refresh ahead: at most {})",
                s.refreshes,
                s.refresh_failures,
                humantime::format_duration(Duration::from_secs(s.refresh_ahead_secs))
            ),
        ),
        (
            "last prune",
            match &s.last_prune {
                Some(p) => format!(
                    "{}: examined {}, deleted {}, {} old events, in {} ms",
                    when(p.at),
                    p.examined,
                    p.deleted,
                    p.events_deleted,
                    p.duration_ms
                ),
                None => "not yet".into(),
            },
        ),
        (
            "next prune",
            format!(
                "{} (every {}, retention {} days)",
                s.next_prune_at.map(when).unwrap_or_else(|| "-".into()),
                humantime::format_duration(Duration::from_secs(s.prune_interval_secs)),
                s.retention_days
            ),
        ),
        ("requests", s.requests.to_string()),
    ];
    fields.retain(|(_, v)| !v.is_empty());
    ctx.out.fields(&fields)
}

/// The environment a service needs to see this installation.
fn service_env() -> Result<Vec<(String, String)>> {
    let mut env = Vec::new();
    for key in service::INHERITED_ENV {
        let Some(value) = std::env::var_os(key).filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut value = PathBuf::from(value);
        if *key == crate::paths::HOME_ENV && value.is_relative() {
            value = std::env::current_dir()
                .map_err(|e| Error::io("cannot resolve MCP_AUTH_HOME", e))?
                .join(value);
        }
        env.push((key.to_string(), value.display().to_string()));
    }
    Ok(env)
}

async fn install(ctx: &Context, log: &LogFlags<'_>, json: bool) -> Result<()> {
    // Checked before anything changes: a running daemon keeps running and
    // no unit file is left behind when the service manager cannot work.
    if let Some(reason) = service::unavailable() {
        return Err(Error::Other(format!(
            "{reason}, so nothing was changed and no user service was installed\n  hint: run \
             the daemon with `mcp-auth daemon start` (for example from your shell's startup \
             file), or run `loginctl enable-linger $USER` and log in again for a user manager \
             that outlives your sessions"
        )));
    }
    let spec = ServiceSpec {
        exe: daemon::spawn::current_exe()?,
        env: service_env()?,
        log_file: detached_log_file(ctx, log),
    };
    // A daemon started by hand would make the service's own refuse to
    // start; the service replaces it.
    if Instance::running(&ctx.paths).is_some() {
        ctx.out
            .info("Stopping the running daemon so that the service runs its own.");
        // Said on stderr above; stdout stays for the install's own answer.
        stop(ctx, Say::Nothing).await?;
    }
    match service::install(&spec)? {
        ServiceChange::Done { path } if json => ctx.out.json(&Changed {
            path: Some(path),
            log_file: Some(spec.log_file.clone()),
            ..Changed::new("install", true, true)
        }),
        ServiceChange::Done { path } => {
            ctx.out.line(&format!("Installed {}", path.display()))?;
            ctx.out.info(&if cfg!(target_os = "macos") {
                format!(
                    "The daemon runs now and at every login. Check it with:\n  \
                     launchctl list {}\n  mcp-auth daemon status\nLogs: {}",
                    service::LAUNCHD_LABEL,
                    spec.log_file.display()
                )
            } else {
                "The daemon runs now and at every login. Check it with:\n  \
                 systemctl --user status mcp-auth\n  journalctl --user -u mcp-auth\n  \
                 mcp-auth daemon status"
                    .to_string()
            });
            Ok(())
        }
        ServiceChange::ManagerFailed { path, reason } => Err(Error::Other(format!(
            "wrote {}, but {reason}\n  hint: without a running user service manager (a login \
             session with a user bus), start the daemon with `mcp-auth daemon start`",
            path.display()
        ))),
        ServiceChange::NoManager { reason } => Err(Error::Other(format!(
            "{reason}, so no user service was installed\n  hint: run the daemon with \
             `mcp-auth daemon start`"
        ))),
    }
}

fn uninstall(ctx: &Context, json: bool) -> Result<()> {
    let outcome = service::uninstall()?;
    if json {
        return ctx.out.json(&match outcome {
            ServiceChange::Done { path } => Changed {
                path: Some(path),
                ..Changed::new("uninstall", true, false)
            },
            ServiceChange::ManagerFailed { path, reason } => Changed {
                path: Some(path),
                warning: Some(reason),
                ..Changed::new("uninstall", true, false)
            },
            ServiceChange::NoManager { reason } => Changed {
                warning: Some(format!("no user service is installed ({reason})")),
                ..Changed::new("uninstall", false, false)
            },
        });
    }
    match outcome {
        ServiceChange::Done { path } => ctx.out.line(&format!(
            "Stopped the user service and removed {}",
            path.display()
        )),
        ServiceChange::ManagerFailed { path, reason } => {
            ctx.out.warn(&reason);
            ctx.out.line(&format!("Removed {}", path.display()))
        }
        ServiceChange::NoManager { reason } => ctx
            .out
            .line(&format!("No user service is installed ({reason}).")),
    }
}
