//! `mcp-auth bridge URL`: a stdio MCP server that forwards everything to a
//! remote MCP server with the bearer attached (see [`crate::mcp::bridge`]).
//!
//! This file turns arguments into settings: the URL, `--header` values
//! (with `${VAR}` and `{secret:NAME}` expanded), the transport, and the
//! [`Authorizer`] that supplies the bearer and logs in on first use.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::cli::{BridgeArgs, BridgeTransport, GrantArg};
use crate::commands::Context;
use crate::commands::login::{mcp_options, private_key};
use crate::config::parse_duration;
use crate::credentials::{Credentials, blocking, validate_name};
use crate::error::{Error, Result};
use crate::mcp::auth::challenge;
use crate::mcp::auth::login::{self as mcp_login, LoginOptions};
use crate::mcp::authorizer::{
    Authorizer, BoxFuture, CredentialAuthorizer, LoginHook, LoginRequest, NoAuth, StoreSource,
};
use crate::mcp::transport::{self, Mode};
use crate::mcp::{bridge, canonical_server_url};
use crate::model::Secret;
use crate::output::Printer;
use crate::store::Store;
use crate::store::db::Holder;

pub async fn run(ctx: &Context, args: &BridgeArgs) -> Result<()> {
    let server_url = canonical_server_url(&args.url)?;
    let url = url::Url::parse(args.url.trim())
        .map_err(|e| Error::Usage(format!("{:?} is not a valid URL: {e}", args.url)))?;
    if let Some(name) = &args.name {
        validate_name(name)?;
    }
    if let Some(refusal) = origin_refusal(ctx, args)? {
        Printer::new().info(&format!("mcp-auth: {refusal}"));
        bridge::refuse(refusal).await?;
        return Ok(());
    }
    let headers = parse_headers(&expand_secrets(ctx, &args.headers)?, |v| {
        crate::secret_env::read_optional(v)
    })?;
    let connect_timeout = parse_duration(&args.connect_timeout)
        .map_err(|e| Error::Usage(format!("--connect-timeout {:?}: {e}", args.connect_timeout)))?;
    let auth: Arc<dyn Authorizer> = if headers.contains_key(reqwest::header::AUTHORIZATION) {
        tracing::debug!("an Authorization header was given; no stored credential is used");
        Arc::new(NoAuth {
            reason: "the server refused the Authorization header given with --header".into(),
        })
    } else {
        let (login, no_login_reason) = if args.no_login {
            (
                None,
                "with --no-login the bridge does not log in by itself".to_string(),
            )
        } else {
            (
                login_hook(ctx, args)?,
                format!("run `mcp-auth login {server_url}` and restart the bridge"),
            )
        };
        Arc::new(CredentialAuthorizer::new(
            StoreSource {
                paths: ctx.paths.clone(),
                config: ctx.config.clone(),
            },
            server_url,
            args.name.clone(),
            login,
            no_login_reason,
        ))
    };
    let cfg = transport::Config {
        url,
        mode: match args.transport {
            BridgeTransport::Auto => Mode::Auto,
            BridgeTransport::StreamableHttp => Mode::StreamableHttp,
            BridgeTransport::Sse => Mode::Sse,
        },
        headers,
        connect_timeout,
        request_timeout: request_timeout(ctx, args)?,
    };
    tracing::debug!(config = ?cfg, "bridge starting");
    let stop = bridge::run(cfg, auth).await?;
    tracing::debug!(reason = ?stop, "bridge stopped");
    Ok(())
}

/// Why the bridge may not send what its arguments name to the server's
/// origin: a `{secret:NAME}` in a `--header`, or the `--name` credential's
/// token, that may not go there ([`crate::origins`]). Checked before
/// anything is expanded or sent. A credential found by the server's URL
/// (no `--name`) was made for that server, so it is not checked.
fn origin_refusal(ctx: &Context, args: &BridgeArgs) -> Result<Option<String>> {
    let target = crate::origins::origin_of(&args.url)?;
    let secrets = crate::origins::secret_names(&args.headers);
    let own_authorization = args.headers.iter().any(|h| {
        h.split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("authorization"))
    });
    let token = args.name.as_deref().filter(|_| !own_authorization);
    if secrets.is_empty() && token.is_none() {
        return Ok(None);
    }
    let store = ctx.store()?;
    for name in &secrets {
        if let Some(r) = crate::origins::check(store, Holder::Secret, name, &target)? {
            return Ok(Some(r));
        }
    }
    match token {
        Some(name) => crate::origins::check(store, Holder::Token, name, &target),
        None => Ok(None),
    }
}

/// `--request-timeout`, else `request_timeout` from the config (0: none).
fn request_timeout(ctx: &Context, args: &BridgeArgs) -> Result<Option<std::time::Duration>> {
    match &args.request_timeout {
        Some(s) => crate::config::optional_duration(s)
            .map_err(|e| Error::Usage(format!("--request-timeout {s:?}: {e}"))),
        None => Ok(ctx.config.request_timeout),
    }
}

/// The bridge's login on first use: the same MCP authorization client as
/// `mcp-auth login URL` (discovery, registration, browser, or the client
/// credentials grant), printing only to stderr and never reading stdin,
/// which belongs to the MCP client.
struct BridgeLogin {
    source: StoreSource,
    options: LoginOptions,
    grant: GrantArg,
    private_key: Option<(Secret, Option<String>)>,
}

impl LoginHook for BridgeLogin {
    fn login<'a>(&'a self, request: &'a LoginRequest) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            let src = self.source.clone();
            let store = blocking(move || Store::open(&src.paths, &src.config, None)).await?;
            let creds = Credentials::new(store);
            let mut opts = self.options.clone();
            opts.name = request.name.clone().or(opts.name);
            if !request.scopes.is_empty() {
                opts.scopes = request.scopes.clone();
            }
            let out = Printer::new();
            out.info(&format!(
                "mcp-auth: logging in to {} ({})",
                request.server_url, request.reason
            ));
            let saved = match self.grant {
                GrantArg::ClientCredentials => {
                    mcp_login::client_credentials(
                        &creds,
                        &out,
                        &request.server_url,
                        &opts,
                        self.private_key.clone(),
                    )
                    .await?
                }
                GrantArg::CrossApp => {
                    mcp_login::cross_app(&creds, &out, &request.server_url, &opts).await?
                }
                GrantArg::JwtBearer => {
                    mcp_login::jwt_bearer(&creds, &out, &request.server_url, &opts).await?
                }
                GrantArg::AuthorizationCode => {
                    let challenge = challenge::bearer(request.www_authenticate.as_deref());
                    mcp_login::login(&creds, &out, &request.server_url, challenge, &opts).await?
                }
            };
            out.info(&format!("mcp-auth: logged in; saved as '{}'", saved.name));
            Ok(saved.name)
        })
    }
}

pub fn login_hook(ctx: &Context, args: &BridgeArgs) -> Result<Option<Arc<dyn LoginHook>>> {
    Ok(Some(Arc::new(BridgeLogin {
        source: StoreSource {
            paths: ctx.paths.clone(),
            config: ctx.config.clone(),
        },
        options: mcp_options(ctx, &args.client)?,
        grant: args.client.grant,
        private_key: private_key(&args.client)?,
    })))
}

/// Replaces every `{secret:NAME}` with the value stored by `mcp-auth
/// secrets set NAME`; the store is opened only when a header asks.
fn expand_secrets(ctx: &Context, raw: &[String]) -> Result<Vec<String>> {
    if !raw.iter().any(|h| h.contains("{secret:")) {
        return Ok(raw.to_vec());
    }
    let store = ctx.store()?;
    raw.iter()
        .map(|h| {
            let mut out = String::with_capacity(h.len());
            let mut rest = h.as_str();
            while let Some(start) = rest.find("{secret:") {
                out.push_str(&rest[..start]);
                let after = &rest[start + "{secret:".len()..];
                let Some(end) = after.find('}') else {
                    return Err(Error::Usage(format!(
                        "--header: `{{secret:` without a closing `}}` in {:?}",
                        h.split_once(':').map_or(h.as_str(), |(n, _)| n)
                    )));
                };
                out.push_str(store.user_secret(&after[..end])?.expose());
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            Ok(out)
        })
        .collect()
}

/// Parses `--header 'Name: value'` arguments, expanding `${VAR}` from
/// `env`. Values are marked sensitive; errors name the header and the
/// variable, never a value.
pub fn parse_headers(raw: &[String], env: impl Fn(&str) -> Option<String>) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for h in raw {
        let Some((name, value)) = h.split_once(':') else {
            return Err(Error::Usage(format!(
                "--header {:?} is not of the form 'Name: value'",
                h.split_once(' ').map_or(h.as_str(), |(n, _)| n)
            )));
        };
        let name = name.trim();
        let header = HeaderName::try_from(name)
            .map_err(|_| Error::Usage(format!("--header: {name:?} is not a valid header name")))?;
        let value = expand_env(value.trim(), &env).map_err(|var| {
            Error::Usage(format!(
                "--header {name}: the environment variable {var} is not set"
            ))
        })?;
        let mut value = HeaderValue::try_from(value).map_err(|_| {
            Error::Usage(format!(
                "--header {name}: the value contains characters not allowed in an HTTP header"
            ))
        })?;
        value.set_sensitive(true);
        map.append(header, value);
    }
    Ok(map)
}

/// Replaces every `${VAR}` with the variable's value; `Err(VAR)` when one
/// is not set. Text without `${` is left as it is (`$5`, `$HOME` included).
pub fn expand_env(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let var = &after[..end];
        match env(var) {
            Some(v) => out.push_str(&v),
            None => return Err(var.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        match var {
            "KEY" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn env_vars_expand_and_missing_ones_are_named() {
        assert_eq!(expand_env("Bearer ${KEY}", env).unwrap(), "Bearer s3cret");
        assert_eq!(expand_env("${KEY}-${KEY}", env).unwrap(), "s3cret-s3cret");
        assert_eq!(expand_env("a${EMPTY}b", env).unwrap(), "ab");
        assert_eq!(
            expand_env("$KEY $5 ${unclosed", env).unwrap(),
            "$KEY $5 ${unclosed"
        );
        assert_eq!(expand_env("${NOPE}", env).unwrap_err(), "NOPE");
    }

    #[test]
    fn headers_parse_and_errors_never_show_values() {
        let h = parse_headers(&["X-Api-Key: ${KEY}".into(), "X-Two:  b ".into()], env).unwrap();
        assert_eq!(h["x-api-key"], "s3cret");
        assert!(h["x-api-key"].is_sensitive());
        assert_eq!(h["x-two"], "b");
        let e = parse_headers(&["X-Api-Key: ${NOPE}".into()], env).unwrap_err();
        assert!(e.to_string().contains("NOPE"), "{e}");
        let e = parse_headers(&["no colon s3cret".into()], env).unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e = parse_headers(&["Bad Name: x".into()], env).unwrap_err();
        assert!(e.to_string().contains("Bad Name"), "{e}");
        let e = parse_headers(&["X: a\u{7}b".into()], env).unwrap_err();
        assert!(!e.to_string().contains("a\u{7}b"), "{e}");
    }
}
