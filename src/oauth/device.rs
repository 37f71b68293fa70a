//! The device authorization grant (RFC 8628) for machines without a usable
//! browser: the person opens a URL anywhere and types a short code, while
//! this process polls the token endpoint, honouring `interval` and
//! `slow_down`, until approval, refusal or expiry.

use std::time::Duration;

use oauth2::StandardDeviceAuthorizationResponse;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
};
use oauth2::{
    ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, Scope,
    StandardRevocableToken, TokenUrl,
};

use super::http::{self, token_error};
use super::token::{TokenResponse, parse_url};
use super::{ClientAuth, Tokens};
use crate::error::Result;
use crate::model::{AuthMethod, Secret, now};
use crate::text::printable;

type DeviceClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

pub struct DeviceGrant<'a> {
    pub device_url: &'a str,
    pub token_url: &'a str,
    pub auth: &'a ClientAuth,
    pub scopes: &'a [String],
    pub resource: Option<&'a str>,
    pub extra_params: &'a [(String, String)],
    /// Give up earlier than the code's own expiry.
    pub timeout: Option<Duration>,
}

/// What the person must see to approve the login.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub verification_uri: String,
    pub verification_uri_complete: Option<Secret>,
    pub user_code: Secret,
    pub expires_in: Duration,
}

fn client(g: &DeviceGrant<'_>) -> Result<DeviceClient> {
    let mut c = oauth2::Client::new(ClientId::new(g.auth.client_id.clone()))
        .set_device_authorization_url(parse_url(
            "device authorization endpoint",
            g.device_url,
            DeviceAuthorizationUrl::new,
        )?)
        .set_token_uri(parse_url("token endpoint", g.token_url, TokenUrl::new)?);
    if let (Some(secret), AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) =
        (&g.auth.client_secret, g.auth.method)
    {
        c = c.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    Ok(c.set_auth_type(match g.auth.method {
        AuthMethod::ClientSecretBasic => oauth2::AuthType::BasicAuth,
        _ => oauth2::AuthType::RequestBody,
    }))
}

/// Asks for a device code, shows it with `show`, then polls until the
/// person approves. Cancel by dropping the future (Ctrl-C).
pub async fn device(g: &DeviceGrant<'_>, show: impl FnOnce(&Prompt)) -> Result<Tokens> {
    let client = client(g)?;
    let http_client = http::client()?;
    let mut extra: Vec<(String, String)> = g.extra_params.to_vec();
    if let Some(r) = g.resource {
        extra.push(("resource".into(), r.into()));
    }
    let mut req = client
        .exchange_device_code()
        .add_scopes(g.scopes.iter().cloned().map(Scope::new));
    for (k, v) in extra.iter().cloned().chain(g.auth.params(now())?) {
        req = req.add_extra_param(k, v);
    }
    let details: StandardDeviceAuthorizationResponse = req
        .request_async(&http::Sender::new(http_client.clone()))
        .await
        .map_err(|e| token_error("the device authorization request failed", e))?;
    // Everything here is the server's text on its way to a terminal: no
    // control characters (a user code of escape sequences could rewrite
    // the screen). Which of the URIs may be opened is the browser's check.
    show(&Prompt {
        verification_uri: printable(details.verification_uri(), 2048),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| Secret::new(printable(u.secret(), 2048))),
        user_code: Secret::new(printable(details.user_code().secret(), 64)),
        expires_in: details.expires_in(),
    });
    let started = now();
    let mut poll = client.exchange_device_access_token(&details);
    for (k, v) in extra.into_iter().chain(g.auth.params(now())?) {
        poll = poll.add_extra_param(k, v);
    }
    let response = poll
        .request_async(
            &http::Sender::new(http_client.clone()).with_dpop(g.auth.dpop.clone()),
            tokio::time::sleep,
            g.timeout.map(|t| t.min(details.expires_in())),
        )
        .await
        .map_err(|e| token_error("the device login failed", e))?;
    Ok(Tokens::from_response(response, started))
}
