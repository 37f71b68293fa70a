//! Dynamic Client Registration (RFC 7591): a native application with a
//! loopback redirect URI, asking for the token endpoint auth method the
//! server supports. `oauth2` has no DCR, and the request is small.

use serde::{Deserialize, Serialize};

use super::http;
use crate::error::{Error, Result};
use crate::model::{AuthMethod, Secret, Timestamp};

#[derive(Debug, Serialize)]
struct Request<'a> {
    client_name: &'a str,
    redirect_uris: Vec<&'a str>,
    grant_types: Vec<&'a str>,
    response_types: Vec<&'a str>,
    token_endpoint_auth_method: &'a str,
    application_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    software_id: &'a str,
    software_version: &'a str,
}

#[derive(Deserialize)]
struct Response {
    client_id: String,
    client_secret: Option<Secret>,
    token_endpoint_auth_method: Option<String>,
    /// 0 means "never expires" (RFC 7591 §3.2.1).
    client_secret_expires_at: Option<i64>,
}

/// A client the server registered.
#[derive(Debug, Clone)]
pub struct Registered {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub auth_method: AuthMethod,
    pub client_secret_expires_at: Option<Timestamp>,
}

/// The auth method to ask for: none (a public native client) when offered,
/// else the secret-based ones the server lists. Servers that list nothing
/// get `none`.
pub fn preferred_method(supported: Option<&[String]>) -> AuthMethod {
    let Some(supported) = supported else {
        return AuthMethod::None;
    };
    let has = |m: &str| supported.iter().any(|s| s == m);
    if has("none") || supported.is_empty() {
        AuthMethod::None
    } else if has("client_secret_basic") {
        AuthMethod::ClientSecretBasic
    } else if has("client_secret_post") {
        AuthMethod::ClientSecretPost
    } else {
        AuthMethod::None
    }
}

/// The grant type of the device flow, as registered.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Registers a native client. `redirect_uri` is the loopback callback for
/// the authorization code grant; `None` registers for the device grant.
pub async fn register(
    endpoint: &str,
    redirect_uri: Option<&str>,
    method: AuthMethod,
    scopes: &[String],
) -> Result<Registered> {
    let context = "client registration failed";
    let grant = if redirect_uri.is_some() {
        "authorization_code"
    } else {
        DEVICE_GRANT
    };
    let body = Request {
        client_name: "mcp-auth",
        redirect_uris: redirect_uri.into_iter().collect(),
        grant_types: vec![grant, "refresh_token"],
        response_types: if redirect_uri.is_some() {
            vec!["code"]
        } else {
            Vec::new()
        },
        token_endpoint_auth_method: method.as_str(),
        application_type: "native",
        scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
        software_id: "mcp-auth",
        software_version: env!("CARGO_PKG_VERSION"),
    };
    let client = http::client()?;
    let resp = client
        .post(endpoint)
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .map_err(|e| http::request_error(context, &e))?;
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    tracing::debug!(%endpoint, status = status.as_u16(), "the registration endpoint answered");
    let bytes = http::read_body(resp).await.map_err(|e| match e {
        http::TransportError::Http(e) => http::request_error(context, &e),
        other => Error::protocol(context, other.to_string()),
    })?;
    if !status.is_success() {
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if parsed.get("error").and_then(|e| e.as_str()).is_some() {
            return Err(http::oauth_error(context, &parsed));
        }
        return Err(Error::OAuth {
            context: context.into(),
            error: format!("http_{}", status.as_u16()),
            description: Some(format!("the server answered HTTP {status}")),
            retry_after: None,
        });
    }
    let r: Response = serde_json::from_slice(&bytes).map_err(|e| {
        let ct = content_type.as_deref();
        let why = match e.classify() {
            serde_json::error::Category::Data => "missing or mistyped fields".to_string(),
            _ => crate::body_text::not_json(ct, &bytes),
        };
        Error::protocol(
            context,
            format!("the server's answer is not a registration response ({why})"),
        )
    })?;
    if r.client_id.is_empty() {
        return Err(Error::protocol(
            context,
            "the server registered an empty client_id",
        ));
    }
    // The server's word wins; without one, RFC 7591 §2 defaults to
    // client_secret_basic when a secret was issued.
    let auth_method = match r.token_endpoint_auth_method.as_deref() {
        Some(m) => AuthMethod::parse(m).unwrap_or(if r.client_secret.is_some() {
            AuthMethod::ClientSecretBasic
        } else {
            AuthMethod::None
        }),
        None if r.client_secret.is_some() => AuthMethod::ClientSecretBasic,
        None => method,
    };
    Ok(Registered {
        client_id: r.client_id,
        client_secret: r.client_secret,
        auth_method,
        client_secret_expires_at: r.client_secret_expires_at.filter(|t| *t > 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn asks_for_a_method_the_server_supports() {
        assert_eq!(preferred_method(None), AuthMethod::None);
        assert_eq!(
            preferred_method(Some(&v(&["none", "client_secret_basic"]))),
            AuthMethod::None
        );
        assert_eq!(
            preferred_method(Some(&v(&["client_secret_basic"]))),
            AuthMethod::ClientSecretBasic
        );
        assert_eq!(
            preferred_method(Some(&v(&["client_secret_post"]))),
            AuthMethod::ClientSecretPost
        );
        assert_eq!(
            preferred_method(Some(&v(&["private_key_jwt"]))),
            AuthMethod::None
        );
    }
}
