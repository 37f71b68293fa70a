//! `mcp-auth bridge URL`: a stdio MCP server that forwards everything to a
//! remote MCP server with the bearer attached (see [`crate::mcp::bridge`]).
//!
//! This file turns arguments into settings ([`Bridge`]: the URL, the
//! transport, the timeouts), then runs the bridge over them: it checks
//! where what it sends may go, expands `--header` values (`${VAR}` and
//! `{secret:NAME}`) and builds the [`Authorizer`] that supplies the bearer
//! and logs in on first use.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::cli::{BridgeArgs, BridgeTransport, ClientArgs};
use crate::commands::Context;
use crate::commands::login::{grant, mcp_options, private_key};
use crate::config::parse_duration;
use crate::credentials::{Credentials, Holder, validate_name};
use crate::error::{Error, Result};
use crate::mcp::auth::challenge;
use crate::mcp::auth::login::{self as mcp_login, LoginOptions};
use crate::mcp::authorizer::{
    Authorizer, BoxFuture, CredentialAuthorizer, LoginHook, LoginRequest, NoAuth,
};
use crate::mcp::transport::{self, Mode};
use crate::mcp::{bridge, canonical_server_url};
use crate::model::{Credential, Origin, Secret, now};
use crate::output::Printer;
use crate::task::blocking;

/// The bridge's settings, from its flags and the config; `--header`
/// values and the login's secrets are read only when the bridge gets that
/// far.
pub struct Bridge<'a> {
    /// The server's URL as given (trimmed), and as credentials name it.
    pub url: url::Url,
    pub server_url: String,
    /// The server's origin, where what the bridge sends goes.
    pub origin: String,
    /// `--name`: the credential to use (checked).
    pub name: Option<String>,
    /// `--header` as given: expanded after the origins are checked.
    pub headers: &'a [String],
    pub no_login: bool,
    pub mode: Mode,
    pub connect_timeout: Duration,
    /// `--request-timeout`, else `request_timeout` from the config; `None`
    /// waits for ever.
    pub request_timeout: Option<Duration>,
    /// How the bridge identifies itself when it logs in on first use.
    pub client: &'a ClientArgs,
}

impl Bridge<'_> {
    pub fn from_args<'a>(ctx: &Context, args: &'a BridgeArgs) -> Result<Bridge<'a>> {
        let server_url = canonical_server_url(&args.url)?;
        let url = url::Url::parse(args.url.trim())
            .map_err(|e| Error::Usage(format!("{:?} is not a valid URL: {e}", args.url)))?;
        // A bearer, a DPoP proof or a stored secret in a header would cross
        // the network in cleartext: the bridge's command line may come from
        // a file someone else wrote (a repository's .mcp.json), so this is
        // refused, as `login` refuses it (RFC 9700 §2.6: no tokens over
        // plain http).
        if url.scheme() == "http" && !crate::providers::is_loopback(&url) {
            return Err(Error::Usage(format!(
                "refusing {}: plain http to a host other than this machine would send \
                 credentials in cleartext; use https",
                crate::text::printable(url.as_str(), 200)
            )));
        }
        if let Some(name) = &args.name {
            validate_name(name)?;
        }
        let origin = crate::origins::origin_of(&args.url)?;
        let connect_timeout = parse_duration(&args.connect_timeout).map_err(|e| {
            Error::Usage(format!("--connect-timeout {:?}: {e}", args.connect_timeout))
        })?;
        let request_timeout = match &args.request_timeout {
            Some(s) => crate::config::optional_duration(s)
                .map_err(|e| Error::Usage(format!("--request-timeout {s:?}: {e}")))?,
            None => ctx.config.request_timeout,
        };
        Ok(Bridge {
            url,
            server_url,
            origin,
            name: args.name.clone(),
            headers: &args.headers,
            no_login: args.no_login,
            mode: match args.transport {
                BridgeTransport::Auto => Mode::Auto,
                BridgeTransport::StreamableHttp => Mode::StreamableHttp,
                BridgeTransport::Sse => Mode::Sse,
            },
            connect_timeout,
            request_timeout,
            client: &args.client,
        })
    }
}

pub async fn run(ctx: &Context, b: &Bridge<'_>) -> Result<()> {
    if let Some(refusal) = origin_refusal(ctx, b)? {
        Printer::new().info(&format!("mcp-auth: {refusal}"));
        bridge::refuse(refusal).await?;
        return Ok(());
    }
    let headers = parse_headers(b.headers, crate::secret_env::read_optional, |name| {
        ctx.credentials()?.user_secret(name)
    })?;
    let auth: Arc<dyn Authorizer> = if headers.contains_key(reqwest::header::AUTHORIZATION) {
        tracing::debug!("an Authorization header was given; no stored credential is used");
        Arc::new(NoAuth {
            reason: "the server refused the Authorization header given with --header".into(),
        })
    } else {
        let (login, no_login_reason) = if b.no_login {
            (
                None,
                "with --no-login the bridge does not log in by itself".to_string(),
            )
        } else {
            (
                login_hook(ctx, b.client)?,
                format!(
                    "run `mcp-auth login {}` and restart the bridge",
                    b.server_url
                ),
            )
        };
        Arc::new(CredentialAuthorizer::new(
            ctx.credentials()?,
            b.server_url.clone(),
            b.name.clone(),
            login,
            no_login_reason,
        ))
    };
    let cfg = transport::TransportConfig {
        url: b.url.clone(),
        mode: b.mode,
        headers,
        connect_timeout: b.connect_timeout,
        request_timeout: b.request_timeout,
        max_reply: ctx.config.max_reply,
    };
    tracing::debug!(config = ?cfg, "bridge starting");
    let ended = bridge::run(cfg, auth).await?;
    tracing::debug!(reason = ?ended, "bridge stopped");
    Ok(())
}

/// Why the bridge may not send what its arguments name to the server's
/// origin: a `{secret:NAME}` in a `--header`, or the `--name` credential's
/// token, that may not go there ([`crate::origins`]). Checked before
/// anything is expanded or sent. A credential found by the server's URL
/// (no `--name`) was made for that server, so it is not checked.
fn origin_refusal(ctx: &Context, b: &Bridge<'_>) -> Result<Option<String>> {
    let secrets = crate::origins::secret_names(b.headers);
    let own_authorization = b.headers.iter().any(|h| {
        h.split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("authorization"))
    });
    let token = b.name.as_deref().filter(|_| !own_authorization);
    if secrets.is_empty() && token.is_none() {
        return Ok(None);
    }
    let store = ctx.credentials()?;
    for name in &secrets {
        if let Some(r) = store.check_origin(Holder::Secret, name, &b.origin)? {
            return Ok(Some(r));
        }
    }
    match token {
        Some(name) => store.check_origin(Holder::Token, name, &b.origin),
        None => Ok(None),
    }
}

/// The bridge's login on first use: the same MCP authorization client as
/// `mcp-auth login URL` (discovery, registration, browser, or the client
/// credentials grant), printing only to stderr and never reading stdin,
/// which belongs to the MCP client.
struct BridgeLogin {
    creds: Credentials,
    paths: crate::paths::Paths,
    options: LoginOptions,
    grant: mcp_login::Grant,
}

impl LoginHook for BridgeLogin {
    fn login<'a>(&'a self, request: &'a LoginRequest) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            self.creds.ready().await?;
            let creds = self.creds.clone();
            let store = creds.clone();
            let mut opts = self.options.clone();
            // A step-up asks for more than any login saved meanwhile holds:
            // it runs after the running one instead of taking its result.
            let reuse = if request.scopes.is_empty() {
                if matches!(self.grant, mcp_login::Grant::AuthorizationCode) {
                    opts.share = Some(self.paths.clone());
                }
                mcp_login::Reuse::Valid {
                    rejected: request.rejected.clone(),
                }
            } else {
                opts.scopes = request.scopes.clone();
                mcp_login::Reuse::Never
            };
            let out = Printer::new();
            let login = |name: String| {
                let (creds, out, store) = (&creds, &out, &store);
                let opts = LoginOptions {
                    name: Some(name.clone()),
                    ..opts.clone()
                };
                async move {
                    let previous = {
                        let (s, key) = (store.clone(), name.clone());
                        blocking(move || s.get(&key)).await?
                    };
                    out.info(&format!(
                        "mcp-auth: logging in to {} ({})",
                        request.server_url, request.reason
                    ));
                    let url = &request.server_url;
                    let challenge = challenge::bearer(request.www_authenticate.as_deref());
                    let saved =
                        mcp_login::login_with(creds, out, url, &self.grant, challenge, &opts)
                            .await?;
                    keep_sharing(store, previous, &saved).await;
                    Ok(saved)
                }
            };
            let flight = mcp_login::Flight {
                paths: &self.paths,
                server: &request.server_url,
                name: request.name.as_deref(),
                who: "mcp-auth bridge",
                timeout: opts.timeout,
                reuse,
            };
            let flown = mcp_login::single_flight(&creds, &out, flight, login).await?;
            let saved = flown.credential;
            // A credential shared with another server was not saved here.
            let saved_here = matches!(&saved.origin,
                Origin::McpServer { server_url } if *server_url == request.server_url);
            if flown.logged_in && saved_here {
                out.info(&format!("mcp-auth: logged in; saved as '{}'", saved.name));
            }
            Ok(saved.name)
        })
    }
}

/// A shared credential logged in again from another server than the one it
/// was first saved for now names this server as its own: the first server
/// keeps finding it, as one that shares it (same issuer, same resource).
async fn keep_sharing(store: &Credentials, previous: Option<Credential>, saved: &Credential) {
    let Some(prev) = previous else { return };
    let (
        Origin::McpServer { server_url: was },
        Origin::McpServer {
            server_url: now_for,
        },
    ) = (&prev.origin, &saved.origin)
    else {
        return;
    };
    if was == now_for || prev.issuer != saved.issuer || prev.resource != saved.resource {
        return;
    }
    let (store, was, saved) = (store.clone(), was.clone(), saved.clone());
    let shared = blocking(move || store.share_server(&was, &saved, now())).await;
    if let Err(e) = shared {
        tracing::warn!(error = %e, "cannot record the server that shares this credential");
    }
}

pub fn login_hook(ctx: &Context, client: &ClientArgs) -> Result<Option<Arc<dyn LoginHook>>> {
    Ok(Some(Arc::new(BridgeLogin {
        creds: ctx.credentials()?,
        paths: ctx.paths.clone(),
        options: mcp_options(ctx, client)?,
        grant: {
            // Read whatever the grant: a key file that cannot be read stops
            // the bridge at its start.
            let key = private_key(client)?;
            grant(client.grant, || Ok(key))?
        },
    })))
}

/// Parses `--header 'Name: value'` arguments. The name is split off the
/// raw argument first; only then are `${VAR}` (from `env`) and
/// `{secret:NAME}` (from `secret`, the store opened on first use) expanded,
/// in one pass over the value alone, so an expanded value is never read
/// again (a variable holding `{secret:x}` stays text) and can never become
/// part of a header's name. Values are marked sensitive; errors name the
/// header, the variable or the secret, never a value: stderr goes to MCP
/// hosts' log files.
pub fn parse_headers(
    raw: &[String],
    env: impl Fn(&str) -> Option<String>,
    mut secret: impl FnMut(&str) -> Result<Secret>,
) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (i, h) in raw.iter().enumerate() {
        let Some((name, value)) = h.split_once(':') else {
            // What could be a name, and no further: the rest may be a key
            // written with the wrong separator (`X-Api-Key=abc`).
            let shown: String = h
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            return Err(Error::Usage(format!(
                "--header number {} ({shown:?}…) is not of the form 'Name: value'",
                i + 1
            )));
        };
        let name = name.trim();
        let header = HeaderName::try_from(name).map_err(|_| {
            Error::Usage(format!(
                "--header: {:?} is not a valid header name",
                crate::text::printable(name, 100)
            ))
        })?;
        let value = expand_value(value.trim(), &env, &mut secret).map_err(|e| match e {
            Unexpanded::Var(var) => Error::Usage(format!(
                "--header {name}: the environment variable {var} is not set"
            )),
            Unexpanded::Unclosed => Error::Usage(format!(
                "--header {name}: `{{secret:` without a closing `}}`"
            )),
            Unexpanded::Secret(e) => e,
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

/// Why a header value could not be expanded.
enum Unexpanded {
    Var(String),
    Unclosed,
    Secret(Error),
}

/// Expands `${VAR}` and `{secret:NAME}` in one left-to-right pass; what an
/// expansion yields is copied, never scanned again. Text without either
/// (`$5`, `$HOME`, an unclosed `${`) is left as it is.
fn expand_value(
    text: &str,
    env: impl Fn(&str) -> Option<String>,
    mut secret: impl FnMut(&str) -> Result<Secret>,
) -> Result<String, Unexpanded> {
    const SECRET: &str = "{secret:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let var_at = rest.find("${");
        let secret_at = rest.find(SECRET);
        let (start, is_secret) = match (var_at, secret_at) {
            (Some(v), Some(s)) if s < v => (s, true),
            (Some(v), _) => (v, false),
            (None, Some(s)) => (s, true),
            (None, None) => break,
        };
        out.push_str(&rest[..start]);
        let after = &rest[start + if is_secret { SECRET.len() } else { 2 }..];
        let Some(end) = after.find('}') else {
            if is_secret {
                return Err(Unexpanded::Unclosed);
            }
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let key = &after[..end];
        if is_secret {
            out.push_str(secret(key).map_err(Unexpanded::Secret)?.expose());
        } else {
            match env(key) {
                Some(v) => out.push_str(&v),
                None => return Err(Unexpanded::Var(key.to_string())),
            }
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

    fn secret(name: &str) -> Result<Secret> {
        match name {
            "k1" => Ok(Secret::new("v4lue-of-k1".to_string())),
            "evil" => Ok(Secret::new("${KEY}".to_string())),
            _ => Err(Error::SecretNotFound(name.into())),
        }
    }

    fn expand(text: &str) -> Result<String, String> {
        expand_value(text, env, secret).map_err(|e| match e {
            Unexpanded::Var(v) => format!("var {v}"),
            Unexpanded::Unclosed => "unclosed".into(),
            Unexpanded::Secret(e) => e.to_string(),
        })
    }

    #[test]
    fn variables_and_secrets_expand_once_and_missing_ones_are_named() {
        assert_eq!(expand("Bearer ${KEY}").unwrap(), "Bearer s3cret");
        assert_eq!(expand("${KEY}-${KEY}").unwrap(), "s3cret-s3cret");
        assert_eq!(expand("a${EMPTY}b").unwrap(), "ab");
        assert_eq!(expand("$KEY $5 ${unclosed").unwrap(), "$KEY $5 ${unclosed");
        assert_eq!(expand("${NOPE}").unwrap_err(), "var NOPE");
        assert_eq!(
            expand("k={secret:k1};v=${KEY}").unwrap(),
            "k=v4lue-of-k1;v=s3cret"
        );
        // What a secret holds is not expanded again.
        assert_eq!(expand("{secret:evil}").unwrap(), "${KEY}");
        assert_eq!(expand("{secret:k1").unwrap_err(), "unclosed");
        assert!(expand("{secret:none}").unwrap_err().contains("none"));
    }

    #[test]
    fn a_malformed_header_never_shows_a_secret_or_a_value() {
        // The separator is wrong: nothing is expanded, and the message
        // shows neither the secret nor what stood after the name.
        let mut asked = false;
        let e = parse_headers(&["X-Api-Key={secret:k1}".into()], env, |n| {
            asked = true;
            secret(n)
        })
        .unwrap_err();
        assert!(!asked, "a secret was read for a header that is not one");
        let text = e.to_string();
        assert!(
            !text.contains("v4lue") && !text.contains("secret:k1"),
            "{text}"
        );
        assert!(text.contains("X-Api-Key"), "{text}");
        let e = parse_headers(&["X-Api-Key=abc123".into()], env, secret).unwrap_err();
        assert!(!e.to_string().contains("abc123"), "{e}");
        // A secret never becomes part of a name.
        let h = parse_headers(&["X-K: {secret:k1}".into()], env, secret).unwrap();
        assert_eq!(h["x-k"], "v4lue-of-k1");
        let e = parse_headers(&["X-K: a{secret:k1}\u{7}".into()], env, secret).unwrap_err();
        assert!(!e.to_string().contains("v4lue"), "{e}");
    }

    #[test]
    fn headers_parse_and_errors_never_show_values() {
        let h = parse_headers(
            &["X-Api-Key: ${KEY}".into(), "X-Two:  b ".into()],
            env,
            secret,
        )
        .unwrap();
        assert_eq!(h["x-api-key"], "s3cret");
        assert!(h["x-api-key"].is_sensitive());
        assert_eq!(h["x-two"], "b");
        let e = parse_headers(&["X-Api-Key: ${NOPE}".into()], env, secret).unwrap_err();
        assert!(e.to_string().contains("NOPE"), "{e}");
        let e = parse_headers(&["no colon s3cret".into()], env, secret).unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e = parse_headers(&["Bad Name: x".into()], env, secret).unwrap_err();
        assert!(e.to_string().contains("Bad Name"), "{e}");
        let e = parse_headers(&["X: a\u{7}b".into()], env, secret).unwrap_err();
        assert!(!e.to_string().contains("a\u{7}b"), "{e}");
    }
}
