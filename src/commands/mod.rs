//! One module per subcommand. Each command is a plain async function over a
//! [`Context`] and its arguments, so it can be tested without clap.

pub mod bridge;
pub mod doctor;
pub mod login;
pub mod providers;
pub mod secrets;
pub mod token;
pub mod tokens;

use std::sync::OnceLock;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::Result;
use crate::output::Printer;
use crate::paths::Paths;
use crate::store::{FallbackPrompt, Store};

/// What every command runs on: paths, settings, the printer, and storage
/// opened on first use (so `providers list` never touches the database).
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub out: Printer,
    store: OnceLock<Store>,
}

impl Context {
    pub fn new(paths: Paths, config: Config) -> Context {
        Context {
            paths,
            config,
            out: Printer::new(),
            store: OnceLock::new(),
        }
    }

    pub fn store(&self) -> Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let store = Store::open(&self.paths, &self.config, fallback_prompt())?;
        Ok(self.store.get_or_init(|| store))
    }

    pub fn credentials(&self) -> Result<Credentials> {
        Ok(Credentials::new(self.store()?.clone()))
    }
}

/// At a terminal, offers the file store once when the keyring is
/// unreachable; the answer is remembered in config.toml.
fn fallback_prompt() -> Option<FallbackPrompt> {
    if !Printer::interactive() {
        return None;
    }
    Some(Box::new(|reason: &str| {
        eprintln!("The OS keyring cannot be used: {reason}");
        Printer::new()
            .confirm(
                "Keep secrets in a plaintext file (mode 0600) instead, and remember this choice?",
                false,
            )
            .unwrap_or(false)
    }))
}

pub async fn dispatch(cli: Cli, ctx: Context) -> Result<()> {
    match cli.command {
        Command::Bridge(args) => bridge::run(&ctx, &args).await,
        Command::Login(args) => login::run(&ctx, &args).await,
        Command::Token(args) => token::run(&ctx, &args).await,
        Command::Tokens(cmd) => tokens::run(&ctx, cmd).await,
        Command::Providers(cmd) => providers::run(&ctx, cmd),
        Command::Secrets(cmd) => secrets::run(&ctx, cmd).await,
        Command::Doctor { online, json } => doctor::run(&ctx, json, online).await,
        Command::Logout { name, local_only } => {
            tokens::revoke_cmd(
                &ctx,
                &crate::cli::RevokeArgs {
                    names: vec![name],
                    all: false,
                    provider: None,
                    expired: false,
                    yes: true,
                    local_only,
                    json: false,
                },
            )
            .await
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mcp-auth", &mut buf);
            ctx.out.line(String::from_utf8_lossy(&buf).trim_end())
        }
    }
}
