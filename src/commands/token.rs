//! `mcp-auth token NAME`: a valid access token on stdout, for scripts.

use std::time::Duration;

use crate::cli::TokenArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::credentials::AccessToken;
use crate::error::{Error, Result};

pub async fn run(ctx: &Context, args: &TokenArgs) -> Result<()> {
    let token = ctx
        .credentials()?
        .access_token(&args.name, min_valid(args)?)
        .await?;
    print(ctx, args, &token)
}

/// The daemon's answer printed, without an async runtime; false when no
/// daemon answered and [`run`] has to do the work. Scripts call `token`
/// more than anything else, so with the daemon up it is one socket round
/// trip and nothing more: no runtime, no database, no secret store.
pub fn answer_from_daemon(ctx: &Context, args: &TokenArgs) -> Result<bool> {
    match ctx
        .credentials()?
        .access_token_from_daemon(&args.name, min_valid(args)?)?
    {
        Some(token) => print(ctx, args, &token).map(|()| true),
        None => Ok(false),
    }
}

fn min_valid(args: &TokenArgs) -> Result<Duration> {
    parse_duration(&args.min_valid)
        .map_err(|e| Error::Usage(format!("--min-valid {:?}: {e}", args.min_valid)))
}

fn print(ctx: &Context, args: &TokenArgs, token: &AccessToken) -> Result<()> {
    if args.header {
        ctx.out
            .line(&format!("Authorization: Bearer {}", token.token.expose()))
    } else {
        ctx.out.line(token.token.expose())
    }
}
