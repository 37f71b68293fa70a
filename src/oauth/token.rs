//! Token endpoint requests (code exchange, refresh, client credentials) on
//! the `oauth2` crate, with a token response type that accepts what real
//! providers send.
//!
//! Leniency, decided once here: `expires_in` as a number or a numeric
//! string; `token_type` missing (taken as bearer) or in any case; `scope`
//! separated by spaces or commas (GitHub). Everything else is strict.

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, StandardRevocableToken, TokenUrl,
};
use serde::{Deserialize, Deserializer, Serialize};

use super::http::{self, token_error};
use crate::error::{Error, Result};
use crate::model::{AuthMethod, Secret, Timestamp};

/// The client's identity at the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    /// The client secret; with `private_key_jwt`, the PEM private key.
    pub client_secret: Option<Secret>,
    pub method: AuthMethod,
    /// With `private_key_jwt`: how to sign the assertion.
    pub assertion: Option<Assertion>,
    /// The credential's DPoP key: token requests prove possession of it,
    /// so the tokens they get are bound to it (RFC 9449 §5).
    pub dpop: Option<super::dpop::Key>,
}

/// How a `private_key_jwt` assertion is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub alg: String,
    /// The authorization server's issuer (or its token endpoint).
    pub audience: String,
}

impl ClientAuth {
    /// Parameters the client authentication adds to a token request: a
    /// freshly signed assertion for `private_key_jwt`, nothing otherwise.
    pub(crate) fn params(&self, now: Timestamp) -> Result<Vec<(String, String)>> {
        match (&self.method, &self.assertion, &self.client_secret) {
            (AuthMethod::PrivateKeyJwt, Some(a), Some(key)) => {
                let jwt =
                    super::jwt::client_assertion(key, &a.alg, &self.client_id, &a.audience, now)?;
                Ok(vec![
                    (
                        "client_assertion_type".to_string(),
                        super::jwt::ASSERTION_TYPE.to_string(),
                    ),
                    ("client_assertion".to_string(), jwt.expose().to_string()),
                ])
            }
            (AuthMethod::PrivateKeyJwt, _, _) => Err(Error::Config(
                "private_key_jwt needs a private key and a signing algorithm".into(),
            )),
            // The id travels in the Basic header, and in the body too:
            // RFC 6749 §3.2.1 lets a client name itself with `client_id`
            // there (https://www.rfc-editor.org/rfc/rfc6749#section-3.2.1),
            // and authorization servers built on the MCP Python SDK (fastmcp's
            // InMemoryOAuthProvider, its OAuthProxy providers) look for it
            // only there, answering `invalid_client (Missing client_id)`
            // otherwise; the Python SDK's own client sends it the same way.
            (AuthMethod::ClientSecretBasic, _, Some(_)) => {
                Ok(vec![("client_id".to_string(), self.client_id.clone())])
            }
            _ => Ok(Vec::new()),
        }
    }
}

impl ClientAuth {
    pub fn public(client_id: impl Into<String>) -> ClientAuth {
        ClientAuth {
            client_id: client_id.into(),
            client_secret: None,
            method: AuthMethod::None,
            assertion: None,
            dpop: None,
        }
    }

    /// A machine client for the client credentials grant: `private_key_jwt`
    /// with a key, else the secret with basic auth (or post, when that is
    /// all the server lists).
    pub fn machine(
        client_id: &str,
        secret: Option<Secret>,
        private_key: Option<(Secret, Option<String>)>,
        audience: &str,
        supported: Option<&[String]>,
    ) -> Result<ClientAuth> {
        if let Some((pem, alg)) = private_key {
            let alg = match alg {
                Some(a) => a.to_ascii_uppercase(),
                None => super::jwt::default_alg(&pem)?.to_string(),
            };
            super::jwt::check(&pem, &alg)?;
            return Ok(ClientAuth {
                client_id: client_id.to_string(),
                client_secret: Some(pem),
                method: AuthMethod::PrivateKeyJwt,
                assertion: Some(Assertion {
                    alg,
                    audience: audience.to_string(),
                }),
                dpop: None,
            });
        }
        let secret = secret.ok_or_else(|| {
            Error::Usage(
                "the client credentials grant needs the client's secret (--client-secret-env VAR \
                 or client_secret_env in config) or its key (--private-key-file)"
                    .into(),
            )
        })?;
        let only_post = supported.is_some_and(|m| {
            m.iter().any(|m| m == "client_secret_post")
                && !m.iter().any(|m| m == "client_secret_basic")
        });
        Ok(ClientAuth {
            client_id: client_id.to_string(),
            client_secret: Some(secret),
            method: if only_post {
                AuthMethod::ClientSecretPost
            } else {
                AuthMethod::ClientSecretBasic
            },
            assertion: None,
            dpop: None,
        })
    }
}

/// A token endpoint answer, read leniently (see the module docs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    access_token: AccessToken,
    #[serde(default = "bearer", deserialize_with = "lenient_token_type")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default, deserialize_with = "lenient_scopes")]
    scope: Option<Vec<Scope>>,
    #[serde(default)]
    id_token: Option<Secret>,
    /// GitHub Apps and Microsoft say how long the refresh token lives.
    #[serde(default, deserialize_with = "lenient_seconds")]
    refresh_token_expires_in: Option<u64>,
    /// RFC 8693: what a token exchange issued.
    #[serde(default)]
    issued_token_type: Option<String>,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

fn lenient_token_type<'de, D: Deserializer<'de>>(d: D) -> Result<BasicTokenType, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_else(|| "bearer".into());
    Ok(match s.to_ascii_lowercase().as_str() {
        "bearer" => BasicTokenType::Bearer,
        "mac" => BasicTokenType::Mac,
        other => BasicTokenType::Extension(other.to_string()),
    })
}

fn lenient_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(f64),
        Str(String),
    }
    Ok(match Option::<NumOrStr>::deserialize(d)? {
        None => None,
        Some(NumOrStr::Num(n)) if n.is_finite() && n >= 0.0 => Some(n as u64),
        Some(NumOrStr::Num(_)) => None,
        Some(NumOrStr::Str(s)) => s.trim().parse::<u64>().ok(),
    })
}

fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Scope>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrList {
        Str(String),
        List(Vec<String>),
    }
    Ok(Option::<StrOrList>::deserialize(d)?.map(|v| {
        let items: Vec<String> = match v {
            StrOrList::Str(s) => s
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            StrOrList::List(l) => l,
        };
        items.into_iter().map(Scope::new).collect()
    }))
}

impl oauth2::TokenResponse for TokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

/// What the rest of the crate needs from a token response, with absolute
/// expiry times.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    pub access_expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
    /// The scopes granted, when the server said; else `None` (as requested).
    pub scopes: Option<Vec<String>>,
    pub token_type: String,
}

impl Tokens {
    pub fn from_response(r: TokenResponse, now: Timestamp) -> Tokens {
        let at =
            |secs: Option<u64>| secs.map(|s| now.saturating_add(s.min(i64::MAX as u64) as i64));
        Tokens {
            access_token: Secret::new(r.access_token.into_secret()),
            refresh_token: r.refresh_token.map(|t| Secret::new(t.into_secret())),
            id_token: r.id_token,
            access_expires_at: at(r.expires_in),
            refresh_expires_at: at(r.refresh_token_expires_in),
            scopes: r
                .scope
                .map(|s| s.into_iter().map(|s| s.to_string()).collect()),
            token_type: r.token_type.as_ref().to_string(),
        }
    }
}

type TokenClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

pub(crate) fn parse_url<T>(
    what: &str,
    url: &str,
    make: fn(String) -> std::result::Result<T, url::ParseError>,
) -> Result<T> {
    make(url.to_string())
        .map_err(|e| Error::Config(format!("{what} {url:?} is not a valid URL: {e}")))
}

fn token_client(token_url: &str, auth: &ClientAuth) -> Result<TokenClient> {
    let mut client = oauth2::Client::new(ClientId::new(auth.client_id.clone()))
        .set_token_uri(parse_url("token endpoint", token_url, TokenUrl::new)?);
    // Only shared secrets travel as client_secret; a private key never does.
    if let (Some(secret), AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) =
        (&auth.client_secret, auth.method)
    {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    let auth_type = match auth.method {
        AuthMethod::ClientSecretBasic => AuthType::BasicAuth,
        // With `none` the id goes in the body; so does a post secret.
        AuthMethod::ClientSecretPost | AuthMethod::None | AuthMethod::PrivateKeyJwt => {
            AuthType::RequestBody
        }
    };
    Ok(client.set_auth_type(auth_type))
}

/// Request parameters beyond the grant's own: RFC 8707 `resource` and any
/// provider-specific extras.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub resource: Option<String>,
    pub params: Vec<(String, String)>,
}

impl Extras {
    fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.resource
            .iter()
            .map(|r| ("resource".to_string(), r.clone()))
            .chain(self.params.iter().cloned())
    }
}

/// Exchanges an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    token_url: &str,
    auth: &ClientAuth,
    code: &Secret,
    verifier: PkceCodeVerifier,
    redirect_uri: &str,
    extras: &Extras,
    now: Timestamp,
) -> Result<Tokens> {
    let client = token_client(token_url, auth)?;
    let http = http::client()?;
    let redirect = parse_url("redirect URI", redirect_uri, RedirectUrl::new)?;
    let mut req = client
        .exchange_code(AuthorizationCode::new(code.expose().to_string()))
        .set_pkce_verifier(verifier)
        .set_redirect_uri(std::borrow::Cow::Owned(redirect));
    for (k, v) in extras.pairs().chain(auth.params(now)?) {
        req = req.add_extra_param(k, v);
    }
    let sender = http::Sender::new(http).with_dpop(auth.dpop.clone());
    let resp = req.request_async(&sender).await.map_err(|e| {
        token_error("the token exchange failed", e).with_retry_after(sender.retry_after())
    })?;
    Ok(Tokens::from_response(resp, now))
}

/// Uses a refresh token. Scopes are left out so the server keeps the
/// granted ones.
pub async fn refresh(
    token_url: &str,
    auth: &ClientAuth,
    refresh_token: &Secret,
    extras: &Extras,
    now: Timestamp,
) -> Result<Tokens> {
    let client = token_client(token_url, auth)?;
    let http = http::client()?;
    let token = RefreshToken::new(refresh_token.expose().to_string());
    let mut req = client.exchange_refresh_token(&token);
    for (k, v) in extras.pairs().chain(auth.params(now)?) {
        req = req.add_extra_param(k, v);
    }
    let sender = http::Sender::new(http).with_dpop(auth.dpop.clone());
    let resp = req
        .request_async(&sender)
        .await
        .map_err(|e| token_error("the refresh failed", e).with_retry_after(sender.retry_after()))?;
    Ok(Tokens::from_response(resp, now))
}

/// The client credentials grant (machine to machine).
pub async fn client_credentials(
    token_url: &str,
    auth: &ClientAuth,
    scopes: &[String],
    extras: &Extras,
    now: Timestamp,
) -> Result<Tokens> {
    let client = token_client(token_url, auth)?;
    let http = http::client()?;
    let mut req = client
        .exchange_client_credentials()
        .add_scopes(scopes.iter().cloned().map(Scope::new));
    for (k, v) in extras.pairs().chain(auth.params(now)?) {
        req = req.add_extra_param(k, v);
    }
    let sender = http::Sender::new(http).with_dpop(auth.dpop.clone());
    let resp = req.request_async(&sender).await.map_err(|e| {
        token_error("the client credentials grant failed", e).with_retry_after(sender.retry_after())
    })?;
    Ok(Tokens::from_response(resp, now))
}

/// Grant types the `oauth2` crate has no request for.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";

/// A token endpoint request for a grant `oauth2` does not model, with the
/// same client authentication, normalisation and error reading as the rest.
async fn form_grant(
    token_url: &str,
    auth: &ClientAuth,
    params: Vec<(String, String)>,
    context: &str,
    now: Timestamp,
) -> Result<TokenResponse> {
    use oauth2::http::{Method, Request, header};
    let mut form = params;
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(token_url)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    match (auth.method, &auth.client_secret) {
        (AuthMethod::ClientSecretBasic, Some(secret)) => {
            use base64::Engine;
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", enc(&auth.client_id), enc(secret.expose()));
            let value = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            );
            builder = builder.header(header::AUTHORIZATION, value);
        }
        (AuthMethod::ClientSecretPost, Some(secret)) => {
            form.push(("client_id".into(), auth.client_id.clone()));
            form.push(("client_secret".into(), secret.expose().to_string()));
        }
        _ => form.push(("client_id".into(), auth.client_id.clone())),
    }
    form.extend(auth.params(now)?);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
        .into_bytes();
    let request = builder
        .body(body)
        .map_err(|e| Error::Config(format!("{context}: {e}")))?;
    let response = http::Sender::new(http::client()?)
        .with_dpop(auth.dpop.clone())
        .send(request)
        .await
        .map_err(|e| match e {
            http::TransportError::Http(e) => http::request_error(context, &e),
            other => Error::protocol(context, other.to_string()),
        })?;
    if response.status().is_success() {
        return serde_json::from_slice(response.body()).map_err(|_| {
            Error::protocol(context, "the server's answer is not a valid token response")
        });
    }
    let value: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
    Err(http::oauth_error(context, &value).with_retry_after(http::retry_after(response.headers())))
}

/// Enterprise-managed authorization (SEP-990), step 1: exchanges the
/// person's ID token from the enterprise IdP for an identity assertion JWT
/// authorization grant (ID-JAG) for `audience` and `resource` (RFC 8693).
pub async fn exchange_for_id_jag(
    idp_token_url: &str,
    idp_client: &ClientAuth,
    id_token: &Secret,
    audience: &str,
    resource: &str,
    scopes: &[String],
    now: Timestamp,
) -> Result<Secret> {
    let mut params = vec![
        ("grant_type".to_string(), TOKEN_EXCHANGE.to_string()),
        ("requested_token_type".into(), ID_JAG_TYPE.into()),
        ("subject_token".into(), id_token.expose().to_string()),
        ("subject_token_type".into(), ID_TOKEN_TYPE.into()),
        ("audience".into(), audience.into()),
        ("resource".into(), resource.into()),
    ];
    if !scopes.is_empty() {
        params.push(("scope".into(), scopes.join(" ")));
    }
    let context = "the token exchange at the identity provider failed";
    let resp = form_grant(idp_token_url, idp_client, params, context, now).await?;
    let issued = resp.issued_token_type.as_deref();
    if issued.is_some_and(|t| t != ID_JAG_TYPE) {
        return Err(Error::protocol(
            context,
            format!(
                "it issued a {} instead of an ID-JAG",
                issued.unwrap_or_default()
            ),
        ));
    }
    Ok(Secret::new(resp.access_token.into_secret()))
}

/// Step 2: the JWT bearer grant (RFC 7523) with the ID-JAG as assertion.
pub async fn jwt_bearer(
    token_url: &str,
    auth: &ClientAuth,
    assertion: &Secret,
    scopes: &[String],
    extras: &Extras,
    now: Timestamp,
) -> Result<Tokens> {
    let mut params = vec![
        ("grant_type".to_string(), JWT_BEARER.to_string()),
        ("assertion".into(), assertion.expose().to_string()),
    ];
    if !scopes.is_empty() {
        params.push(("scope".into(), scopes.join(" ")));
    }
    params.extend(extras.pairs());
    let resp = form_grant(token_url, auth, params, "the JWT bearer grant failed", now).await?;
    Ok(Tokens::from_response(resp, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> TokenResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn accepts_what_real_providers_send() {
        let r = parse(r#"{"access_token":"a","expires_in":"3600","scope":"repo,gist"}"#);
        let t = Tokens::from_response(r, 100);
        assert_eq!(t.access_expires_at, Some(3700));
        assert_eq!(t.scopes.unwrap(), vec!["repo", "gist"]);
        assert_eq!(t.token_type, "bearer");

        let r = parse(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":60,"refresh_token":"r",
                "refresh_token_expires_in":600,"id_token":"x.y.z","scope":"a b"}"#,
        );
        let t = Tokens::from_response(r, 0);
        assert_eq!(t.refresh_expires_at, Some(600));
        assert!(t.refresh_token.is_some() && t.id_token.is_some());
        assert_eq!(t.scopes.unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn garbage_expiry_is_unknown_not_an_error() {
        let r = parse(r#"{"access_token":"a","expires_in":"soon"}"#);
        assert_eq!(Tokens::from_response(r, 0).access_expires_at, None);
        let r = parse(r#"{"access_token":"a","expires_in":-5}"#);
        assert_eq!(Tokens::from_response(r, 0).access_expires_at, None);
    }

    #[test]
    fn missing_access_token_is_refused() {
        assert!(serde_json::from_str::<TokenResponse>(r#"{"token_type":"bearer"}"#).is_err());
    }

    /// Python SDK authorization servers (fastmcp) read the client id from
    /// the body only: with Basic it goes there too, never the secret.
    #[test]
    fn basic_auth_also_names_the_client_in_the_body() {
        let auth = |method| ClientAuth {
            client_id: "cid".into(),
            client_secret: Some(Secret::new("s3cret")),
            method,
            assertion: None,
            dpop: None,
        };
        let basic = auth(AuthMethod::ClientSecretBasic).params(0).unwrap();
        assert_eq!(basic, vec![("client_id".to_string(), "cid".to_string())]);
        // Post already carries both (the oauth2 crate adds them); none too.
        assert!(
            auth(AuthMethod::ClientSecretPost)
                .params(0)
                .unwrap()
                .is_empty()
        );
        assert!(ClientAuth::public("p").params(0).unwrap().is_empty());
    }

    #[test]
    fn debug_redacts_tokens() {
        let r = parse(
            r#"{"access_token":"at-SECRET","refresh_token":"rt-SECRET","id_token":"id-SECRET"}"#,
        );
        let s = format!("{r:?} {:?}", Tokens::from_response(r.clone(), 0));
        assert!(!s.contains("SECRET"), "{s}");
    }
}
