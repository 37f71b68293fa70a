//! A login at a provider template (`mcp-auth login github`): the device
//! or authorization code flow for a person, the client credentials grant
//! for a machine, then who logged in and what is saved. The command
//! resolves the provider and its client, refuses what cannot work, holds
//! the login flight and prints; this runs the flow.

use std::time::Duration;

use crate::credentials::{Credentials, NewCredential};
use crate::error::{Error, Result};
use crate::model::{Credential, GrantKind, Origin, now};
use crate::oauth::device::{self, DeviceGrant};
use crate::oauth::flow::{self, CodeFlow, Presenter};
use crate::oauth::loopback::Loopback;
use crate::oauth::{ClientAuth, Extras, Tokens, identity, token};
use crate::output::Printer;
use crate::providers::Provider;

/// What a person's login at a provider needs, settled by the command.
pub struct PersonLogin<'a> {
    pub provider: &'a Provider,
    pub auth: &'a ClientAuth,
    /// The device authorization grant instead of a browser redirect.
    pub device: bool,
    /// Paste the redirect back instead of a loopback listener.
    pub paste: bool,
    pub timeout: Duration,
}

/// Runs the device or authorization code flow and returns the tokens and
/// the grant that got them. The outer error is the set-up's (no device
/// endpoint, no loopback port); the inner one is the flow's, which the
/// command explains (and learns from) before it reports it.
pub async fn person_tokens(
    presenter: &Presenter<'_>,
    login: &PersonLogin<'_>,
) -> Result<Result<(Tokens, GrantKind)>> {
    let (provider, auth) = (login.provider, login.auth);
    let out = presenter.out;
    let timeout = login.timeout;
    let params: Vec<(String, String)> = provider
        .extra_params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if login.device {
        let device_url = provider
            .device_authorization_url
            .as_deref()
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} has no device authorization endpoint; set device_authorization_url under \
                     [providers.{}], or log in with --paste",
                    provider.name, provider.name
                ))
            })?;
        let waiting = std::sync::Mutex::new(None);
        let tokens = flow::interruptible(device::device(
            &DeviceGrant {
                device_url,
                token_url: &provider.token_url,
                auth,
                scopes: &provider.scopes,
                resource: None,
                extra_params: &params,
                timeout: Some(timeout),
            },
            |p| {
                presenter.present_device(p);
                let spinner =
                    out.spinner("Waiting for the login to be approved (Ctrl-C to cancel)");
                *waiting.lock().unwrap_or_else(|p| p.into_inner()) = Some(spinner);
            },
        ))
        .await;
        if let Some(s) = waiting.lock().unwrap_or_else(|p| p.into_inner()).take() {
            s.finish();
        }
        if let Ok(tokens) = &tokens {
            flow::log_tokens(tokens);
        }
        Ok(tokens.map(|t| (t, GrantKind::DeviceCode)))
    } else {
        let listener = Loopback::bind(provider.redirect_port)
            .await?
            .naming(provider.redirect_host());
        let authorize_params: Vec<(String, String)> = params
            .iter()
            .cloned()
            .chain(provider.authorize_params.clone())
            .collect();
        let tokens = flow::authorization_code(
            listener,
            &CodeFlow {
                authorize_url: &provider.authorize_url,
                token_url: &provider.token_url,
                auth,
                scopes: &provider.scopes,
                resource: None,
                extra_params: &authorize_params,
                issuer: provider.issuer.as_deref(),
                iss_required: false,
                timeout,
                paste: login.paste,
            },
            presenter,
        )
        .await;
        Ok(tokens.map(|t| (t, GrantKind::AuthorizationCode)))
    }
}

/// Saves a person's login: who it is (from the tokens or the userinfo
/// endpoint), and the scopes again on every refresh for a provider that
/// wants them.
pub async fn save_person(
    creds: &Credentials,
    provider: &Provider,
    name: String,
    auth: ClientAuth,
    grant: GrantKind,
    tokens: Tokens,
) -> Result<Credential> {
    let who = identity::identify(&tokens, provider.userinfo_url.as_deref()).await;
    tracing::debug!(credential = %name, "saving the credential");
    // A provider that wants the scopes again on a refresh gets the ones
    // granted (or asked for) with every refresh.
    let token_params = if provider.scope_on_refresh {
        let granted = tokens
            .scopes
            .clone()
            .unwrap_or_else(|| provider.scopes.clone());
        vec![("scope".to_string(), granted.join(" "))]
    } else {
        Vec::new()
    };
    creds
        .save_login(provider_credential(
            provider,
            name,
            auth,
            grant,
            who,
            tokens,
            token_params,
        ))
        .await
}

/// A provider's client credentials grant: no browser, a token for the
/// machine itself (named by its client id), re-minted on expiry.
pub async fn machine(
    creds: &Credentials,
    out: &Printer,
    provider: &Provider,
    name: String,
    client_id: String,
    auth: ClientAuth,
) -> Result<Credential> {
    // Provider extras (Auth0's audience, say) belong on every token request.
    let params: Vec<(String, String)> = provider
        .extra_params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tracing::debug!(
        provider = %provider.name,
        token_endpoint = %provider.token_url,
        client_id = %auth.client_id,
        method = %auth.method.as_str(),
        "requesting a token with the client credentials grant"
    );
    let spinner = out.spinner("Requesting a token");
    let tokens = token::client_credentials(
        &provider.token_url,
        &auth,
        &provider.scopes,
        &Extras {
            resource: None,
            params: params.clone(),
        },
        now(),
    )
    .await?;
    spinner.finish();
    creds
        .save_login(provider_credential(
            provider,
            name,
            auth,
            GrantKind::ClientCredentials,
            identity::Identity {
                username: Some(client_id),
                ..Default::default()
            },
            tokens,
            params,
        ))
        .await
}

/// What a provider login saves.
fn provider_credential(
    provider: &Provider,
    name: String,
    auth: ClientAuth,
    grant: GrantKind,
    identity: identity::Identity,
    tokens: Tokens,
    token_params: Vec<(String, String)>,
) -> NewCredential {
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
        grant,
        requested_scopes: provider.scopes.clone(),
        identity,
        tokens,
        token_params,
        idp: None,
        assertion_file: None,
        allowed_origins: provider.api_origins.clone(),
    }
}
