//! `mcp-auth login`: a provider (authorization code + PKCE over a loopback
//! redirect) or an MCP server (discovery, client registration, then the same
//! flow), saved with the user's identity.

use crate::cli::{ClientArgs, GrantArg, LoginArgs};
use crate::commands::Context;
use crate::config::parse_duration;
use crate::credentials::validate_name;
use crate::error::{Error, Result};
use crate::mcp::auth::login::{self as mcp_login, AssertionSource, LoginOptions};
use crate::model::{AuthMethod, Credential, IdpExchange, Secret, now, relative};
use crate::oauth::ClientAuth;
use crate::oauth::flow::Presenter;
use crate::provider_login;
use crate::providers::{self, Overrides, Provider, SecretSource};
use crate::task::blocking;

pub async fn run(ctx: &Context, args: &LoginArgs) -> Result<()> {
    if args.target.contains("://") {
        return mcp_server(ctx, args).await;
    }
    if args.client.client_metadata_url.is_some() {
        return Err(Error::Usage(
            "--client-metadata-url applies to MCP servers, not provider templates".into(),
        ));
    }
    let provider = resolve(ctx, &args.target, args)?;
    login_provider(ctx, args, provider).await
}

/// The provider a login (or a step-up of a provider credential) uses; an
/// unknown name that looks like a host gets the URL it probably meant.
pub fn resolve(ctx: &Context, target: &str, args: &LoginArgs) -> Result<Provider> {
    providers::resolve(
        target,
        &ctx.config,
        &Overrides {
            client_id: args.client.client_id.clone(),
            client_secret_env: args.client.client_secret_env.clone(),
            scopes: args.client.scopes.clone(),
            redirect_port: args.port,
            ..super::template_overrides(&args.template)
        },
    )
    .map_err(|e| match e {
        Error::UnknownProvider(name) if looks_like_host(&name) => Error::Usage(format!(
            "'{name}' is neither a provider nor a URL; for an MCP server give its URL: \
             `mcp-auth login https://{name}`"
        )),
        other => other,
    })
}

/// `mcp.example.com` or `localhost:3000`: a host someone meant as a URL.
fn looks_like_host(s: &str) -> bool {
    (s.contains('.') || s.contains(':'))
        && url::Url::parse(&format!("https://{s}")).is_ok_and(|u| u.host_str().is_some())
}

/// Logs in to a resolved provider and saves the credential, one login of
/// that credential at a time across processes ([`crate::login_flight`]): a
/// second terminal's login waits for the first, then runs (and replaces
/// what it saved); `mcp-auth token NAME` waits for it and prints its token.
pub async fn login_provider(ctx: &Context, args: &LoginArgs, provider: Provider) -> Result<()> {
    let name = args.name.clone().unwrap_or_else(|| provider.name.clone());
    validate_name(&name)?;
    let out = ctx.out.clone();
    let mut notice = move |n: &str, h: Option<&crate::login_flight::Holder>| {
        out.info(&crate::login_flight::waiting_line(n, h));
    };
    let flight = crate::login_flight::LoginFlight::acquire(
        &ctx.paths,
        &name,
        "mcp-auth login",
        login_timeout(ctx, args)?,
        &mut notice,
    )
    .await?;
    let result = login_provider_as(ctx, args, provider, name.clone()).await;
    flight.finish(None, &result, |_| name.clone());
    result
}

async fn login_provider_as(
    ctx: &Context,
    args: &LoginArgs,
    provider: Provider,
    name: String,
) -> Result<()> {
    let client_id = provider.client_id.clone().ok_or_else(|| {
        let how = provider
            .register_hint()
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
    if args.client.grant == GrantArg::ClientCredentials {
        if args.device || args.paste {
            return Err(Error::Usage(
                "--device and --paste are for people; --grant client-credentials needs no login"
                    .into(),
            ));
        }
        return provider_machine(ctx, args, &provider, name, client_id, client_secret).await;
    }
    if args.client.private_key_file.is_some() {
        return Err(Error::Usage(
            "--private-key-file is for --grant client-credentials".into(),
        ));
    }
    // A login that cannot work stops here, before anyone opens a browser.
    check_can_work(&provider, args.device, client_secret.is_some())?;
    if let Some(why) = single_tenant::refused(ctx, &provider, &client_id) {
        return Err(Error::Usage(why));
    }
    let auth = ClientAuth {
        client_id,
        method: if client_secret.is_some() {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::None
        },
        client_secret,
        assertion: None,
        dpop: None,
    };
    let timeout = login_timeout(ctx, args)?;
    check_secret_store(ctx).await?;
    tracing::debug!(
        provider = %provider.name,
        authorization_endpoint = %provider.authorize_url,
        token_endpoint = %provider.token_url,
        device_endpoint = %provider.device_authorization_url.as_deref().unwrap_or("-"),
        client_id = %auth.client_id,
        client_secret = auth.client_secret.is_some(),
        scopes = %provider.scopes.join(" "),
        "logging in to a provider"
    );

    let title = provider_title(&provider);
    let presenter = presenter(ctx, &title, args.no_browser);
    let result = provider_login::person_tokens(
        &presenter,
        &provider_login::PersonLogin {
            provider: &provider,
            auth: &auth,
            device: args.device,
            paste: args.paste,
            timeout,
        },
    )
    .await?;
    let (tokens, grant) = result.map_err(|e| {
        single_tenant::learn(ctx, &provider, &auth.client_id, &e);
        explain(&provider, e, args.device)
    })?;
    // A device login without the secret works, but the provider refreshes
    // only with it (GitHub Apps): say so now, not in 8 hours.
    if provider.client_secret_required
        && auth.client_secret.is_none()
        && tokens.refresh_token.is_some()
    {
        ctx.out.warn(&format!(
            "{title} refreshes tokens only with the client secret, which was not given: this \
             credential will need a new login when its token expires; log in with \
             --client-secret-env VAR (or client_secret_env under [providers.{}]) to keep it \
             renewable",
            provider.name
        ));
    }
    let saved =
        provider_login::save_person(&ctx.credentials()?, &provider, name, auth, grant, tokens)
            .await?;
    report(ctx, &title, &saved, args.json)
}

/// Refuses a login the provider is documented to refuse, naming what to add.
fn check_can_work(p: &Provider, device: bool, have_secret: bool) -> Result<()> {
    let needs = if device {
        p.device_client_secret_required
    } else {
        p.client_secret_required
    };
    if !needs || have_secret {
        return Ok(());
    }
    let flow = if device {
        "device flow"
    } else {
        "browser login"
    };
    let alternative =
        if !device && !p.device_client_secret_required && p.device_authorization_url.is_some() {
            let need = p
                .registration
                .as_ref()
                .map(|r| format!(" ({})", r.device_flow))
                .unwrap_or_default();
            format!("; or log in with --device, which needs no secret{need}")
        } else {
            String::new()
        };
    Err(Error::Usage(format!(
        "{}'s {flow} needs the OAuth client's secret at the token endpoint, and none is \
         configured: put the secret in an environment variable and pass --client-secret-env VAR, \
         or set client_secret_env under [providers.{}] in config.toml{alternative}",
        provider_title(p),
        p.name
    )))
}

/// Microsoft answers AADSTS50194 when a single-tenant app logs in at a
/// multi-tenant authority (`common`, `organizations`, `consumers`). Once it
/// has said so for a client id, later logins of that client without a
/// tenant stop before the browser opens.
/// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
mod single_tenant {
    use super::{Context, Error, Provider};

    const FILE: &str = "single-tenant-clients";
    const SHARED: [&str; 3] = ["/common/", "/organizations/", "/consumers/"];

    fn at_shared_authority(p: &Provider) -> bool {
        p.template.as_deref() == Some("microsoft")
            && SHARED.iter().any(|t| p.authorize_url.contains(t))
    }

    fn known(ctx: &Context) -> Vec<String> {
        std::fs::read_to_string(ctx.paths.data_dir.join(FILE))
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    pub fn refused(ctx: &Context, p: &Provider, client_id: &str) -> Option<String> {
        (at_shared_authority(p) && known(ctx).iter().any(|c| c == client_id)).then(|| {
            format!(
                "Microsoft said app {client_id} is single-tenant (AADSTS50194), so it cannot log \
                 in at a shared authority like `common`: pass --tenant TENANT-ID (the Directory \
                 (tenant) ID of the app registration) or set tenant under [providers.{}]",
                p.name
            )
        })
    }

    /// Remembers the answer; failing to is no worse than not knowing.
    pub fn learn(ctx: &Context, p: &Provider, client_id: &str, e: &Error) {
        let said =
            matches!(e, Error::OAuth { description: Some(d), .. } if d.contains("AADSTS50194"));
        if !said || !at_shared_authority(p) || client_id.contains('\n') {
            return;
        }
        let mut ids = known(ctx);
        if ids.iter().any(|c| c == client_id) {
            return;
        }
        ids.push(client_id.to_string());
        let _ = crate::paths::ensure_private_dir(&ctx.paths.data_dir).and_then(|_| {
            crate::paths::write_private_file(
                &ctx.paths.data_dir.join(FILE),
                format!("{}\n", ids.join("\n")).as_bytes(),
            )
        });
    }
}

/// Adds what to do to the errors a provider documents by code.
fn explain(p: &Provider, e: Error, device: bool) -> Error {
    let Error::OAuth {
        context,
        error,
        description,
        retry_after,
    } = e
    else {
        return e;
    };
    let text = description.as_deref().unwrap_or_default();
    // https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
    let hint = if text.contains("AADSTS50194") {
        Some(format!(
            "the app is single-tenant, so `common` cannot be used: pass --tenant TENANT-ID (the \
             Directory (tenant) ID of the app registration) or set tenant under \
             [providers.{}]",
            p.name
        ))
    } else if text.contains("AADSTS50011") || error == "redirect_uri_mismatch" {
        Some(format!(
            "register the redirect URI {} exactly (see `mcp-auth providers show {}`)",
            p.redirect_uri, p.name
        ))
    } else if error == "incorrect_client_credentials" {
        Some(
            "the client secret is missing or wrong: check --client-secret-env / client_secret_env"
                .into(),
        )
    } else if error == "device_flow_disabled" {
        Some("enable Device Flow in the app's settings".into())
    } else if device && matches!(error.as_str(), "invalid_client" | "unauthorized_client") {
        // The client exists but may not use the device flow (Google's
        // Desktop clients, a grant type not ticked): say what it needs.
        p.registration
            .as_ref()
            .map(|r| format!("the device flow needs {}", r.device_flow))
    } else {
        None
    };
    Error::OAuth {
        context,
        error,
        description: match (description, hint) {
            (Some(d), Some(h)) => Some(format!("{d}; {h}")),
            (None, Some(h)) => Some(h),
            (d, None) => d,
        },
        retry_after,
    }
}

/// A provider's client credentials grant: no browser, a token for the
/// machine itself, re-minted on expiry.
async fn provider_machine(
    ctx: &Context,
    args: &LoginArgs,
    provider: &Provider,
    name: String,
    client_id: String,
    client_secret: Option<Secret>,
) -> Result<()> {
    let audience = provider
        .issuer
        .clone()
        .unwrap_or_else(|| provider.token_url.clone());
    let auth = ClientAuth::machine(
        &client_id,
        client_secret,
        private_key(&args.client)?,
        &audience,
        None,
    )?;
    check_secret_store(ctx).await?;
    let saved = provider_login::machine(
        &ctx.credentials()?,
        &ctx.out,
        provider,
        name,
        client_id,
        auth,
    )
    .await?;
    report(ctx, &provider_title(provider), &saved, args.json)
}

/// `--grant` as the login layer's [`Grant`](mcp_login::Grant);
/// `private_key` is asked for only by the client credentials grant.
pub fn grant(
    kind: GrantArg,
    private_key: impl FnOnce() -> Result<Option<(Secret, Option<String>)>>,
) -> Result<mcp_login::Grant> {
    Ok(match kind {
        GrantArg::AuthorizationCode => mcp_login::Grant::AuthorizationCode,
        GrantArg::ClientCredentials => mcp_login::Grant::ClientCredentials {
            private_key: private_key()?,
        },
        GrantArg::CrossApp => mcp_login::Grant::CrossApp,
        GrantArg::JwtBearer => mcp_login::Grant::JwtBearer,
    })
}

/// The PEM key of `--private-key-file` (and `--signing-alg`), if given.
pub fn private_key(client: &ClientArgs) -> Result<Option<(Secret, Option<String>)>> {
    let Some(path) = &client.private_key_file else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read the private key {}", path.display()), e))?;
    Ok(Some((Secret::new(pem), client.signing_alg.clone())))
}

/// `login URL`: MCP authorization discovery, client registration, login.
async fn mcp_server(ctx: &Context, args: &LoginArgs) -> Result<()> {
    if super::any_template_param(&args.template) {
        return Err(Error::Usage(
            "--domain, --tenant, --auth-server and --audience apply to provider templates, not \
             MCP server URLs"
                .into(),
        ));
    }
    let opts = LoginOptions {
        name: args.name.clone(),
        port: args.port,
        timeout: login_timeout(ctx, args)?,
        no_browser: args.no_browser,
        paste: args.paste,
        device: args.device,
        ..mcp_options(ctx, &args.client)?
    };
    check_secret_store(ctx).await?;
    let creds = ctx.credentials()?;
    if args.client.grant == GrantArg::AuthorizationCode && args.client.private_key_file.is_some() {
        return Err(Error::Usage(
            "--private-key-file is for --grant client-credentials".into(),
        ));
    }
    // One login per credential at a time: a bridge's login (or another
    // terminal's) for this credential runs to its end first, and this one
    // then replaces what it saved; bridges waiting for this login use it.
    let server = crate::mcp::canonical_server_url(&args.target)?;
    if let Some(n) = &args.name {
        validate_name(n)?;
    }
    let timeout = opts.timeout;
    let login = |name: String| {
        let opts = LoginOptions {
            name: Some(name),
            ..opts
        };
        let (creds, out, target) = (&creds, &ctx.out, &args.target);
        async move {
            let grant = grant(args.client.grant, || private_key(&args.client))?;
            mcp_login::login_with(creds, out, target, &grant, None, &opts).await
        }
    };
    let flight = mcp_login::Flight {
        paths: &ctx.paths,
        server: &server,
        name: args.name.as_deref(),
        who: "mcp-auth login",
        timeout,
        reuse: mcp_login::Reuse::Never,
    };
    let saved = mcp_login::single_flight(&creds, &ctx.out, flight, login)
        .await?
        .credential;
    let title = saved.origin.label().to_string();
    report(ctx, &title, &saved, args.json)
}

/// What `--client-id`, `--scope` and friends mean for an MCP server login,
/// with the config's defaults; shared with the bridge's login on first use.
pub fn mcp_options(ctx: &Context, client: &ClientArgs) -> Result<LoginOptions> {
    Ok(LoginOptions {
        name: None,
        client_id: client.client_id.clone(),
        client_secret: client
            .client_secret_env
            .as_deref()
            .map(secret_from_env)
            .transpose()?,
        client_metadata_url: client
            .client_metadata_url
            .clone()
            .or_else(|| ctx.config.client_metadata_url.clone()),
        scopes: providers::split_scopes(&client.scopes),
        port: None,
        timeout: ctx.config.login_timeout,
        browser: ctx.config.browser.clone(),
        no_browser: false,
        paste: false,
        device: false,
        idp: match client.grant {
            GrantArg::CrossApp => Some(IdpExchange {
                token_url: client.idp_token_url.clone().ok_or_else(|| {
                    Error::Usage("--grant cross-app needs --idp-token-url".into())
                })?,
                client_id: client.idp_client_id.clone().ok_or_else(|| {
                    Error::Usage("--grant cross-app needs --idp-client-id".into())
                })?,
                id_token: secret_from_env(client.id_token_env.as_deref().ok_or_else(|| {
                    Error::Usage("--grant cross-app needs --id-token-env".into())
                })?)?,
            }),
            _ => None,
        },
        assertion: match (&client.assertion_file, &client.assertion_env) {
            (Some(path), _) => Some(AssertionSource::File(
                // Absolute, so the daemon finds it from wherever it runs.
                std::path::absolute(path)
                    .map_err(|e| Error::io(format!("cannot resolve {}", path.display()), e))?,
            )),
            (None, Some(var)) => Some(AssertionSource::Env {
                var: var.clone(),
                token: secret_from_env(var)?,
            }),
            (None, None) => None,
        },
        share: None,
    })
}

pub fn login_timeout(ctx: &Context, args: &LoginArgs) -> Result<std::time::Duration> {
    match &args.timeout {
        Some(t) => parse_duration(t).map_err(|e| Error::Usage(format!("--timeout {t:?}: {e}"))),
        None => Ok(ctx.config.login_timeout),
    }
}

/// A locked keyring, a damaged secrets file, a read-only or locked
/// database or a full disk should fail now, not after the person has
/// logged in.
pub async fn check_secret_store(ctx: &Context) -> Result<()> {
    let store = ctx.credentials()?;
    blocking(move || {
        store.check_writable()?;
        store.check_can_store()
    })
    .await
}

pub fn presenter<'a>(ctx: &'a Context, title: &'a str, no_browser: bool) -> Presenter<'a> {
    Presenter {
        out: &ctx.out,
        title,
        browser: ctx.config.browser.as_deref(),
        no_browser,
    }
}

fn provider_title(p: &Provider) -> String {
    p.template
        .as_deref()
        .and_then(providers::template)
        .filter(|t| t.name == p.name)
        .map(|t| t.title.to_string())
        .unwrap_or_else(|| p.name.clone())
}

/// The client secret from where the provider's config says, never argv.
pub fn client_secret(ctx: &Context, p: &Provider) -> Result<Option<Secret>> {
    match &p.client_secret_source {
        None => Ok(None),
        Some(SecretSource::Env(var)) => secret_from_env(var).map(Some),
        Some(SecretSource::Config) => Ok(ctx
            .config
            .providers
            .get(&p.name)
            .and_then(|c| c.client_secret.clone())
            .map(Secret::new)),
    }
}

pub fn secret_from_env(var: &str) -> Result<Secret> {
    crate::secret_env::read(var)
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
    let refresh = if c.renewable() { ", renewable" } else { "" };
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
