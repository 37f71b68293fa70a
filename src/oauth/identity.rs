//! Who a credential belongs to: the ID token's claims or the provider's
//! user endpoint. Used for display only, so the ID token's signature is not
//! checked here; nothing is authorised on the strength of these claims.

use base64::Engine;
use serde::Deserialize;

use super::http;
use crate::model::Secret;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub subject: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
}

impl Identity {
    pub fn is_empty(&self) -> bool {
        self.subject.is_none() && self.username.is_none() && self.email.is_none()
    }

    /// Fills what `self` lacks from `other`.
    pub fn or(self, other: Identity) -> Identity {
        Identity {
            subject: self.subject.or(other.subject),
            username: self.username.or(other.username),
            email: self.email.or(other.email),
        }
    }
}

/// Claims of interest, from an ID token or a userinfo answer (OIDC), or a
/// provider's user API (GitHub's `/user`: `id`, `login`).
#[derive(Debug, Default, Deserialize)]
struct Claims {
    sub: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
    email: Option<String>,
    preferred_username: Option<String>,
    login: Option<String>,
    username: Option<String>,
    name: Option<String>,
    upn: Option<String>,
}

impl Claims {
    fn identity(self) -> Identity {
        let id = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        Identity {
            subject: self.sub.and_then(id).or(self.id.and_then(id)),
            username: self
                .preferred_username
                .or(self.login)
                .or(self.username)
                .or(self.upn)
                .or(self.name),
            email: self.email.filter(|e| !e.is_empty()),
        }
    }
}

/// The user behind new tokens: ID token claims first, the user endpoint
/// for whatever they lack.
pub async fn identify(tokens: &super::Tokens, userinfo_url: Option<&str>) -> Identity {
    let from_id = tokens
        .id_token
        .as_ref()
        .map(from_id_token)
        .unwrap_or_default();
    if from_id.username.is_some() && from_id.email.is_some() {
        return from_id;
    }
    match userinfo_url {
        Some(url) => from_id.or(from_userinfo(url, &tokens.access_token).await),
        None => from_id,
    }
}

/// Reads the payload of a JWT without verifying it.
pub fn from_id_token(token: &Secret) -> Identity {
    let Some(payload) = token.expose().split('.').nth(1) else {
        return Identity::default();
    };
    let Ok(bytes) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('='))
    else {
        return Identity::default();
    };
    serde_json::from_slice::<Claims>(&bytes)
        .map(Claims::identity)
        .unwrap_or_default()
}

/// Asks the provider's user endpoint. Failure is not an error: the login
/// stands without a name, and the reason goes to the log.
pub async fn from_userinfo(url: &str, access_token: &Secret) -> Identity {
    let fetch = async {
        let client = http::client().ok()?;
        let resp = client
            .get(url)
            .bearer_auth(access_token.expose())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| tracing::debug!(error = %e, "user endpoint unreachable"))
            .ok()?;
        if !resp.status().is_success() {
            tracing::debug!(status = %resp.status(), "user endpoint refused");
            return None;
        }
        let body = http::read_body(resp).await.ok()?;
        serde_json::from_slice::<Claims>(&body).ok()
    };
    fetch.await.map(Claims::identity).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> Secret {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        Secret::new(format!("{}.{}.sig", b.encode("{}"), b.encode(claims)))
    }

    #[test]
    fn id_token_claims_name_the_user() {
        let id = from_id_token(&jwt(
            r#"{"sub":"u1","email":"a@b.c","preferred_username":"ann"}"#,
        ));
        assert_eq!(id.subject.as_deref(), Some("u1"));
        assert_eq!(id.username.as_deref(), Some("ann"));
        assert_eq!(id.email.as_deref(), Some("a@b.c"));
    }

    #[test]
    fn github_user_shape_is_understood() {
        let c: Claims =
            serde_json::from_str(r#"{"login":"octocat","id":583231,"email":null}"#).unwrap();
        let id = c.identity();
        assert_eq!(id.subject.as_deref(), Some("583231"));
        assert_eq!(id.username.as_deref(), Some("octocat"));
        assert_eq!(id.email, None);
    }

    #[test]
    fn garbage_tokens_yield_no_identity() {
        assert!(from_id_token(&Secret::new("not-a-jwt")).is_empty());
        assert!(from_id_token(&Secret::new("a.!!!.c")).is_empty());
        assert!(from_id_token(&jwt("[1,2]")).is_empty());
    }
}
