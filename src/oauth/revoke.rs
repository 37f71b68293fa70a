//! Token revocation (RFC 7009), written by hand: the `oauth2` crate refuses
//! non-https revocation URLs, loopback included, and this request is small.

use crate::error::{Error, Result};
use crate::model::{AuthMethod, Secret};

use super::http;
use super::token::ClientAuth;

/// Which token is being revoked, sent as `token_type_hint`.
#[derive(Debug, Clone, Copy)]
pub enum Hint {
    AccessToken,
    RefreshToken,
}

pub async fn revoke(url: &str, auth: &ClientAuth, token: &Secret, hint: Hint) -> Result<()> {
    let context = "revocation at the provider failed";
    let client = http::client()?;
    let hint = match hint {
        Hint::AccessToken => "access_token",
        Hint::RefreshToken => "refresh_token",
    };
    let mut form: Vec<(&str, &str)> = vec![("token", token.expose()), ("token_type_hint", hint)];
    let mut req = client.post(url).header("accept", "application/json");
    match (&auth.method, &auth.client_secret) {
        (AuthMethod::ClientSecretBasic, Some(secret)) => {
            // RFC 6749 §2.3.1: form-encode id and secret before Basic.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(&auth.client_id), Some(enc(secret.expose())));
        }
        (AuthMethod::ClientSecretPost, Some(secret)) => {
            form.push(("client_id", &auth.client_id));
            form.push(("client_secret", secret.expose()));
        }
        _ => form.push(("client_id", &auth.client_id)),
    }
    let assertion = auth.params(crate::model::now())?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .extend_pairs(assertion.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let resp = req
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| http::request_error(context, &e))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let body = http::read_body(resp).await.unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if parsed.get("error").and_then(|e| e.as_str()).is_some() {
        return Err(http::oauth_error(context, &parsed));
    }
    Err(Error::OAuth {
        context: context.into(),
        error: format!("http_{}", status.as_u16()),
        description: Some(format!("the server answered HTTP {status}")),
        retry_after: None,
    })
}
