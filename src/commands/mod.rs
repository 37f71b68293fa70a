//! One module per subcommand. Each command is a plain async function over a
//! [`Context`] and its arguments, so it can be tested without clap.

pub mod audit;
pub mod bridge;
pub mod clients;
mod context;
pub mod daemon;
pub mod doctor;
pub mod import;
pub mod login;
pub mod providers;
pub mod secrets;
pub mod token;
pub mod tokens;
pub mod ui;

pub use context::Context;

use crate::cli::{Cli, Command};
use crate::error::Result;

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
        Command::Ui(args) => ui::run(ctx, &args).await,
        Command::Doctor { online, json } => doctor::run(&ctx, json, online).await,
        Command::Logout {
            name,
            local_only,
            json,
        } => {
            tokens::revoke(
                &ctx,
                tokens::Revoke {
                    selection: tokens::Selection::Named(&[name]),
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
    holder: crate::credentials::Holder,
    name: &str,
    url: &str,
    add: bool,
    json: bool,
) -> Result<()> {
    let (origin, now_allowed) = ctx.credentials()?.change_origins(holder, name, url, add)?;
    if json {
        return ctx.out.json(&crate::origins::Changed {
            name,
            origin: &origin,
            allowed_origins: &now_allowed,
        });
    }
    let what = match holder {
        crate::credentials::Holder::Token => format!("the token of '{name}'"),
        crate::credentials::Holder::Secret => format!("the secret '{name}'"),
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
