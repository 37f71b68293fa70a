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
use crate::model::{AuthMethod, Credential, GrantKind, Origin, Secret, Timestamp, now};
use crate::oauth::{ClientAuth, Tokens, identity};
use crate::providers::{self, Overrides, Provider, Revocation};

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

/// What `tokens import` saves, settled from its flags before the token is
/// read.
pub struct Import {
    /// The name to save the credential under (checked).
    pub name: String,
    pub target: ImportTarget,
    /// `--client-id`: for a provider it is part of [`ImportTarget::Provider`].
    pub client_id: Option<String>,
    /// `--expires`, as given: it overrides an expiry in the input and is
    /// read against the moment of the import.
    pub expires: Option<String>,
    /// `--scope`, split; they override scopes in the input.
    pub scopes: Option<Vec<String>>,
}

/// Whom an imported token is for.
pub enum ImportTarget {
    /// A provider, resolved with the template parameters and client id.
    Provider(Box<Provider>),
    /// An MCP server, by its canonical URL.
    Server(String),
}

impl Import {
    pub fn from_args(ctx: &Context, args: &ImportArgs) -> Result<Import> {
        validate_name(&args.name)?;
        let t = &args.template;
        let target = match (&args.provider, &args.url) {
            (Some(name), None) => ImportTarget::Provider(Box::new(providers::resolve(
                name,
                &ctx.config,
                &Overrides {
                    client_id: args.client_id.clone(),
                    ..super::template_overrides(t)
                },
            )?)),
            (None, Some(url)) => {
                if super::any_template_param(t) {
                    return Err(Error::Usage(
                        "template parameters apply to --provider, not --url".into(),
                    ));
                }
                ImportTarget::Server(crate::mcp::canonical_server_url(url)?)
            }
            _ => {
                return Err(Error::Usage(
                    "give either --provider PROVIDER or --url URL".into(),
                ));
            }
        };
        Ok(Import {
            name: args.name.clone(),
            target,
            client_id: args.client_id.clone(),
            expires: args.expires.clone(),
            scopes: (!args.scopes.is_empty()).then(|| providers::split_scopes(&args.scopes)),
        })
    }
}

pub async fn run(ctx: &Context, import: &Import, json: bool) -> Result<()> {
    let saved = import_token(ctx, import, &read_value()?).await?;
    let title = saved.origin.label().to_string();
    if json {
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

/// Saves `raw` (the bare token or a JSON token response) as the import
/// says; returns the saved credential.
pub async fn import_token(ctx: &Context, import: &Import, raw: &Secret) -> Result<Credential> {
    let at = now();
    let mut parsed = parse(raw, at)?;
    if let Some(e) = &import.expires {
        parsed.expires_at = Some(parse_expiry(e, at)?);
    }
    if let Some(scopes) = &import.scopes {
        parsed.scopes = Some(scopes.clone());
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
    let new = match &import.target {
        ImportTarget::Provider(p) => {
            if tokens.refresh_token.is_some() && p.client_id.is_none() {
                return Err(Error::Usage(format!(
                    "a refresh token is used with the client it was issued to: pass --client-id \
                     ID (or set client_id under [providers.{}])",
                    p.name
                )));
            }
            let secret = client_secret(ctx, p)?;
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
                name: import.name.clone(),
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
        ImportTarget::Server(server_url) => {
            if tokens.refresh_token.is_some() {
                return Err(Error::Usage(
                    "a refresh token can be imported only with --provider (its token endpoint and \
                     client); for an MCP server import the access token alone, or log in with \
                     `mcp-auth login URL`"
                        .into(),
                ));
            }
            NewCredential {
                name: import.name.clone(),
                origin: Origin::McpServer {
                    server_url: server_url.clone(),
                },
                issuer: None,
                resource: Some(server_url.clone()),
                token_url: String::new(),
                revocation_url: None,
                auth: ClientAuth::public(import.client_id.clone().unwrap_or_default()),
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
    };
    check_secret_store(ctx).await?;
    ctx.credentials()?.save_login(new).await
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
