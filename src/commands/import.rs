//! `mcp-auth tokens import NAME --provider P | --url URL`: a token obtained
//! elsewhere (a personal access token, another tool's login), read from
//! stdin so it never shows in argv or shell history, saved like a login.

use serde::Deserialize;

use crate::cli::ImportArgs;
use crate::commands::Context;
use crate::commands::login::{check_secret_store, client_secret, report};
use crate::commands::secrets::{parse_expiry, read_value};
use crate::credentials::{NewCredential, validate_name};
use crate::error::{Error, Result};
use crate::model::{AuthMethod, GrantKind, Origin, Secret, Timestamp, now};
use crate::oauth::{ClientAuth, Tokens, identity};
use crate::providers::{self, Overrides, Revocation};

/// The JSON form of the input: the fields of a token response (RFC 6749
/// §5.1), plus `expires_at` as other tools export it.
#[derive(Deserialize)]
struct Input {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    expires_at: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
}

/// The token, refresh token and expiry of the input, which is the bare
/// token or a JSON object.
#[derive(Debug)]
struct Parsed {
    access: Secret,
    refresh: Option<Secret>,
    expires_at: Option<Timestamp>,
    scopes: Option<Vec<String>>,
}

fn parse(raw: &Secret, at: Timestamp) -> Result<Parsed> {
    let text = raw.expose().trim();
    if text.starts_with('{') {
        // The serde error could quote the input: say only where it failed.
        let input: Input = serde_json::from_str(text).map_err(|e| {
            Error::Usage(format!(
                "stdin is JSON but not a token response (line {}, column {}): it needs \
                 \"access_token\", and may have \"refresh_token\", \"expires_in\" or \
                 \"expires_at\"",
                e.line(),
                e.column()
            ))
        })?;
        let expires_at = match (&input.expires_in, &input.expires_at) {
            (Some(v), _) => Some(at + seconds(v, "expires_in")?),
            (None, Some(serde_json::Value::Number(n))) => n.as_i64(),
            (None, Some(serde_json::Value::String(s))) => Some(parse_expiry(s, at)?),
            (None, Some(_)) => {
                return Err(Error::Usage(
                    "\"expires_at\" must be an RFC 3339 time or Unix seconds".into(),
                ));
            }
            (None, None) => None,
        };
        return Ok(Parsed {
            access: Secret::new(input.access_token),
            refresh: input
                .refresh_token
                .filter(|r| !r.is_empty())
                .map(Secret::new),
            expires_at,
            scopes: input.scope.map(|s| {
                s.split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
        });
    }
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(Error::Usage(
            "stdin must hold the token alone (one line), or a JSON token response".into(),
        ));
    }
    Ok(Parsed {
        access: Secret::new(text.to_string()),
        refresh: None,
        expires_at: None,
        scopes: None,
    })
}

fn seconds(v: &serde_json::Value, what: &str) -> Result<i64> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.filter(|n| *n >= 0)
        .ok_or_else(|| Error::Usage(format!("\"{what}\" must be a number of seconds")))
}

pub async fn run(ctx: &Context, args: &ImportArgs) -> Result<()> {
    validate_name(&args.name)?;
    let at = now();
    let mut parsed = parse(&read_value()?, at)?;
    if let Some(e) = &args.expires {
        parsed.expires_at = Some(parse_expiry(e, at)?);
    }
    if !args.scopes.is_empty() {
        parsed.scopes = Some(providers::split_scopes(&args.scopes));
    }
    let tokens = Tokens {
        access_token: parsed.access,
        refresh_token: parsed.refresh,
        id_token: None,
        access_expires_at: parsed.expires_at,
        refresh_expires_at: None,
        scopes: parsed.scopes,
        token_type: "bearer".into(),
    };
    let t = &args.template;
    let new = match (&args.provider, &args.url) {
        (Some(name), None) => {
            let p = providers::resolve(
                name,
                &ctx.config,
                &Overrides {
                    client_id: args.client_id.clone(),
                    domain: t.domain.clone(),
                    tenant: t.tenant.clone(),
                    auth_server: t.auth_server.clone(),
                    audience: t.audience.clone(),
                    ..Overrides::default()
                },
            )?;
            if tokens.refresh_token.is_some() && p.client_id.is_none() {
                return Err(Error::Usage(format!(
                    "a refresh token is used with the client it was issued to: pass --client-id \
                     ID (or set client_id under [providers.{name}])"
                )));
            }
            let secret = client_secret(ctx, &p)?;
            let auth = ClientAuth {
                client_id: p.client_id.clone().unwrap_or_default(),
                method: if secret.is_some() {
                    AuthMethod::ClientSecretPost
                } else {
                    AuthMethod::None
                },
                client_secret: secret,
                assertion: None,
                dpop: None,
            };
            // A token from elsewhere (a GitHub personal access token) is
            // not the app's: revoking through the app cannot work.
            let revocation_url = p
                .revocation_url
                .clone()
                .filter(|_| p.revocation != Revocation::GitHubAppToken && p.client_id.is_some());
            let who = identity::identify(&tokens, p.userinfo_url.as_deref()).await;
            NewCredential {
                name: args.name.clone(),
                origin: Origin::Provider {
                    provider: p.name.clone(),
                },
                issuer: p.issuer.clone(),
                resource: None,
                token_url: p.token_url.clone(),
                revocation_url,
                auth,
                grant: GrantKind::Imported,
                requested_scopes: Vec::new(),
                identity: who,
                tokens,
                token_params: Vec::new(),
                idp: None,
                assertion_file: None,
                allowed_origins: p.api_origins.clone(),
            }
        }
        (None, Some(url)) => {
            if t.domain.is_some()
                || t.tenant.is_some()
                || t.auth_server.is_some()
                || t.audience.is_some()
            {
                return Err(Error::Usage(
                    "template parameters apply to --provider, not --url".into(),
                ));
            }
            if tokens.refresh_token.is_some() {
                return Err(Error::Usage(
                    "a refresh token can be imported only with --provider (its token endpoint and \
                     client); for an MCP server import the access token alone, or log in with \
                     `mcp-auth login URL`"
                        .into(),
                ));
            }
            let server_url = crate::mcp::canonical_server_url(url)?;
            NewCredential {
                name: args.name.clone(),
                origin: Origin::McpServer {
                    server_url: server_url.clone(),
                },
                issuer: None,
                resource: Some(server_url),
                token_url: String::new(),
                revocation_url: None,
                auth: ClientAuth::public(args.client_id.clone().unwrap_or_default()),
                grant: GrantKind::Imported,
                requested_scopes: Vec::new(),
                identity: identity::Identity::default(),
                tokens,
                token_params: Vec::new(),
                idp: None,
                assertion_file: None,
                allowed_origins: Vec::new(),
            }
        }
        _ => {
            return Err(Error::Usage(
                "give either --provider PROVIDER or --url URL".into(),
            ));
        }
    };
    check_secret_store(ctx).await?;
    let title = new.origin.label().to_string();
    let saved = ctx.credentials()?.save_login(new).await?;
    if args.json {
        return report(ctx, &title, &saved, true);
    }
    ctx.out.info(&format!(
        "Imported '{}' for {title}{}{}.",
        saved.name,
        saved
            .username
            .as_deref()
            .map(|u| format!(" (user {u})"))
            .unwrap_or_default(),
        match saved.access_expires_at {
            Some(t) => format!("; expires {}", crate::model::relative(t, now())),
            None => "; it does not expire".into(),
        }
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_tokens_and_token_responses() {
        let p = parse(&Secret::new("ghp_abc\n"), 100).unwrap();
        assert_eq!(p.access.expose(), "ghp_abc");
        assert!(p.refresh.is_none() && p.expires_at.is_none());
        let p = parse(
            &Secret::new(
                r#"{"access_token":"a","refresh_token":"r","expires_in":"60","scope":"x,y"}"#,
            ),
            100,
        )
        .unwrap();
        assert_eq!(p.expires_at, Some(160));
        assert_eq!(p.refresh.unwrap().expose(), "r");
        assert_eq!(p.scopes.unwrap(), vec!["x", "y"]);
        let p = parse(
            &Secret::new(r#"{"access_token":"a","expires_at":2000}"#),
            100,
        )
        .unwrap();
        assert_eq!(p.expires_at, Some(2000));
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        let e = parse(&Secret::new("two words-SECRET"), 0).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        let e = parse(&Secret::new(r#"{"token":"SECRET"}"#), 0).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }
}
