//! One module per subcommand. Each command is a plain async function over a
//! [`Context`] and its arguments, so it can be tested without clap.

pub mod audit;
pub mod bridge;
pub mod clients;
pub mod daemon;
pub mod doctor;
pub mod import;
pub mod login;
pub mod providers;
pub mod secrets;
pub mod token;
pub mod tokens;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::Result;
use crate::output::Printer;
use crate::paths::Paths;
use crate::store::{FallbackPrompt, LazyStore, Store};

/// What every command runs on: paths, settings, the printer, and storage
/// opened on first use (so `providers list` never touches the database, and
/// `token` answered by the daemon never opens it either).
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub out: Printer,
    store: LazyStore,
}

impl Context {
    pub fn new(paths: Paths, config: Config) -> Context {
        let store = {
            let (paths, config) = (paths.clone(), config.clone());
            LazyStore::new(move || Store::open(&paths, &config, fallback_prompt(&paths)))
        };
        Context {
            paths,
            config,
            out: Printer::new(),
            store,
        }
    }

    pub fn store(&self) -> Result<&Store> {
        self.store.get()
    }

    /// Credentials that ask the daemon first and open the store only when
    /// this process has to do the work itself.
    pub fn credentials(&self) -> Result<Credentials> {
        Ok(Credentials::lazy(&self.paths, self.store.clone()))
    }
}

/// At a terminal, offers the file store once when the keyring is
/// unreachable; the answer is remembered in config.toml.
fn fallback_prompt(paths: &Paths) -> Option<FallbackPrompt> {
    if !Printer::interactive() {
        return None;
    }
    let config_file = paths.config_file();
    Some(Box::new(move |reason: &str| {
        let printer = Printer::new();
        printer.warn(&format!("the OS keyring cannot be used: {reason}"));
        let yes = printer
            .confirm(
                "Keep secrets in a plaintext file (mode 0600) instead, and remember this choice?",
                false,
            )
            .unwrap_or(false);
        if yes {
            crate::config::persist_setting(&config_file, "secret_store", "file")?;
        }
        Ok(yes)
    }))
}

pub async fn dispatch(cli: Cli, ctx: Context) -> Result<()> {
    match cli.command {
        Command::Bridge(args) => bridge::run(&ctx, &args).await,
        Command::Login(args) => login::run(&ctx, &args).await,
        Command::Token(args) => token::run(&ctx, &args).await,
        Command::Tokens(cmd) => tokens::run(&ctx, cmd).await,
        Command::Audit(args) => audit::run(&ctx, &args),
        Command::Providers(cmd) => providers::run(&ctx, cmd),
        Command::Secrets(cmd) => secrets::run(&ctx, cmd).await,
        Command::Clients(cmd) => clients::run(&ctx, cmd).await,
        Command::Doctor { online, json } => doctor::run(&ctx, json, online).await,
        Command::Logout {
            name,
            local_only,
            json,
        } => {
            tokens::revoke_cmd(
                &ctx,
                &crate::cli::RevokeArgs {
                    names: vec![name],
                    all: false,
                    provider: None,
                    expired: false,
                    yes: true,
                    local_only,
                    json,
                },
            )
            .await
        }
        Command::Daemon(cmd) => {
            let log = daemon::LogFlags {
                file: cli.log_file.as_deref(),
                level: cli.log_level.as_deref(),
            };
            daemon::run(&ctx, cmd, log).await
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mcp-auth", &mut buf);
            ctx.out.line(String::from_utf8_lossy(&buf).trim_end())
        }
    }
}

/// `tokens|secrets allow|disallow NAME URL`: adds or removes the origin of
/// `url` from those the bridge may send `name` to, and says what is now
/// allowed.
fn allow_origin(
    ctx: &Context,
    holder: crate::store::db::Holder,
    name: &str,
    url: &str,
    add: bool,
    json: bool,
) -> Result<()> {
    let (origin, now_allowed) = crate::origins::change(ctx.store()?, holder, name, url, add)?;
    if json {
        return ctx.out.json(&crate::origins::Changed {
            name,
            origin: &origin,
            allowed_origins: &now_allowed,
        });
    }
    let what = match holder {
        crate::store::db::Holder::Token => format!("the token of '{name}'"),
        crate::store::db::Holder::Secret => format!("the secret '{name}'"),
    };
    let verb = if add { "may now" } else { "may no longer" };
    ctx.out.info(&format!(
        "The bridge {verb} send {what} to {origin}; allowed: {}",
        if now_allowed.is_empty() {
            "none".to_string()
        } else {
            now_allowed.join(", ")
        }
    ));
    Ok(())
}
