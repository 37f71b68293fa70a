//! Token revocation (RFC 7009), written by hand: the `oauth2` crate refuses
//! non-https revocation URLs, loopback included, and this request is small.
//! GitHub's own revocation request lives here too.
//!
//! A token the provider already considers dead is revoked as far as anyone
//! can tell: RFC 7009 §2.2 has servers answer 200 for it, Google answers
//! 400 `invalid_token`, GitHub 404. Both are [`Revoked::AlreadyInvalid`].

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

/// What the provider answered a successful revocation with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Done,
    /// The provider no longer knew the token (revoked with its grant, or
    /// expired).
    AlreadyInvalid,
}

pub async fn revoke(url: &str, auth: &ClientAuth, token: &Secret, hint: Hint) -> Result<Revoked> {
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
        return Ok(Revoked::Done);
    }
    let body = http::read_body(resp).await.unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    match parsed.get("error").and_then(|e| e.as_str()) {
        // Google answers a token already expired or revoked with 400
        // `invalid_token` ("Token expired or revoked"), not RFC 7009's 200.
        // https://developers.google.com/identity/protocols/oauth2/native-app#tokenrevoke
        Some("invalid_token") => return Ok(Revoked::AlreadyInvalid),
        Some(_) => return Err(http::oauth_error(context, &parsed)),
        None => {}
    }
    Err(Error::OAuth {
        context: context.into(),
        error: format!("http_{}", status.as_u16()),
        description: Some(format!("the server answered HTTP {status}")),
        retry_after: None,
    })
}

/// GitHub: `DELETE {api}/applications/{client_id}/token` with the client id
/// and secret as Basic credentials and `{"access_token": ...}` as the body;
/// 204 when revoked, 404 for a token GitHub no longer knows.
/// https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
pub async fn revoke_github(url: &str, auth: &ClientAuth, token: &Secret) -> Result<Revoked> {
    let context = "revocation at GitHub failed";
    let secret = auth.client_secret.as_ref().ok_or_else(|| {
        Error::Usage(
            "GitHub revokes a token only for a request with the app's client secret, and this \
             credential has none; revoke it in GitHub's Settings > Applications, or use \
             --local-only"
                .into(),
        )
    })?;
    let body = serde_json::json!({ "access_token": token.expose() }).to_string();
    let resp = http::client()?
        .delete(url)
        .basic_auth(&auth.client_id, Some(secret.expose()))
        .header("accept", "application/vnd.github+json")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| http::request_error(context, &e))?;
    match resp.status().as_u16() {
        200..=299 => Ok(Revoked::Done),
        404 => Ok(Revoked::AlreadyInvalid),
        401 | 403 => Err(Error::OAuth {
            context: context.into(),
            error: "incorrect_client_credentials".into(),
            description: Some("GitHub refused the client id and secret".into()),
            retry_after: None,
        }),
        other => Err(Error::OAuth {
            context: context.into(),
            error: format!("http_{other}"),
            description: Some(format!("GitHub answered HTTP {other}")),
            retry_after: None,
        }),
    }
}
