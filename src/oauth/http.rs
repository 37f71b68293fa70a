//! The HTTP client for OAuth traffic and its adapter for the `oauth2` crate.
//!
//! One reqwest client (rustls with the ring provider, no OpenSSL) serves
//! every OAuth request. Redirects are not followed: token, registration and
//! metadata endpoints have no business redirecting, and following one could
//! carry a request to another host. Bodies are capped so a hostile server
//! cannot exhaust memory. Every request has a deadline (`http_timeout`,
//! [`set_timeout`]), so a server that accepts and never answers, or
//! answers a byte at a time, fails as a timeout rather than hanging.
//!
//! A `Retry-After` (seconds or an HTTP date) on a 429 or 5xx answer is kept
//! with the error ([`Error::retry_after`]): the daemon waits at least that
//! long before it tries the refresh again, and messages say when to retry.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use oauth2::http::{HeaderValue, StatusCode, header};
use oauth2::{HttpRequest, HttpResponse};

use super::reach;
use crate::error::{Error, Result};
use crate::text::printable;

/// Largest response body read from an OAuth endpoint.
pub const MAX_BODY: usize = 1024 * 1024;

const USER_AGENT: &str = concat!("mcp-auth/", env!("CARGO_PKG_VERSION"));

/// Failure below HTTP semantics: the request never got a whole answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("the response is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("invalid request: {0}")]
    Build(String),
}

/// The deadline of one OAuth request when none is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A `Retry-After` beyond this is not believed: it would park a refresh for
/// longer than most access tokens live.
pub const MAX_RETRY_AFTER: u64 = 3600;

static TIMEOUT: OnceLock<Duration> = OnceLock::new();

/// Sets the deadline of every OAuth request (the `http_timeout` setting).
/// Called once at startup, before the first request; later calls (and calls
/// after the client was built) change nothing.
pub fn set_timeout(timeout: Duration) {
    let _ = TIMEOUT.set(timeout);
}

/// The deadline in force (for messages).
pub fn timeout() -> Duration {
    *TIMEOUT.get_or_init(|| DEFAULT_TIMEOUT)
}

/// A request failure below HTTP, as the crate's error. A timeout names the
/// setting that decides it, so a slow server can be given longer.
pub fn request_error(context: &str, err: &reqwest::Error) -> Error {
    if err.is_timeout() {
        return Error::Timeout(format!(
            "{context}: the server did not answer within {} (raise http_timeout if it is just slow)",
            humantime::format_duration(timeout())
        ));
    }
    Error::network(context, err)
}

/// Installs the process-wide TLS crypto provider once. reqwest is built
/// without a provider of its own so that only ring is compiled in.
pub fn install_crypto_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // Err means another provider is installed already, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

tokio::task_local! {
    /// Set by [`public_only`] for the requests of its future.
    static PUBLIC_ONLY: bool;
}

/// Runs `fut` with every OAuth request it makes resolving host names to
/// public addresses only ([`reach::PublicOnly`]): the discovery and
/// registration of a remote MCP server, whose metadata must not point
/// mcp-auth at this machine or a private network. The guarded requests use
/// a client of their own, so no connection opened without the guard is
/// reused under it.
pub async fn public_only<F: std::future::Future>(guard: bool, fut: F) -> F::Output {
    PUBLIC_ONLY.scope(guard, fut).await
}

/// The client for OAuth requests: the shared one, or inside
/// [`public_only`] the guarded one.
pub fn client() -> Result<reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    static GUARDED: OnceLock<reqwest::Client> = OnceLock::new();
    let guarded = PUBLIC_ONLY.try_with(|g| *g).unwrap_or(false);
    let cell = if guarded { &GUARDED } else { &CLIENT };
    if let Some(c) = cell.get() {
        return Ok(c.clone());
    }
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout());
    if guarded {
        builder = builder.dns_resolver(std::sync::Arc::new(reach::PublicOnly::new()));
    }
    let built = builder
        .build()
        .map_err(|e| Error::Other(format!("cannot set up the HTTP client: {e}")))?;
    Ok(cell.get_or_init(|| built).clone())
}

/// Reads a response body up to [`MAX_BODY`] bytes.
pub async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, TransportError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(TransportError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `oauth2` crate's HTTP client: a named type rather than a closure,
/// so the futures that use it are `Send` for every lifetime (a closure
/// borrowing the client makes them `Send` for one lifetime only, and such a
/// future cannot be spawned or boxed as `Send`, e.g. by the bridge).
///
/// It also keeps the `Retry-After` of the last error answer, which the
/// `oauth2` crate's parsed error response has no room for.
///
/// With a DPoP key it proves possession on each token request (RFC 9449 §5)
/// and, when the server answers `use_dpop_nonce` with a `DPoP-Nonce`,
/// sends the request once more with that nonce in the proof (§8).
pub struct Sender {
    client: reqwest::Client,
    retry_after: Mutex<Option<u64>>,
    dpop: Option<super::dpop::Key>,
}

impl Sender {
    pub fn new(client: reqwest::Client) -> Sender {
        Sender {
            client,
            retry_after: Mutex::new(None),
            dpop: None,
        }
    }

    /// Proves possession of `key` on every request (none: plain bearer).
    pub fn with_dpop(mut self, key: Option<super::dpop::Key>) -> Sender {
        self.dpop = key;
        self
    }

    /// Sends `request`, with a DPoP proof when this sender has a key.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let Some(key) = &self.dpop else {
            return send(&self.client, request).await;
        };
        let mut nonce: Option<String> = None;
        let mut request = request;
        for attempt in 0..2 {
            let retry = request.clone();
            let proof = key
                .proof(
                    request.method().as_str(),
                    &request.uri().to_string(),
                    nonce.as_deref(),
                    None,
                    crate::model::now(),
                )
                .map_err(|e| TransportError::Build(e.to_string()))?;
            let value = HeaderValue::from_str(proof.expose())
                .map_err(|e| TransportError::Build(e.to_string()))?;
            request.headers_mut().insert(super::dpop::HEADER, value);
            let resp = send(&self.client, request).await?;
            let error = (!resp.status().is_success())
                .then(|| serde_json::from_slice::<serde_json::Value>(resp.body()).ok())
                .flatten();
            let error = error
                .as_ref()
                .and_then(|v| v.get("error"))
                .and_then(|e| e.as_str());
            match super::dpop::nonce_asked(resp.headers(), error) {
                Some(n) if attempt == 0 => {
                    tracing::debug!("the authorization server wants a DPoP nonce; sending again");
                    nonce = Some(n);
                    request = retry;
                }
                _ => return Ok(resp),
            }
        }
        Err(TransportError::Build(
            "the DPoP nonce exchange did not settle".into(),
        ))
    }

    /// The `Retry-After` of the last answer, if it was an error that had one.
    pub fn retry_after(&self) -> Option<u64> {
        *self.retry_after.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Sender {
    type Error = TransportError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let resp = self.send(request).await?;
            let wait = (!resp.status().is_success())
                .then(|| retry_after(resp.headers()))
                .flatten();
            *self.retry_after.lock().unwrap_or_else(|p| p.into_inner()) = wait;
            Ok(resp)
        })
    }
}

/// Reads `Retry-After` (RFC 9110 §10.2.3) as the seconds to wait, capped
/// at [`MAX_RETRY_AFTER`]: delay-seconds, or an HTTP date (a date already
/// past means "now", 0). Anything else is no advice.
pub fn retry_after(headers: &oauth2::http::HeaderMap) -> Option<u64> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    retry_after_at(value, std::time::SystemTime::now())
}

/// [`retry_after`] of one header value, read at `now`.
fn retry_after_at(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let secs = match value.parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).map_or(0, |d| d.as_secs())
        }
    };
    Some(secs.min(MAX_RETRY_AFTER))
}

/// Sends an `oauth2` request with reqwest, then normalises the answer so the
/// crate's strict parser sees standard shapes:
///
/// - GitHub (and others) answer errors with HTTP 200 and `{"error": ...}`:
///   those become 400 so they parse as error responses.
/// - An error status whose body is not an OAuth error object (an HTML 502
///   page, an empty 503) gets a synthetic `{"error": "http_<status>"}` so the
///   failure is classified by its status, never by the body's text.
/// - A JSON body labelled with another content type is relabelled.
pub async fn send(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let (parts, body) = request.into_parts();
    let url = parts.uri.to_string();
    let mut builder = client.request(parts.method, url).body(body);
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let resp = builder.send().await?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = read_body(resp).await?;
    Ok(normalise(status, headers, body))
}

/// The normalisation [`send`] applies to every answer (see there). Public
/// so the fuzz target can feed it arbitrary statuses and bodies.
pub fn normalise(
    status: StatusCode,
    mut headers: oauth2::http::HeaderMap,
    body: Vec<u8>,
) -> HttpResponse {
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let is_error_object = json
        .as_ref()
        .and_then(|v| v.get("error"))
        .is_some_and(|e| e.is_string());
    let has_token = json.as_ref().and_then(|v| v.get("access_token")).is_some();
    let mut status = status;
    let mut body = body;
    if status.is_success() && is_error_object && !has_token {
        status = StatusCode::BAD_REQUEST;
    } else if status.is_success() && status != StatusCode::OK {
        // Some servers answer 201 to a token request; the crate wants 200.
        status = StatusCode::OK;
    }
    if !status.is_success() && !is_error_object {
        body = serde_json::json!({
            "error": format!("http_{}", status.as_u16()),
            "error_description": format!("the server answered HTTP {status}"),
        })
        .to_string()
        .into_bytes();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    } else if json.is_some() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let mut response = HttpResponse::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Converts an `oauth2` request failure into the crate's error, keeping only
/// the OAuth error code and description from the server (never the body).
pub fn token_error<TE>(context: &str, err: oauth2::RequestTokenError<TransportError, TE>) -> Error
where
    TE: oauth2::ErrorResponse + 'static + serde::Serialize,
{
    match err {
        oauth2::RequestTokenError::ServerResponse(resp) => oauth_error(context, &resp),
        oauth2::RequestTokenError::Request(TransportError::Http(e)) => request_error(context, &e),
        oauth2::RequestTokenError::Request(other) => Error::protocol(context, other.to_string()),
        oauth2::RequestTokenError::Parse(e, body) => {
            // The path names the field that failed; for JSON that is not
            // even an object (cut off, HTML) it is `?` or `.`, which says
            // nothing: an HTML page is named by its title instead.
            let path = e.path().to_string();
            let at = if crate::body_text::is_html(None, &body) {
                let page = crate::body_text::summary(None, &body);
                format!(" (not JSON: {})", page.as_deref().unwrap_or("an HTML page"))
            } else if path == "?" || path == "." {
                String::new()
            } else {
                format!(" (at `{path}`)")
            };
            Error::protocol(
                context,
                format!("the server's answer is not a valid token response{at}"),
            )
        }
        oauth2::RequestTokenError::Other(msg) => Error::protocol(context, msg),
    }
}

/// Reads `error` and `error_description` out of any serialisable OAuth error
/// response type.
pub fn oauth_error<TE: serde::Serialize>(context: &str, resp: &TE) -> Error {
    let value = serde_json::to_value(resp).unwrap_or_default();
    let error = value
        .get("error")
        .and_then(|v| v.as_str())
        .map_or_else(|| "unknown_error".to_string(), |e| printable(e, 100));
    let description = value
        .get("error_description")
        .and_then(|v| v.as_str())
        .map(|s| printable(s, 300));
    Error::OAuth {
        context: context.to_string(),
        error,
        description,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(status: u16, body: &str) -> HttpResponse {
        normalise(
            StatusCode::from_u16(status).unwrap(),
            Default::default(),
            body.as_bytes().to_vec(),
        )
    }

    #[test]
    fn error_in_a_200_becomes_a_400() {
        let r = norm(200, r#"{"error":"bad_verification_code"}"#);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn html_error_pages_become_status_codes() {
        let r = norm(502, "<html>Bad gateway</html>");
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["error"], "http_502");
    }

    #[test]
    fn real_error_objects_pass_through() {
        let r = norm(400, r#"{"error":"invalid_grant","error_description":"x"}"#);
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["error"], "invalid_grant");
    }

    #[test]
    fn retry_after_is_read_as_seconds_and_capped() {
        let mut h = oauth2::http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, HeaderValue::from_static(" 30 "));
        assert_eq!(retry_after(&h), Some(30));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("-5"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn retry_after_as_an_http_date_is_the_time_until_it() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let at = |v: &str| retry_after_at(v, now);
        assert_eq!(at("Wed, 21 Oct 2015 07:30:00 GMT"), Some(120));
        // The obsolete forms RFC 9110 still asks recipients to accept.
        assert_eq!(at("Wednesday, 21-Oct-15 07:29:00 GMT"), Some(60));
        assert_eq!(at("Wed Oct 21 07:28:30 2015"), Some(30));
        // Already past: retry now. Far ahead: capped.
        assert_eq!(at("Wed, 21 Oct 2015 07:00:00 GMT"), Some(0));
        assert_eq!(at("Thu, 22 Oct 2015 07:28:00 GMT"), Some(MAX_RETRY_AFTER));
        assert_eq!(at("Wed, 32 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn http_5xx_is_transient_and_invalid_grant_is_not() {
        let e = oauth_error("t", &serde_json::json!({"error": "http_503"}));
        assert!(e.is_transient());
        let e = oauth_error("t", &serde_json::json!({"error": "invalid_grant"}));
        assert!(!e.is_transient());
    }
}
