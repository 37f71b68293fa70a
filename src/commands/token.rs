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

/// What `mcp-auth token` hands out, and in which form.
pub struct TokenRequest {
    /// A credential's name, or an MCP server's URL (the credential saved
    /// for it).
    pub name: String,
    /// Refresh first when the token expires within this time.
    pub min_valid: Duration,
    pub form: Form,
}

/// How the token is printed.
pub enum Form {
    /// The token alone.
    Bare,
    /// `Authorization: Bearer <token>`.
    Header,
    /// The two headers of one DPoP request (RFC 9449).
    DpopProof {
        method: String,
        url: String,
        nonce: Option<String>,
    },
}

impl TokenRequest {
    pub fn from_args(args: &TokenArgs) -> Result<TokenRequest> {
        let min_valid = parse_duration(&args.min_valid)
            .map_err(|e| Error::Usage(format!("--min-valid {:?}: {e}", args.min_valid)))?;
        let form = match &args.dpop_proof {
            Some(request) => {
                let [method, url] = request.as_slice() else {
                    return Err(Error::Usage("--dpop-proof takes METHOD and URL".into()));
                };
                Form::DpopProof {
                    method: method.to_ascii_uppercase(),
                    url: url.clone(),
                    nonce: args.dpop_nonce.clone(),
                }
            }
            None if args.header => Form::Header,
            None => Form::Bare,
        };
        Ok(TokenRequest {
            name: args.name.clone(),
            min_valid,
            form,
        })
    }
}

pub async fn run(ctx: &Context, request: &TokenRequest) -> Result<()> {
    let (name, token) = valid_token(ctx, &request.name, request.min_valid).await?;
    print(ctx, &request.form, &name, &token)
}

/// A token of `name_or_url` valid for at least `min_valid`, and the name
/// of its credential. A bridge (or a terminal) may be logging in to this
/// credential right now: then this waits for that login and answers with
/// its token, or its error.
pub async fn valid_token(
    ctx: &Context,
    name_or_url: &str,
    min_valid: Duration,
) -> Result<(String, AccessToken)> {
    let err = match answer(ctx, name_or_url, min_valid).await {
        Err(e) if needs_a_login(&e) => e,
        other => return other,
    };
    let key = login_key(ctx, name_or_url)?;
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
    match answer(ctx, name_or_url, min_valid).await {
        Err(e) if needs_a_login(&e) => Err(outcome.and_then(|o| o.error(&key)).unwrap_or(e)),
        other => other,
    }
}

async fn answer(
    ctx: &Context,
    name_or_url: &str,
    min_valid: Duration,
) -> Result<(String, AccessToken)> {
    let name = resolve(ctx, name_or_url)?;
    let token = ctx.credentials()?.access_token(&name, min_valid).await?;
    Ok((name, token))
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
pub fn answer_from_daemon(ctx: &Context, request: &TokenRequest) -> Result<bool> {
    if request.name.contains("://") {
        return Ok(false);
    }
    match ctx
        .credentials()?
        .access_token_from_daemon(&request.name, request.min_valid)
    {
        Ok(Some(token)) => print(ctx, &request.form, &request.name, &token).map(|()| true),
        Ok(None) => Ok(false),
        // A login may be running: [`run`] waits for it.
        Err(e) if needs_a_login(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

fn print(ctx: &Context, form: &Form, name: &str, token: &AccessToken) -> Result<()> {
    match form {
        Form::DpopProof { method, url, nonce } => {
            let stored = token.dpop_key.as_ref().ok_or_else(|| {
                Error::Usage(format!(
                    "'{name}' is a bearer token, not DPoP-bound; use --header"
                ))
            })?;
            url::Url::parse(url)
                .map_err(|e| Error::Usage(format!("--dpop-proof URL {url:?}: {e}")))?;
            let proof = dpop::Key::from_stored(stored)?.proof(
                method,
                url,
                nonce.as_deref(),
                Some(&token.token),
                now(),
            )?;
            ctx.out
                .line(&format!("Authorization: DPoP {}", token.token.expose()))?;
            ctx.out
                .line(&format!("{}: {}", dpop::HEADER, proof.expose()))
        }
        Form::Header => {
            if token.dpop_key.is_some() {
                return Err(Error::Usage(format!(
                    "'{}' holds a DPoP-bound token (RFC 9449): it only works with a proof made \
                     for each request, so there is no one header line to print; use \
                     `mcp-auth token {} --dpop-proof METHOD URL` for the two headers of one \
                     request",
                    name, name
                )));
            }
            ctx.out
                .line(&format!("Authorization: Bearer {}", token.token.expose()))
        }
        Form::Bare => ctx.out.line(token.token.expose()),
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
