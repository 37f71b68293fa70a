//! `mcp-auth token NAME`: a valid access token on stdout, for scripts.

use crate::cli::TokenArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::error::{Error, Result};

pub async fn run(ctx: &Context, args: &TokenArgs) -> Result<()> {
    let min_valid = parse_duration(&args.min_valid)
        .map_err(|e| Error::Usage(format!("--min-valid {:?}: {e}", args.min_valid)))?;
    let name = resolve(ctx, &args.name)?;
    let token = ctx.credentials()?.access_token(&name, min_valid).await?;
    if args.header {
        ctx.out
            .line(&format!("Authorization: Bearer {}", token.token.expose()))
    } else {
        ctx.out.line(token.token.expose())
    }
}

/// A credential name, or an MCP server's URL: the newest credential saved
/// for that server (as the bridge picks it), and when there is none, the
/// first login to run rather than "no credential named".
fn resolve(ctx: &Context, name_or_url: &str) -> Result<String> {
    if !name_or_url.contains("://") {
        return Ok(name_or_url.to_string());
    }
    let server = crate::mcp::canonical_server_url(name_or_url)?;
    match ctx
        .store()?
        .db()
        .find_by_server(&server)?
        .into_iter()
        .next()
    {
        Some(c) => Ok(c.name),
        None => Err(Error::NotLoggedIn { server, note: None }),
    }
}
