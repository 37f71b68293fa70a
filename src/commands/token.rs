//! `mcp-auth token NAME`: a valid access token on stdout, for scripts.
//!
//! A DPoP-bound token (RFC 9449) is printed too, but it is useless alone:
//! every request needs a fresh proof signed with the credential's key, so
//! `--header` refuses and `--dpop-proof METHOD URL` prints both headers for
//! one request instead.

use crate::cli::TokenArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::error::{Error, Result};
use crate::model::now;
use crate::oauth::dpop;

pub async fn run(ctx: &Context, args: &TokenArgs) -> Result<()> {
    let min_valid = parse_duration(&args.min_valid)
        .map_err(|e| Error::Usage(format!("--min-valid {:?}: {e}", args.min_valid)))?;
    let name = resolve(ctx, &args.name)?;
    let token = ctx.credentials()?.access_token(&name, min_valid).await?;
    if let Some(request) = &args.dpop_proof {
        let [method, url] = request.as_slice() else {
            return Err(Error::Usage("--dpop-proof takes METHOD and URL".into()));
        };
        let stored = token.dpop_key.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "'{}' is a bearer token, not DPoP-bound; use --header",
                name
            ))
        })?;
        url::Url::parse(url).map_err(|e| Error::Usage(format!("--dpop-proof URL {url:?}: {e}")))?;
        let proof = dpop::Key::from_stored(stored)?.proof(
            &method.to_ascii_uppercase(),
            url,
            args.dpop_nonce.as_deref(),
            Some(&token.token),
            now(),
        )?;
        ctx.out
            .line(&format!("Authorization: DPoP {}", token.token.expose()))?;
        return ctx
            .out
            .line(&format!("{}: {}", dpop::HEADER, proof.expose()));
    }
    if args.header {
        if token.dpop_key.is_some() {
            return Err(Error::Usage(format!(
                "'{}' holds a DPoP-bound token (RFC 9449): it only works with a proof made for \
                 each request, so there is no one header line to print; use \
                 `mcp-auth token {} --dpop-proof METHOD URL` for the two headers of one request",
                args.name, args.name
            )));
        }
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
