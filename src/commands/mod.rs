//! One module per subcommand. Each turns its clap arguments into a small
//! plain settings value (parsed durations, resolved names, selections,
//! flags) in one place, then runs a plain function over a [`Context`] and
//! that value; what a command shows is computed by functions that return
//! it, so another front end can use them without printing, and the
//! commands can be tested without clap.

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
        Command::Bridge(args) => bridge::run(&ctx, &bridge::Bridge::from_args(&ctx, &args)?).await,
        Command::Login(args) => login::run(&ctx, &args).await,
        Command::Token(args) => token::run(&ctx, &token::TokenRequest::from_args(&args)?).await,
        Command::Tokens(cmd) => tokens::run(&ctx, cmd).await,
        Command::Audit(args) => audit::run(&ctx, &audit::AuditQuery::from_args(&args)?, args.json),
        Command::Providers(cmd) => providers::run(&ctx, cmd),
        Command::Secrets(cmd) => secrets::run(&ctx, cmd).await,
        Command::Clients(cmd) => clients::run(&ctx, cmd).await,
        Command::Ui(args) => ui::run(ctx, &args).await,
        Command::Doctor { online, json } => {
            doctor::run(&ctx, doctor::Doctor { online }, json).await
        }
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
                file: cli.global.log_file.as_deref(),
                level: cli.global.log_level.as_deref(),
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

/// The template parameters of `login`, `providers show` and `tokens
/// import` as provider overrides.
fn template_overrides(t: &crate::cli::TemplateArgs) -> crate::providers::Overrides {
    crate::providers::Overrides {
        domain: t.domain.clone(),
        tenant: t.tenant.clone(),
        auth_server: t.auth_server.clone(),
        audience: t.audience.clone(),
        ..Default::default()
    }
}

/// Whether any template parameter was given: they apply to providers, not
/// to MCP server URLs.
fn any_template_param(t: &crate::cli::TemplateArgs) -> bool {
    t.domain.is_some() || t.tenant.is_some() || t.auth_server.is_some() || t.audience.is_some()
}

/// `tokens|secrets allow|disallow NAME URL`: whose origins change, and how.
pub struct OriginChange<'a> {
    pub holder: crate::credentials::Holder,
    pub name: &'a str,
    /// A URL of the origin; only its scheme, host and port count.
    pub url: &'a str,
    /// Allow the origin, or stop allowing it.
    pub allow: bool,
}

/// Adds or removes the origin of the change's URL from those the bridge
/// may send the holder's value to; returns that origin and all now allowed.
pub fn change_origin(ctx: &Context, change: &OriginChange<'_>) -> Result<(String, Vec<String>)> {
    ctx.credentials()?
        .change_origins(change.holder, change.name, change.url, change.allow)
}

/// [`change_origin`], saying what is now allowed.
fn allow_origin(ctx: &Context, change: &OriginChange<'_>, json: bool) -> Result<()> {
    let (origin, now_allowed) = change_origin(ctx, change)?;
    let name = change.name;
    if json {
        return ctx.out.json(&crate::origins::Changed {
            name,
            origin: &origin,
            allowed_origins: &now_allowed,
        });
    }
    let what = match change.holder {
        crate::credentials::Holder::Token => format!("the token of '{name}'"),
        crate::credentials::Holder::Secret => format!("the secret '{name}'"),
    };
    let verb = if change.allow {
        "may now"
    } else {
        "may no longer"
    };
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
