//! mcp-auth: OAuth logins and tokens for MCP clients and OAuth-protected
//! APIs. The binary is `main.rs -> run()`; everything else is this library.
//!
//! Layers, each using only the ones below it:
//! `commands` → `mcp`, `daemon`, `provider_login` → `credentials`, `login_flight` → `origins`, `ipc`,
//! `oauth`, `store` → `config`, `providers`, `hosts`, `model`, `paths`, `body_text`,
//! `task`, `error`; `output` is the only place that prints, `logging` the only
//! place that sets up logs.
//!
//! `credentials` is the one door to what is stored: a valid token, a
//! login's result, renewal, revoke, user secrets, the audit log, the
//! registrations cache, origin checks and storage health are all asked of
//! [`credentials::Credentials`], built once per process (by
//! [`commands::Context`]; the daemon derives its in-process instance from
//! it). Nothing in `commands`, `mcp`, `daemon` or `provider_login` names
//! `store`; `tests/layers.rs` fails when something does. A new stored thing
//! gets a method in `src/credentials/` over the store's API; a new command
//! calls those methods.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod body_text;
pub mod cli;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod daemon;
pub mod error;
pub mod fs_space;
pub mod hosts;
pub mod ipc;
pub mod logging;
pub mod login_flight;
pub mod mcp;
pub mod model;
pub mod oauth;
pub mod origins;
pub mod output;
pub mod paths;
pub mod provider_login;
pub mod providers;
pub mod secret_env;
pub mod signals;
pub mod store;
pub mod task;
pub mod text;

use std::process::ExitCode;

use crate::cli::Cli;
use crate::config::Config;
use crate::error::{Error, exit};
use crate::paths::Paths;

/// Parses the command line, runs the command, prints any error once and
/// turns it into the documented exit code.
pub fn run() -> ExitCode {
    restrict_umask();
    one_malloc_arena();
    let cli = match Cli::parse_from_args(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            // Printing help to a closed pipe is not worth a panic.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run_cli(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, Error::BrokenPipe) {
                output::Printer::error(&e.to_string());
            }
            e.to_exit_code()
        }
    }
}

fn run_cli(cli: Cli) -> Result<(), Error> {
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file())?;
    init_logging(&cli, &config)?;
    if let Some(notice) = &config.notice {
        tracing::warn!("{notice}");
    }
    // Before any request: the shared OAuth client is built once.
    oauth::http::set_timeout(config.http_timeout);
    // The bridge's stdin is the MCP client's: nothing may prompt on it.
    let prompts = !matches!(cli.command, cli::Command::Bridge(_));
    let ctx = commands::Context::new(paths, config, prompts);
    if let cli::Command::Token(args) = &cli.command
        && commands::token::answer_from_daemon(
            &ctx,
            &commands::token::TokenRequest::from_args(args)?,
        )?
    {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    runtime.block_on(commands::dispatch(cli, ctx))
}

fn init_logging(cli: &Cli, config: &Config) -> Result<(), Error> {
    use crate::cli::{Command, DaemonCommand};
    // The daemon reports what it does (refreshes, prunes) by default; the
    // other commands only what went wrong.
    let default = match cli.command {
        Command::Daemon(DaemonCommand::Run) => "info",
        _ => "warn",
    };
    let level = cli
        .global
        .log_level
        .clone()
        .or_else(|| config.log.clone())
        .unwrap_or_else(|| default.to_string());
    let file = cli
        .global
        .log_file
        .clone()
        .or_else(|| config.log_file.clone().map(Into::into));
    logging::init(&level, file.as_deref())
}

/// One malloc arena for the whole process. glibc gives each thread that
/// allocates its own arena, and the threads here (the blocking pool that
/// runs the store, the bridge's stdin and stdout threads) allocate a little
/// each and are rarely busy at once: their arenas are resident memory that
/// no one else can reuse. Measured: the daemon idle after a burst of
/// 10,000 refreshes held 34.1 MB with an arena per thread and 28.3 MB with
/// one (`cargo bench --bench daemon`); a bridge under load, 0.4 MB less.
/// Called before any thread starts.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning, and no other
    // thread is running yet to allocate while it does.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Files and directories this process creates are private to the user,
/// whatever creates them (SQLite's WAL and SHM files included).
fn restrict_umask() {
    #[cfg(unix)]
    // SAFETY: umask only swaps the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}
