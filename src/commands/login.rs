//! `mcp-auth login`: authorization code + PKCE over a loopback redirect,
//! then the credential is saved (secrets in the secret store, metadata in
//! the database) with the user's identity.

use std::future::Future;

use crate::cli::LoginArgs;
use crate::commands::Context;
use crate::config::parse_duration;
use crate::credentials::{blocking, validate_name};
use crate::error::{Error, Result};
use crate::model::{
    AuthMethod, Credential, EventKind, GrantKind, Origin, Secret, Status, TokenSet, now, relative,
};
use crate::oauth::authorize::{self, AuthParams};
use crate::oauth::identity::{self, Identity};
use crate::oauth::loopback::{Expect, Loopback};
use crate::oauth::{ClientAuth, Extras, Tokens, browser, token};
use crate::providers::{self, Overrides, Provider, SecretSource};

pub async fn run(ctx: &Context, args: &LoginArgs) -> Result<()> {
    if args.target.contains("://") {
        return Err(Error::Usage(format!(
            "{} looks like an MCP server URL; MCP server login is not available in this build",
            args.target
        )));
    }
    let provider = providers::resolve(
        &args.target,
        &ctx.config,
        &Overrides {
            client_id: args.client_id.clone(),
            client_secret_env: args.client_secret_env.clone(),
            scopes: args.scopes.clone(),
            domain: args.domain.clone(),
            tenant: args.tenant.clone(),
        },
    )?;
    let name = args.name.clone().unwrap_or_else(|| provider.name.clone());
    validate_name(&name)?;
    let client_id = provider.client_id.clone().ok_or_else(|| {
        let how = provider
            .register_hint
            .map(|h| format!("{h}; then "))
            .unwrap_or_default();
        Error::Usage(format!(
            "{} needs an OAuth client id: {how}pass --client-id ID or set client_id under \
             [providers.{}] in {}",
            provider.name,
            provider.name,
            ctx.paths.config_file().display()
        ))
    })?;
    let client_secret = client_secret(ctx, &provider)?;
    let auth = ClientAuth {
        client_id,
        method: if client_secret.is_some() {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::None
        },
        client_secret,
    };
    let timeout = match &args.timeout {
        Some(t) => parse_duration(t).map_err(|e| Error::Usage(format!("--timeout {t:?}: {e}")))?,
        None => ctx.config.login_timeout,
    };
    // Check storage before the browser: a locked keyring should fail now,
    // not after the person has logged in.
    let store = ctx.store()?.clone();
    blocking(move || store.check_writable()).await?;

    let listener = Loopback::bind(args.port.or(provider.redirect_port)).await?;
    let redirect_uri = listener.redirect_uri();
    let extra_params: Vec<(String, String)> = provider
        .extra_params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let request = authorize::build(&AuthParams {
        authorize_url: &provider.authorize_url,
        client_id: &auth.client_id,
        redirect_uri: &redirect_uri,
        scopes: &provider.scopes,
        resource: None,
        extra_params: &extra_params,
    })?;
    let title = provider_title(&provider);
    show_login_url(ctx, &title, request.url.as_str(), args.no_browser);

    let expect = Expect {
        state: request.state.clone(),
        issuer: provider.issuer.clone(),
        iss_required: false,
    };
    let spinner = ctx
        .out
        .spinner("Waiting for the browser to come back (Ctrl-C to cancel)");
    let callback = interruptible(listener.wait(expect, timeout)).await?;
    spinner.set_message("Exchanging the code for tokens");
    let tokens = interruptible(token::exchange_code(
        &provider.token_url,
        &auth,
        &callback.code,
        request.verifier,
        &redirect_uri,
        &Extras::default(),
        now(),
    ))
    .await?;
    spinner.set_message("Looking up who you are");
    let who = identify(&tokens, provider.userinfo_url.as_deref()).await;
    spinner.finish();

    let saved = save(
        ctx,
        NewCredential {
            name,
            origin: Origin::Provider {
                provider: provider.name.clone(),
            },
            issuer: provider.issuer.clone(),
            resource: None,
            token_url: provider.token_url.clone(),
            revocation_url: provider.revocation_url.clone(),
            auth,
            grant: GrantKind::AuthorizationCode,
            requested_scopes: provider.scopes.clone(),
            identity: who,
            tokens,
        },
    )
    .await?;
    report(ctx, &title, &saved, args.json)
}

fn provider_title(p: &Provider) -> String {
    p.template
        .as_deref()
        .and_then(providers::template)
        .filter(|t| t.name == p.name)
        .map(|t| t.title.to_string())
        .unwrap_or_else(|| p.name.clone())
}

/// Prints the URL (always) and opens the browser (unless asked not to).
pub fn show_login_url(ctx: &Context, title: &str, url: &str, no_browser: bool) {
    ctx.out
        .info(&format!("Open this URL to log in to {title}:\n\n  {url}\n"));
    if no_browser {
        return;
    }
    let configured = ctx.config.browser.as_deref();
    if configured.is_none() && browser::no_display() {
        ctx.out.info(
            "No display found, so no browser was opened: open the URL on any machine whose \
             browser can reach this one's 127.0.0.1 (e.g. through `ssh -L`).",
        );
        return;
    }
    if let Err(e) = browser::open(url, configured) {
        ctx.out.warn(&format!("{e}; open the URL above yourself"));
    }
}

/// Waits for `fut` unless the person presses Ctrl-C.
pub async fn interruptible<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        r = fut => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    }
}

/// The client secret from where the provider's config says, never argv.
fn client_secret(ctx: &Context, p: &Provider) -> Result<Option<Secret>> {
    match &p.client_secret_source {
        None => Ok(None),
        Some(SecretSource::Env(var)) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
            _ => Err(Error::Usage(format!(
                "the client secret should come from ${var}, which is not set"
            ))),
        },
        Some(SecretSource::Config) => Ok(ctx
            .config
            .providers
            .get(&p.name)
            .and_then(|c| c.client_secret.clone())
            .map(Secret::new)),
    }
}

/// The user behind the tokens: ID token claims first, the user endpoint
/// for whatever they lack.
pub async fn identify(tokens: &Tokens, userinfo_url: Option<&str>) -> Identity {
    let from_id = tokens
        .id_token
        .as_ref()
        .map(identity::from_id_token)
        .unwrap_or_default();
    if from_id.username.is_some() && from_id.email.is_some() {
        return from_id;
    }
    match userinfo_url {
        Some(url) => from_id.or(identity::from_userinfo(url, &tokens.access_token).await),
        None => from_id,
    }
}

/// Everything a finished login knows.
pub struct NewCredential {
    pub name: String,
    pub origin: Origin,
    pub issuer: Option<String>,
    pub resource: Option<String>,
    pub token_url: String,
    pub revocation_url: Option<String>,
    pub auth: ClientAuth,
    pub grant: GrantKind,
    pub requested_scopes: Vec<String>,
    pub identity: Identity,
    pub tokens: Tokens,
}

/// Saves a login: the token set in the secret store, then the row; an
/// earlier credential of the same name is replaced.
pub async fn save(ctx: &Context, n: NewCredential) -> Result<Credential> {
    let store = ctx.store()?.clone();
    blocking(move || {
        let at = now();
        let previous = store.db().get(&n.name)?;
        let generation = previous.as_ref().map(|p| p.generation + 1).unwrap_or(1);
        let cred = Credential {
            name: n.name.clone(),
            origin: n.origin,
            issuer: n.issuer,
            resource: n.resource,
            token_url: n.token_url,
            revocation_url: n.revocation_url,
            client_id: n.auth.client_id.clone(),
            auth_method: n.auth.method,
            grant: n.grant,
            subject: n.identity.subject,
            username: n.identity.username,
            email: n.identity.email,
            scopes: n.tokens.scopes.clone().unwrap_or(n.requested_scopes),
            has_refresh_token: n.tokens.refresh_token.is_some(),
            created_at: at,
            last_used_at: previous.as_ref().and_then(|p| p.last_used_at),
            last_refreshed_at: None,
            access_expires_at: n.tokens.access_expires_at,
            refresh_expires_at: n.tokens.refresh_expires_at,
            status: Status::Active,
            status_changed_at: at,
            last_error: None,
            generation,
        };
        let set = TokenSet {
            generation,
            access_token: n.tokens.access_token,
            refresh_token: n.tokens.refresh_token,
            id_token: n.tokens.id_token,
            client_secret: n.auth.client_secret,
            access_expires_at: n.tokens.access_expires_at,
        };
        store.save_login(&cred, &set)?;
        let detail = format!("{} via {}", cred.origin.label(), cred.grant.as_str());
        store
            .db()
            .add_event(Some(&cred.name), EventKind::Login, Some(&detail), at)?;
        // Read back: the row keeps the first creation time on a re-login.
        store
            .db()
            .get(&cred.name)?
            .ok_or_else(|| Error::CredentialNotFound(cred.name.clone()))
    })
    .await
}

pub fn report(ctx: &Context, title: &str, c: &Credential, json: bool) -> Result<()> {
    if json {
        return ctx
            .out
            .json(&crate::commands::tokens::CredentialView::of(c, now()));
    }
    let who = c
        .username
        .as_deref()
        .or(c.email.as_deref())
        .map(|u| format!(" as {u}"))
        .unwrap_or_default();
    let expiry = match c.access_expires_at {
        Some(t) => format!("; token expires {}", relative(t, now())),
        None => String::new(),
    };
    let refresh = if c.has_refresh_token {
        ", renewable"
    } else {
        ""
    };
    let scopes = if c.scopes.is_empty() {
        String::new()
    } else {
        format!(" (scopes: {})", c.scopes.join(" "))
    };
    ctx.out.info(&format!(
        "Logged in to {title}{who}. Saved as '{}'{scopes}{expiry}{refresh}.",
        c.name
    ));
    Ok(())
}
