//! The authorization request: PKCE S256, a fresh `state`, the redirect URI,
//! scopes, RFC 8707 `resource` and provider extras, built with `oauth2`.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};

use super::token::parse_url;
use crate::error::{Error, Result};

/// A ready authorization request. `verifier` and `state` stay in memory
/// only; the URL carries just the challenge.
pub struct AuthRequest {
    pub url: url::Url,
    pub state: String,
    pub verifier: PkceCodeVerifier,
    pub redirect_uri: String,
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("url", &self.url.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

pub struct AuthParams<'a> {
    pub authorize_url: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub resource: Option<&'a str>,
    pub extra_params: &'a [(String, String)],
}

/// Parameters the flow sets itself; extras may not override them.
const RESERVED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "resource",
];

pub fn build(p: &AuthParams<'_>) -> Result<AuthRequest> {
    if let Some((k, _)) = p
        .extra_params
        .iter()
        .find(|(k, _)| RESERVED.contains(&k.as_str()))
    {
        return Err(Error::Config(format!(
            "extra_params may not set `{k}`: mcp-auth sets it itself"
        )));
    }
    let client = BasicClient::new(ClientId::new(p.client_id.to_string()))
        .set_auth_uri(parse_url(
            "authorization endpoint",
            p.authorize_url,
            AuthUrl::new,
        )?)
        .set_redirect_uri(parse_url("redirect URI", p.redirect_uri, RedirectUrl::new)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_scopes(p.scopes.iter().cloned().map(Scope::new));
    if let Some(resource) = p.resource {
        req = req.add_extra_param("resource", resource.to_string());
    }
    for (k, v) in p.extra_params {
        req = req.add_extra_param(k.clone(), v.clone());
    }
    let (url, state) = req.url();
    Ok(AuthRequest {
        url,
        state: state.into_secret(),
        verifier,
        redirect_uri: p.redirect_uri.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn url_carries_pkce_s256_state_scopes_and_resource() {
        let scopes = vec!["openid".to_string(), "email".to_string()];
        let extras = vec![("access_type".to_string(), "offline".to_string())];
        let req = build(&AuthParams {
            authorize_url: "https://as.example/authorize?tenant=x",
            client_id: "cid",
            redirect_uri: "http://127.0.0.1:4000/callback",
            scopes: &scopes,
            resource: Some("https://mcp.example/mcp"),
            extra_params: &extras,
        })
        .unwrap();
        let q: HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], req.state);
        assert!(req.state.len() >= 16);
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["resource"], "https://mcp.example/mcp");
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["tenant"], "x");
        let want = PkceCodeChallenge::from_code_verifier_sha256(&req.verifier);
        assert_eq!(q["code_challenge"], want.as_str());
        assert!(!req.url.as_str().contains(req.verifier.secret()));
    }

    #[test]
    fn extras_cannot_override_the_flow() {
        let extras = vec![("code_challenge_method".to_string(), "plain".to_string())];
        let err = build(&AuthParams {
            authorize_url: "https://as.example/authorize",
            client_id: "cid",
            redirect_uri: "http://127.0.0.1:4000/callback",
            scopes: &[],
            resource: None,
            extra_params: &extras,
        })
        .unwrap_err();
        assert!(err.to_string().contains("code_challenge_method"));
    }
}
