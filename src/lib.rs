//! mcp-auth: OAuth logins and tokens for MCP clients and OAuth-protected
//! APIs. The binary is `main.rs -> start()`; everything else is this library.
//!
//! Layers, each using only the ones below it:
//! `commands` → `mcp`, `daemon`, `provider_login` → `credentials`, `login_flight` → `origins`, `ipc`,
//! `oauth`, `store` → `config`, `providers`, `hosts`, `model`, `paths`, `body_text`,
//! `task`, `error`; `output` is the only place that prints, `logging` the only
//! place that sets up logs, `process` what every process sets up first.
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
pub mod process;
pub mod provider_login;
pub mod providers;
pub mod secret_env;
pub mod signals;
pub mod store;
pub mod task;
pub mod text;

use crate::cli::Cli;
use crate::config::Config;
use crate::error::{Error, exit};
use crate::paths::Paths;

/// The process from start to exit status, called by `main.rs`'s C
/// `main` (the binary is `#![no_main]`; `process` says why and what that
/// changes). Panics are caught here, as the standard library's runtime
/// would: the hook has printed the message, and the status is 101.
pub fn start() -> i32 {
    process::before_main();
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    // The runtime flushes stdout at exit; returning from C's main does not.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    i32::from(code)
}

/// Parses the command line, runs the command, prints any error once and
/// turns it into the documented exit status.
fn run() -> u8 {
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
            return code;
        }
    };
    match run_cli(cli) {
        Ok(()) => exit::OK,
        Err(e) => {
            if !matches!(e, Error::BrokenPipe) {
                output::Printer::error(&e.to_string());
            }
            e.exit_code()
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
    run_async(cli, ctx)
}

/// Every command but a `token` the daemon answered. Never inlined, and the
/// command's future on the heap: that future is tens of KB, and in the
/// frame of `start` it would be probed page by page at every start, 7 page
/// faults of a `token` call that never gets here.
#[inline(never)]
fn run_async(cli: Cli, ctx: commands::Context) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    runtime.block_on(Box::pin(commands::dispatch(cli, ctx)))
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
