//! `mcp-auth token NAME`: a valid access token on stdout, for scripts.
//!
//! A DPoP-bound token (RFC 9449) is printed too, but it is useless alone:
//! every request needs a fresh proof signed with the credential's key, so
//! `--header` refuses and `--dpop-proof METHOD URL` prints both headers for
//! one request instead.

use std::time::Duration;

use crate::cli::TokenArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::credentials::AccessToken;
use crate::error::{Error, Result};
use crate::login_flight::{Holder, LoginFlight, waiting_line};
use crate::model::now;
use crate::oauth::dpop;

pub async fn run(ctx: &Context, args: &TokenArgs) -> Result<()> {
    let err = match answer(ctx, args).await {
        Err(e) if needs_a_login(&e) => e,
        other => return other,
    };
    // A bridge (or a terminal) may be logging in to this credential right
    // now: wait for that login and answer with its token, or its error.
    let key = login_key(ctx, &args.name)?;
    let out = ctx.out.clone();
    let mut notice = move |n: &str, h: Option<&Holder>| out.info(&waiting_line(n, h));
    let Some(outcome) = LoginFlight::wait_for_running(
        &ctx.paths,
        &key,
        "mcp-auth token",
        ctx.config.login_timeout,
        &mut notice,
    )
    .await?
    else {
        return Err(err);
    };
    match answer(ctx, args).await {
        Err(e) if needs_a_login(&e) => Err(outcome.and_then(|o| o.error(&key)).unwrap_or(e)),
        other => other,
    }
}

async fn answer(ctx: &Context, args: &TokenArgs) -> Result<()> {
    let name = resolve(ctx, &args.name)?;
    let token = ctx
        .credentials()?
        .access_token(&name, min_valid(args)?)
        .await?;
    print(ctx, args, &name, &token)
}

/// Errors a login, running or to run, is the answer to.
fn needs_a_login(e: &Error) -> bool {
    matches!(
        e,
        Error::NotLoggedIn { .. } | Error::NeedsLogin { .. } | Error::CredentialNotFound(_)
    )
}

/// The credential whose login `name_or_url` waits for: the name, or the
/// one a login for the server would save under.
fn login_key(ctx: &Context, name_or_url: &str) -> Result<String> {
    if !name_or_url.contains("://") {
        return Ok(name_or_url.to_string());
    }
    let server = crate::mcp::canonical_server_url(name_or_url)?;
    crate::mcp::auth::login::credential_name(&ctx.credentials()?, &server, None)
}

/// The daemon's answer printed, without an async runtime; false when no
/// daemon answered and [`run`] has to do the work. Scripts call `token`
/// more than anything else, so with the daemon up it is one socket round
/// trip and nothing more: no runtime, no database, no secret store. A
/// server's URL needs the database to find its credential: [`run`] does it.
pub fn answer_from_daemon(ctx: &Context, args: &TokenArgs) -> Result<bool> {
    if args.name.contains("://") {
        return Ok(false);
    }
    match ctx
        .credentials()?
        .access_token_from_daemon(&args.name, min_valid(args)?)
    {
        Ok(Some(token)) => print(ctx, args, &args.name, &token).map(|()| true),
        Ok(None) => Ok(false),
        // A login may be running: [`run`] waits for it.
        Err(e) if needs_a_login(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

fn min_valid(args: &TokenArgs) -> Result<Duration> {
    parse_duration(&args.min_valid)
        .map_err(|e| Error::Usage(format!("--min-valid {:?}: {e}", args.min_valid)))
}

fn print(ctx: &Context, args: &TokenArgs, name: &str, token: &AccessToken) -> Result<()> {
    if let Some(request) = &args.dpop_proof {
        let [method, url] = request.as_slice() else {
            return Err(Error::Usage("--dpop-proof takes METHOD and URL".into()));
        };
        let stored = token.dpop_key.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "'{name}' is a bearer token, not DPoP-bound; use --header"
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
                name, name
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
        .credentials()?
        .find_by_server(&server)?
        .into_iter()
        .next()
    {
        Some(c) => Ok(c.name),
        None => Err(Error::NotLoggedIn { server, note: None }),
    }
}
