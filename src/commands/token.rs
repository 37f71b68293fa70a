//! `mcp-auth token NAME`: a valid access token on stdout, for scripts.

use crate::cli::TokenArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::error::{Error, Result};

pub async fn run(ctx: &Context, args: &TokenArgs) -> Result<()> {
    let min_valid = parse_duration(&args.min_valid)
        .map_err(|e| Error::Usage(format!("--min-valid {:?}: {e}", args.min_valid)))?;
    let token = ctx
        .credentials()?
        .access_token(&args.name, min_valid)
        .await?;
    if args.header {
        ctx.out
            .line(&format!("Authorization: Bearer {}", token.token.expose()))
    } else {
        ctx.out.line(token.token.expose())
    }
}
